import { AuthModule } from '@memory/auth';
import { AppConfig, ConfigModule } from '@memory/config';
import { HealthModule } from '@memory/health';
import { KafkaModule } from '@memory/kafka';
import { OpenSearchModule } from '@memory/opensearch';
import { PersistenceModule, WebhookRepository } from '@memory/persistence';
import { PinStore } from '@memory/lifecycle';
import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PinController } from './pins/pin.controller';
import { RetentionController } from './retention/retention.controller';
import { RetentionMetrics } from './retention/retention.metrics';
import { RetentionService } from './retention/retention.service';
import { RETENTION_SETTINGS, RetentionServiceSettings } from './retention/retention.tokens';
import { WebhookController } from './webhooks/webhook.controller';
import { WebhookEventsConsumer } from './webhooks/webhook-events.consumer';
import { WebhookMetrics } from './webhooks/webhook.metrics';
import { WebhookSender } from './webhooks/webhook.sender';
import { WEBHOOK_SETTINGS } from './webhooks/webhook.settings';
import { WebhookTenants } from './webhooks/webhook-tenants';

@Module({})
export class RetentionModule {
  static forRoot(config: AppConfig, settings: RetentionServiceSettings): DynamicModule {
    return {
      module: RetentionModule,
      imports: [
        ConfigModule.forRoot(config),
        KafkaModule.forRoot(),
        OpenSearchModule.forRoot(),
        PersistenceModule.forRoot(),
        HealthModule.forRoot(['kafka', 'postgres', 'opensearch']),
        AuthModule,
      ],
      controllers: [PinController, RetentionController, WebhookController],
      providers: [
        { provide: RETENTION_SETTINGS, useValue: settings },
        {
          provide: PinStore,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new PinStore(dataSource),
        },
        RetentionMetrics,
        RetentionService,
        { provide: WEBHOOK_SETTINGS, useValue: settings.webhooks },
        {
          provide: WebhookRepository,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new WebhookRepository(dataSource),
        },
        WebhookTenants,
        WebhookMetrics,
        WebhookEventsConsumer,
        WebhookSender,
      ],
    };
  }
}
