import { Injectable } from '@nestjs/common';
import { TEXT_FIRST } from './batch-delay';
import { PassageIndexerConsumer } from './passage-indexer.consumer';
import { SummaryIndexerConsumer } from './summary-indexer.consumer';

/**
 * Whether the text indexers are behind ({@link TEXT_FIRST}). Text comes first: a document
 * without its vector is still found by keyword, one not written is not found at all. So while
 * the indexers are behind (a burst, a replay, a restart, or the CPU they share with the model),
 * the vector fillers hold back and leave the CPU to them (`FILLER_PACE.yieldMaxMs`).
 */
@Injectable()
export class TextBacklog {
  constructor(
    private readonly summaries: SummaryIndexerConsumer,
    private readonly passages: PassageIndexerConsumer,
  ) {}

  recordsBehind(): number {
    return this.summaries.recordsBehind() + this.passages.recordsBehind();
  }

  /** The longer of the two indexers' last batch delays (see {@link BatchDelay}). */
  delayMs(): number {
    return Math.max(this.summaries.delay.current(), this.passages.delay.current());
  }

  get behind(): boolean {
    return this.recordsBehind() > TEXT_FIRST.records || this.delayMs() > TEXT_FIRST.delayMs;
  }
}
