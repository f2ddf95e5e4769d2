import { EnvReader } from '@memory/config';
import { z } from 'zod';
import { KeepSettings, readKeepSettings } from './keep-policy';
import { DEFAULT_TIER_POLICY, policyProblems, TierPolicy } from './tier-policy';

/** The compressor's settings (the service and the `compress` command share them). */
export interface CompressionSettings {
  policy: TierPolicy;
  /** Per tenant, the fields of the policy that differ from the default. */
  tenantPolicies: Record<string, Partial<TierPolicy>>;
  /** What is compressed no further than its keep tier (pinned and important conversations). */
  keep: KeepSettings;
  /** Time between two scheduled passes. */
  intervalMs: number;
  /** Conversations read per page of a pass. */
  batchSize: number;
}

const MAX_DAYS = 36_500;

const tenantPoliciesSchema = z.record(
  z.string().min(1),
  z
    .object({
      keyPointsAfterDays: z.number().positive().max(MAX_DAYS),
      briefAfterDays: z.number().positive().max(MAX_DAYS),
      metadataAfterDays: z.number().positive().max(MAX_DAYS),
      importanceStretch: z.number().min(0).max(100),
    })
    .partial()
    .strict(),
);

export function readCompressionSettings(read: EnvReader): CompressionSettings {
  const policy: TierPolicy = {
    keyPointsAfterDays: read.int(
      'TIER_KEY_POINTS_AFTER_DAYS',
      DEFAULT_TIER_POLICY.keyPointsAfterDays,
      1,
      MAX_DAYS,
    ),
    briefAfterDays: read.int(
      'TIER_BRIEF_AFTER_DAYS',
      DEFAULT_TIER_POLICY.briefAfterDays,
      1,
      MAX_DAYS,
    ),
    metadataAfterDays: read.int(
      'TIER_METADATA_AFTER_DAYS',
      DEFAULT_TIER_POLICY.metadataAfterDays,
      1,
      MAX_DAYS,
    ),
    // Percent, so that it stays an integer variable: 100 doubles every threshold at importance 1.
    importanceStretch:
      read.int(
        'TIER_IMPORTANCE_STRETCH_PERCENT',
        DEFAULT_TIER_POLICY.importanceStretch * 100,
        0,
        10_000,
      ) / 100,
  };
  if (policyProblems(policy).length > 0)
    read.reject(
      'TIER_BRIEF_AFTER_DAYS',
      'TIER_KEY_POINTS_AFTER_DAYS < TIER_BRIEF_AFTER_DAYS < TIER_METADATA_AFTER_DAYS',
    );
  const tenantPolicies = read.custom(
    'COMPRESSOR_TENANT_POLICIES',
    {},
    'a JSON object of tenant id -> {"keyPointsAfterDays"?, "briefAfterDays"?, ' +
      '"metadataAfterDays"?, "importanceStretch"?}, thresholds growing',
    (raw) => {
      try {
        const parsed = tenantPoliciesSchema.safeParse(JSON.parse(raw));
        if (!parsed.success) return undefined;
        const valid = Object.values(parsed.data).every(
          (override) => policyProblems({ ...policy, ...override }).length === 0,
        );
        return valid ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  );
  return {
    policy,
    tenantPolicies,
    keep: readKeepSettings(read),
    intervalMs: read.int('COMPRESSOR_INTERVAL_MS', 3_600_000, 1_000, 7 * 24 * 3_600_000),
    batchSize: read.int('COMPRESSOR_BATCH_SIZE', 100, 1, 10_000),
  };
}

/** The policy of one tenant. */
export function policyFor(settings: CompressionSettings, tenantId: string): TierPolicy {
  return { ...settings.policy, ...settings.tenantPolicies[tenantId] };
}

/** The fewest days after which any tenant's conversations can leave `full`. */
export function earliestThresholdDays(settings: CompressionSettings): number {
  return Math.min(
    settings.policy.keyPointsAfterDays,
    ...Object.values(settings.tenantPolicies).map(
      (override) => override.keyPointsAfterDays ?? settings.policy.keyPointsAfterDays,
    ),
  );
}
