import { DEFAULT_TIER_POLICY, dueTier, isColder, policyProblems, tierRank } from './tier-policy';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

describe(dueTier.name, () => {
  it.each([
    [0, 'full'],
    [6.9, 'full'],
    [7, 'key_points'],
    [29, 'key_points'],
    [30, 'brief'],
    [364, 'brief'],
    [365, 'metadata'],
    [4000, 'metadata'],
  ] as const)('%d days after the last activity: %s', (days, tier) => {
    expect(dueTier(daysAgo(days), NOW)).toBe(tier);
  });

  it('keeps an important conversation in each tier longer', () => {
    expect(dueTier(daysAgo(10), NOW, DEFAULT_TIER_POLICY, 1)).toBe('full');
    expect(dueTier(daysAgo(14), NOW, DEFAULT_TIER_POLICY, 1)).toBe('key_points');
    expect(dueTier(daysAgo(45), NOW, DEFAULT_TIER_POLICY, 0.5)).toBe('brief');
    expect(dueTier(daysAgo(400), NOW, DEFAULT_TIER_POLICY, 1)).toBe('brief');
    expect(dueTier(daysAgo(400), NOW, DEFAULT_TIER_POLICY, 0)).toBe('metadata');
    // Out of range importance is clamped; no stretch means importance does not matter.
    expect(dueTier(daysAgo(800), NOW, DEFAULT_TIER_POLICY, 7)).toBe('metadata');
    expect(dueTier(daysAgo(8), NOW, { ...DEFAULT_TIER_POLICY, importanceStretch: 0 }, 1)).toBe(
      'key_points',
    );
  });

  it('treats activity in the future as now', () => {
    expect(dueTier(new Date(NOW.getTime() + 86_400_000), NOW)).toBe('full');
  });
});

describe('tier order', () => {
  it('ranks full richest and metadata coldest', () => {
    expect(['full', 'key_points', 'brief', 'metadata'].map((t) => tierRank(t as never))).toEqual([
      0, 1, 2, 3,
    ]);
    expect(isColder('brief', 'key_points')).toBe(true);
    expect(isColder('full', 'full')).toBe(false);
    expect(isColder('key_points', 'metadata')).toBe(false);
  });
});

describe(policyProblems.name, () => {
  it('accepts the default and names what is wrong with a bad policy', () => {
    expect(policyProblems(DEFAULT_TIER_POLICY)).toEqual([]);
    expect(
      policyProblems({
        keyPointsAfterDays: 0,
        briefAfterDays: 20,
        metadataAfterDays: 10,
        importanceStretch: -1,
      }),
    ).toEqual([
      'keyPointsAfterDays must be a positive number',
      'the thresholds must grow: keyPointsAfterDays < briefAfterDays < metadataAfterDays',
      'importanceStretch must be 0 or more',
    ]);
  });
});
