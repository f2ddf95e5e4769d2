import { AuthModule } from '@memory/auth';
import { ReadRecorder } from '@memory/lifecycle';
import { SearchSettings } from '@memory/search-index';
import { SummaryStore } from '@memory/summarization';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SEARCH_SETTINGS } from '../core/tokens';
import { ConversationSummaryService } from './conversation-summary.service';
import { RateLimitGuard } from './rate-limit.guard';
import { SearchController } from './search.controller';
import { SearchMetrics } from './search.metrics';
import { SearchService } from './search.service';
import { SummaryController } from './summary.controller';
import { SummarySearcher } from './summary.searcher';
import { TokenBuckets } from './token-buckets';

/** The search REST API: POST /v1/search and GET /v1/conversations/:id/summary. */
@Module({
  imports: [AuthModule],
  controllers: [SearchController, SummaryController],
  providers: [
    SearchService,
    SummarySearcher,
    SearchMetrics,
    ConversationSummaryService,
    RateLimitGuard,
    {
      // One set of buckets for both controllers: a key's rate covers all its search requests.
      provide: TokenBuckets,
      inject: [SEARCH_SETTINGS],
      useFactory: (settings: SearchSettings) =>
        new TokenBuckets({
          ratePerSecond: settings.rateLimitPerSecond,
          burst: settings.rateLimitBurst,
        }),
    },
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
