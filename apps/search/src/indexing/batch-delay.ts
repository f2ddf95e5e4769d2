import { ConsumedBatch } from '@memory/kafka';

/**
 * When the vector fillers yield to the text indexers (summaries and passages): those are more
 * records behind than about two seconds of a busy chat product's messages, or the last batch
 * they wrote waited longer than a second (its newest record, from its publication to its
 * write: what keyword freshness is made of; a batch older than `recentMs` no longer counts).
 */
export const TEXT_FIRST = { records: 2_000, delayMs: 1_000, recentMs: 5_000 } as const;

/**
 * How long the last batch an indexer wrote had waited: its newest record, from when it was
 * published (the record's timestamp) to when the batch was written.
 */
export class BatchDelay {
  private delayMs = 0;
  private at = 0;

  written(batch: Pick<ConsumedBatch, 'messages'>, now: number = Date.now()): void {
    let newest = 0;
    for (const record of batch.messages) newest = Math.max(newest, Number(record.timestamp) || 0);
    if (newest === 0) return;
    this.delayMs = Math.max(0, now - newest);
    this.at = now;
  }

  /** The last batch's delay if it was written within `TEXT_FIRST.recentMs`, else 0 (idle). */
  current(now: number = Date.now()): number {
    return now - this.at <= TEXT_FIRST.recentMs ? this.delayMs : 0;
  }
}
