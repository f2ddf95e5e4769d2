import { AuthModule } from '@memory/auth';
import { AppConfig, ConfigModule } from '@memory/config';
import { HealthModule } from '@memory/health';
import { KafkaModule, KafkaProducerService } from '@memory/kafka';
import { CompressionPublisher, CompressionSettings, CompressionStore } from '@memory/lifecycle';
import { PersistenceModule } from '@memory/persistence';
import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CompressionController } from './compression/compression.controller';
import { CompressionMetrics } from './compression/compression.metrics';
import { CompressionRunner } from './compression/compression.runner';
import { COMPRESSION_SETTINGS } from './compression/compression.tokens';

@Module({})
export class CompressorModule {
  static forRoot(config: AppConfig, settings: CompressionSettings): DynamicModule {
    return {
      module: CompressorModule,
      imports: [
        ConfigModule.forRoot(config),
        KafkaModule.forRoot(),
        PersistenceModule.forRoot(),
        HealthModule.forRoot(['kafka', 'postgres']),
        AuthModule,
      ],
      controllers: [CompressionController],
      providers: [
        { provide: COMPRESSION_SETTINGS, useValue: settings },
        {
          provide: CompressionStore,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new CompressionStore(dataSource),
        },
        {
          provide: CompressionPublisher,
          inject: [KafkaProducerService, DataSource, CompressionStore],
          useFactory: (
            producer: KafkaProducerService,
            dataSource: DataSource,
            store: CompressionStore,
          ) =>
            new CompressionPublisher(
              (topic, messages) => producer.send(topic, messages),
              dataSource,
              store,
            ),
        },
        CompressionMetrics,
        CompressionRunner,
      ],
    };
  }
}
