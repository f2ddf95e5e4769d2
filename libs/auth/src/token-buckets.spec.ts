import { TokenBuckets } from './token-buckets';

function setup(options: { ratePerSecond?: number; burst?: number; maxKeys?: number } = {}) {
  const clock = { now: 1_000 };
  const buckets = new TokenBuckets({
    ratePerSecond: options.ratePerSecond ?? 2,
    burst: options.burst ?? 3,
    maxKeys: options.maxKeys,
    now: () => clock.now,
  });
  return { buckets, clock };
}

describe(TokenBuckets.name, () => {
  it('allows a burst, then refuses with the seconds until the next token', () => {
    const { buckets } = setup({ ratePerSecond: 0.5, burst: 3 });
    for (let i = 0; i < 3; i++) expect(buckets.take('k')).toEqual({ allowed: true });
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });

  it('refills at the rate, up to the burst', () => {
    const { buckets, clock } = setup({ ratePerSecond: 2, burst: 3 });
    for (let i = 0; i < 3; i++) buckets.take('k');
    expect(buckets.take('k').allowed).toBe(false);
    clock.now += 500;
    expect(buckets.take('k').allowed).toBe(true);
    expect(buckets.take('k').allowed).toBe(false);
    clock.now += 60_000;
    for (let i = 0; i < 3; i++) expect(buckets.take('k').allowed).toBe(true);
    expect(buckets.take('k').allowed).toBe(false);
  });

  it('keeps a steady client at the rate', () => {
    const { buckets, clock } = setup({ ratePerSecond: 10, burst: 1 });
    let allowed = 0;
    for (let i = 0; i < 1000; i++) {
      if (buckets.take('k').allowed) allowed++;
      clock.now += 10; // 100 attempts per second for 10 s
    }
    expect(allowed).toBeGreaterThanOrEqual(100);
    expect(allowed).toBeLessThanOrEqual(101);
  });

  it('keeps keys apart', () => {
    const { buckets } = setup({ burst: 1 });
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true);
  });

  it('says at least one second when a refused request is retried', () => {
    const { buckets, clock } = setup({ ratePerSecond: 100, burst: 1 });
    buckets.take('k');
    clock.now += 1;
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('drops buckets idle long enough to be full again', () => {
    const { buckets, clock } = setup({ ratePerSecond: 2, burst: 3 }); // full after 1.5 s
    for (let i = 0; i < 50; i++) buckets.take(`key-${i}`);
    expect(buckets.size).toBe(50);
    clock.now += 1_000;
    buckets.take('key-0');
    expect(buckets.size).toBe(50);
    clock.now += 600;
    buckets.take('fresh');
    // key-0 was used 0.6 s ago and stays; the other 49 have been idle 1.6 s.
    expect(buckets.size).toBe(2);
  });

  it('does not let a dropped bucket give more than a kept one would', () => {
    const { buckets, clock } = setup({ ratePerSecond: 1, burst: 2 });
    buckets.take('k');
    buckets.take('k');
    clock.now += 2_000; // full again: dropped at the next take of any key
    buckets.take('other');
    expect(buckets.take('k').allowed).toBe(true);
    expect(buckets.take('k').allowed).toBe(true);
    expect(buckets.take('k').allowed).toBe(false);
  });

  it('holds at most maxKeys, dropping the least recently used', () => {
    const { buckets } = setup({ burst: 1, maxKeys: 3 });
    for (const key of ['a', 'b', 'c']) buckets.take(key);
    buckets.take('a'); // refused, but a is now the most recently used
    buckets.take('d');
    expect(buckets.size).toBe(3);
    expect(buckets.take('a').allowed).toBe(false); // kept
    expect(buckets.take('b').allowed).toBe(true); // dropped, so full again
  });

  it('refuses nonsense settings', () => {
    expect(() => new TokenBuckets({ ratePerSecond: 0, burst: 1 })).toThrow();
    expect(() => new TokenBuckets({ ratePerSecond: 1, burst: 0 })).toThrow();
  });
});
