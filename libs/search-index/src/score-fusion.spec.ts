import { minMaxFusion } from './score-fusion';

const list = (...pairs: Array<[string, number]>) => pairs.map(([id, score]) => ({ id, score }));

describe(minMaxFusion.name, () => {
  it('averages the min-max normalized scores, 0 where a list lacks the id', () => {
    const fused = minMaxFusion([
      list(['a', 10], ['b', 6], ['c', 2]),
      list(['c', 0.9], ['a', 0.8], ['d', 0.7]),
    ]);
    // a: (1 + 0.5) / 2, c: (0 + 1) / 2, b: 0.5 / 2, d: 0.
    expect(fused.map((hit) => hit.id)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused[0]?.score).toBeCloseTo(0.75, 12);
    expect(fused[1]?.score).toBeCloseTo(0.5, 12);
    expect(fused[2]?.score).toBeCloseTo(0.25, 12);
    expect(fused[3]?.score).toBe(0);
    expect(fused[0]?.ranks).toEqual([1, 2]);
    expect(fused[2]?.ranks).toEqual([2, null]);
  });

  it('lets a list that is sure outweigh one whose scores bunch together', () => {
    // Keyword: one conversation far ahead. Semantic: all close, another one first.
    const fused = minMaxFusion([
      list(['k', 12], ['x', 1.1], ['s', 1]),
      list(['s', 0.81], ['x', 0.805], ['k', 0.8]),
    ]);
    expect(fused[0]?.id).toBe('k');
  });

  it('gives every hit of a list without spread the full score', () => {
    const fused = minMaxFusion([list(['a', 3]), list(['b', 0.5], ['a', 0.5])]);
    expect(fused.map((hit) => [hit.id, hit.score])).toEqual([
      ['a', 1],
      ['b', 0.5],
    ]);
  });

  it('is deterministic on ties: best rank, then id', () => {
    const lists = [list(['b', 2], ['a', 1]), list(['a', 2], ['b', 1])];
    expect(minMaxFusion(lists).map((hit) => hit.id)).toEqual(['a', 'b']);
    expect(minMaxFusion([...lists].reverse()).map((hit) => hit.id)).toEqual(['a', 'b']);
  });

  it('counts an id repeated within a list once, at its first position', () => {
    const fused = minMaxFusion([list(['a', 4], ['b', 2], ['a', 0])]);
    expect(fused.map((hit) => [hit.id, hit.score, hit.ranks])).toEqual([
      ['a', 1, [1]],
      ['b', 0.5, [2]],
    ]);
  });

  it('returns nothing for empty lists', () => {
    expect(minMaxFusion([[], []])).toEqual([]);
    expect(minMaxFusion([])).toEqual([]);
  });
});
