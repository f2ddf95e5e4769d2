import { AuthModule } from '@memory/auth';
import { AppConfig, ConfigModule } from '@memory/config';
import { HealthModule } from '@memory/health';
import { KafkaModule } from '@memory/kafka';
import { OpenSearchModule } from '@memory/opensearch';
import { PersistenceModule } from '@memory/persistence';
import { SearchSettings } from '@memory/search-index';
import { DynamicModule, Module } from '@nestjs/common';
import { SearchApiModule } from './api/search-api.module';
import { SearchCoreModule } from './core/search-core.module';
import { IndexingModule } from './indexing/indexing.module';

@Module({})
export class SearchModule {
  static forRoot(config: AppConfig, settings: SearchSettings): DynamicModule {
    return {
      module: SearchModule,
      imports: [
        ConfigModule.forRoot(config),
        KafkaModule.forRoot(),
        OpenSearchModule.forRoot(),
        PersistenceModule.forRoot(),
        HealthModule.forRoot(['kafka', 'postgres', 'opensearch']),
        AuthModule,
        SearchCoreModule.forRoot(settings),
        IndexingModule,
        SearchApiModule,
      ],
    };
  }
}
