import { emptySections, renderSummaryText, SummarySections } from '@memory/contracts';
import { ProfileInput } from './user-profile';
import { buildLocalRollup, monthName, monthOf } from './user-rollup';

function input(conversationId: string, sections: Partial<SummarySections>): ProfileInput {
  return {
    conversationId,
    version: 1,
    sections: { ...emptySections(), ...sections },
    lastMessageAt: new Date('2026-03-10T10:00:00Z'),
  };
}

describe(buildLocalRollup.name, () => {
  it('names the month, takes items by rank across the conversations, and keeps rationales', () => {
    const rollup = buildLocalRollup(
      '2026-03',
      [
        input('c2', {
          context: 'Ana and Ben planned the move. They compared vans.',
          keyPoints: ['ana: the van is booked', 'ana: boxes are packed'],
          decisions: ['ana: Rent a van'],
          rationales: { 'ana: Rent a van': 'the car is too small' },
        }),
        input('c1', {
          context: 'Ana asked about the lease.',
          keyPoints: ['ana: the lease ends in June', 'ana: The van is booked'],
        }),
      ],
      2_000,
    );
    expect(rollup.context).toBe(
      '2 conversations in March 2026. Ana and Ben planned the move. Ana asked about the lease.',
    );
    expect(rollup.keyPoints).toEqual([
      'the van is booked',
      'the lease ends in June',
      'boxes are packed',
    ]);
    expect(rollup.decisions).toEqual(['Rent a van']);
    expect(renderSummaryText(rollup)).toContain('Rent a van (why: the car is too small)');
  });

  it('stays within its budget', () => {
    const inputs = Array.from({ length: 40 }, (_, i) =>
      input(`c${i}`, { keyPoints: [`a long point number ${i} about the harbour and the boats`] }),
    );
    expect(renderSummaryText(buildLocalRollup('2026-03', inputs, 300)).length).toBeLessThanOrEqual(
      300,
    );
  });
});

describe(monthOf.name, () => {
  it('is the UTC month of the last message, none without one', () => {
    expect(monthOf(new Date('2026-03-31T23:30:00-02:00'))).toBe('2026-04');
    expect(monthOf(null)).toBeUndefined();
    expect(monthName('2026-04')).toBe('April 2026');
  });
});
