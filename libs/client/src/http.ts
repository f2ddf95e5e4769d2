import { apiError, MemoryApiError, MemoryNetworkError } from './errors';

export interface TransportOptions {
  apiKey: string;
  /** Per attempt, in ms (default 30 s). */
  timeoutMs: number;
  /** Attempts after the first, on 429, 503 and network failures (default 3). */
  retries: number;
  /** First backoff in ms, doubled per attempt with jitter, capped by `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** A longer Retry-After than this (seconds) is not waited for: the error is thrown. */
  maxRetryAfterSeconds: number;
  fetch: typeof fetch;
  userAgent: string;
}

export interface RequestOptions {
  /** Cancels the call, including its retries and the waits between them. */
  signal?: AbortSignal;
  /** Overrides the client's per-attempt timeout. */
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

const RETRIED_STATUSES = new Set([429, 503]);

/**
 * One HTTP call with the API key, a timeout per attempt and retries: on 429 and 503 after the
 * service's Retry-After (else an exponential backoff with jitter), and on network failures.
 * Every operation of the API may be repeated (ingest deduplicates by messageId; the admin
 * operations are idempotent), so every method is retried. An aborted signal stops at once.
 */
export class Transport {
  constructor(private readonly options: TransportOptions) {}

  async request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    baseUrl: string,
    path: string,
    { query, body, ...options }: RequestOptions & { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const url = new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    for (const [name, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      accept: 'application/json',
      'user-agent': this.options.userAgent,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    for (let attempt = 0; ; attempt += 1) {
      options.signal?.throwIfAborted();
      const wait = await this.attempt<T>(url, init, attempt, options);
      if (wait.done) return wait.value;
      await sleep(wait.delayMs, options.signal);
    }
  }

  private async attempt<T>(
    url: URL,
    init: RequestInit,
    attempt: number,
    options: RequestOptions,
  ): Promise<{ done: true; value: T } | { done: false; delayMs: number }> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const last = attempt >= this.options.retries;
    let response: Response;
    try {
      response = await this.options.fetch(url, { ...init, signal });
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      const what = timeout.aborted
        ? `no answer within ${options.timeoutMs ?? this.options.timeoutMs} ms`
        : error instanceof Error
          ? (causeMessage(error) ?? error.message)
          : String(error);
      if (last) throw new MemoryNetworkError(`${init.method} ${url.pathname}: ${what}`, error);
      return { done: false, delayMs: this.backoff(attempt) };
    }
    if (response.ok) {
      const text = await response.text();
      return { done: true, value: (text.length > 0 ? JSON.parse(text) : undefined) as T };
    }
    const error = await apiError(response);
    if (last || !RETRIED_STATUSES.has(response.status)) throw error;
    const delayMs = this.retryDelay(error, attempt);
    if (delayMs === undefined) throw error;
    return { done: false, delayMs };
  }

  private retryDelay(error: MemoryApiError, attempt: number): number | undefined {
    if (error.retryAfterSeconds === undefined) return this.backoff(attempt);
    if (error.retryAfterSeconds > this.options.maxRetryAfterSeconds) return undefined;
    return error.retryAfterSeconds * 1000;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

function causeMessage(error: Error): string | undefined {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : undefined;
}

/** What the caller aborted with, as an Error (an AbortError DOMException by default). */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new Error(typeof reason === 'string' ? reason : 'aborted');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
