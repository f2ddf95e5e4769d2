import { MemorySummary } from '@memory/contracts';
import { ConversationRef, SummaryRecord } from './summary-record';

/** What a batch changes in the index, one entry per conversation at most in each list. */
export interface IndexingPlan {
  /** Conversations erased by a tombstone; removed before `summaries` are written. */
  deletions: ConversationRef[];
  /** The highest version of each conversation's summary since its last tombstone. */
  summaries: MemorySummary[];
}

/**
 * Reduces a partition's decoded records, in offset order, to what the index needs: a
 * conversation's latest tombstone and the highest summary version that followed it. Earlier
 * versions are dropped (the index would refuse them anyway: the summary version is the
 * document's external version), so only what survives is embedded.
 */
export function planIndexing(records: readonly SummaryRecord[]): IndexingPlan {
  const conversations = new Map<string, { deletion?: ConversationRef; summary?: MemorySummary }>();
  for (const record of records) {
    if (record.kind === 'invalid') continue;
    const ref = record.kind === 'summary' ? record.summary : record;
    const key = JSON.stringify([ref.tenantId, ref.conversationId]);
    const entry = conversations.get(key) ?? {};
    conversations.set(key, entry);
    if (record.kind === 'tombstone') {
      entry.deletion = { tenantId: record.tenantId, conversationId: record.conversationId };
      entry.summary = undefined;
    } else if (!entry.summary || record.summary.version > entry.summary.version) {
      entry.summary = record.summary;
    }
  }
  const plan: IndexingPlan = { deletions: [], summaries: [] };
  for (const { deletion, summary } of conversations.values()) {
    if (deletion) plan.deletions.push(deletion);
    if (summary) plan.summaries.push(summary);
  }
  return plan;
}
