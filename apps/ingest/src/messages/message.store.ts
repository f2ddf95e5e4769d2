import { ChatMessage, ChatRole } from '@memory/contracts';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A message as stored, with its seq; `isNew` is false when it was there before this batch. */
export interface StoredMessage {
  tenantId: string;
  messageId: string;
  conversationId: string;
  userId: string;
  role: ChatRole;
  content: string;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
  seq: number;
  ingestedAt: Date;
  isNew: boolean;
  /** Position, in the array given to `storeBatch`, of the message (its first occurrence). */
  index: number;
}

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

interface StoredRow {
  ord: number;
  seq: string;
  is_new: boolean;
  /** Only for messages stored before this batch; a new one was stored as given. */
  conversation_id: string | null;
  user_id: string | null;
  role: ChatRole | null;
  content: string | null;
  metadata: Record<string, unknown> | null;
  created_ms: number;
  ingested_ms: number;
}

/** Stores validated chat messages, idempotently and in order, one statement per batch. */
@Injectable()
export class MessageStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores the new messages and returns every distinct message of the batch as stored, in seq
   * order per conversation. `receivedAt[i]` is when message `i` first reached the system (its
   * record's broker time); the erasure check uses it rather than the client's createdAt.
   */
  async storeBatch(
    messages: readonly ChatMessage[],
    receivedAt: ReadonlyArray<Date | undefined> = [],
  ): Promise<StoredMessage[]> {
    if (messages.length === 0) return [];
    const rows: StoredRow[] = await this.dataSource.query(INSERT_BATCH, [
      messages.map((m) => m.tenantId),
      messages.map((m) => m.messageId),
      messages.map((m) => m.conversationId),
      messages.map((m) => m.userId),
      messages.map((m) => m.role),
      messages.map((m) => m.content),
      messages.map((m) => (m.metadata === undefined ? null : JSON.stringify(m.metadata))),
      messages.map((m) => m.createdAt),
      messages.map((_, i) => validTime(receivedAt[i])),
    ]);
    const ingestedAt = new Map<number, Date>();
    let allNew = true;
    const stored = new Array<StoredMessage | undefined>(messages.length);
    for (const row of rows) {
      const index = row.ord - 1;
      const input = messages[index];
      let at = ingestedAt.get(row.ingested_ms);
      if (at === undefined) ingestedAt.set(row.ingested_ms, (at = new Date(row.ingested_ms)));
      allNew &&= row.is_new;
      stored[index] = {
        tenantId: input.tenantId,
        messageId: input.messageId,
        conversationId: row.conversation_id ?? input.conversationId,
        userId: row.user_id ?? input.userId,
        role: row.role ?? input.role,
        content: row.content ?? input.content,
        metadata: row.metadata,
        createdAt: new Date(row.created_ms),
        seq: Number(row.seq),
        ingestedAt: at,
        isNew: row.is_new,
        index,
      };
    }
    // New messages got their seqs in input order, so input order is seq order per
    // conversation; messages stored before have older seqs and need a real sort.
    const result = stored.filter((message): message is StoredMessage => message !== undefined);
    return allNew ? result : result.sort(bySeq);
  }
}

/** A usable time or null (Postgres' LEAST ignores nulls; now() then bounds the check). */
function validTime(at: Date | undefined): Date | null {
  return at !== undefined && Number.isFinite(at.getTime()) && at.getTime() > 0 ? at : null;
}

function bySeq(a: StoredMessage, b: StoredMessage): number {
  return (
    compare(a.tenantId, b.tenantId) || compare(a.conversationId, b.conversationId) || a.seq - b.seq
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
