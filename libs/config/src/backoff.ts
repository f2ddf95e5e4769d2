/**
 * How a wait is spread below its ceiling: `equal` waits between half and all of it, `full`
 * anywhere from zero to all of it, `none` exactly the ceiling.
 */
export type BackoffJitter = 'equal' | 'full' | 'none';

/** An exponential backoff: the ceiling doubles per attempt from `baseMs` up to `maxMs`. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  jitter: BackoffJitter;
}

/** Retries of Kafka batches: 200 ms doubling up to 30 s, with equal jitter. */
export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = {
  baseMs: 200,
  maxMs: 30_000,
  jitter: 'equal',
};

/**
 * The one backoff policy of the product: before retry `attempt` (1 for the first retry) the
 * ceiling is `baseMs * 2^(attempt-1)`, capped at `maxMs`, and the wait is spread below it by
 * `jitter` (rounded to whole milliseconds unless there is none). Fields left out of `policy`
 * come from {@link DEFAULT_BACKOFF}; `random` is for tests.
 */
export function backoffDelay(
  attempt: number,
  policy: Partial<BackoffPolicy> = {},
  random: () => number = Math.random,
): number {
  const { baseMs, maxMs, jitter } = { ...DEFAULT_BACKOFF, ...policy };
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  switch (jitter) {
    case 'equal':
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    case 'full':
      return Math.round(random() * ceiling);
    case 'none':
      return ceiling;
  }
}
