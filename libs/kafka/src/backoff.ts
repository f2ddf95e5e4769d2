/**
 * Exponential backoff with equal jitter: attempt n waits between half and all of
 * `baseMs * 2^(n-1)`, capped at `maxMs`.
 */
export function backoffDelay(
  attempt: number,
  baseMs = 200,
  maxMs = 30_000,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
