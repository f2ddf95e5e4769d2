import { EnvReader } from '@memory/config';
import { resolve } from 'node:path';
import { z } from 'zod';
import { KeepSettings, readKeepSettings } from './keep-policy';

/** What retention does with one tenant's conversations. */
export interface RetentionPolicy {
  /**
   * Days after its last message after which a summarized conversation's raw messages are
   * archived and removed from Postgres.
   */
  archiveAfterDays: number;
  /** The newest messages of a conversation kept in Postgres when it is archived (0: none). */
  keepLastMessages: number;
  /** Days after its last message after which a conversation is erased; undefined: never. */
  eraseAfterDays?: number;
}

/** Stops a scheduled pass at a point, for fault tests that kill the process there. */
export const RETENTION_PAUSE_POINTS = ['none', 'archive-written', 'rows-deleted'] as const;
export type RetentionPausePoint = (typeof RETENTION_PAUSE_POINTS)[number];

/** The retention service's settings (the service and the CLI commands share them). */
export interface RetentionSettings {
  /** Local directory holding the archives (created when missing). */
  archiveRoot: string;
  policy: RetentionPolicy;
  /** Per tenant, the fields of the policy that differ from the default. */
  tenantPolicies: Record<string, Partial<RetentionPolicy>>;
  /** What the age policies never archive or erase (pinned and important conversations). */
  keep: KeepSettings;
  /** Days a restored conversation stays in Postgres before it may be archived again. */
  restoreHoldDays: number;
  /** Time between two scheduled passes. */
  intervalMs: number;
  /** Conversations per page of a pass. */
  batchSize: number;
  /** Test-only: where the archive step waits forever (see RETENTION_PAUSE_POINTS). */
  pauseAt: RetentionPausePoint;
}

export const DEFAULT_RETENTION_POLICY: RetentionPolicy = {
  archiveAfterDays: 90,
  // The recent turns a conversation picks up from stay at hand (the design's default).
  keepLastMessages: 20,
};

const MAX_DAYS = 36_500;
const MAX_KEEP = 1_000_000;

const tenantPoliciesSchema = z.record(
  z.string().min(1),
  z
    .object({
      archiveAfterDays: z.number().int().positive().max(MAX_DAYS),
      keepLastMessages: z.number().int().min(0).max(MAX_KEEP),
      eraseAfterDays: z.number().int().positive().max(MAX_DAYS),
    })
    .partial()
    .strict(),
);

export function readRetentionSettings(read: EnvReader): RetentionSettings {
  const eraseAfter = read.int('RETENTION_ERASE_AFTER_DAYS', 0, 0, MAX_DAYS);
  const policy: RetentionPolicy = {
    archiveAfterDays: read.int(
      'RETENTION_ARCHIVE_AFTER_DAYS',
      DEFAULT_RETENTION_POLICY.archiveAfterDays,
      1,
      MAX_DAYS,
    ),
    keepLastMessages: read.int(
      'RETENTION_KEEP_LAST_MESSAGES',
      DEFAULT_RETENTION_POLICY.keepLastMessages,
      0,
      MAX_KEEP,
    ),
    ...(eraseAfter > 0 ? { eraseAfterDays: eraseAfter } : {}),
  };
  if (policy.eraseAfterDays !== undefined && policy.eraseAfterDays <= policy.archiveAfterDays)
    read.reject('RETENTION_ERASE_AFTER_DAYS', 'more days than RETENTION_ARCHIVE_AFTER_DAYS, or 0');
  const tenantPolicies = read.custom(
    'RETENTION_TENANT_POLICIES',
    {},
    'a JSON object of tenant id -> {"archiveAfterDays"?, "keepLastMessages"?, ' +
      '"eraseAfterDays"?}, whole numbers, erase later than archive',
    (raw) => {
      try {
        const parsed = tenantPoliciesSchema.safeParse(JSON.parse(raw));
        if (!parsed.success) return undefined;
        const valid = Object.values(parsed.data).every((override) => {
          const merged = { ...policy, ...override };
          return (
            merged.eraseAfterDays === undefined || merged.eraseAfterDays > merged.archiveAfterDays
          );
        });
        return valid ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  );
  return {
    archiveRoot: readArchiveRoot(read),
    policy,
    tenantPolicies,
    keep: readKeepSettings(read),
    restoreHoldDays: read.int('RETENTION_RESTORE_HOLD_DAYS', 30, 0, MAX_DAYS),
    intervalMs: read.int('RETENTION_INTERVAL_MS', 3_600_000, 1_000, 7 * 24 * 3_600_000),
    batchSize: read.int('RETENTION_BATCH_SIZE', 50, 1, 10_000),
    pauseAt: read.oneOf('RETENTION_PAUSE_AT', RETENTION_PAUSE_POINTS, 'none'),
  };
}

/**
 * `RETENTION_ARCHIVE_ROOT`, absolute: where retention writes archives and where ingest reads
 * archived messages from (the same directory, mounted read-only for ingest).
 */
export function readArchiveRoot(read: EnvReader): string {
  return resolve(read.string('RETENTION_ARCHIVE_ROOT', 'data/archive'));
}

/** The retention policy of one tenant. */
export function retentionPolicyFor(settings: RetentionSettings, tenantId: string): RetentionPolicy {
  return { ...settings.policy, ...settings.tenantPolicies[tenantId] };
}

/** The fewest days after which any tenant's conversations can be archived. */
export function earliestArchiveDays(settings: RetentionSettings): number {
  return Math.min(
    settings.policy.archiveAfterDays,
    ...Object.values(settings.tenantPolicies).map(
      (override) => override.archiveAfterDays ?? settings.policy.archiveAfterDays,
    ),
  );
}

/** The fewest days after which any tenant's conversations can be erased; undefined: never. */
export function earliestEraseDays(settings: RetentionSettings): number | undefined {
  const days = [settings.policy, ...Object.values(settings.tenantPolicies)]
    .map((policy) => policy.eraseAfterDays)
    .filter((value): value is number => value !== undefined);
  return days.length > 0 ? Math.min(...days) : undefined;
}
