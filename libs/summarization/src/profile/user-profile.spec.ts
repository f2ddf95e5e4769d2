import { emptySections, SummarySections } from '@memory/contracts';
import {
  buildLocalProfile,
  ProfileInput,
  profileFromSections,
  profileInputHash,
  profileLines,
  PROFILE_ITEMS,
} from './user-profile';

function input(
  conversationId: string,
  sections: Partial<SummarySections>,
  version = 1,
): ProfileInput {
  return {
    conversationId,
    version,
    sections: { ...emptySections(), ...sections },
    lastMessageAt: new Date('2026-05-01T10:00:00Z'),
  };
}

describe(buildLocalProfile.name, () => {
  it("sorts the user's own points into facts and preferences, with every decision and open item", () => {
    const profile = buildLocalProfile('ana', [
      input('c2', {
        keyPoints: [
          'ana: I prefer morning appointments',
          'ben: I love jazz',
          'ana: moved to Lisbon in March',
        ],
        decisions: ['Rent a van'],
        rationales: { 'Rent a van': 'the car is too small' },
        actionItems: ['ben: Send the lease to the bank'],
        openQuestions: ['Which bank?'],
      }),
      input('c1', {
        keyPoints: ['ana: I am allergic to peanuts', 'ana: Moved to Lisbon in March.'],
      }),
    ]);
    expect(profile).toEqual({
      facts: [{ text: 'moved to Lisbon in March', conversations: ['c2', 'c1'] }],
      preferences: [
        { text: 'I prefer morning appointments', conversations: ['c2'] },
        { text: 'I am allergic to peanuts', conversations: ['c1'] },
      ],
      decisions: [{ text: 'Rent a van (why: the car is too small)', conversations: ['c2'] }],
      openItems: [
        { text: 'Send the lease to the bank', conversations: ['c2'] },
        { text: 'Which bank?', conversations: ['c2'] },
      ],
    });
  });

  it(`keeps the newest ${PROFILE_ITEMS} items of a section`, () => {
    const inputs = Array.from({ length: 30 }, (_, i) =>
      input(`c${i}`, { keyPoints: [`fact number ${i}`] }),
    );
    const facts = buildLocalProfile('ana', inputs).facts;
    expect(facts).toHaveLength(PROFILE_ITEMS);
    expect(facts[0]).toEqual({ text: 'fact number 0', conversations: ['c0'] });
  });
});

describe(profileFromSections.name, () => {
  it('cites the summary each item shares the most words with', () => {
    const inputs = [
      input('trip', { keyPoints: ['ana: booked flights to Lisbon for May'] }),
      input('move', { keyPoints: ['ana: the van is rented for Saturday'] }),
    ];
    const profile = profileFromSections(
      {
        ...emptySections(),
        keyPoints: ['Flights to Lisbon booked for May', 'Ana likes nothing in particular'],
        decisions: ['Van rented for Saturday'],
      },
      inputs,
    );
    expect(profile.facts.map((item) => item.conversations)).toEqual([['trip'], ['trip']]);
    expect(profile.decisions).toEqual([
      { text: 'Van rented for Saturday', conversations: ['move'] },
    ]);
  });
});

describe(profileInputHash.name, () => {
  it('changes with a conversation or a summary version, not with their order', () => {
    const a = input('a', {});
    const b = input('b', {});
    expect(profileInputHash([a, b])).toBe(profileInputHash([b, a]));
    expect(profileInputHash([a, b])).not.toBe(profileInputHash([a, { ...b, version: 2 }]));
    expect(profileInputHash([a])).not.toBe(profileInputHash([a, b]));
  });
});

describe(profileLines.name, () => {
  it('puts preferences first and cites the conversations', () => {
    const profile = buildLocalProfile('ana', [
      input('c1', { keyPoints: ['ana: I love tea', 'ana: works at the harbour'] }),
    ]);
    expect(profileLines(profile)).toEqual([
      'Preference: I love tea (c1)',
      'Fact: works at the harbour (c1)',
    ]);
  });
});
