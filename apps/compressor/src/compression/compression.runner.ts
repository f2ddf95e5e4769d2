import {
  ConversationFailure,
  CompressionPublisher,
  CompressionSettings,
  CompressionStore,
  PassReport,
  PassRequest,
  PassTrigger,
  runCompressionPass,
  ScheduledPasses,
} from '@memory/lifecycle';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CompressionMetrics } from './compression.metrics';
import { COMPRESSION_SETTINGS } from './compression.tokens';

/**
 * Runs compression passes: every `COMPRESSOR_INTERVAL_MS` (the first one at start-up), and on
 * request. Passes of this process run one at a time (a request waits for the pass in
 * progress); passes of two replicas may overlap, which the row locks make safe. A failed pass
 * (Postgres or Kafka down) is logged and counted; the next one resumes, as nothing is skipped
 * for good: what was not compressed is still due, what was not published is still pending. A
 * conversation whose compression fails is logged, counted and skipped; the pass goes on.
 */
@Injectable()
export class CompressionRunner extends ScheduledPasses<PassReport> {
  private readonly logger = new Logger(CompressionRunner.name);

  constructor(
    private readonly store: CompressionStore,
    private readonly publisher: CompressionPublisher,
    private readonly metrics: CompressionMetrics,
    @Inject(COMPRESSION_SETTINGS) private readonly settings: CompressionSettings,
  ) {
    super(settings.intervalMs);
  }

  protected refused(): void {
    this.metrics.passRefused();
  }

  private skipped(failure: ConversationFailure): void {
    this.metrics.conversationFailed(failure);
    this.logger.warn({ msg: 'conversation skipped: compressing it failed', ...failure });
  }

  protected async pass(request: PassRequest, trigger: PassTrigger): Promise<PassReport> {
    const started = performance.now();
    try {
      const report = await runCompressionPass(this.store, this.publisher, {
        now: new Date(),
        settings: this.settings,
        tenantId: request.tenantId,
        dryRun: request.dryRun,
        signal: this.scheduler.signal,
        onConversationFailed: (failure) => this.skipped(failure),
      });
      const seconds = (performance.now() - started) / 1000;
      if (!report.dryRun) this.metrics.passed(report, seconds, trigger);
      this.logger.log({ msg: 'compression pass', trigger, ...request, ...report, seconds });
      return report;
    } catch (error) {
      this.metrics.failed(trigger);
      this.logger.error({
        msg: 'compression pass failed; the next one resumes',
        trigger,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      throw error;
    }
  }
}
