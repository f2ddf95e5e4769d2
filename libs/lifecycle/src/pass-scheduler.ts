/** Passes that may wait behind the one in progress, unless told otherwise. */
export const DEFAULT_MAX_QUEUED_PASSES = 32;

/** A request for a pass found the queue full: the caller should retry later (HTTP 429). */
export class PassQueueFullError extends Error {
  readonly code = 'PASS_QUEUE_FULL';

  constructor(readonly maxQueued: number) {
    super(`${maxQueued} passes are already waiting; retry once they have run`);
    this.name = 'PassQueueFullError';
  }
}

export interface PassSchedulerOptions<Request> {
  /**
   * What makes two requests the same pass (default: their JSON). A request equal to one still
   * waiting joins it instead of queueing another.
   */
  keyOf?: (request: Request) => string;
  /** Distinct passes that may wait behind the one in progress; more are refused. */
  maxQueued?: number;
}

/**
 * Runs passes of some work one at a time in this process: every `intervalMs` (the first at
 * start), and on request (a request waits for the pass in progress). Requests coalesce: one
 * equal to a pass still waiting (the same tenant, say) gets that pass's report instead of
 * queueing another, so a burst of requests while a pass runs costs one more pass, not one
 * each. At most `maxQueued` distinct passes wait; another request is refused with
 * {@link PassQueueFullError}, so the queue cannot grow without bound. A failed scheduled pass
 * is left to the pass itself to log and count; the schedule goes on. `stop` ends the
 * schedule, aborts `signal` (a pass checks it between items) and waits for the pass in
 * progress.
 */
export class PassScheduler<Request, Report> {
  private tail: Promise<unknown> = Promise.resolve();
  /** Passes queued and not started yet, by request key, with how many requests wait for each. */
  private readonly waiting = new Map<string, { pass: Promise<Report>; requests: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly keyOf: (request: Request) => string;
  private readonly maxQueued: number;

  constructor(
    private readonly intervalMs: number,
    private readonly pass: (request: Request, trigger: PassTrigger) => Promise<Report>,
    private readonly scheduled: Request,
    options: PassSchedulerOptions<Request> = {},
  ) {
    this.keyOf = options.keyOf ?? ((request) => JSON.stringify(request));
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_PASSES;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Distinct passes waiting behind the one in progress. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Requests waiting for a pass that has not started (several may share one pass). */
  get waitingRequests(): number {
    let requests = 0;
    for (const entry of this.waiting.values()) requests += entry.requests;
    return requests;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.abort.abort();
    await this.tail;
  }

  /**
   * Runs a pass after the ones queued before it, or joins an equal one still waiting.
   * Rejects with {@link PassQueueFullError} when `maxQueued` other passes are waiting.
   */
  run(request: Request, trigger: PassTrigger = 'request'): Promise<Report> {
    const key = this.keyOf(request);
    const same = this.waiting.get(key);
    if (same) {
      same.requests += 1;
      return same.pass;
    }
    if (this.waiting.size >= this.maxQueued)
      return Promise.reject(new PassQueueFullError(this.maxQueued));
    const pass = this.tail.then(() => {
      // Started: a request from now on may see data this pass has already read past.
      this.waiting.delete(key);
      return this.pass(request, trigger);
    });
    this.waiting.set(key, { pass, requests: 1 });
    this.tail = pass.catch(() => undefined);
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

/** The key that makes two {@link PassRequest}s the same pass: tenant and dry run. */
export function passRequestKey(request: PassRequest): string {
  return JSON.stringify([request.tenantId ?? null, request.dryRun ?? false]);
}
