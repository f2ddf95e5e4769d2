import {
  CompressionPublisher,
  CompressionSettings,
  CompressionStore,
  PassReport,
  runCompressionPass,
} from '@memory/lifecycle';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { CompressionMetrics } from './compression.metrics';
import { COMPRESSION_SETTINGS } from './compression.tokens';

export interface PassRequest {
  tenantId?: string;
  dryRun?: boolean;
}

/**
 * Runs compression passes: every `COMPRESSOR_INTERVAL_MS` (the first one at start-up), and on
 * request. Passes of this process run one at a time (a request waits for the pass in
 * progress); passes of two replicas may overlap, which the row locks make safe. A failed pass
 * (Postgres or Kafka down) is logged and counted; the next one resumes, as nothing is skipped
 * for good: what was not compressed is still due, what was not published is still pending.
 */
@Injectable()
export class CompressionRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CompressionRunner.name);
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly stop = new AbortController();

  constructor(
    private readonly store: CompressionStore,
    private readonly publisher: CompressionPublisher,
    private readonly metrics: CompressionMetrics,
    @Inject(COMPRESSION_SETTINGS) private readonly settings: CompressionSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.stop.abort();
    await this.queue;
  }

  /** Runs a pass after the ones queued before it. */
  run(request: PassRequest, trigger: 'schedule' | 'request' = 'request'): Promise<PassReport> {
    const pass = this.queue.then(() => this.pass(request, trigger));
    this.queue = pass.catch(() => undefined);
    return pass;
  }

  private schedule(delayMs: number): void {
    if (this.stop.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.run({}, 'schedule')
        .catch(() => undefined)
        .finally(() => this.schedule(this.settings.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async pass(request: PassRequest, trigger: 'schedule' | 'request'): Promise<PassReport> {
    const started = performance.now();
    try {
      const report = await runCompressionPass(this.store, this.publisher, {
        now: new Date(),
        settings: this.settings,
        tenantId: request.tenantId,
        dryRun: request.dryRun,
        signal: this.stop.signal,
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
