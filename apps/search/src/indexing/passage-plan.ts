import { MemoryMessage } from '@memory/contracts';
import { windowRange, windowStartsOfAll } from '@memory/search-index';

/** The windows of one conversation a batch touched, and the seq range that holds them. */
export interface ConversationWindows {
  tenantId: string;
  conversationId: string;
  /** First seqs of the windows, ascending. */
  windows: number[];
  seqFrom: number;
  seqTo: number;
}

/**
 * Per conversation of a batch of stored messages, the windows that hold one of them: those
 * passages are read again from Postgres and rewritten. A message delivered twice, or a replay,
 * touches the same windows, and rewriting them is idempotent.
 */
export function planPassages(messages: readonly MemoryMessage[]): ConversationWindows[] {
  const seqs = new Map<string, { tenantId: string; conversationId: string; seqs: Set<number> }>();
  for (const message of messages) {
    const key = JSON.stringify([message.tenantId, message.conversationId]);
    const entry = seqs.get(key) ?? {
      tenantId: message.tenantId,
      conversationId: message.conversationId,
      seqs: new Set<number>(),
    };
    entry.seqs.add(message.seq);
    seqs.set(key, entry);
  }
  return [...seqs.values()].map(({ tenantId, conversationId, seqs: held }) => {
    const windows = windowStartsOfAll(held);
    return {
      tenantId,
      conversationId,
      windows,
      seqFrom: windows[0] ?? 1,
      seqTo: windowRange(windows[windows.length - 1] ?? 1).seqTo,
    };
  });
}
