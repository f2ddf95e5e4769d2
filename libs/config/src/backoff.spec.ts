import { backoffDelay } from './backoff';

describe(backoffDelay.name, () => {
  it('doubles the ceiling per attempt and keeps at least half of it (equal jitter)', () => {
    expect(backoffDelay(1, {}, () => 0)).toBe(100);
    expect(backoffDelay(1, {}, () => 1)).toBe(200);
    expect(backoffDelay(4, {}, () => 1)).toBe(1600);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelay(50, {}, () => 1)).toBe(30_000);
    expect(backoffDelay(50, { jitter: 'none' })).toBe(30_000);
  });

  it('spreads the whole range below the ceiling with full jitter', () => {
    const policy = { baseMs: 500, maxMs: 20_000, jitter: 'full' } as const;
    expect(backoffDelay(1, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(500);
    expect(backoffDelay(9, policy, () => 1)).toBe(20_000);
  });

  it('waits exactly the ceiling without jitter', () => {
    const policy = { baseMs: 30_000, maxMs: 600_000, jitter: 'none' } as const;
    expect(backoffDelay(2, policy, () => 0)).toBe(60_000);
    expect(backoffDelay(6, policy)).toBe(600_000);
  });

  it('treats an attempt below 1 as the first', () => {
    expect(backoffDelay(0, {}, () => 1)).toBe(200);
  });
});
