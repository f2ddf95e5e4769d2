import { DLQ_HEADERS } from '@memory/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { KafkaMessage } from 'kafkajs';
import { KafkaProducerService } from './kafka-producer.service';

export interface DeadLetter {
  source: { topic: string; partition: number; offset: string };
  record: KafkaMessage;
  /** A stable, machine-readable error code. */
  code: string;
  reason: string;
}

/**
 * Puts records that can never be handled on a dead-letter topic: the original key, value
 * bytes and headers untouched, the source position and the reason in `dlq.*` headers.
 */
@Injectable()
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);
  /** Batches whose dead letters went out already (see {@link publishOnce}). */
  private readonly sentFor = new WeakSet<object>();

  constructor(private readonly producer: KafkaProducerService) {}

  /**
   * Publishes a consumed batch's dead letters the first time it is called for that batch
   * object; a retry of the batch's handler (after a failure further on) does not send them
   * twice. Returns whether it published now.
   */
  async publishOnce(
    batch: object,
    topic: string,
    letters: readonly DeadLetter[],
  ): Promise<boolean> {
    if (this.sentFor.has(batch)) return false;
    await this.publish(topic, letters);
    this.sentFor.add(batch);
    return true;
  }

  async publish(topic: string, letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.producer.send(
      topic,
      letters.map(({ source, record, code, reason }) => ({
        key: record.key,
        value: record.value,
        headers: {
          ...record.headers,
          [DLQ_HEADERS.sourceTopic]: source.topic,
          [DLQ_HEADERS.sourcePartition]: String(source.partition),
          [DLQ_HEADERS.sourceOffset]: source.offset,
          [DLQ_HEADERS.errorCode]: code,
          [DLQ_HEADERS.errorReason]: reason,
          [DLQ_HEADERS.failedAt]: new Date().toISOString(),
        },
      })),
    );
    for (const { source, code } of letters) {
      this.logger.warn({ msg: 'record dead-lettered', ...source, code, deadLetterTopic: topic });
    }
  }
}
