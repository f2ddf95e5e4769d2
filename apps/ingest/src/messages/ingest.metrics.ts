import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('memory-ingest');

/**
 * OpenTelemetry instruments of the ingest pipeline. Consumer lag is reported for every consumer
 * by libs/kafka (`kafka.consumer.lag{group,topic,partition}`), not here.
 */
@Injectable()
export class IngestMetrics {
  private readonly consumed = meter.createCounter('ingest.records.consumed', {
    description: 'Records read from chat.messages.v1',
  });
  private readonly stored = meter.createCounter('ingest.messages.stored', {
    description: 'New messages stored',
  });
  private readonly duplicates = meter.createCounter('ingest.messages.duplicate', {
    description: 'Valid messages that were already stored (redelivery or re-send)',
  });
  private readonly deadLettered = meter.createCounter('ingest.records.dead_lettered', {
    description: 'Records sent to chat.messages.dlq.v1, by reason',
  });
  private readonly rekeyed = meter.createCounter('ingest.records.rekeyed', {
    description:
      'Records whose key was not tenantId:conversationId, taken by INGEST_KEY_MODE=from-value',
  });
  private readonly batchSize = meter.createHistogram('ingest.batch.size', {
    description: 'Records per consumed batch',
    advice: { explicitBucketBoundaries: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000] },
  });
  private readonly batchDuration = meter.createHistogram('ingest.batch.duration', {
    description: 'Time to validate, store and publish one batch',
    unit: 's',
  });
  batch(outcome: {
    topic: string;
    partition: number;
    records: number;
    stored: number;
    duplicates: number;
    deadLettered: ReadonlyMap<string, number>;
    rekeyed?: number;
    seconds: number;
  }): void {
    const attributes = { topic: outcome.topic, partition: outcome.partition };
    this.consumed.add(outcome.records, attributes);
    this.stored.add(outcome.stored, attributes);
    this.duplicates.add(outcome.duplicates, attributes);
    for (const [reason, count] of outcome.deadLettered)
      this.deadLettered.add(count, { ...attributes, reason });
    if (outcome.rekeyed) this.rekeyed.add(outcome.rekeyed, attributes);
    this.batchSize.record(outcome.records, attributes);
    this.batchDuration.record(outcome.seconds, attributes);
  }
}
