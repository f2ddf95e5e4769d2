// Brings every replayed LoCoMo session to one age stage with the real lifecycle: the compressor's
// pass (`memory compress --as-of`) and the retention's archive pass (`memory archive --as-of`),
// run through the built CLI with tier and archive thresholds chosen for this run, then checks
// Postgres and waits until the search index shows the stage.
//
//   live        full summary, raw messages in Postgres (nothing run)
//   compressed  key_points,  raw messages in Postgres
//   archived    brief,       raw messages archived (passages removed from the index)
//   old         metadata,    raw messages archived
//
// The passes judge ages at `asOf`, five days after the newest LoCoMo message, so every session
// is at least five days old and at most `oldest` days; the thresholds (whole days, importance
// stretch 0, no tenant overrides) put all of them past the stage's tier and short of the next.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SummaryTier } from '@memory/contracts';
import { LocomoConversation } from '@memory/datasets';
import { ArchiveRepository } from '@memory/lifecycle';
import { MessageRepository } from '@memory/persistence';
import { passagesAlias, summariesAlias } from '@memory/search-index';
import { SummaryStore } from '@memory/summarization';
import { benchDataSource } from './database';
import { EvalTools } from './eval-tools';
import { conversationIdOf, tenantOf, turnTime } from './locomo-evidence';

export const AGES = ['live', 'compressed', 'archived', 'old'] as const;
export type Age = (typeof AGES)[number];

export const AGE_STAGES: Record<Age, { tier: SummaryTier; archived: boolean }> = {
  live: { tier: 'full', archived: false },
  compressed: { tier: 'key_points', archived: false },
  archived: { tier: 'brief', archived: true },
  old: { tier: 'metadata', archived: true },
};

/** --tier of the earlier evaluation, as the age that holds that tier. */
export const AGE_OF_TIER: Record<SummaryTier, Age> = {
  full: 'live',
  key_points: 'compressed',
  brief: 'archived',
  metadata: 'old',
};

const DAY_MS = 86_400_000;
const MARGIN_DAYS = 5;

export interface AgePlan {
  age: Age;
  tier: SummaryTier;
  archived: boolean;
  asOf: string;
  /** Days since the last message of the newest and the oldest session, at `asOf`. */
  youngestDays: number;
  oldestDays: number;
  /** The environment the CLI passes run with (thresholds, archive root). */
  env: Record<string, string>;
}

export function isAge(value: string): value is Age {
  return (AGES as readonly string[]).includes(value);
}

/** The as-of date and thresholds that put every session of `conversations` at `age`. */
export function agePlan(conversations: readonly LocomoConversation[], age: Age): AgePlan {
  const lasts = conversations.flatMap((c) =>
    c.sessions.map((s) => Date.parse(turnTime(s, s.messages.length - 1))),
  );
  const newest = Math.max(...lasts);
  const asOf = newest + MARGIN_DAYS * DAY_MS;
  const oldestDays = (asOf - Math.min(...lasts)) / DAY_MS;
  const beyond = Math.ceil(oldestDays) + 1;
  const thresholds: Record<Age, [number, number, number]> = {
    live: [beyond, beyond + 1, beyond + 2],
    compressed: [1, beyond, beyond + 1],
    archived: [1, 2, beyond],
    old: [1, 2, 3],
  };
  const [keyPoints, brief, metadata] = thresholds[age];
  return {
    age,
    ...AGE_STAGES[age],
    asOf: new Date(asOf).toISOString(),
    youngestDays: MARGIN_DAYS,
    oldestDays: Math.round(oldestDays * 10) / 10,
    env: {
      TIER_KEY_POINTS_AFTER_DAYS: String(keyPoints),
      TIER_BRIEF_AFTER_DAYS: String(brief),
      TIER_METADATA_AFTER_DAYS: String(metadata),
      TIER_IMPORTANCE_STRETCH_PERCENT: '0',
      COMPRESSOR_TENANT_POLICIES: '{}',
      RETENTION_ARCHIVE_AFTER_DAYS: AGE_STAGES[age].archived ? '1' : String(beyond),
      RETENTION_KEEP_LAST_MESSAGES: '0',
      RETENTION_ERASE_AFTER_DAYS: '0',
      RETENTION_TENANT_POLICIES: '{}',
      RETENTION_ARCHIVE_ROOT: mkdtempSync(join(tmpdir(), 'eval-locomo-archive-')),
    },
  };
}

/** What the stage machinery reports: the passes' counts and what Postgres holds after. */
export interface AgeOutcome {
  asOf: string;
  thresholds: Record<string, string>;
  compressed: number;
  archived: number;
  archivedMessages: number;
  lifecycleEvents: number;
  tiers: Record<string, number>;
  messagesInPostgres: number;
  archives: number;
}

/**
 * Runs the passes of `plan` per tenant, verifies that every session is at the stage (throws,
 * naming what is off, when one is not), then waits until the summaries index holds every
 * session at the stage's tier and, for an archived stage, the passages index holds none.
 */
export async function bringToAge(
  tools: EvalTools,
  plan: AgePlan,
  conversations: readonly LocomoConversation[],
  env: Record<string, string>,
  opensearch: string,
  prefix: string,
): Promise<AgeOutcome> {
  const runEnv = { ...env, ...plan.env };
  const sessions = conversations.reduce((n, c) => n + c.sessions.length, 0);
  const turns = conversations.reduce(
    (n, c) => n + c.sessions.reduce((m, s) => m + s.messages.length, 0),
    0,
  );
  const outcome: AgeOutcome = {
    asOf: plan.asOf,
    thresholds: Object.fromEntries(
      Object.entries(plan.env).filter(([name]) => !name.endsWith('_ROOT')),
    ),
    compressed: 0,
    archived: 0,
    archivedMessages: 0,
    lifecycleEvents: 0,
    tiers: {},
    messagesInPostgres: 0,
    archives: 0,
  };
  if (plan.age !== 'live')
    for (const conversation of conversations) {
      const tenant = tenantOf(conversation);
      const report = lastJson(
        tools.cli(['compress', '--tenant', tenant, '--as-of', plan.asOf], runEnv),
      );
      const moved = Number(report.compressed);
      const toTier = Number((report.byTier as Record<string, number>)[plan.tier]);
      if (moved !== conversation.sessions.length || toTier !== moved || Number(report.failed))
        throw new Error(
          `compress ${tenant}: ${moved} of ${conversation.sessions.length} sessions compressed, ` +
            `${toTier} to ${plan.tier}, ${String(report.failed)} failed: ${JSON.stringify(report)}`,
        );
      outcome.compressed += moved;
      outcome.lifecycleEvents += Number(report.eventsPublished);
    }
  if (plan.archived)
    for (const conversation of conversations) {
      const tenant = tenantOf(conversation);
      const report = lastJson(
        tools.cli(['archive', '--tenant', tenant, '--as-of', plan.asOf], runEnv),
      );
      if (Number(report.archived) !== conversation.sessions.length || Number(report.failed))
        throw new Error(
          `archive ${tenant}: ${String(report.archived)} of ${conversation.sessions.length} ` +
            `sessions archived: ${JSON.stringify(report)}`,
        );
      outcome.archived += Number(report.archived);
      outcome.archivedMessages += Number(report.archivedMessages);
      outcome.lifecycleEvents += Number(report.eventsPublished);
    }

  const db = await benchDataSource(env.DATABASE_URL, 'memory-eval');
  try {
    for (const row of await new SummaryStore(db).loadMany(sessionKeys(conversations)))
      outcome.tiers[row.tier] = (outcome.tiers[row.tier] ?? 0) + 1;
    outcome.messagesInPostgres = await new MessageRepository(db).countForTenants(
      conversations.map(tenantOf),
    );
    const archives = new ArchiveRepository(db);
    for (const conversation of conversations)
      outcome.archives += (await archives.list(tenantOf(conversation))).length;
  } finally {
    await db.destroy();
  }
  const problems: string[] = [];
  if (outcome.tiers[plan.tier] !== sessions)
    problems.push(`tiers ${JSON.stringify(outcome.tiers)}, not all ${sessions} at ${plan.tier}`);
  if (outcome.messagesInPostgres !== (plan.archived ? 0 : turns))
    problems.push(
      `${outcome.messagesInPostgres} messages in Postgres, not ${plan.archived ? 0 : turns}`,
    );
  if (outcome.archives !== (plan.archived ? sessions : 0))
    problems.push(`${outcome.archives} archives, not ${plan.archived ? sessions : 0}`);
  if (outcome.lifecycleEvents < outcome.compressed + outcome.archived)
    problems.push(
      `${outcome.lifecycleEvents} lifecycle events for ${outcome.compressed} compressions and ` +
        `${outcome.archived} archives`,
    );
  if (problems.length > 0)
    throw new Error(`the sessions are not at stage ${plan.age}: ${problems.join('; ')}`);
  tools.say(
    `stage ${plan.age} in Postgres: ${sessions} sessions at ${plan.tier}, ` +
      `${outcome.messagesInPostgres} raw messages in Postgres, ${outcome.archives} archives ` +
      `(as of ${plan.asOf}, ${outcome.lifecycleEvents} lifecycle events sent)`,
  );

  await tools.until(
    async () =>
      ((await countDocs(opensearch, summariesAlias(prefix), {
        bool: {
          filter: [{ term: { tier: plan.tier } }],
          // With its vector (two-phase indexing writes the text first).
          must_not: [{ term: { vectorPending: true } }],
        },
      })) ?? 0) >= sessions
        ? true
        : undefined,
    `every summary to be indexed at ${plan.tier} with its vector`,
  );
  if (plan.archived)
    await tools.until(
      async () =>
        ((await countDocs(opensearch, passagesAlias(prefix))) ?? 0) === 0 ? true : undefined,
      'the passages of the archived sessions to leave the index',
    );
  tools.say(`stage ${plan.age} in the index`);
  return outcome;
}

/** What the importance step reports: how many sessions were scored, and how the scores spread. */
export interface ImportanceOutcome {
  scored: number;
  mean: number;
  max: number;
  /** Summary documents holding a score above 0 once the events were applied. */
  indexed: number;
}

/**
 * Scores every session's importance as the retention service does first in each pass
 * (`memory importance` per tenant, which sends an `importance_changed` event for each score),
 * then waits until the summaries index holds the scores (search's lifecycle consumer), so the
 * searches that follow are filtered and boosted by them as in production.
 */
export async function scoreImportance(
  tools: EvalTools,
  plan: AgePlan,
  conversations: readonly LocomoConversation[],
  env: Record<string, string>,
  opensearch: string,
  prefix: string,
): Promise<ImportanceOutcome> {
  const runEnv = { ...env, ...plan.env };
  let scored = 0;
  for (const conversation of conversations) {
    const report = lastJson(tools.cli(['importance', '--tenant', tenantOf(conversation)], runEnv));
    scored += Number(report.importanceUpdated);
  }
  const db = await benchDataSource(env.DATABASE_URL, 'memory-eval');
  let scores: number[];
  try {
    scores = [...(await new SummaryStore(db).importanceOf(sessionKeys(conversations))).values()];
  } finally {
    await db.destroy();
  }
  const positive = scores.filter((score) => score > 0).length;
  let indexed = 0;
  await tools.until(async () => {
    indexed =
      (await countDocs(opensearch, summariesAlias(prefix), {
        range: { importance: { gt: 0 } },
      })) ?? 0;
    return indexed >= positive ? true : undefined;
  }, 'the importance scores to reach the summaries index');
  const outcome = {
    scored,
    mean: scores.reduce((sum, score) => sum + score, 0) / Math.max(1, scores.length),
    max: Math.max(0, ...scores),
    indexed,
  };
  tools.say(
    `importance: ${scored} sessions scored (mean ${outcome.mean.toFixed(3)}, max ` +
      `${outcome.max.toFixed(3)}), ${indexed} summary documents hold a score`,
  );
  return outcome;
}

/**
 * Documents of `index` (matching `query`); undefined when the index does not exist, -1 when
 * OpenSearch does not answer (yet).
 */
export async function countDocs(
  opensearch: string,
  index: string,
  query: Record<string, unknown> = { match_all: {} },
): Promise<number | undefined> {
  const response = await fetch(`${opensearch}/${index}/_count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  }).catch(() => undefined);
  if (response?.status === 404) return undefined;
  if (!response?.ok) return -1;
  return ((await response.json()) as { count: number }).count;
}

/** Every session of the conversations, as the conversation it is in the system. */
function sessionKeys(
  conversations: readonly LocomoConversation[],
): Array<{ tenantId: string; conversationId: string }> {
  return conversations.flatMap((c) =>
    c.sessions.map((s) => ({ tenantId: tenantOf(c), conversationId: conversationIdOf(s) })),
  );
}

/** The JSON report a CLI pass prints as its last stdout line. */
function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`no JSON report in the CLI output: ${stdout}`);
  }
}
