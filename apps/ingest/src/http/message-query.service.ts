import { ArchivedMessageReader, ArchiveInfo } from '@memory/lifecycle';
import { ConversationRepository, MessageRepository, MessageView } from '@memory/persistence';
import { Injectable } from '@nestjs/common';

/** A message as the API returns it: `archived` when it was served from the archive. */
export interface PageItem extends MessageView {
  archived: boolean;
}

export interface MessagePage {
  conversationId: string;
  items: PageItem[];
  /** Pass as `afterSeq` for the next page; null on the last page. */
  nextAfterSeq: number | null;
  /**
   * The conversation's archive, when its raw messages were ever archived (null otherwise), and
   * how to bring them back into Postgres.
   */
  archive: (ArchiveInfo & { restore: string }) | null;
}

/** Whether a page serves archived messages from the archive or leaves them out. */
export type ArchivedMode = 'include' | 'skip';

/** How a client restores an archived conversation (the retention service, an admin key). */
export const RESTORE_HINT =
  'POST /v1/conversations/{conversationId}/restore on the retention service, with an admin key';

/**
 * Reads one tenant's conversation in seq order, page by page: the messages Postgres holds and,
 * unless told to skip them, the archived ones read from the verified archive (marked
 * `archived`). A seq Postgres holds is served from Postgres (restored, or kept by
 * `keepLastMessages`).
 */
@Injectable()
export class MessageQueryService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly archives: ArchivedMessageReader,
  ) {}

  /**
   * Null when the tenant has no such conversation. Throws the reader's
   * `ArchiveVerificationError` when archived messages are asked for and the archive cannot be
   * read and verified.
   */
  async page(
    tenantId: string,
    conversationId: string,
    afterSeq: number,
    limit: number,
    archived: ArchivedMode = 'include',
  ): Promise<MessagePage | null> {
    const conversation = await this.conversations.find(tenantId, conversationId);
    if (!conversation) return null;
    const rows = await this.messages.page(tenantId, conversationId, afterSeq, limit + 1);
    const stored: PageItem[] = rows.map((row) => ({
      messageId: row.messageId,
      seq: Number(row.seq),
      userId: row.userId,
      role: row.role,
      content: row.content,
      metadata: row.metadata,
      createdAt: row.createdAt.toISOString(),
      ingestedAt: row.ingestedAt.toISOString(),
      archived: false,
    }));
    const fromArchive =
      archived === 'include'
        ? await this.archives.after(tenantId, conversationId, afterSeq, limit + 1)
        : undefined;
    // Included, the read says what the archive is (undefined: never archived); skipped, ask.
    const info =
      archived === 'include'
        ? fromArchive?.archive
        : await this.archives.info(tenantId, conversationId);
    const merged = new Map<number, PageItem>();
    for (const message of fromArchive?.messages ?? [])
      merged.set(message.seq, { ...message, archived: true });
    for (const item of stored) merged.set(item.seq, item);
    const all = [...merged.values()].sort((a, b) => a.seq - b.seq).slice(0, limit + 1);
    const items = all.slice(0, limit);
    const last = items[items.length - 1];
    return {
      conversationId,
      items,
      nextAfterSeq: all.length > limit && last ? last.seq : null,
      archive: info ? { ...info, restore: RESTORE_HINT } : null,
    };
  }
}
