import { KafkaConfig } from '@memory/config';
import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Injectable,
  Module,
} from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { BatchConsumer } from './batch-consumer';
import { BatchConsumerOptions } from './batch-consumer.types';
import { createKafkaClient } from './kafka-client.factory';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { Logger } from '@nestjs/common';

/** Exit status of a service whose consumer crashed beyond recovery (EX_SOFTWARE). */
export const CONSUMER_CRASH_EXIT_CODE = 70;
/** A consumer's stop that took this long is logged. */
const SLOW_STOP_MS = 2_000;
/** How long the other consumers get to finish their batches before the process exits. */
const CRASH_STOP_MS = 10_000;

export interface ConsumerDefinition extends Omit<BatchConsumerOptions, 'deadLetters' | 'onCrash'> {
  /**
   * The dead-letter topic of the records that fail the handler for their own sake. Without
   * one (a topic whose records have nowhere to go back to), every failure is retried, never
   * skipped.
   */
  deadLetterTopic: string | undefined;
}
import { KafkaAdminService } from './kafka-admin.service';
import { KafkaProducerService } from './kafka-producer.service';

/** Creates the service's consumers and stops them all when the application shuts down. */
@Injectable()
export class BatchConsumerFactory implements BeforeApplicationShutdown {
  private readonly logger = new Logger(BatchConsumerFactory.name);
  private readonly consumers: BatchConsumer[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly config: KafkaConfig,
    private readonly deadLetters: DeadLetterPublisher,
  ) {}

  /**
   * `groupId` is a logical name; the configured group prefix is put in front of it. Records
   * that fail the handler for their own sake go to `deadLetterTopic` with their reason code.
   * A consumer that crashes beyond kafkajs' restarts ends the process (see {@link exitAfterCrash}).
   */
  create({ deadLetterTopic, ...options }: ConsumerDefinition): BatchConsumer {
    const groupId = `${this.config.groupPrefix}.${options.groupId}`;
    const consumer = new BatchConsumer(this.kafka, {
      ...options,
      groupId,
      deadLetters:
        deadLetterTopic === undefined
          ? undefined
          : async (batch, records, failure) => {
              await this.deadLetters.publishOnce(
                batch,
                deadLetterTopic,
                records.map((record) => ({
                  source: { topic: batch.topic, partition: batch.partition, offset: record.offset },
                  record,
                  code: failure.code,
                  reason: failure.reason,
                })),
              );
            },
      onCrash: (error) => this.exitAfterCrash(groupId, error),
    });
    this.consumers.push(consumer);
    return consumer;
  }

  /**
   * A consumer that no longer consumes must not leave a process that looks alive: the others
   * stop (their batches finish and commit), and the process exits non-zero so that its
   * supervisor (`npm start`, systemd, Kubernetes) starts it again.
   */
  private exitAfterCrash(groupId: string, error: string): void {
    this.logger.fatal({
      msg: 'consumer crashed beyond recovery; the service exits to be restarted',
      group: groupId,
      error,
      exitCode: CONSUMER_CRASH_EXIT_CODE,
    });
    const exit = (): never => process.exit(CONSUMER_CRASH_EXIT_CODE);
    setTimeout(exit, CRASH_STOP_MS).unref();
    this.beforeApplicationShutdown().then(exit, exit);
  }

  get all(): readonly BatchConsumer[] {
    return this.consumers;
  }

  /** Runs before producers and database pools close, so an in-flight batch can finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.consumers.map(async (consumer) => {
        const started = Date.now();
        await consumer.stop();
        const ms = Date.now() - started;
        // A batch in flight holds its consumer's stop: a slow one is worth a line.
        if (ms >= SLOW_STOP_MS)
          this.logger.warn({ msg: 'consumer slow to stop', group: consumer.groupId, ms });
      }),
    );
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
