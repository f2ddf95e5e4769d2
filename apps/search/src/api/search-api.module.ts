import { AuthModule } from '@memory/auth';
import { ArchiveRepository } from '@memory/lifecycle';
import { ReadRecorder, SummaryVersionRepository } from '@memory/persistence';
import { SummaryStore, UserProfileReader } from '@memory/summarization';
import { SearchSettings } from '@memory/search-index';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SEARCH_SETTINGS } from '../core/tokens';
import { ArchiveStatus } from './archive-status.service';
import { ContextController } from './context.controller';
import { ContextService } from './context.service';
import { QueryVectors } from './query-embedding';
import { ConversationSummaryService } from './conversation-summary.service';
import { EvidenceFinder } from './evidence.finder';
import { KeptRankings } from './kept-rankings';
import { SearchController } from './search.controller';
import { SearchMetrics } from './search.metrics';
import { SearchService } from './search.service';
import { SummaryHistoryService } from './summary-history.service';
import { SummaryController } from './summary.controller';
import { SummarySearcher } from './summary.searcher';
import { UserProfileController } from './user-profile.controller';
import { WhoAmIController } from './whoami.controller';

/**
 * The search REST API: POST /v1/search, POST /v1/context, GET /v1/conversations/:id/summary
 * (and its versions) and GET /v1/users/:id/profile.
 */
@Module({
  imports: [AuthModule],
  controllers: [
    SearchController,
    ContextController,
    SummaryController,
    UserProfileController,
    WhoAmIController,
  ],
  providers: [
    SearchService,
    ContextService,
    QueryVectors,
    {
      // The rankings of the searches whose cursors may come back, in this process.
      provide: KeptRankings,
      inject: [SEARCH_SETTINGS],
      useFactory: (settings: Pick<SearchSettings, 'cursorRankingsMb' | 'cursorTtlSeconds'>) =>
        new KeptRankings(settings.cursorRankingsMb * 2 ** 20, settings.cursorTtlSeconds * 1000),
    },
    SummarySearcher,
    EvidenceFinder,
    ArchiveStatus,
    {
      // Whether a conversation's messages are archived: the archives table's owner tells.
      provide: ArchiveRepository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new ArchiveRepository(dataSource),
    },
    SearchMetrics,
    ConversationSummaryService,
    SummaryHistoryService,
    {
      // The lineage of summary versions: its table's owner.
      provide: SummaryVersionRepository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new SummaryVersionRepository(dataSource),
    },
    {
      provide: SummaryStore,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new SummaryStore(dataSource),
    },
    {
      provide: UserProfileReader,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new UserProfileReader(dataSource),
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
