import { TOPICS } from '@memory/contracts';
import {
  ConversationSummarizer,
  SummaryConflictError,
  SummaryRow,
  SummaryStore,
  toSummaryRecord,
} from '@memory/summarization';
import type { SendRecords } from '../compression-pass';

/**
 * Summarizes a conversation again from its first message (after a restore brought its messages
 * back) and publishes the new version, so that search re-indexes it. The summary starts over
 * at `full` with a higher version; a concurrent fold that wins the race is reset again.
 * Returns the new summary version, or undefined when the conversation has no summary row.
 */
export async function resummarize(
  store: SummaryStore,
  summarizer: ConversationSummarizer,
  send: SendRecords,
  tenantId: string,
  conversationId: string,
  lastSeq: number,
): Promise<number | undefined> {
  let row = await store.load(tenantId, conversationId);
  if (!row) return undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      row = await store.resetForRebuild(row);
      break;
    } catch (error) {
      if (!(error instanceof SummaryConflictError) || attempt >= 5) throw error;
      row = (await store.load(tenantId, conversationId)) ?? row;
    }
  }
  const target = Math.max(lastSeq, row.seenSeq);
  const updated: SummaryRow = await summarizer.bringUpToDate(row, 'backfill', {
    throughSeq: target,
  });
  const [current] = await store.loadMany([updated]);
  const published = current ?? updated;
  await send(TOPICS.memorySummaries, [toSummaryRecord(published)]);
  await store.markPublished(tenantId, conversationId, published.version);
  return published.version;
}
