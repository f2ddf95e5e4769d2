import { MessageRepository } from '@memory/persistence';
import { SummaryStore } from '@memory/summarization';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IndexingMetrics } from './indexing.metrics';
import { LifecycleConsumer } from './lifecycle.consumer';
import { PassageIndexerConsumer } from './passage-indexer.consumer';
import { PassageIndexer } from './passage-indexer.service';
import { SummaryIndexer } from './summary-indexer.service';
import { SummaryIndexerConsumer } from './summary-indexer.consumer';
import { TextBacklog } from './text-backlog';
import { PassageVectorFiller, SummaryVectorFiller } from './vector.filler';

/**
 * Keeps the summaries index in step with `memory.summaries.v1`, and the passages index with
 * `memory.messages.v1` and `memory.lifecycle.v1`; fills the vectors of both.
 */
@Module({
  providers: [
    IndexingMetrics,
    SummaryIndexer,
    SummaryIndexerConsumer,
    PassageIndexer,
    PassageIndexerConsumer,
    LifecycleConsumer,
    TextBacklog,
    SummaryVectorFiller,
    PassageVectorFiller,
    {
      // The current version of a conversation, to skip versions already superseded.
      provide: SummaryStore,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new SummaryStore(dataSource),
    },
    {
      // The messages a passage is made of.
      provide: MessageRepository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new MessageRepository(dataSource),
    },
  ],
})
export class IndexingModule {}
