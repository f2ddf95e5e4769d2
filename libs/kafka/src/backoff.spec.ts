import { backoffDelay } from './backoff';

describe(backoffDelay.name, () => {
  it('doubles the ceiling per attempt and keeps at least half of it', () => {
    expect(backoffDelay(1, 200, 30_000, () => 0)).toBe(100);
    expect(backoffDelay(1, 200, 30_000, () => 1)).toBe(200);
    expect(backoffDelay(4, 200, 30_000, () => 1)).toBe(1600);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelay(50, 200, 30_000, () => 1)).toBe(30_000);
  });
});
