import { SUMMARY_TIERS, SummaryTier } from '@memory/contracts';

/**
 * When a conversation moves to a colder tier, by days since its last activity. A conversation's
 * importance (0..1) stretches every threshold by `1 + importanceStretch × importance`: with the
 * default stretch of 1, the most important conversations stay twice as long in each tier.
 */
export interface TierPolicy {
  keyPointsAfterDays: number;
  briefAfterDays: number;
  metadataAfterDays: number;
  importanceStretch: number;
}

export const DEFAULT_TIER_POLICY: Readonly<TierPolicy> = {
  keyPointsAfterDays: 7,
  briefAfterDays: 30,
  metadataAfterDays: 365,
  importanceStretch: 1,
};

const DAY_MS = 86_400_000;

/** 0 for `full` up to 3 for `metadata`: a higher rank keeps less. */
export function tierRank(tier: SummaryTier): number {
  return SUMMARY_TIERS.indexOf(tier);
}

/** Whether `a` keeps less than `b`. */
export function isColder(a: SummaryTier, b: SummaryTier): boolean {
  return tierRank(a) > tierRank(b);
}

/** Checks a policy's thresholds: positive and increasing, stretch not negative. */
export function policyProblems(policy: TierPolicy): string[] {
  const problems: string[] = [];
  const { keyPointsAfterDays, briefAfterDays, metadataAfterDays, importanceStretch } = policy;
  for (const [name, value] of Object.entries({
    keyPointsAfterDays,
    briefAfterDays,
    metadataAfterDays,
  })) {
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number`);
  }
  if (!(keyPointsAfterDays < briefAfterDays && briefAfterDays < metadataAfterDays))
    problems.push(
      'the thresholds must grow: keyPointsAfterDays < briefAfterDays < metadataAfterDays',
    );
  if (!Number.isFinite(importanceStretch) || importanceStretch < 0)
    problems.push('importanceStretch must be 0 or more');
  return problems;
}

/**
 * The tier a conversation is due for at `now`, given its last activity and importance (values
 * outside 0..1 are clamped). Activity in the future counts as now.
 */
export function dueTier(
  lastActivity: Date,
  now: Date,
  policy: TierPolicy = DEFAULT_TIER_POLICY,
  importance = 0,
): SummaryTier {
  const weight = Math.min(1, Math.max(0, Number.isFinite(importance) ? importance : 0));
  const stretch = 1 + policy.importanceStretch * weight;
  const days = Math.max(0, now.getTime() - lastActivity.getTime()) / DAY_MS;
  if (days >= policy.metadataAfterDays * stretch) return 'metadata';
  if (days >= policy.briefAfterDays * stretch) return 'brief';
  if (days >= policy.keyPointsAfterDays * stretch) return 'key_points';
  return 'full';
}
