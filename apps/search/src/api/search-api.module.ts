import { AuthModule } from '@memory/auth';
import { ReadRecorder } from '@memory/persistence';
import { SummaryStore } from '@memory/summarization';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConversationSummaryService } from './conversation-summary.service';
import { SearchController } from './search.controller';
import { SearchMetrics } from './search.metrics';
import { SearchService } from './search.service';
import { SummaryController } from './summary.controller';
import { SummarySearcher } from './summary.searcher';

/** The search REST API: POST /v1/search and GET /v1/conversations/:id/summary. */
@Module({
  imports: [AuthModule],
  controllers: [SearchController, SummaryController],
  providers: [
    SearchService,
    SummarySearcher,
    SearchMetrics,
    ConversationSummaryService,
    {
      provide: SummaryStore,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new SummaryStore(dataSource),
    },
    {
      // Counts summary reads toward importance (searches do not count).
      provide: ReadRecorder,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new ReadRecorder(dataSource),
    },
  ],
})
export class SearchApiModule {}
