import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ApiKeyStore } from './api-key.store';
import { AuthMetrics } from './auth.metrics';

/**
 * Runs {@link ApiKeyStore.checkRevocations} every `intervalMs`, so a key revoked anywhere (another
 * replica, the CLI, plain SQL) is refused here within two intervals. While the checks fail, the
 * store stops trusting its cache and looks keys up again.
 */
@Injectable()
export class RevocationPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationPoller.name);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly store: ApiKeyStore,
    private readonly metrics: AuthMetrics,
    private readonly intervalMs: number,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One check; exposed for tests. */
  async poll(): Promise<void> {
    try {
      const dropped = await this.store.checkRevocations();
      if (dropped > 0) this.metrics.keysDropped(dropped);
      if (this.failing) this.logger.log({ msg: 'revocation checks work again' });
      this.failing = false;
    } catch (error) {
      // Logged once per run of failures: the database being down is reported elsewhere too.
      if (!this.failing)
        this.logger.warn({
          msg: 'revocation check failed; cached API keys are looked up again until it works',
          error: error instanceof Error ? error.message : String(error),
        });
      this.failing = true;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    // Shutdown must not wait for the next check.
    this.timer.unref();
  }
}
