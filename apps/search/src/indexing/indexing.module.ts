import { SummaryStore } from '@memory/summarization';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IndexingMetrics } from './indexing.metrics';
import { SummaryIndexer } from './summary-indexer.service';
import { SummaryIndexerConsumer } from './summary-indexer.consumer';

/** Keeps the summaries index in step with `memory.summaries.v1`. */
@Module({
  providers: [
    IndexingMetrics,
    SummaryIndexer,
    SummaryIndexerConsumer,
    {
      // The current version of a conversation, to skip versions already superseded.
      provide: SummaryStore,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new SummaryStore(dataSource),
    },
  ],
})
export class IndexingModule {}
