import { ConversationRepository, MessageRepository, MessageView } from '@memory/persistence';
import { Injectable } from '@nestjs/common';

export interface MessagePage {
  conversationId: string;
  items: MessageView[];
  /** Pass as `afterSeq` for the next page; null on the last page. */
  nextAfterSeq: number | null;
}

/** Reads stored messages of one tenant's conversation, in seq order, page by page. */
@Injectable()
export class MessageQueryService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
  ) {}

  /** Null when the tenant has no such conversation. */
  async page(
    tenantId: string,
    conversationId: string,
    afterSeq: number,
    limit: number,
  ): Promise<MessagePage | null> {
    const conversation = await this.conversations.find(tenantId, conversationId);
    if (!conversation) return null;
    const rows = await this.messages.page(tenantId, conversationId, afterSeq, limit + 1);
    const items = rows.slice(0, limit).map((row) => ({
      messageId: row.messageId,
      seq: Number(row.seq),
      userId: row.userId,
      role: row.role,
      content: row.content,
      metadata: row.metadata,
      createdAt: row.createdAt.toISOString(),
      ingestedAt: row.ingestedAt.toISOString(),
    }));
    const last = items[items.length - 1];
    return { conversationId, items, nextAfterSeq: rows.length > limit && last ? last.seq : null };
  }
}
