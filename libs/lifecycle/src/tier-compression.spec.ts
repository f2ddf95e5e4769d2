import { emptySections, renderSummaryText, SummarySections } from '@memory/contracts';
import {
  compressSections,
  compressSummary,
  firstSentence,
  metadataTitle,
  retentionScore,
} from './tier-compression';

const FULL: SummarySections = {
  context:
    'Conversation between Ana and Ben on 3 March 2026 about the office move. They compared two buildings.',
  keyPoints: [
    'Ana: the lease on Harbour Street ends in June',
    'Ben: the Elm Park building has room for forty desks',
    'Ana: movers quoted 12,000 euros',
    'Ben: the parking garage closes at nine',
    'Ana: the kitchen needs new appliances',
    'Ben: fibre internet is already installed',
    'Ana: the landlord wants a five-year contract',
    'Ben: a bike room would please the team',
    'Ana: the lobby must be accessible',
    'Ben: cleaning is included in the rent',
  ],
  decisions: ['They chose Elm Park', 'The move happens in May'],
  actionItems: ['Ben books the movers', 'Ana tells the staff', 'Ana orders boxes'],
  openQuestions: ['Who pays for the new appliances?'],
  entities: ['Ana', 'Ben', 'Harbour Street', 'Elm Park'],
  dates: ['June', 'May', '3 March 2026'],
  numbers: ['forty desks', '12,000 euros'],
  mood: 'optimistic',
};

describe(compressSections.name, () => {
  it('keeps everything at full', () => {
    const full = compressSections(FULL, 'full');
    expect(full).toEqual(FULL);
    expect(full).not.toBe(FULL);
  });

  it.each([
    ['key_points', 0.7],
    ['brief', 0.4],
  ] as const)('cuts %s to about %d of the information, most important first', (tier, target) => {
    const cut = compressSections(FULL, tier);
    // At least the target, and not one item more than needed to get there.
    expect(retentionScore(FULL, cut)).toBeGreaterThanOrEqual(target);
    const lists = ['keyPoints', 'decisions', 'actionItems', 'openQuestions'] as const;
    const facts = ['entities', 'dates', 'numbers'] as const;
    for (const name of [...lists, ...facts]) {
      // Every list keeps a head: the most important items.
      expect(FULL[name].slice(0, cut[name].length)).toEqual(cut[name]);
    }
    const taken = [...lists, ...facts].filter((name) => cut[name].length > 0);
    const last = taken.reduce((a, b) => (cut[b].length >= cut[a].length ? b : a));
    const lessOne = { ...cut, [last]: cut[last].slice(0, -1) };
    if (cut.context === firstSentence(FULL.context))
      expect(retentionScore(FULL, lessOne)).toBeLessThan(target + 0.15);
    // The title always stays.
    expect(cut.context.startsWith(firstSentence(FULL.context))).toBe(true);
    expect(cut.mood).toBe(tier === 'key_points' ? 'optimistic' : null);
  });

  it('takes lessons by rank like the other lists, and keeps rationales at key_points only', () => {
    const full: SummarySections = {
      ...FULL,
      rationales: { 'They chose Elm Park': 'it has room for forty desks and a bike room' },
      lessons: ['Visiting buildings together saved a week of emails'],
    };
    expect(compressSections(full, 'full')).toEqual(full);
    const keyPoints = compressSections(full, 'key_points');
    expect(keyPoints.decisions[0]).toBe('They chose Elm Park');
    expect(keyPoints.rationales).toEqual(full.rationales);
    expect(keyPoints.lessons).toEqual(full.lessons);
    const brief = compressSections(full, 'brief');
    expect('rationales' in brief).toBe(false);
    const metadata = compressSections(full, 'metadata');
    expect('lessons' in metadata || 'rationales' in metadata).toBe(false);
    // Their words count: a full summary's lessons are information a tier can lose.
    expect(retentionScore(full, { ...full, lessons: [] })).toBeLessThan(1);
  });

  it('keeps more at key_points than at brief', () => {
    const keyPoints = compressSections(FULL, 'key_points');
    const brief = compressSections(FULL, 'brief');
    expect(retentionScore(FULL, keyPoints)).toBeGreaterThan(retentionScore(FULL, brief));
    expect(keyPoints.keyPoints.length).toBeGreaterThanOrEqual(brief.keyPoints.length);
    expect(retentionScore(FULL, brief)).toBeLessThan(0.7);
  });

  it('keeps just the title when the title alone holds more than the target', () => {
    const short: SummarySections = {
      ...emptySections(),
      context: 'Ana and Ben planned the office move to Elm Park.',
      keyPoints: ['Ana: move'],
    };
    expect(compressSections(short, 'brief')).toMatchObject({
      context: short.context,
      keyPoints: [],
    });
  });

  it('keeps only the title, entities and dates at metadata', () => {
    expect(compressSections(FULL, 'metadata')).toEqual({
      ...emptySections(),
      context: 'Conversation between Ana and Ben on 3 March 2026 about the office move.',
      entities: FULL.entities,
      dates: FULL.dates,
    });
  });

  it('gives a metadata summary without context a title from the facts', () => {
    const title = metadataTitle({
      userId: 'ana',
      messageCount: 12,
      firstMessageAt: new Date('2025-10-01T10:00:00Z'),
      lastMessageAt: new Date('2025-10-03T09:00:00Z'),
    });
    expect(title).toBe('Conversation of ana, 12 messages from 2025-10-01 to 2025-10-03.');
    const bare = { ...emptySections(), keyPoints: ['Movers quoted 12,000 euros'] };
    expect(compressSections(bare, 'metadata', title).context).toBe(title);
    expect(compressSections(FULL, 'metadata', title).context).toBe(
      'Conversation between Ana and Ben on 3 March 2026 about the office move.',
    );
    expect(
      metadataTitle({ userId: 'ben', messageCount: 1, firstMessageAt: null, lastMessageAt: null }),
    ).toBe('Conversation of ben, 1 message.');
  });

  it('leaves an empty summary empty', () => {
    for (const tier of ['full', 'key_points', 'brief', 'metadata'] as const)
      expect(compressSections(emptySections(), tier)).toEqual(emptySections());
  });
});

describe(retentionScore.name, () => {
  it('is 1 for the full summary and falls with every colder tier', () => {
    const scores = (['full', 'key_points', 'brief', 'metadata'] as const).map(
      (tier) => compressSummary(FULL, tier).retention,
    );
    expect(scores[0]).toBe(1);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThan(scores[i - 1] ?? 0);
    expect(scores[3]).toBeGreaterThan(0);
  });

  it('counts the share of distinct content terms still present', () => {
    const full = { ...emptySections(), keyPoints: ['budget spreadsheet', 'dentist invoice'] };
    const half = { ...emptySections(), keyPoints: ['budget spreadsheet'] };
    expect(retentionScore(full, half)).toBeCloseTo(0.5, 5);
    expect(retentionScore(full, emptySections())).toBe(0);
    expect(retentionScore(emptySections(), emptySections())).toBe(1);
  });
});

describe(compressSummary.name, () => {
  it('records the size ratio of the rendered texts', () => {
    const brief = compressSummary(FULL, 'brief');
    expect(brief.text).toBe(renderSummaryText(brief.sections));
    expect(brief.ratio).toBeCloseTo(brief.text.length / renderSummaryText(FULL).length, 10);
    expect(brief.ratio).toBeLessThan(compressSummary(FULL, 'key_points').ratio);
    expect(compressSummary(FULL, 'full').ratio).toBe(1);
    expect(compressSummary(emptySections(), 'metadata').ratio).toBe(1);
  });
});

describe(firstSentence.name, () => {
  it('stops at the first sentence end, not inside numbers', () => {
    expect(firstSentence('Budget is 1.5 million. Then more.')).toBe('Budget is 1.5 million.');
    expect(firstSentence('No end here')).toBe('No end here');
    expect(firstSentence('  Question? Answer.')).toBe('Question?');
  });
});
