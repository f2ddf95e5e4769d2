import { prng } from './prng';

describe(prng.name, () => {
  it('gives the same sequence for the same seed', () => {
    const a = prng(42);
    const b = prng(42);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, prng(43))).not.toEqual(first);
  });

  it('gives numbers in [0, 1), the mulberry32 sequence', () => {
    const random = prng(20260501);
    const values = Array.from({ length: 3 }, random);
    for (const value of values) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    expect(prng(1)()).toBeCloseTo(0.6270739405881613, 15);
  });
});
