import { DataSource } from 'typeorm';
import { isolateConversation, OnConversationFailure } from '../conversation-failure';
import { ImportanceFacts, importanceScore } from '../importance';

/** Reads counted for importance: those of the last `READ_WINDOW_DAYS` days. */
export const READ_WINDOW_DAYS = 30;

interface FactsRow {
  tenant_id: string;
  conversation_id: string;
  pinned: boolean;
  message_count: number;
  stored: number;
  speaker_changes: number;
  decisions: number;
  action_items: number;
  entities: number;
  recent_reads: number;
  previous: (ImportanceFacts & { computedAt: string }) | null;
}

/**
 * Recomputes the importance of summarized conversations whose inputs may have changed: never
 * computed, summary updated since, read since, or computed over a day ago (reads age out of
 * the window). Facts come from the summary's full sections (a compressed summary keeps them),
 * the conversation's counters, its messages in Postgres (speaker changes; once messages are
 * archived the last count stands) and `conversation_reads`. Returns how many were updated.
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
  let updated = 0;
  let after: [string, string] = ['', ''];
  for (;;) {
    if (signal?.aborted) return updated;
    const rows = await dataSource.query<FactsRow[]>(FACTS, [
      now,
      READ_WINDOW_DAYS,
      after[0],
      after[1],
      pageSize,
      tenantId ?? null,
    ]);
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
      await writeScores(dataSource, scored, now);
      updated += scored.length;
    } catch (error) {
      if (!onFailure) throw error;
      // One row the page's statement cannot write must not keep the others from theirs.
      for (const one of scored) {
        const key = { tenantId: one.row.tenant_id, conversationId: one.row.conversation_id };
        const written = await isolate(key, probe, onFailure, async () => {
          await writeScores(dataSource, [one], now);
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

async function writeScores(dataSource: DataSource, scored: Scored[], now: Date): Promise<void> {
  if (scored.length === 0) return;
  await dataSource.query(
    `UPDATE conversation_summaries s SET importance = u.score, importance_facts = u.facts
       FROM unnest($1::varchar[], $2::varchar[], $3::real[], $4::jsonb[])
            AS u (tenant_id, conversation_id, score, facts)
      WHERE s.tenant_id = u.tenant_id AND s.conversation_id = u.conversation_id`,
    [
      scored.map((s) => s.row.tenant_id),
      scored.map((s) => s.row.conversation_id),
      scored.map((s) => s.score),
      scored.map((s) => JSON.stringify({ ...s.facts, computedAt: now.toISOString() })),
    ],
  );
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

const FACTS = `
SELECT s.tenant_id, s.conversation_id, s.pinned, c.message_count, s.importance_facts AS previous,
       jsonb_array_length(COALESCE(COALESCE(s.full_sections, s.sections)->'decisions', '[]')) AS decisions,
       jsonb_array_length(COALESCE(COALESCE(s.full_sections, s.sections)->'actionItems', '[]')) AS action_items,
       jsonb_array_length(COALESCE(COALESCE(s.full_sections, s.sections)->'entities', '[]')) AS entities,
       (SELECT COALESCE(sum(r.reads), 0)::int FROM conversation_reads r
         WHERE r.tenant_id = s.tenant_id AND r.conversation_id = s.conversation_id
           AND r.day > ($1::timestamptz AT TIME ZONE 'UTC')::date - $2::int) AS recent_reads,
       (SELECT count(*)::int FROM messages m
         WHERE m.tenant_id = s.tenant_id AND m.conversation_id = s.conversation_id) AS stored,
       (SELECT count(*)::int FROM (
          SELECT m.role, m.user_id, lag(m.role) OVER w AS prev_role, lag(m.user_id) OVER w AS prev_user
            FROM messages m
           WHERE m.tenant_id = s.tenant_id AND m.conversation_id = s.conversation_id
          WINDOW w AS (ORDER BY m.seq)) t
         WHERE t.prev_role IS NOT NULL
           AND (t.role <> t.prev_role OR t.user_id <> t.prev_user)) AS speaker_changes
  FROM conversation_summaries s
  JOIN conversations c USING (tenant_id, conversation_id)
 WHERE s.version > 0
   AND (s.tenant_id, s.conversation_id) > ($3, $4)
   AND ($6::varchar IS NULL OR s.tenant_id = $6)
   AND (s.importance_facts IS NULL
        OR s.updated_at > (s.importance_facts->>'computedAt')::timestamptz
        OR (s.importance_facts->>'computedAt')::timestamptz < $1::timestamptz - interval '1 day'
        OR EXISTS (SELECT 1 FROM conversation_reads r
                    WHERE r.tenant_id = s.tenant_id AND r.conversation_id = s.conversation_id
                      AND r.day >= ((s.importance_facts->>'computedAt')::timestamptz AT TIME ZONE 'UTC')::date))
 ORDER BY s.tenant_id, s.conversation_id
 LIMIT $5`;

/** Counts reads of conversations (a summary or messages fetched), one row per day. */
export class ReadRecorder {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Counts a read without waiting: a read answers at once, and a failure to count it is only
   * worth a warning (it weighs on importance, nothing else).
   */
  count(tenantId: string, conversationId: string, logger: { warn(message: unknown): void }): void {
    this.record(tenantId, conversationId).catch((error: unknown) => {
      logger.warn({
        msg: 'could not count a read',
        tenantId,
        conversationId,
        error: String(error),
      });
    });
  }

  async record(tenantId: string, conversationId: string, at: Date = new Date()): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO conversation_reads AS r (tenant_id, conversation_id, day, reads)
       VALUES ($1, $2, ($3::timestamptz AT TIME ZONE 'UTC')::date, 1)
       ON CONFLICT (tenant_id, conversation_id, day) DO UPDATE SET reads = r.reads + 1`,
      [tenantId, conversationId, at],
    );
  }
}
