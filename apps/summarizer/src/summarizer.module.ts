import { AppConfig, ConfigModule } from '@memory/config';
import { HealthModule } from '@memory/health';
import { KafkaModule } from '@memory/kafka';
import { PersistenceModule } from '@memory/persistence';
import {
  ConversationSummarizer,
  createConversationSummarizer,
  SummarizationSettings,
  SummaryStore,
  UserProfileBuilder,
} from '@memory/summarization';
import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MemoryMessageConsumer } from './summaries/memory-message.consumer';
import { SUMMARIZATION_SETTINGS } from './summaries/summarization.tokens';
import { summarizerHooks } from './summaries/summarizer.hooks';
import { SummarizerMetrics } from './summaries/summarizer.metrics';
import { SummaryPublisher } from './summaries/summary.publisher';
import { SummarySweeper } from './summaries/summary.sweeper';

/** Built once per module: the store and the summarizer share one DataSource. */
const SUMMARIZER_PARTS = Symbol('SUMMARIZER_PARTS');

@Module({})
export class SummarizerModule {
  static forRoot(config: AppConfig, settings: SummarizationSettings): DynamicModule {
    return {
      module: SummarizerModule,
      imports: [
        ConfigModule.forRoot(config),
        KafkaModule.forRoot(),
        PersistenceModule.forRoot(),
        HealthModule.forRoot(['kafka', 'postgres']),
      ],
      providers: [
        { provide: SUMMARIZATION_SETTINGS, useValue: settings },
        SummarizerMetrics,
        {
          provide: SUMMARIZER_PARTS,
          inject: [DataSource, SummarizerMetrics],
          useFactory: (dataSource: DataSource, metrics: SummarizerMetrics) =>
            createConversationSummarizer(dataSource, settings, summarizerHooks(metrics)),
        },
        {
          provide: SummaryStore,
          inject: [SUMMARIZER_PARTS],
          useFactory: (parts: { store: SummaryStore }) => parts.store,
        },
        {
          provide: UserProfileBuilder,
          inject: [SUMMARIZER_PARTS],
          useFactory: (parts: { profiles: UserProfileBuilder }) => parts.profiles,
        },
        {
          provide: ConversationSummarizer,
          inject: [SUMMARIZER_PARTS],
          useFactory: (parts: { summarizer: ConversationSummarizer }) => parts.summarizer,
        },
        SummaryPublisher,
        MemoryMessageConsumer,
        SummarySweeper,
      ],
    };
  }
}
