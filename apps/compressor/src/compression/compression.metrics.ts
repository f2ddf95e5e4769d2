import { ConversationFailure, PassReport } from '@memory/lifecycle';
import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('memory-compressor');

/** OpenTelemetry instruments of the compressor. */
@Injectable()
export class CompressionMetrics {
  private readonly duration = meter.createHistogram('compressor.pass.duration', {
    description: 'Time of one compression pass',
    unit: 's',
  });
  private readonly compressions = meter.createCounter('compressor.compressions', {
    description: 'Conversations moved to a colder tier, by tier',
  });
  private readonly busy = meter.createCounter('compressor.busy', {
    description: 'Conversations skipped because another writer held them (next pass)',
  });
  private readonly failures = meter.createCounter('compressor.pass.failures', {
    description: 'Passes that failed (Postgres or Kafka unavailable); the next one resumes',
  });

  private readonly skipped = meter.createCounter('compressor.conversation.failures', {
    description:
      'Conversations a pass skipped because compressing them failed (tried again next pass), ' +
      'by reason (database, other)',
  });
  private readonly refused = meter.createCounter('compressor.pass.refused', {
    description: 'Pass requests refused because the queue of waiting passes was full',
  });

  passed(report: PassReport, seconds: number, trigger: 'schedule' | 'request'): void {
    this.duration.record(seconds, { trigger });
    for (const [tier, count] of Object.entries(report.byTier))
      if (count > 0) this.compressions.add(count, { tier });
    if (report.busy > 0) this.busy.add(report.busy);
  }

  conversationFailed(failure: ConversationFailure): void {
    this.skipped.add(1, { step: failure.step, reason: failure.reason });
  }

  passRefused(): void {
    this.refused.add(1);
  }

  failed(trigger: 'schedule' | 'request'): void {
    this.failures.add(1, { trigger });
  }
}
