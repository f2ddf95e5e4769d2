import { KafkaConfig } from '@memory/config';
import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Injectable,
  Module,
} from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { BatchConsumer, BatchConsumerOptions } from './batch-consumer';
import { createKafkaClient } from './kafka-client.factory';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { KafkaAdminService } from './kafka-admin.service';
import { KafkaProducerService } from './kafka-producer.service';

/** Creates the service's consumers and stops them all when the application shuts down. */
@Injectable()
export class BatchConsumerFactory implements BeforeApplicationShutdown {
  private readonly consumers: BatchConsumer[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly config: KafkaConfig,
  ) {}

  /** `groupId` is a logical name; the configured group prefix is put in front of it. */
  create(options: BatchConsumerOptions): BatchConsumer {
    const consumer = new BatchConsumer(this.kafka, {
      ...options,
      groupId: `${this.config.groupPrefix}.${options.groupId}`,
    });
    this.consumers.push(consumer);
    return consumer;
  }

  get all(): readonly BatchConsumer[] {
    return this.consumers;
  }

  /** Runs before producers and database pools close, so an in-flight batch can finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }
}

@Global()
@Module({})
export class KafkaModule {
  static forRoot(): DynamicModule {
    const providers = [
      {
        provide: Kafka,
        inject: [KafkaConfig],
        useFactory: (config: KafkaConfig) => createKafkaClient(config),
      },
      KafkaAdminService,
      KafkaProducerService,
      BatchConsumerFactory,
      DeadLetterPublisher,
    ];
    return {
      module: KafkaModule,
      providers,
      exports: providers.map((p) => ('provide' in p ? p.provide : p)),
    };
  }
}
