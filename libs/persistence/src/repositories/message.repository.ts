import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { MessageEntity } from '../entities/message.entity';
import { affectedRows, deleteConversationRows } from './affected-rows';
import {
  ArchivedMessageRow,
  ConversationSeqRange,
  FoldInputRow,
  IngestTimes,
  NewMessage,
  PassageInputRow,
  RawPassageRow,
  RestoredMessage,
  StoredMessageRow,
  toPassageInput,
} from './message.rows';

export * from './message.rows';

const PASSAGE_COLUMNS = `m.tenant_id, m.conversation_id, m.message_id, m.seq, m.user_id, m.role, m.content,
  m.created_at`;

/*
 * One statement per batch: drop messages already stored (and in-batch repeats), bump each
 * conversation's counters under its row lock, and insert the new messages with gap-free seqs
 * continuing from the conversation's last one. The unique keys make a concurrent duplicate fail
 * the statement, so the batch is retried and then finds the message already there.
 * It returns one row per distinct message of the batch, the ones that were there before too, so
 * a batch retried after a crash between commit and publish publishes them all again.
 * Two kinds of message are dropped without a row: one whose raw form was archived (its id is in
 * `archived_message_ids`: a replay must not store it a second time, with a new seq) and one of
 * an erased conversation or user from before the erasure (a replay must not bring it back;
 * the erasure list holds only hashes of the ids). "From before" is judged by the earlier of the
 * message's createdAt and the time its record reached the system (the broker's append time of
 * its `chat.messages.v1` record, else now()): createdAt is the client's word and may lie up to
 * 24 h ahead, the arrival time is not; an old message sent again after the erasure (a client
 * replaying its outbox) is still judged by its createdAt.
 *
 * Only the messages not found new (`already`) are read back from the table; that is none at all
 * in the common case, instead of a second index probe per message. A new message comes back as its
 * position in the input, its seq, its metadata and its times only: the other columns were
 * stored exactly as given, so the caller takes them from its input and no content travels
 * back. A message stored before comes back with all its stored columns. Times come back as
 * epoch milliseconds (what node-postgres would have made of them, without parsing text).
 * ingested_at defaults to now(), the transaction's start: one value for the whole batch.
 */
const INSERT_BATCH = `
WITH input AS (
  SELECT *
  FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::text[],
              $7::jsonb[], $8::timestamptz[], $9::timestamptz[])
       WITH ORDINALITY AS t(tenant_id, message_id, conversation_id, user_id, role, content, metadata, created_at,
                            received_at, ord)
),
unique_input AS (
  SELECT DISTINCT ON (tenant_id, message_id) * FROM input ORDER BY tenant_id, message_id, ord
),
fresh AS (
  SELECT u.* FROM unique_input u
  WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = u.tenant_id AND m.message_id = u.message_id)
    AND NOT EXISTS (SELECT 1 FROM archived_message_ids a WHERE a.tenant_id = u.tenant_id AND a.message_id = u.message_id)
    AND NOT EXISTS (
      SELECT 1 FROM erasures e
      WHERE e.tenant_id = u.tenant_id AND e.erased_at >= LEAST(u.created_at, u.received_at, now())
        AND e.subject_hash IN (encode(sha256(convert_to('conversation:' || u.conversation_id, 'UTF8')), 'hex'),
                               encode(sha256(convert_to('user:' || u.user_id, 'UTF8')), 'hex')))
),
already AS MATERIALIZED (
  SELECT u.tenant_id, u.message_id, u.ord FROM unique_input u
  WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.ord = u.ord)
),
per_conversation AS (
  SELECT tenant_id, conversation_id, (array_agg(user_id ORDER BY ord))[1] AS user_id, count(*) AS added,
         min(created_at) AS first_at, max(created_at) AS last_at
  FROM fresh GROUP BY tenant_id, conversation_id
),
counters AS (
  INSERT INTO conversations AS c (tenant_id, conversation_id, user_id, message_count, last_seq, first_message_at, last_message_at)
  SELECT tenant_id, conversation_id, user_id, added, added, first_at, last_at FROM per_conversation
  ORDER BY tenant_id, conversation_id
  ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
    message_count = c.message_count + EXCLUDED.message_count,
    last_seq = c.last_seq + EXCLUDED.last_seq,
    first_message_at = LEAST(c.first_message_at, EXCLUDED.first_message_at),
    last_message_at = GREATEST(c.last_message_at, EXCLUDED.last_message_at),
    updated_at = now()
  RETURNING tenant_id, conversation_id, last_seq
),
numbered AS (
  SELECT f.*,
         c.last_seq - p.added + row_number() OVER (PARTITION BY f.tenant_id, f.conversation_id ORDER BY f.ord) AS seq
  FROM fresh f
  JOIN per_conversation p USING (tenant_id, conversation_id)
  JOIN counters c USING (tenant_id, conversation_id)
),
inserted AS (
  INSERT INTO messages (tenant_id, message_id, conversation_id, seq, user_id, role, content, metadata, created_at)
  SELECT tenant_id, message_id, conversation_id, seq, user_id, role, content, metadata, created_at FROM numbered
  RETURNING ingested_at
)
SELECT n.ord::int AS ord, n.seq, true AS is_new, NULL::varchar AS conversation_id, NULL::varchar AS user_id,
       NULL::varchar AS role, NULL::text AS content, n.metadata,
       floor(extract(epoch FROM n.created_at) * 1000)::float8 AS created_ms,
       (SELECT floor(extract(epoch FROM i.ingested_at) * 1000)::float8 FROM inserted i LIMIT 1) AS ingested_ms
FROM numbered n
UNION ALL
SELECT a.ord::int, m.seq, false, m.conversation_id, m.user_id, m.role, m.content, m.metadata,
       floor(extract(epoch FROM m.created_at) * 1000)::float8, floor(extract(epoch FROM m.ingested_at) * 1000)::float8
FROM already a JOIN messages m ON m.tenant_id = a.tenant_id AND m.message_id = a.message_id
`;

/**
 * Columns of a message as archived. Times are read as text with their microseconds (a
 * JavaScript Date would keep milliseconds), so a restored message has exactly its old times.
 */
const ARCHIVED_COLUMNS = `message_id, seq, user_id, role, content, metadata,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
  to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ingested_at`;

/**
 * The owner of `messages`: the only code that holds SQL for it (see docs/architecture.md,
 * "one owner per table"). Methods that take an `EntityManager` run in the caller's
 * transaction (pass `queryRunner.manager` or the manager of `dataSource.transaction`).
 */
@Injectable()
export class MessageRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores a batch in one statement (see above) and returns every distinct message of it as
   * stored. `receivedAt[i]` is when message `i` first reached the system, or null.
   */
  async storeBatch(
    messages: readonly NewMessage[],
    receivedAt: ReadonlyArray<Date | null>,
  ): Promise<StoredMessageRow[]> {
    return this.dataSource.query<StoredMessageRow[]>(INSERT_BATCH, [
      messages.map((m) => m.tenantId),
      messages.map((m) => m.messageId),
      messages.map((m) => m.conversationId),
      messages.map((m) => m.userId),
      messages.map((m) => m.role),
      messages.map((m) => m.content),
      messages.map((m) => (m.metadata === undefined ? null : JSON.stringify(m.metadata))),
      messages.map((m) => m.createdAt),
      receivedAt,
    ]);
  }

  /** Up to `take` messages of a conversation after `afterSeq`, in seq order. */
  page(
    tenantId: string,
    conversationId: string,
    afterSeq: number,
    take: number,
  ): Promise<MessageEntity[]> {
    return this.dataSource.getRepository(MessageEntity).find({
      where: { tenantId, conversationId, seq: MoreThan(String(afterSeq)) },
      order: { seq: 'ASC' },
      take,
    });
  }

  /**
   * The messages held in these seq ranges (one statement for all), in (tenant, conversation,
   * seq) order. Archived or erased messages are simply not there.
   */
  async inSeqRanges(ranges: readonly ConversationSeqRange[]): Promise<PassageInputRow[]> {
    if (ranges.length === 0) return [];
    const rows = await this.dataSource.query<RawPassageRow[]>(
      `SELECT ${PASSAGE_COLUMNS}
         FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[])
              AS r (tenant_id, conversation_id, seq_from, seq_to)
         JOIN messages m ON m.tenant_id = r.tenant_id AND m.conversation_id = r.conversation_id
                        AND m.seq BETWEEN r.seq_from AND r.seq_to
        ORDER BY m.tenant_id, m.conversation_id, m.seq`,
      [
        ranges.map((r) => r.tenantId),
        ranges.map((r) => r.conversationId),
        ranges.map((r) => r.seqFrom),
        ranges.map((r) => r.seqTo),
      ],
    );
    return rows.map(toPassageInput);
  }

  /** How many messages each conversation holds in these seq ranges (`tenant/conversation`). */
  async countInSeqRanges(ranges: readonly ConversationSeqRange[]): Promise<Map<string, number>> {
    if (ranges.length === 0) return new Map();
    const rows = await this.dataSource.query<Array<{ key: string; n: number }>>(
      `SELECT r.tenant_id || '/' || r.conversation_id AS key, count(m.seq)::int AS n
         FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[])
              AS r (tenant_id, conversation_id, seq_from, seq_to)
         JOIN messages m ON m.tenant_id = r.tenant_id AND m.conversation_id = r.conversation_id
                        AND m.seq BETWEEN r.seq_from AND r.seq_to
        GROUP BY r.tenant_id, r.conversation_id`,
      [
        ranges.map((r) => r.tenantId),
        ranges.map((r) => r.conversationId),
        ranges.map((r) => r.seqFrom),
        ranges.map((r) => r.seqTo),
      ],
    );
    return new Map(rows.map((row) => [row.key, row.n]));
  }

  /**
   * Per conversation, the lowest and highest seq of the messages stored at or after `since`
   * (`ingested_at`; a scan of the table: for the rare operator run, not a service's path).
   */
  async seqRangesIngestedSince(since: Date): Promise<ConversationSeqRange[]> {
    const rows = await this.dataSource.query<
      Array<{ tenant_id: string; conversation_id: string; seq_from: string; seq_to: string }>
    >(
      `SELECT tenant_id, conversation_id, min(seq) AS seq_from, max(seq) AS seq_to
         FROM messages WHERE ingested_at >= $1 GROUP BY tenant_id, conversation_id`,
      [since],
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      conversationId: row.conversation_id,
      seqFrom: Number(row.seq_from),
      seqTo: Number(row.seq_to),
    }));
  }

  /**
   * Up to `take` messages after a position, in (tenant, conversation, seq) order: every
   * message of the database when `conversation` is not given (the position is then any
   * conversation's), else only that conversation's.
   */
  async passagePage(
    after: { tenantId: string; conversationId: string; seq: number } | undefined,
    take: number,
    conversation?: { tenantId: string; conversationId: string },
  ): Promise<PassageInputRow[]> {
    const rows = conversation
      ? await this.dataSource.query<RawPassageRow[]>(
          `SELECT ${PASSAGE_COLUMNS} FROM messages m
            WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.seq > $3
            ORDER BY m.seq LIMIT $4`,
          [conversation.tenantId, conversation.conversationId, after?.seq ?? 0, take],
        )
      : await this.dataSource.query<RawPassageRow[]>(
          // The first page has no lower bound: '' sorts before every tenant id.
          `SELECT ${PASSAGE_COLUMNS} FROM messages m
            WHERE (m.tenant_id, m.conversation_id, m.seq) > ($1, $2, $3)
            ORDER BY m.tenant_id, m.conversation_id, m.seq LIMIT $4`,
          [after?.tenantId ?? '', after?.conversationId ?? '', after?.seq ?? 0, take],
        );
    return rows.map(toPassageInput);
  }

  /** Up to `limit` messages after `afterSeq` and at most `throughSeq`, in seq order. */
  foldInput(
    tenantId: string,
    conversationId: string,
    afterSeq: number,
    throughSeq: number,
    limit: number,
  ): Promise<FoldInputRow[]> {
    return this.dataSource.query<FoldInputRow[]>(
      `SELECT seq, role, user_id, content, created_at FROM messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND seq > $3 AND seq <= $4
        ORDER BY seq LIMIT $5`,
      [tenantId, conversationId, afterSeq, throughSeq, limit],
    );
  }

  /** The messages through `throughSeq` but for the newest `keepLast`, in seq order. */
  archivable(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    throughSeq: number,
    keepLast: number,
  ): Promise<ArchivedMessageRow[]> {
    return manager.query<ArchivedMessageRow[]>(
      `SELECT ${ARCHIVED_COLUMNS}
         FROM messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND seq <= $3
          AND seq NOT IN (SELECT seq FROM messages WHERE tenant_id = $1 AND conversation_id = $2
                           ORDER BY seq DESC LIMIT $4)
        ORDER BY seq`,
      [tenantId, conversationId, throughSeq, keepLast],
    );
  }

  /** How many messages of the conversation are stored. */
  async countStored(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const [{ stored }] = await manager.query<Array<{ stored: number }>>(
      `SELECT count(*)::int AS stored FROM messages WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
    return stored;
  }

  /** How many messages these tenants have stored. */
  async countForTenants(tenantIds: readonly string[]): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM messages WHERE tenant_id = ANY($1)',
      [tenantIds],
    );
    return row.n;
  }

  /** How many messages the database holds, of every tenant. */
  async countAll(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM messages',
    );
    return row.n;
  }

  /**
   * How many of these tenants' conversations break the seq contract: their stored seqs are not
   * exactly 1..n (n the conversation's stored messages: a gap, a repeat or a start other than
   * 1), or the conversation's `last_seq` or `message_count` is not n. 0 when every one holds.
   */
  async countConversationsWithSeqGaps(tenantIds: readonly string[]): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM (
         SELECT m.tenant_id, m.conversation_id, count(*) AS cnt, min(m.seq) AS lo, max(m.seq) AS hi,
                count(DISTINCT m.seq) AS distinct_seq
         FROM messages m WHERE m.tenant_id = ANY($1)
         GROUP BY m.tenant_id, m.conversation_id
       ) s JOIN conversations c USING (tenant_id, conversation_id)
       WHERE s.lo <> 1 OR s.hi <> s.cnt OR s.distinct_seq <> s.cnt
          OR c.last_seq <> s.cnt OR c.message_count <> s.cnt`,
      [tenantIds],
    );
    return row.n;
  }

  /**
   * How many of these tenants' messages do not follow the one before them in seq order within
   * their conversation: a message id or createdAt not greater than the previous message's. For
   * messages whose ids and times grow in the order they were produced, that counts the
   * messages whose seq is out of produce order.
   */
  async countOutOfOrder(tenantIds: readonly string[]): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM (
         SELECT message_id, created_at,
                lag(message_id) OVER w AS prev_id, lag(created_at) OVER w AS prev_at
         FROM messages WHERE tenant_id = ANY($1)
         WINDOW w AS (PARTITION BY tenant_id, conversation_id ORDER BY seq)
       ) s WHERE prev_id IS NOT NULL AND (message_id <= prev_id OR created_at <= prev_at)`,
      [tenantIds],
    );
    return row.n;
  }

  /** When these tenants' messages were stored (see `IngestTimes`). */
  async ingestTimes(tenantIds: readonly string[]): Promise<IngestTimes> {
    const [row] = await this.dataSource.query<
      Array<{ first_ms: string; p10_ms: string; p90_ms: string; transactions: number }>
    >(
      `SELECT extract(epoch FROM min(ingested_at)) * 1000 AS first_ms,
              extract(epoch FROM percentile_disc(0.1) WITHIN GROUP (ORDER BY ingested_at)) * 1000 AS p10_ms,
              extract(epoch FROM percentile_disc(0.9) WITHIN GROUP (ORDER BY ingested_at)) * 1000 AS p90_ms,
              count(DISTINCT ingested_at)::int AS transactions
       FROM messages WHERE tenant_id = ANY($1)`,
      [tenantIds],
    );
    return {
      firstMs: Number(row.first_ms),
      p10Ms: Number(row.p10_ms),
      p90Ms: Number(row.p90_ms),
      transactions: row.transactions,
    };
  }

  /**
   * When the first message of each of these conversations of a tenant was stored
   * (`ingested_at`, epoch milliseconds), by conversation id; absent: none stored.
   */
  async firstIngestedAt(
    tenantId: string,
    conversationIds: readonly string[],
  ): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<Array<{ conversation_id: string; ms: string }>>(
      `SELECT conversation_id, extract(epoch FROM min(ingested_at)) * 1000 AS ms
         FROM messages WHERE tenant_id = $1 AND conversation_id = ANY($2)
        GROUP BY conversation_id`,
      [tenantId, conversationIds],
    );
    return new Map(rows.map((row) => [row.conversation_id, Number(row.ms)]));
  }

  /** Messages of these seqs, in seq order, as an archive holds them. */
  bySeqs(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    seqs: readonly number[],
  ): Promise<ArchivedMessageRow[]> {
    return manager.query<ArchivedMessageRow[]>(
      `SELECT ${ARCHIVED_COLUMNS}
         FROM messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND seq = ANY($3::bigint[])
        ORDER BY seq`,
      [tenantId, conversationId, seqs],
    );
  }

  /** Deletes messages of these seqs; returns the seqs deleted. */
  async deleteSeqs(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    seqs: readonly number[],
  ): Promise<string[]> {
    return affectedRows<{ seq: string }>(
      await manager.query(
        `DELETE FROM messages WHERE tenant_id = $1 AND conversation_id = $2
            AND seq = ANY($3::bigint[]) RETURNING seq`,
        [tenantId, conversationId, seqs],
      ),
    ).map((row) => row.seq);
  }

  /**
   * Puts archived messages back with their ids, seqs and times; those still there are left
   * alone. Returns the seqs inserted.
   */
  async restore(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    messages: readonly RestoredMessage[],
  ): Promise<string[]> {
    return affectedRows<{ seq: string }>(
      await manager.query(
        `INSERT INTO messages (tenant_id, message_id, conversation_id, seq, user_id, role,
                               content, metadata, created_at, ingested_at)
         SELECT $1, m.message_id, $2, m.seq, m.user_id, m.role, m.content, m.metadata,
                m.created_at, m.ingested_at
           FROM unnest($3::varchar[], $4::bigint[], $5::varchar[], $6::varchar[], $7::text[],
                       $8::jsonb[], $9::timestamptz[], $10::timestamptz[])
                AS m (message_id, seq, user_id, role, content, metadata, created_at, ingested_at)
         ON CONFLICT (tenant_id, message_id) DO NOTHING
         RETURNING seq`,
        [
          tenantId,
          conversationId,
          messages.map((m) => m.messageId),
          messages.map((m) => m.seq),
          messages.map((m) => m.userId),
          messages.map((m) => m.role),
          messages.map((m) => m.content),
          messages.map((m) => (m.metadata === null ? null : JSON.stringify(m.metadata))),
          messages.map((m) => m.createdAt),
          messages.map((m) => m.ingestedAt),
        ],
      ),
    ).map((row) => row.seq);
  }

  /** Deletes every message of a conversation; returns how many. */
  deleteConversation(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const statement = `DELETE FROM messages WHERE tenant_id = $1 AND conversation_id = $2 RETURNING 1`;
    return deleteConversationRows(manager, statement, tenantId, conversationId);
  }
}
