import { AppConfig, ConfigModule } from '@memory/config';
import { HealthModule } from '@memory/health';
import { KafkaModule } from '@memory/kafka';
import { PersistenceModule } from '@memory/persistence';
import { DynamicModule, Module } from '@nestjs/common';

@Module({})
export class CompressorModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CompressorModule,
      imports: [
        ConfigModule.forRoot(config),
        KafkaModule.forRoot(),
        PersistenceModule.forRoot(),
        HealthModule.forRoot(['kafka', 'postgres']),
      ],
    };
  }
}
