import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('memory-kafka');

interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/**
 * Instruments every batch consumer shares, labelled by consumer group and topic: records
 * handled (throughput), batch duration, retries of failed batches, and the lag per partition
 * (records behind the end of the partition when the last batch was fetched, updated after each
 * batch and during retries, so a stuck partition shows its lag).
 */
class ConsumerMetrics {
  private readonly lags = new Map<string, PartitionLag>();
  private readonly records = meter.createCounter('kafka.consumer.records', {
    description: 'Records handled and committed, by consumer group and topic',
  });
  private readonly duration = meter.createHistogram('kafka.consumer.batch.duration', {
    description: 'Time to handle a batch, retries included',
    unit: 's',
  });
  private readonly retries = meter.createCounter('kafka.consumer.batch.retries', {
    description:
      'Failed attempts at a batch retried with backoff (transient failures are never skipped)',
  });
  private readonly deadLetters = meter.createCounter('kafka.consumer.dead_letters', {
    description:
      'Records dead-lettered by the consumer after the handler failed because of them, by reason code',
  });

  private readonly rejoins = meter.createCounter('kafka.consumer.rejoins', {
    description:
      'Times a consumer rejoined its group by itself after kafkajs gave up on a broker that was away',
  });

  constructor() {
    meter
      .createObservableGauge('kafka.consumer.lag', {
        description: 'Records behind the end of the partition, per group, topic and partition',
      })
      .addCallback((result) => {
        for (const { group, topic, partition, lag } of this.lags.values())
          result.observe(lag, { group, topic, partition });
      });
  }

  lag(group: string, topic: string, partition: number, lag: number): void {
    this.lags.set(`${group}\u0000${topic}\u0000${partition}`, {
      group,
      topic,
      partition,
      lag: Math.max(0, lag),
    });
  }

  /** Records behind, summed over the partitions of `group` this member owns, as last seen. */
  behind(group: string): number {
    let total = 0;
    for (const entry of this.lags.values()) if (entry.group === group) total += entry.lag;
    return total;
  }

  /** Forgets the lag of partitions of `group` this member no longer owns. */
  assigned(group: string, assignment: Record<string, number[]>): void {
    for (const [key, entry] of this.lags)
      if (entry.group === group && !assignment[entry.topic]?.includes(entry.partition))
        this.lags.delete(key);
  }

  handled(group: string, topic: string, records: number, seconds: number): void {
    this.records.add(records, { group, topic });
    this.duration.record(seconds, { group, topic });
  }

  deadLettered(group: string, topic: string, code: string, records: number): void {
    this.deadLetters.add(records, { group, topic, code });
  }

  rejoined(group: string): void {
    this.rejoins.add(1, { group });
  }

  retried(group: string, topic: string): void {
    this.retries.add(1, { group, topic });
  }
}

export const consumerMetrics = new ConsumerMetrics();
