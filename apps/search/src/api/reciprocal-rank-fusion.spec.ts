import { reciprocalRankFusion } from './reciprocal-rank-fusion';

describe(reciprocalRankFusion.name, () => {
  it('adds 1 / (60 + rank) over the lists an id is in', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['c', 'a'],
    ]);
    expect(fused.map((hit) => hit.id)).toEqual(['a', 'c', 'b']);
    expect(fused[0]).toEqual({ id: 'a', score: 1 / 61 + 1 / 62, ranks: [1, 2] });
    expect(fused[1]).toEqual({ id: 'c', score: 1 / 63 + 1 / 61, ranks: [3, 1] });
    expect(fused[2]).toEqual({ id: 'b', score: 1 / 62, ranks: [2, null] });
  });

  it('ranks an id found by both lists above one found by a single list at the top', () => {
    const fused = reciprocalRankFusion([
      ['only-keyword', 'both'],
      ['only-vector', 'both'],
    ]);
    expect(fused[0]?.id).toBe('both');
  });

  it('breaks ties by best rank, then by id, whatever the list order', () => {
    const lists = [
      ['x', 'b'],
      ['a', 'y'],
    ];
    // x and a: both 1/61 with best rank 1; b and y: both 1/62 with best rank 2.
    expect(reciprocalRankFusion(lists).map((hit) => hit.id)).toEqual(['a', 'x', 'b', 'y']);
    expect(reciprocalRankFusion([...lists].reverse()).map((hit) => hit.id)).toEqual([
      'a',
      'x',
      'b',
      'y',
    ]);
  });

  it('treats equal sums added in another order as ties', () => {
    // Each id is 1st, 2nd and 3rd once: 1/61 + 1/62 + 1/63, summed in three orders.
    const lists = [
      ['r', 'q', 'p'],
      ['q', 'p', 'r'],
      ['p', 'r', 'q'],
    ];
    const fused = reciprocalRankFusion(lists);
    for (const hit of fused) expect(hit.score).toBeCloseTo(1 / 61 + 1 / 62 + 1 / 63, 12);
    expect(fused.map((hit) => hit.id)).toEqual(['p', 'q', 'r']);
    expect(reciprocalRankFusion([...lists].reverse()).map((hit) => hit.id)).toEqual([
      'p',
      'q',
      'r',
    ]);
  });

  it('returns the other list as it is when one list is empty', () => {
    const fused = reciprocalRankFusion([[], ['c', 'a', 'b']]);
    expect(fused.map((hit) => hit.id)).toEqual(['c', 'a', 'b']);
    expect(fused.map((hit) => hit.ranks)).toEqual([
      [null, 1],
      [null, 2],
      [null, 3],
    ]);
  });

  it('returns nothing for no hits at all', () => {
    expect(reciprocalRankFusion([[], []])).toEqual([]);
    expect(reciprocalRankFusion([])).toEqual([]);
  });

  it('counts an id repeated within one list once, at its best rank', () => {
    const fused = reciprocalRankFusion([['a', 'b', 'a'], ['b']]);
    expect(fused.find((hit) => hit.id === 'a')).toEqual({
      id: 'a',
      score: 1 / 61,
      ranks: [1, null],
    });
    expect(fused.find((hit) => hit.id === 'b')?.score).toBeCloseTo(1 / 62 + 1 / 61, 15);
    expect(fused).toHaveLength(2);
  });

  it('takes another constant', () => {
    expect(reciprocalRankFusion([['a']], 0)[0]?.score).toBe(1);
  });
});
