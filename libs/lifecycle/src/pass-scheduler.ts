/**
 * Runs passes of some work one at a time in this process: every `intervalMs` (the first at
 * start), and on request (a request waits for the pass in progress). A failed scheduled pass
 * is left to the pass itself to log and count; the schedule goes on. `stop` ends the schedule,
 * aborts `signal` (a pass checks it between items) and waits for the pass in progress.
 */
export class PassScheduler<Request, Report> {
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly intervalMs: number,
    private readonly pass: (request: Request, trigger: PassTrigger) => Promise<Report>,
    private readonly scheduled: Request,
  ) {}

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.abort.abort();
    await this.queue;
  }

  /** Runs a pass after the ones queued before it. */
  run(request: Request, trigger: PassTrigger = 'request'): Promise<Report> {
    const pass = this.queue.then(() => this.pass(request, trigger));
    this.queue = pass.catch(() => undefined);
    return pass;
  }

  private schedule(delayMs: number): void {
    if (this.abort.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.run(this.scheduled, 'schedule')
        .catch(() => undefined)
        .finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}

export type PassTrigger = 'schedule' | 'request';

/** What a pass on request is asked: one tenant (the API key's), or a dry run. */
export interface PassRequest {
  tenantId?: string;
  dryRun?: boolean;
}
