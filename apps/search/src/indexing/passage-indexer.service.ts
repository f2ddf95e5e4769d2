import { MessageRepository, PassageInputRow } from '@memory/persistence';
import {
  ConversationKey,
  conversationKeyOf,
  PassageIndex,
  passagesOfWindows,
  PassageStream,
  PassageWriteOutcome,
} from '@memory/search-index';
import { Injectable } from '@nestjs/common';
import { IndexingMetrics } from './indexing.metrics';
import { ConversationWindows } from './passage-plan';

/** Stored messages read per page when a whole conversation's passages are rebuilt. */
const CONVERSATION_PAGE = 1_000;

/**
 * Writes passages from what Postgres holds: the windows a batch of messages touched, or all of
 * a conversation after its messages were archived or restored. Postgres is the source of
 * truth: a window none of whose messages is held (archived, erased) gives no passage, so a
 * replay never brings back what retention removed.
 */
@Injectable()
export class PassageIndexer {
  constructor(
    private readonly messages: MessageRepository,
    private readonly index: PassageIndex,
    private readonly metrics: IndexingMetrics,
  ) {}

  /** Rewrites the passages of these windows from the messages held in them. */
  async writeWindows(plan: readonly ConversationWindows[]): Promise<PassageWriteOutcome> {
    const rows = await this.messages.inSeqRanges(plan);
    const byConversation = new Map<string, PassageInputRow[]>();
    for (const row of rows) {
      const key = conversationKeyOf(row);
      const held = byConversation.get(key);
      if (held) held.push(row);
      else byConversation.set(key, [row]);
    }
    const now = new Date();
    const documents = plan.flatMap((entry) =>
      passagesOfWindows(
        entry.tenantId,
        entry.conversationId,
        entry.windows,
        byConversation.get(conversationKeyOf(entry)) ?? [],
        now,
      ),
    );
    const outcome = await this.index.write(documents);
    this.metrics.passagesWritten(outcome);
    await this.settleRemoved(plan, byConversation);
    return outcome;
  }

  /**
   * Reads the windows' messages again after the write: a conversation that lost messages
   * meanwhile (erased or archived while this batch was on its way) is rebuilt from what is held
   * now, so a passage written from the earlier read does not outlive the erasure.
   */
  private async settleRemoved(
    plan: readonly ConversationWindows[],
    before: ReadonlyMap<string, readonly PassageInputRow[]>,
  ): Promise<void> {
    // Counts only: the check costs one small query, not a second read of the contents.
    const now = await this.messages.countInSeqRanges(plan);
    for (const entry of plan) {
      const key = conversationKeyOf(entry);
      if ((now.get(key) ?? 0) < (before.get(key)?.length ?? 0))
        await this.rebuildConversation({
          tenantId: entry.tenantId,
          conversationId: entry.conversationId,
        });
    }
  }

  /**
   * Makes a conversation's passages those of the messages Postgres holds now: writes them
   * (keeping the vectors of unchanged texts), then deletes every other passage of it. Running
   * it again changes nothing.
   */
  async rebuildConversation(
    conversation: ConversationKey,
  ): Promise<PassageWriteOutcome & { deleted: number }> {
    const stream = new PassageStream();
    const windows: number[] = [];
    const total: PassageWriteOutcome = { written: 0, refreshed: 0, unchanged: 0 };
    const write = async (documents: ReturnType<PassageStream['end']>): Promise<void> => {
      if (documents.length === 0) return;
      windows.push(...documents.map((document) => document.window));
      const outcome = await this.index.write(documents);
      total.written += outcome.written;
      total.refreshed += outcome.refreshed;
      total.unchanged += outcome.unchanged;
    };
    let after: { tenantId: string; conversationId: string; seq: number } | undefined;
    for (;;) {
      const page = await this.messages.passagePage(after, CONVERSATION_PAGE, conversation);
      await write(page.flatMap((message) => stream.push(message)));
      const last = page[page.length - 1];
      if (!last || page.length < CONVERSATION_PAGE) break;
      after = { ...conversation, seq: last.seq };
    }
    await write(stream.end());
    const deleted = await this.index.deleteConversations(
      [conversation],
      new Map([[conversationKeyOf(conversation), windows]]),
    );
    const outcome = { ...total, deleted };
    this.metrics.passagesWritten(outcome);
    return outcome;
  }
}
