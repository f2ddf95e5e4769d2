import {
  PassQueueFullError,
  PassRequest,
  passRequestKey,
  PassScheduler,
  PassTrigger,
} from './pass-scheduler';

/**
 * What a service that runs lifecycle passes (compression, retention) shares: a pass every
 * `intervalMs` (the first at start-up, when the application has bootstrapped) and on request,
 * one at a time in this process, a request joining the same tenant's pass still waiting; the
 * schedule stops with the application (Nest calls the two hooks on a provider). A subclass says
 * what one pass does and counts refusals.
 */
export abstract class ScheduledPasses<Report> {
  protected readonly scheduler: PassScheduler<PassRequest, Report>;

  protected constructor(intervalMs: number) {
    this.scheduler = new PassScheduler(
      intervalMs,
      (request, trigger) => this.pass(request, trigger),
      {},
      { keyOf: passRequestKey },
    );
  }

  /** One pass over what `request` selects. */
  protected abstract pass(request: PassRequest, trigger: PassTrigger): Promise<Report>;

  /** Counts a request refused because too many passes wait already. */
  protected abstract refused(): void;

  onApplicationBootstrap(): void {
    this.scheduler.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.scheduler.stop();
  }

  /**
   * Runs a pass after the ones queued before it, or joins the same tenant's pass still waiting.
   * Rejects with `PassQueueFullError` when too many passes wait already.
   */
  run(request: PassRequest, trigger: PassTrigger = 'request'): Promise<Report> {
    return this.scheduler.run(request, trigger).catch((error: unknown) => {
      if (error instanceof PassQueueFullError) this.refused();
      throw error;
    });
  }
}
