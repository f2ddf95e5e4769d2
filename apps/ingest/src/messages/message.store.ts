import { ChatMessage, ChatRole } from '@memory/contracts';
import { MessageRepository } from '@memory/persistence';
import { Injectable } from '@nestjs/common';

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

/**
 * Stores validated chat messages, idempotently and in order, one statement per batch (the
 * statement is `MessageRepository.storeBatch`, which explains it).
 */
@Injectable()
export class MessageStore {
  constructor(private readonly messages: MessageRepository) {}

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
    const rows = await this.messages.storeBatch(
      messages,
      messages.map((_, i) => validTime(receivedAt[i])),
    );
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
        role: (row.role as ChatRole | null) ?? input.role,
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
