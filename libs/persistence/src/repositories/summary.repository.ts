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
import {
  ALL_SUMMARIZED,
  SUMMARIZED_AMONG,
  SET_PINNED,
  WRITE_TIER,
  RESET_FOR_REBUILD,
  UPDATE_IF_AT,
  RECORD_SEEN,
  SKIP_THROUGH,
  WAITING,
  COLUMNS,
  IMPORTANCE_FACTS,
  IMPORTANCE_OF,
  PROFILE_INPUTS,
  SUMMARIES_OF,
  USER_SUMMARY_KEYS,
} from './summary.statements';

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
    return this.dataSource.query<SummaryRecordRow[]>(RECORD_SEEN, [
      conversations.map((c) => c.tenantId),
      conversations.map((c) => c.conversationId),
      conversations.map((c) => c.userId),
      conversations.map((c) => c.seenSeq),
      conversations.map((c) => c.firstMessageAt),
      conversations.map((c) => c.lastMessageAt),
    ]);
  }

  /** Moves `through_seq` on if the row is still at `version`/`throughSeq`. */
  async skipThrough(
    key: Key,
    throughSeq: number,
    version: number,
    fromThroughSeq: number,
  ): Promise<SummaryRecordRow | undefined> {
    const result = await this.dataSource.query<[SummaryRecordRow[], number]>(SKIP_THROUGH, [
      key.tenantId,
      key.conversationId,
      throughSeq,
      version,
      fromThroughSeq,
    ]);
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
    const rows = await manager.query<SummaryRecordRow[]>(UPDATE_IF_AT, [
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
    ]);
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
    const result = await this.dataSource.query<[SummaryRecordRow[], number]>(RESET_FOR_REBUILD, [
      key.tenantId,
      key.conversationId,
      version,
      throughSeq,
    ]);
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
    return this.dataSource.query<SummaryRecordRow[]>(WAITING, [
      [...overrides.keys()],
      [...overrides.values()],
      idleMs,
      limit,
    ]);
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
    await manager.query(WRITE_TIER, [
      key.tenantId,
      key.conversationId,
      change.version,
      change.tier,
      change.sections,
      change.text,
      change.at,
    ]);
  }

  /**
   * Pins or unpins a summarized conversation; false when there is no such summary. Its
   * importance (1 while pinned) is marked for the next refresh to compute again.
   */
  async setPinned(tenantId: string, conversationId: string, pinned: boolean): Promise<boolean> {
    const result = await this.dataSource.query<unknown[]>(SET_PINNED, [
      tenantId,
      conversationId,
      pinned,
    ]);
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
    >(IMPORTANCE_OF, [keys.map((k) => k.tenantId), keys.map((k) => k.conversationId)]);
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      conversationId: row.conversation_id,
      importance: row.importance,
    }));
  }

  /** The newest `limit` summaries of a user (by their last message), for building the profile. */
  profileInputs(tenantId: string, userId: string, limit: number): Promise<ProfileInputRow[]> {
    return this.dataSource.query<ProfileInputRow[]>(PROFILE_INPUTS, [tenantId, userId, limit]);
  }

  /** Whether every one of `conversationIds` still has a summary (none was erased meanwhile). */
  async allSummarized(tenantId: string, conversationIds: readonly string[]): Promise<boolean> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(ALL_SUMMARIZED, [
      tenantId,
      conversationIds,
    ]);
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
    return this.dataSource.query(USER_SUMMARY_KEYS, [tenantId, userId, limit]);
  }

  /** Some conversations' summaries, as profiles and roll-ups are built from them. */
  summariesOf(tenantId: string, conversationIds: readonly string[]): Promise<ProfileInputRow[]> {
    return this.dataSource.query<ProfileInputRow[]>(SUMMARIES_OF, [tenantId, conversationIds]);
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
    return this.dataSource.query(SUMMARIZED_AMONG, [
      keys.map((key) => key.tenantId),
      keys.map((key) => key.conversationId),
    ]);
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
