import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('memory-retention');

/** OpenTelemetry instruments of webhook deliveries. */
@Injectable()
export class WebhookMetrics {
  private readonly enqueued = meter.createCounter('webhook.deliveries.enqueued', {
    description: 'Deliveries made from events (one per webhook taking the event)',
  });
  private readonly attempts = meter.createCounter('webhook.delivery.attempts', {
    description: 'Delivery attempts, by outcome (delivered, retry, failed)',
  });
  private readonly latency = meter.createHistogram('webhook.delivery.duration', {
    description: 'Time of one delivery attempt',
    unit: 's',
  });
  private readonly undecodable = meter.createCounter('webhook.events.undecodable', {
    description: 'Records of the event topics that could not be read (skipped)',
  });

  enqueue(count: number): void {
    if (count > 0) this.enqueued.add(count);
  }

  attempt(outcome: 'delivered' | 'retry' | 'failed', seconds: number): void {
    this.attempts.add(1, { outcome });
    this.latency.record(seconds, { outcome });
  }

  skipped(topic: string, count: number): void {
    if (count > 0) this.undecodable.add(count, { topic });
  }
}
