import { Injectable } from '@nestjs/common';
import { PassageIndexerConsumer } from './passage-indexer.consumer';
import { SummaryIndexerConsumer } from './summary-indexer.consumer';

/**
 * Records the text indexers (summaries and passages) are behind by at which the vector fillers
 * yield to them: about two seconds of a busy chat product's messages.
 */
export const TEXT_FIRST_RECORDS = 2_000;

/**
 * Whether the text indexers are behind. Text comes first: a document without its vector is
 * still found by keyword, one not written is not found at all. So while the indexers are
 * behind (a burst, a replay, a restart), the vector fillers hold back and leave the CPU to
 * them (`FILLER_PACE.yieldMaxMs`).
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

  get behind(): boolean {
    return this.recordsBehind() > TEXT_FIRST_RECORDS;
  }
}
