import { PassReport } from '@memory/lifecycle';
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

  passed(report: PassReport, seconds: number, trigger: 'schedule' | 'request'): void {
    this.duration.record(seconds, { trigger });
    for (const [tier, count] of Object.entries(report.byTier))
      if (count > 0) this.compressions.add(count, { tier });
    if (report.busy > 0) this.busy.add(report.busy);
  }

  failed(trigger: 'schedule' | 'request'): void {
    this.failures.add(1, { trigger });
  }
}
