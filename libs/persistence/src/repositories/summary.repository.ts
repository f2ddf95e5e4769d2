import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { deleteConversationRows, updatedCount } from './affected-rows';
import {
  ProfileInputRow,
  FoldWrite,
  ImportanceFactsRow,
  SeenInput,
  SummaryRecordRow,
  SummaryVersionKeyRow,
  TierCandidateRow,
} from './summary.rows';
import { COLUMNS, IMPORTANCE_FACTS } from './summary.statements';

type Key = { tenantId: string; conversationId: string };

/**
 * The owner of `conversation_summaries`: the only code that holds SQL for it, whichever domain
 * reads or writes its columns (the summarizer's folds, compression's tiers, retention's
 * importance, pins and holds, search's reads). See docs/architecture.md, "one owner per
 * table". Methods that take an `EntityManager` run in the caller's transaction; the others on
 * a pooled connection of their own. Conditional writes return no row when the condition
 * failed; the caller decides what that means.
 */
@Injectable()
export class SummaryRepository {
  constructor(private readonly dataSource: DataSource) {}

  async load(tenantId: string, conversationId: string): Promise<SummaryRecordRow | undefined> {
    const rows = await this.dataSource.query<SummaryRecordRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
    return rows[0];
  }

  /** The seen and through seqs of those of these conversations that have a row. */
  seenBefore(
    keys: readonly Key[],
  ): Promise<
    Array<{ tenant_id: string; conversation_id: string; seen_seq: string; through_seq: string }>
  > {
    return this.dataSource.query(
      `SELECT s.tenant_id, s.conversation_id, s.seen_seq, s.through_seq
         FROM conversation_summaries s
         JOIN unnest($1::varchar[], $2::varchar[]) AS c(tenant_id, conversation_id)
           USING (tenant_id, conversation_id)`,
      [keys.map((c) => c.tenantId), keys.map((c) => c.conversationId)],
    );
  }

  /**
   * Records what a batch brought in one statement and returns the rows as they are now; a
   * conversation erased after its last message here gets no row.
   */
  recordSeen(conversations: readonly SeenInput[]): Promise<SummaryRecordRow[]> {
    return this.dataSource.query<SummaryRecordRow[]>(
      `INSERT INTO conversation_summaries AS s
         (tenant_id, conversation_id, user_id, seen_seq, first_message_at, last_message_at)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bigint[],
                            $5::timestamptz[], $6::timestamptz[])
                AS seen (tenant_id, conversation_id, user_id, seen_seq, first_at, last_at)
        WHERE NOT EXISTS (
          SELECT 1 FROM erasures e
           WHERE e.tenant_id = seen.tenant_id AND e.erased_at >= seen.last_at
             AND e.subject_hash =
                 encode(sha256(convert_to('conversation:' || seen.conversation_id, 'UTF8')), 'hex'))
       ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
         seen_seq = GREATEST(s.seen_seq, EXCLUDED.seen_seq),
         first_message_at = LEAST(s.first_message_at, EXCLUDED.first_message_at),
         last_message_at = GREATEST(s.last_message_at, EXCLUDED.last_message_at),
         last_received_at = CASE WHEN EXCLUDED.seen_seq > s.seen_seq THEN now()
                                 ELSE s.last_received_at END
       RETURNING ${COLUMNS}`,
      [
        conversations.map((c) => c.tenantId),
        conversations.map((c) => c.conversationId),
        conversations.map((c) => c.userId),
        conversations.map((c) => c.seenSeq),
        conversations.map((c) => c.firstMessageAt),
        conversations.map((c) => c.lastMessageAt),
      ],
    );
  }

  /** Moves `through_seq` on if the row is still at `version`/`throughSeq`. */
  async skipThrough(
    key: Key,
    throughSeq: number,
    version: number,
    fromThroughSeq: number,
  ): Promise<SummaryRecordRow | undefined> {
    const result = await this.dataSource.query<[SummaryRecordRow[], number]>(
      `UPDATE conversation_summaries SET through_seq = $3, seen_seq = GREATEST(seen_seq, $3),
         updated_at = now()
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $4 AND through_seq = $5
       RETURNING ${COLUMNS}`,
      [key.tenantId, key.conversationId, throughSeq, version, fromThroughSeq],
    );
    return result[0][0];
  }

  /** Writes a fold if the row is still at `version`/`throughSeq`, in `manager`'s transaction. */
  async updateIfAt(
    manager: EntityManager,
    key: Key,
    version: number,
    throughSeq: number,
    next: FoldWrite,
  ): Promise<SummaryRecordRow | undefined> {
    const rows = await manager.query<SummaryRecordRow[]>(
      `UPDATE conversation_summaries SET
         version = $3, through_seq = $4, seen_seq = GREATEST(seen_seq, $4), text = $5,
         sections = $6, memo = $7, backend = $8, llm_pending = $9, llm_base = $10,
         last_update = $11, input_tokens = $12, output_tokens = $13, input_chars = $14,
         output_chars = $15, duration_ms = $16, updated_at = now(),
         tier = 'full', full_sections = NULL,
         tier_changed_at = CASE WHEN tier = 'full' THEN tier_changed_at ELSE now() END
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $17 AND through_seq = $18
       RETURNING ${COLUMNS}`,
      [
        key.tenantId,
        key.conversationId,
        next.version,
        next.throughSeq,
        next.text,
        next.sections,
        next.memo,
        next.backend,
        next.llmPending,
        next.llmBase,
        next.lastUpdate,
        next.totals.inputTokens,
        next.totals.outputTokens,
        next.totals.inputChars,
        next.totals.outputChars,
        next.totals.durationMs,
        version,
        throughSeq,
      ],
    );
    // TypeORM returns [rows, affected] for UPDATE ... RETURNING on postgres.
    const updated = (Array.isArray(rows[0]) ? rows[0] : rows) as SummaryRecordRow[];
    return updated[0];
  }

  /** Starts a summary over if the row is still at `version`/`throughSeq`. */
  async resetForRebuild(
    key: Key,
    version: number,
    throughSeq: number,
  ): Promise<SummaryRecordRow | undefined> {
    const result = await this.dataSource.query<[SummaryRecordRow[], number]>(
      `UPDATE conversation_summaries SET through_seq = 0, text = '', sections = NULL,
         full_sections = NULL, memo = NULL,
         llm_pending = false, llm_base = NULL, updated_at = now()
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $3 AND through_seq = $4
       RETURNING ${COLUMNS}`,
      [key.tenantId, key.conversationId, version, throughSeq],
    );
    return result[0][0];
  }

  /** Notes that `version` (or a later one) is on the summaries topic. */
  async markPublished(tenantId: string, conversationId: string, version: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE conversation_summaries SET published_version = GREATEST(published_version, $3)
        WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId, version],
    );
  }

  /** Rows with messages waiting, quiet for their tenant's idle time, oldest first. */
  waiting(
    idleMs: number,
    overrides: ReadonlyMap<string, number>,
    limit: number,
  ): Promise<SummaryRecordRow[]> {
    return this.dataSource.query<SummaryRecordRow[]>(
      `WITH idle AS (
         SELECT s.tenant_id, s.conversation_id, COALESCE(o.idle_ms, $3::bigint) AS idle_ms
           FROM conversation_summaries s
           LEFT JOIN unnest($1::varchar[], $2::bigint[]) AS o(tenant_id, idle_ms)
             ON o.tenant_id = s.tenant_id
          WHERE s.seen_seq > s.through_seq)
       SELECT ${COLUMNS} FROM conversation_summaries
         JOIN idle USING (tenant_id, conversation_id)
        WHERE idle.idle_ms > 0
          AND last_received_at < now() - idle.idle_ms * interval '1 millisecond'
        ORDER BY last_received_at LIMIT $4`,
      [[...overrides.keys()], [...overrides.values()], idleMs, limit],
    );
  }

  /** The current rows of some conversations (those that exist). */
  loadMany(keys: readonly Key[]): Promise<SummaryRecordRow[]> {
    return this.dataSource.query<SummaryRecordRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries
         JOIN unnest($1::varchar[], $2::varchar[]) AS k(tenant_id, conversation_id)
           USING (tenant_id, conversation_id)`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.conversationId)],
    );
  }

  /**
   * Locks a row for the rest of `manager`'s transaction (FOR UPDATE SKIP LOCKED); 'locked' when
   * another transaction holds it, undefined when there is no such row.
   */
  async lockRow(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<SummaryRecordRow | 'locked' | undefined> {
    const rows = await manager.query<SummaryRecordRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = $2 FOR UPDATE SKIP LOCKED`,
      [tenantId, conversationId],
    );
    if (rows[0]) return rows[0];
    const exists = await manager.query<unknown[]>(
      'SELECT 1 FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = $2',
      [tenantId, conversationId],
    );
    return exists.length > 0 ? 'locked' : undefined;
  }

  /** Rows whose latest version is not on the topic yet. */
  unpublished(olderThan: Date, limit: number): Promise<SummaryRecordRow[]> {
    return this.dataSource.query<SummaryRecordRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries
        WHERE published_version < version AND updated_at < $1
        ORDER BY updated_at LIMIT $2`,
      [olderThan, limit],
    );
  }

  /** Rows made locally while the LLM was unreachable, oldest first. */
  llmPending(limit: number): Promise<SummaryRecordRow[]> {
    return this.dataSource.query<SummaryRecordRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries WHERE llm_pending
        ORDER BY updated_at LIMIT $1`,
      [limit],
    );
  }

  async countLlmPending(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ count: string }>>(
      `SELECT count(*) FROM conversation_summaries WHERE llm_pending`,
    );
    return Number(row?.count ?? 0);
  }

  /**
   * Up to `limit` conversations that may be due for a colder tier: summarized, not at
   * `metadata`, last message before `lastMessageBefore`, not held after a restore at `now`; in
   * key order after `after`.
   */
  tierCandidates(
    lastMessageBefore: Date,
    now: Date,
    limit: number,
    after?: Key,
    tenantId?: string,
  ): Promise<TierCandidateRow[]> {
    const parameters: unknown[] = [lastMessageBefore, now];
    const conditions = [
      'version > 0',
      "tier <> 'metadata'",
      'last_message_at IS NOT NULL',
      'last_message_at < $1',
      // A restored conversation stays at full while it is held in Postgres.
      '(archive_hold_until IS NULL OR archive_hold_until <= $2)',
    ];
    if (tenantId !== undefined) {
      parameters.push(tenantId);
      conditions.push(`tenant_id = $${parameters.length}`);
    }
    if (after) {
      parameters.push(after.tenantId, after.conversationId);
      conditions.push(
        `(tenant_id, conversation_id) > ($${parameters.length - 1}, $${parameters.length})`,
      );
    }
    parameters.push(limit);
    return this.dataSource.query<TierCandidateRow[]>(
      `SELECT tenant_id, conversation_id, tier, last_message_at, importance, pinned
         FROM conversation_summaries
        WHERE ${conditions.join(' AND ')}
        ORDER BY tenant_id, conversation_id LIMIT $${parameters.length}`,
      parameters,
    );
  }

  /** Importance and pin of a row, in `manager`'s transaction. */
  async weights(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<{ importance: number; pinned: boolean } | undefined> {
    const [weights] = await manager.query<Array<{ importance: number; pinned: boolean }>>(
      `SELECT importance, pinned FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
    return weights;
  }

  /** Writes a compressed tier as the next version (the full sections kept), in a transaction. */
  async writeTier(
    manager: EntityManager,
    key: Key,
    change: { version: number; tier: string; sections: string; text: string; at: Date },
  ): Promise<void> {
    await manager.query(
      `UPDATE conversation_summaries SET
         version = $3, tier = $4, sections = $5, text = $6,
         full_sections = COALESCE(full_sections, sections), tier_changed_at = $7,
         updated_at = now()
       WHERE tenant_id = $1 AND conversation_id = $2`,
      [
        key.tenantId,
        key.conversationId,
        change.version,
        change.tier,
        change.sections,
        change.text,
        change.at,
      ],
    );
  }

  /**
   * Pins or unpins a summarized conversation; false when there is no such summary. Its
   * importance (1 while pinned) is marked for the next refresh to compute again.
   */
  async setPinned(tenantId: string, conversationId: string, pinned: boolean): Promise<boolean> {
    const result = await this.dataSource.query<unknown[]>(
      `UPDATE conversation_summaries
          SET pinned = $3,
              importance_facts = jsonb_set(importance_facts, '{computedAt}', 'null'::jsonb)
        WHERE tenant_id = $1 AND conversation_id = $2 AND version > 0
        RETURNING 1`,
      [tenantId, conversationId, pinned],
    );
    return updatedCount(result) > 0;
  }

  /** Holds a restored conversation out of archiving and compression for `days` from `now`. */
  async holdArchive(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    now: Date,
    days: number,
  ): Promise<void> {
    await manager.query(
      `UPDATE conversation_summaries
          SET archive_hold_until = $3::timestamptz + make_interval(days => $4)
        WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId, now, days],
    );
  }

  /**
   * A page of summarized conversations whose importance inputs may have changed since it was
   * computed, after `after` in key order, with the facts importance is computed from.
   */
  importanceFacts(
    now: Date,
    readWindowDays: number,
    after: readonly [string, string],
    limit: number,
    tenantId: string | undefined,
  ): Promise<ImportanceFactsRow[]> {
    return this.dataSource.query<ImportanceFactsRow[]>(IMPORTANCE_FACTS, [
      now,
      readWindowDays,
      after[0],
      after[1],
      limit,
      tenantId ?? null,
    ]);
  }

  /**
   * Writes importance scores and the facts they came from (facts as JSON text), in `manager`'s
   * transaction when given.
   */
  async writeImportance(
    scores: ReadonlyArray<Key & { score: number; facts: string }>,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `UPDATE conversation_summaries s SET importance = u.score, importance_facts = u.facts
         FROM unnest($1::varchar[], $2::varchar[], $3::real[], $4::jsonb[])
              AS u (tenant_id, conversation_id, score, facts)
        WHERE s.tenant_id = u.tenant_id AND s.conversation_id = u.conversation_id`,
      [
        scores.map((s) => s.tenantId),
        scores.map((s) => s.conversationId),
        scores.map((s) => s.score),
        scores.map((s) => s.facts),
      ],
    );
  }

  /** The stored importance of each of `keys` that has a summary (0 until computed). */
  async importanceOf(keys: ReadonlyArray<Key>): Promise<Array<Key & { importance: number }>> {
    if (keys.length === 0) return [];
    const rows = await this.dataSource.query<
      Array<{ tenant_id: string; conversation_id: string; importance: number }>
    >(
      `SELECT s.tenant_id, s.conversation_id, s.importance
         FROM conversation_summaries s
         JOIN unnest($1::varchar[], $2::varchar[]) AS k (tenant_id, conversation_id)
           ON s.tenant_id = k.tenant_id AND s.conversation_id = k.conversation_id`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.conversationId)],
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      conversationId: row.conversation_id,
      importance: row.importance,
    }));
  }

  /** The newest `limit` summaries of a user (by their last message), for building the profile. */
  profileInputs(tenantId: string, userId: string, limit: number): Promise<ProfileInputRow[]> {
    return this.dataSource.query<ProfileInputRow[]>(
      `SELECT conversation_id, version, sections, full_sections, last_message_at
         FROM conversation_summaries
        WHERE tenant_id = $1 AND user_id = $2 AND version > 0
        ORDER BY last_message_at DESC NULLS LAST, conversation_id
        LIMIT $3`,
      [tenantId, userId, limit],
    );
  }

  /** Whether every one of `conversationIds` still has a summary (none was erased meanwhile). */
  async allSummarized(tenantId: string, conversationIds: readonly string[]): Promise<boolean> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = ANY($2::varchar[]) AND version > 0`,
      [tenantId, conversationIds],
    );
    return (row?.n ?? 0) === new Set(conversationIds).size;
  }

  /**
   * Every summarized conversation of a user (up to `limit`, newest first) with its summary
   * version and last message time: what monthly roll-ups are grouped and hashed from.
   */
  userSummaryKeys(
    tenantId: string,
    userId: string,
    limit: number,
  ): Promise<Array<{ conversation_id: string; version: number; last_message_at: Date | null }>> {
    return this.dataSource.query(
      `SELECT conversation_id, version, last_message_at
         FROM conversation_summaries
        WHERE tenant_id = $1 AND user_id = $2 AND version > 0
        ORDER BY last_message_at DESC NULLS LAST, conversation_id
        LIMIT $3`,
      [tenantId, userId, limit],
    );
  }

  /** Some conversations' summaries, as profiles and roll-ups are built from them. */
  summariesOf(tenantId: string, conversationIds: readonly string[]): Promise<ProfileInputRow[]> {
    return this.dataSource.query<ProfileInputRow[]>(
      `SELECT conversation_id, version, sections, full_sections, last_message_at
         FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = ANY($2::varchar[]) AND version > 0
        ORDER BY last_message_at DESC NULLS LAST, conversation_id`,
      [tenantId, conversationIds],
    );
  }

  /** How many conversations have a summary (`version > 0`). */
  async countSummarized(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ count: string }>>(
      'SELECT count(*) FROM conversation_summaries WHERE version > 0',
    );
    return Number(row?.count ?? 0);
  }

  /**
   * The conversations whose summary is done: folded through the conversation's last seq and
   * published at its current version; with that version.
   */
  publishedThroughLastSeq(): Promise<SummaryVersionKeyRow[]> {
    return this.dataSource.query<SummaryVersionKeyRow[]>(
      `SELECT s.tenant_id, s.conversation_id, s.version FROM conversation_summaries s
         JOIN conversations c USING (tenant_id, conversation_id)
        WHERE s.through_seq = c.last_seq AND s.published_version = s.version`,
    );
  }

  /**
   * How many of the tenant's summaries have seen its messages through at least `seenSeq` and
   * are folded through at least `throughSeq`.
   */
  async countCaughtUp(tenantId: string, seenSeq: number, throughSeq: number): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: string }>>(
      `SELECT count(*) AS n FROM conversation_summaries
        WHERE tenant_id = $1 AND seen_seq >= $2 AND through_seq >= $3`,
      [tenantId, seenSeq, throughSeq],
    );
    return Number(row?.n);
  }

  /** Of these conversations, the ones with a summary. */
  summarizedAmong(
    keys: readonly Key[],
  ): Promise<Array<{ tenant_id: string; conversation_id: string }>> {
    return this.dataSource.query(
      `SELECT s.tenant_id, s.conversation_id
         FROM conversation_summaries s
         JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, conversation_id)
           ON s.tenant_id = k.tenant_id AND s.conversation_id = k.conversation_id
        WHERE s.version > 0`,
      [keys.map((key) => key.tenantId), keys.map((key) => key.conversationId)],
    );
  }

  /**
   * Keys of up to `size` summarized conversations after `after`, in key order; only those
   * updated at or after `since` when given.
   */
  summarizedKeys(
    size: number,
    since: Date | undefined,
    after: { tenant_id: string; conversation_id: string } | undefined,
  ): Promise<Array<{ tenant_id: string; conversation_id: string }>> {
    const conditions = ['version > 0'];
    const parameters: unknown[] = [];
    if (since) {
      parameters.push(since);
      conditions.push(`updated_at >= $${parameters.length}`);
    }
    if (after) {
      parameters.push(after.tenant_id, after.conversation_id);
      conditions.push(
        `(tenant_id, conversation_id) > ($${parameters.length - 1}, $${parameters.length})`,
      );
    }
    parameters.push(size);
    return this.dataSource.query(
      `SELECT tenant_id, conversation_id FROM conversation_summaries
        WHERE ${conditions.join(' AND ')}
        ORDER BY tenant_id, conversation_id LIMIT $${parameters.length}`,
      parameters,
    );
  }

  /** Deletes the conversation's summary row; returns how many (0 or 1). */
  deleteConversation(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const statement = `DELETE FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = $2
         RETURNING 1`;
    return deleteConversationRows(manager, statement, tenantId, conversationId);
  }
}
