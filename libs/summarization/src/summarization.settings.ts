import { EnvReader } from '@memory/config';
import {
  CHAT_ROLES,
  ChatRole,
  SUMMARY_SECTIONS_VERSIONS,
  SummaryBackendName,
  SummarySectionsVersion,
} from '@memory/contracts';
import { z } from 'zod';

/** When a conversation's summary is brought up to date. */
export interface TriggerPolicy {
  /** Fold once this many messages wait (0 turns the rule off). */
  everyMessages: number;
  /** Fold what waits once the conversation has been quiet this long (0 turns the rule off). */
  idleMs: number;
  /** Fold when the conversation's message count reaches one of these. */
  milestones: number[];
}

export interface LlmSettings {
  baseUrl?: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  concurrency: number;
  tokensPerMinute: number;
  /** How long a failed endpoint is left alone before it is tried again. */
  circuitOpenMs: number;
  /** Roles whose messages the prompt leaves out (`SUMMARY_LLM_SKIP_ROLES`). */
  skipRoles: ChatRole[];
  /** The sections' minor version the LLM's summaries are written in (`SUMMARY_SECTIONS_VERSION`). */
  sectionsVersion: SummarySectionsVersion;
}

export interface SummarizationSettings {
  backend: SummaryBackendName;
  /** Bound on a summary's text, in characters. */
  maxSummaryChars: number;
  /** Bound on the new messages folded in one step, in characters: backlogs are folded in chunks. */
  chunkChars: number;
  triggers: TriggerPolicy;
  /** Trigger overrides by tenant id; what a tenant does not set comes from `triggers`. */
  tenantTriggers: Readonly<Record<string, Partial<TriggerPolicy>>>;
  /** How often idle conversations, unpublished summaries and pending LLM passes are looked for. */
  sweepIntervalMs: number;
  /**
   * How long a conversation waits for messages a fold needs that are not in Postgres (and were
   * not erased or archived) before they are skipped as never stored in this database. The
   * conversation waits without holding up its partition.
   */
  missingWaitMs: number;
  /**
   * Summary versions per conversation whose sections stay in the history (older versions keep
   * their counts, trigger and cost); 0 keeps none.
   */
  historyVersions: number;
  /**
   * User profiles and monthly roll-ups: how often each user's may be looked at again after a
   * change (0: none kept), and from how many of their newest summaries a profile is built.
   */
  profiles: { intervalMs: number; conversations: number };
  llm?: LlmSettings;
}

/** `SUMMARY_HISTORY_VERSIONS` by default. */
export const DEFAULT_HISTORY_VERSIONS = 50;

export const DEFAULT_MILESTONES = [10, 25, 50, 100, 200, 500];

const tenantTriggersSchema = z.record(
  z.string().min(1),
  z
    .object({
      everyMessages: z.number().int().min(0).max(100_000),
      idleMs: z
        .number()
        .int()
        .min(0)
        .max(7 * 24 * 3_600_000),
      milestones: z.array(z.number().int().positive()),
    })
    .partial()
    .strict(),
);

/** Reads the summarizer's settings (the service and the backfill command share them). */
export function readSummarizationSettings(read: EnvReader): SummarizationSettings {
  const backend = read.oneOf('SUMMARY_BACKEND', ['local', 'openai'] as const, 'local');
  const triggers: TriggerPolicy = {
    everyMessages: read.int('SUMMARY_EVERY_MESSAGES', 10, 0, 100_000),
    idleMs: read.int('SUMMARY_IDLE_MS', 60_000, 0, 7 * 24 * 3_600_000),
    milestones: read.intList('SUMMARY_MILESTONES', DEFAULT_MILESTONES, 1, 100_000_000),
  };
  const tenantTriggers = read.custom(
    'SUMMARY_TENANT_TRIGGERS',
    {},
    'a JSON object of tenant id -> {"everyMessages"?, "idleMs"?, "milestones"?}',
    (raw) => {
      try {
        const parsed = tenantTriggersSchema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  );
  const settings: SummarizationSettings = {
    backend,
    maxSummaryChars: read.int('SUMMARY_MAX_CHARS', 2_000, 200, 100_000),
    chunkChars: read.int('SUMMARY_CHUNK_CHARS', 12_000, 1_000, 1_000_000),
    triggers,
    tenantTriggers,
    sweepIntervalMs: read.int('SUMMARY_SWEEP_INTERVAL_MS', 5_000, 100, 3_600_000),
    missingWaitMs: read.int('SUMMARY_MISSING_WAIT_MS', 120_000, 0, 7 * 24 * 3_600_000),
    historyVersions: read.int('SUMMARY_HISTORY_VERSIONS', DEFAULT_HISTORY_VERSIONS, 0, 100_000),
    profiles: {
      intervalMs: read.int('SUMMARY_PROFILE_INTERVAL_MS', 600_000, 0, 7 * 24 * 3_600_000),
      conversations: read.int('SUMMARY_PROFILE_CONVERSATIONS', 50, 1, 1_000),
    },
  };
  if (backend === 'openai') {
    settings.llm = {
      baseUrl: read.url('OPENAI_BASE_URL', 'https://api.openai.com/v1', ['http', 'https']),
      apiKey: read.optionalString('OPENAI_API_KEY'),
      model: read.string('OPENAI_MODEL', 'gpt-4o-mini'),
      timeoutMs: read.int('OPENAI_TIMEOUT_MS', 30_000, 100, 600_000),
      maxRetries: read.int('OPENAI_MAX_RETRIES', 4, 0, 20),
      concurrency: read.int('OPENAI_CONCURRENCY', 4, 1, 256),
      tokensPerMinute: read.int('OPENAI_TOKENS_PER_MINUTE', 0, 0, 100_000_000),
      circuitOpenMs: read.int('OPENAI_CIRCUIT_OPEN_MS', 30_000, 0, 3_600_000),
      skipRoles: read.custom(
        'SUMMARY_LLM_SKIP_ROLES',
        ['system', 'tool'],
        `a comma-separated list of ${CHAT_ROLES.join(', ')}, or none`,
        readRoles,
      ),
      sectionsVersion: read.oneOf('SUMMARY_SECTIONS_VERSION', SUMMARY_SECTIONS_VERSIONS, '1.1'),
    };
  }
  return settings;
}

/** `none`, or chat roles separated by commas; undefined when anything else is there. */
function readRoles(raw: string): ChatRole[] | undefined {
  if (raw.trim() === 'none') return [];
  const roles = raw.split(',').map((role) => role.trim());
  const known: readonly string[] = CHAT_ROLES;
  return roles.every((role) => known.includes(role)) ? (roles as ChatRole[]) : undefined;
}

/** The trigger policy of one tenant. */
export function triggersFor(settings: SummarizationSettings, tenantId: string): TriggerPolicy {
  return { ...settings.triggers, ...settings.tenantTriggers[tenantId] };
}

/** Whether a fold ends at `seq`: every N-th message and each milestone. */
export function isTriggerPoint(policy: TriggerPolicy, seq: number): boolean {
  return (
    (policy.everyMessages > 0 && seq % policy.everyMessages === 0) ||
    policy.milestones.includes(seq)
  );
}

/** The highest trigger point after `after` and at most `through`, if there is one. */
export function lastTriggerPoint(
  policy: TriggerPolicy,
  after: number,
  through: number,
): number | undefined {
  let best: number | undefined;
  if (policy.everyMessages > 0) {
    const multiple = Math.floor(through / policy.everyMessages) * policy.everyMessages;
    if (multiple > after) best = multiple;
  }
  for (const milestone of policy.milestones)
    if (milestone > after && milestone <= through && (best === undefined || milestone > best))
      best = milestone;
  return best;
}
