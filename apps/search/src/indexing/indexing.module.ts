import { Module } from '@nestjs/common';
import { IndexingMetrics } from './indexing.metrics';
import { SummaryIndexer } from './summary-indexer.service';
import { SummaryIndexerConsumer } from './summary-indexer.consumer';

/** Keeps the summaries index in step with `memory.summaries.v1`. */
@Module({ providers: [IndexingMetrics, SummaryIndexer, SummaryIndexerConsumer] })
export class IndexingModule {}
