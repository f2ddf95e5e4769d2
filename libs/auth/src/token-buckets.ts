import { performance } from 'node:perf_hooks';

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size: the burst allowed after a quiet spell. */
  burst: number;
  /** Most buckets kept; beyond it the least recently used go first. */
  maxKeys?: number;
  /** Milliseconds from a monotonic clock (tests pass their own). */
  now?: () => number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was computed; also the last use (the map is ordered by it). */
  at: number;
}

/**
 * One token bucket per key, in memory (per process: N instances allow N times the rate).
 *
 * Memory stays bounded without timers: a bucket idle long enough to be full again is the same
 * as no bucket, so it is dropped. The map is kept in order of last use (re-inserted on every
 * take), so those idle buckets are at its front and each take drops them in O(1) amortized.
 * `maxKeys` caps the map against a flood of distinct keys; a capped-out key restarts full.
 */
export class TokenBuckets {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** Time for an empty bucket to fill up. */
  private readonly refillMs: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1))
      throw new Error('a token bucket needs a positive rate and a burst of at least 1');
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? (() => performance.now());
    this.refillMs = (this.burst / this.ratePerSecond) * 1000;
  }

  /** Takes a token from `key`'s bucket if it has one; otherwise says when it will. */
  take(key: string): TakeResult {
    const now = this.now();
    this.dropIdle(now);
    const bucket = this.buckets.get(key);
    let tokens = this.burst;
    if (bucket) {
      this.buckets.delete(key);
      const elapsed = Math.max(0, now - bucket.at);
      tokens = Math.min(this.burst, bucket.tokens + (elapsed / 1000) * this.ratePerSecond);
    }
    // Refills summed in floating point fall a hair short of whole tokens: count those as whole.
    const allowed = tokens >= 1 - 1e-9;
    if (allowed) tokens = Math.max(0, tokens - 1);
    this.buckets.set(key, { tokens, at: now });
    this.enforceCap();
    if (allowed) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.ratePerSecond)),
    };
  }

  /** Buckets held. */
  get size(): number {
    return this.buckets.size;
  }

  private dropIdle(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at < this.refillMs) return;
      this.buckets.delete(key);
    }
  }

  private enforceCap(): void {
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) return;
      this.buckets.delete(key);
    }
  }
}
