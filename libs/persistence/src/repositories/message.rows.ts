// The shapes of `messages` rows the owner (MessageRepository) reads and returns; no SQL here.

/** A validated message to store (the fields of a `chat.message.v1`). */
export interface NewMessage {
  tenantId: string;
  messageId: string;
  conversationId: string;
  userId: string;
  role: string;
  content: string;
  metadata?: Record<string, unknown>;
  createdAt: string | Date;
}

/** A stored message as a fold reads it. */
export interface FoldInputRow {
  seq: string;
  role: string;
  user_id: string;
  content: string;
  created_at: Date;
}

/** A stored message as an archive holds it; times as text to the microsecond. */
export interface ArchivedMessageRow {
  message_id: string;
  seq: string;
  user_id: string;
  role: string;
  content: string;
  metadata: Record<string, unknown> | null;
  created_at: string;
  ingested_at: string;
}

/** A stored message as the API and the archives show it: times as ISO 8601 strings. */
export interface MessageView {
  messageId: string;
  seq: number;
  userId: string;
  role: string;
  content: string;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  ingestedAt: string;
}

/** A message put back from an archive. */
export type RestoredMessage = MessageView;

/** A stored message as a search passage holds it. */
export interface PassageInputRow {
  tenantId: string;
  conversationId: string;
  messageId: string;
  seq: number;
  userId: string;
  role: string;
  content: string;
  createdAt: string;
}

/** A seq range of one conversation. */
export interface ConversationSeqRange {
  tenantId: string;
  conversationId: string;
  seqFrom: number;
  seqTo: number;
}

/** A row of the passage reads, as Postgres returns it. */
export interface RawPassageRow {
  tenant_id: string;
  conversation_id: string;
  message_id: string;
  seq: string;
  user_id: string;
  role: string;
  content: string;
  created_at: Date;
}

export function toPassageInput(row: RawPassageRow): PassageInputRow {
  return {
    tenantId: row.tenant_id,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    seq: Number(row.seq),
    userId: row.user_id,
    role: row.role,
    content: row.content,
    createdAt: row.created_at.toISOString(),
  };
}

/** One row `storeBatch` returns: a message of the batch as stored. */
export interface StoredMessageRow {
  ord: number;
  seq: string;
  is_new: boolean;
  /** Only for messages stored before this batch; a new one was stored as given. */
  conversation_id: string | null;
  user_id: string | null;
  role: string | null;
  content: string | null;
  metadata: Record<string, unknown> | null;
  created_ms: number;
  ingested_ms: number;
}

/** When a set of messages was stored (`ingested_at`, one value per store transaction). */
export interface IngestTimes {
  /** The first `ingested_at`, in epoch milliseconds. */
  firstMs: number;
  /** The 10th and 90th percentile `ingested_at` over the messages, in epoch milliseconds. */
  p10Ms: number;
  p90Ms: number;
  /** Distinct `ingested_at` values: the store transactions (≈ batches) that wrote them. */
  transactions: number;
}
