import { SummarizerClock } from './clock';

/**
 * A token budget per minute: holds at most a minute's tokens, refills continuously, and makes a
 * request wait (first come, first served) until its tokens are there; it never drops one.
 */
export class TokenBucket {
  private available: number;
  private updatedAt: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly perMinute: number,
    private readonly clock: SummarizerClock,
  ) {
    this.available = perMinute;
    this.updatedAt = clock.now();
  }

  /** Resolves once `tokens` are taken; a request larger than the whole budget waits for a full bucket. */
  take(tokens: number): Promise<void> {
    const wanted = Math.min(Math.max(0, tokens), this.perMinute);
    const turn = this.tail.then(() => this.waitAndTake(wanted));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async waitAndTake(tokens: number): Promise<void> {
    for (;;) {
      this.refill();
      if (this.available >= tokens) {
        this.available -= tokens;
        return;
      }
      const perMs = this.perMinute / 60_000;
      await this.clock.sleep(Math.ceil((tokens - this.available) / perMs));
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.available = Math.min(this.perMinute, this.available + (elapsed * this.perMinute) / 60_000);
    this.updatedAt = now;
  }
}
