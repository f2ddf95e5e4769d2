import { ImportanceChangedEvent, MEMORY_LIFECYCLE_SCHEMA } from '@memory/contracts';
import { ImportanceFactsRow, SummaryRepository } from '@memory/persistence';
import { DataSource } from 'typeorm';
import { isolateConversation, OnConversationFailure } from '../conversation-failure';
import { ImportanceFacts, importanceScore } from '../importance';
import { LifecycleOutbox } from './lifecycle-outbox';

/**
 * A score that moved less than this is not a change worth an event (scores are stored as
 * `real`, so a recomputed equal score may differ in its last bits).
 */
export const IMPORTANCE_EPSILON = 1e-4;

/** Reads counted for importance: those of the last `READ_WINDOW_DAYS` days. */
export const READ_WINDOW_DAYS = 30;

type FactsRow = ImportanceFactsRow & {
  previous: (ImportanceFacts & { computedAt: string }) | null;
};

/**
 * Recomputes the importance of summarized conversations whose inputs may have changed: never
 * computed, summary updated since, read since, or computed over a day ago (reads age out of
 * the window). Facts come from the summary's full sections (a compressed summary keeps them),
 * the conversation's counters, its messages in Postgres (speaker changes; once messages are
 * archived the last count stands) and `conversation_reads`. Returns how many were updated.
 * Each score that changed (by more than {@link IMPORTANCE_EPSILON}, or computed for the first
 * time) is announced by an `importance_changed` lifecycle event, written to the outbox in the
 * transaction that stores it (search keeps importance on its documents).
 * With `onFailure`, a conversation that cannot be scored or written is handed to it and
 * skipped, and the others are updated all the same.
 */
export async function refreshImportance(
  dataSource: DataSource,
  now: Date,
  pageSize: number,
  tenantId?: string,
  signal?: AbortSignal,
  onFailure?: OnConversationFailure,
): Promise<number> {
  const probe = (): Promise<unknown> => dataSource.query('SELECT 1');
  const summaries = new SummaryRepository(dataSource);
  let updated = 0;
  let after: [string, string] = ['', ''];
  for (;;) {
    if (signal?.aborted) return updated;
    const rows = (await summaries.importanceFacts(
      now,
      READ_WINDOW_DAYS,
      after,
      pageSize,
      tenantId,
    )) as FactsRow[];
    if (rows.length === 0) return updated;
    const last = rows[rows.length - 1];
    after = [last.tenant_id, last.conversation_id];
    const scored: Scored[] = [];
    for (const row of rows) {
      const key = { tenantId: row.tenant_id, conversationId: row.conversation_id };
      const one = await isolate(key, probe, onFailure, () => Promise.resolve(score(row)));
      if (one) scored.push(one);
    }
    try {
      await writeScores(dataSource, summaries, scored, now);
      updated += scored.length;
    } catch (error) {
      if (!onFailure) throw error;
      // One row the page's statement cannot write must not keep the others from theirs.
      for (const one of scored) {
        const key = { tenantId: one.row.tenant_id, conversationId: one.row.conversation_id };
        const written = await isolate(key, probe, onFailure, async () => {
          await writeScores(dataSource, summaries, [one], now);
          return true;
        });
        if (written) updated++;
      }
    }
    if (rows.length < pageSize) return updated;
  }
}

interface Scored {
  row: FactsRow;
  facts: ImportanceFacts;
  score: number;
}

function score(row: FactsRow): Scored {
  const facts = factsOf(row);
  const value = importanceScore(facts);
  if (!Number.isFinite(value))
    throw new Error(`importance of ${JSON.stringify(facts)} is not a finite number`);
  return { row, facts, score: value };
}

/** With `onFailure`, a failing conversation is handed to it and skipped; without, it throws. */
function isolate<T>(
  key: { tenantId: string; conversationId: string },
  probe: () => Promise<unknown>,
  onFailure: OnConversationFailure | undefined,
  work: () => Promise<T>,
): Promise<T | undefined> {
  return onFailure ? isolateConversation('importance', key, probe, onFailure, work) : work();
}

async function writeScores(
  dataSource: DataSource,
  summaries: SummaryRepository,
  scored: Scored[],
  now: Date,
): Promise<void> {
  if (scored.length === 0) return;
  await dataSource.transaction(async (manager) => {
    await summaries.writeImportance(
      scored.map((s) => ({
        tenantId: s.row.tenant_id,
        conversationId: s.row.conversation_id,
        score: s.score,
        facts: JSON.stringify({ ...s.facts, computedAt: now.toISOString() }),
      })),
      manager,
    );
    await LifecycleOutbox.addAll(
      manager,
      scored.flatMap((s) => changeOf(s, now)),
    );
  });
}

/** The event announcing a scored conversation's new importance, if it changed. */
function changeOf(scored: Scored, now: Date): ImportanceChangedEvent[] {
  const first = scored.row.previous === null;
  const before = first ? null : scored.row.score_before;
  if (before !== null && Math.abs(before - scored.score) <= IMPORTANCE_EPSILON) return [];
  return [
    {
      schema: MEMORY_LIFECYCLE_SCHEMA,
      type: 'importance_changed',
      tenantId: scored.row.tenant_id,
      conversationId: scored.row.conversation_id,
      occurredAt: now.toISOString(),
      importance: clamp01(scored.score),
      previous: before === null ? null : clamp01(before),
      pinned: scored.row.pinned,
    },
  ];
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function factsOf(row: FactsRow): ImportanceFacts {
  // Messages archived: the count made while they were all here stands.
  const speakerChanges =
    row.stored < row.message_count && row.previous
      ? Math.max(row.previous.speakerChanges, row.speaker_changes)
      : row.speaker_changes;
  return {
    pinned: row.pinned,
    messageCount: row.message_count,
    speakerChanges,
    decisions: row.decisions,
    actionItems: row.action_items,
    entities: row.entities,
    recentReads: row.recent_reads,
  };
}
