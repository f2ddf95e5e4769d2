import { EnvReader } from '@memory/config';
import { SUMMARY_TIERS, SummaryTier } from '@memory/contracts';
import { z } from 'zod';

/**
 * What the age policies leave alone: a conversation that is pinned, or whose importance is at
 * least `importance`, is never archived or erased by age (an erase request still erases it) and
 * is compressed no further than `tier`. Pinned counts as importance 1, so it is always kept.
 */
export interface KeepPolicy {
  /** Importance (0..1) from which a conversation is kept. */
  importance: number;
  /** The coldest tier a kept conversation reaches. */
  tier: SummaryTier;
}

export const DEFAULT_KEEP_POLICY: Readonly<KeepPolicy> = { importance: 0.8, tier: 'full' };

/** The keep policy and its per-tenant overrides; the compressor and retention share them. */
export interface KeepSettings {
  policy: KeepPolicy;
  tenantPolicies: Record<string, Partial<KeepPolicy>>;
}

const importanceSchema = z.number().min(0).max(1);

const tenantPoliciesSchema = z.record(
  z.string().min(1),
  z
    .object({ importance: importanceSchema, tier: z.enum(SUMMARY_TIERS) })
    .partial()
    .strict(),
);

/** Reads `KEEP_IMPORTANCE`, `KEEP_TIER` and `KEEP_TENANT_POLICIES`. */
export function readKeepSettings(read: EnvReader): KeepSettings {
  const policy: KeepPolicy = {
    importance: read.custom(
      'KEEP_IMPORTANCE',
      DEFAULT_KEEP_POLICY.importance,
      'a number from 0 to 1 (1: pinned conversations only)',
      (raw) => {
        const value = raw.trim() === '' ? NaN : Number(raw);
        return importanceSchema.safeParse(value).success ? value : undefined;
      },
    ),
    tier: read.oneOf('KEEP_TIER', SUMMARY_TIERS, DEFAULT_KEEP_POLICY.tier),
  };
  const tenantPolicies = read.custom(
    'KEEP_TENANT_POLICIES',
    {},
    'a JSON object of tenant id -> {"importance"?: 0..1, "tier"?: ' +
      `${SUMMARY_TIERS.map((tier) => `"${tier}"`).join('|')}}`,
    (raw) => {
      try {
        const parsed = tenantPoliciesSchema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  );
  return { policy, tenantPolicies };
}

/** The keep policy of one tenant. */
export function keepPolicyFor(settings: KeepSettings, tenantId: string): KeepPolicy {
  return { ...settings.policy, ...settings.tenantPolicies[tenantId] };
}

/** Whether the age policies leave this conversation alone (pinned counts as importance 1). */
export function isKept(policy: KeepPolicy, importance: number, pinned: boolean): boolean {
  return pinned || (Number.isFinite(importance) && importance >= policy.importance);
}

/** The tier an age policy makes due, held at the keep tier when the conversation is kept. */
export function keptTier(
  due: SummaryTier,
  keep: KeepPolicy,
  importance: number,
  pinned: boolean,
): SummaryTier {
  if (!isKept(keep, importance, pinned)) return due;
  return SUMMARY_TIERS.indexOf(due) > SUMMARY_TIERS.indexOf(keep.tier) ? keep.tier : due;
}
