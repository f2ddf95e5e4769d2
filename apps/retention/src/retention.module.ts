import { AppConfig, ConfigModule } from '@memory/config';
import { HealthModule } from '@memory/health';
import { KafkaModule } from '@memory/kafka';
import { OpenSearchModule } from '@memory/opensearch';
import { PersistenceModule } from '@memory/persistence';
import { DynamicModule, Module } from '@nestjs/common';

@Module({})
export class RetentionModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RetentionModule,
      imports: [
        ConfigModule.forRoot(config),
        KafkaModule.forRoot(),
        OpenSearchModule.forRoot(),
        PersistenceModule.forRoot(),
        HealthModule.forRoot(['kafka', 'postgres', 'opensearch']),
      ],
    };
  }
}
