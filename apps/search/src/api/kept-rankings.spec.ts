import { KeptRanking, keptBytes, KeptRankings } from './kept-rankings';

function ranking(tenantId = 't', queryHash = 'q'): KeptRanking {
  return {
    tenantId,
    queryHash,
    ranking: [{ id: 'c1', score: 1, ranks: { summaryKeyword: 1 } }],
    inPeriod: new Set(),
    passages: { fused: [], conversationOf: new Map(), embedded: new Set(), userOf: new Map() },
    depth: 'first',
    truncated: false,
  };
}

/** The bytes of `count` rankings of the fixture's size. */
const room = (count: number) => count * keptBytes(ranking());

describe(KeptRankings.name, () => {
  it('finds a ranking by its key for its own tenant and query only', () => {
    const kept = new KeptRankings(room(10), 1_000);
    const held = ranking();
    const key = kept.keep(held) ?? '';
    expect(key).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(kept.find(key, 'other', 'q')).toBeUndefined();
    expect(kept.find(key, 't', 'other')).toBeUndefined();
    // A wrong guess does not remove it.
    expect(kept.find(key, 't', 'q')).toBe(held);
    expect(kept.find('nope', 't', 'q')).toBeUndefined();
  });

  it('lets a ranking expire after its last use, and each use extends it', () => {
    let now = 0;
    const kept = new KeptRankings(room(10), 1_000, () => now);
    const key = kept.keep(ranking()) ?? '';
    now = 900;
    expect(kept.find(key, 't', 'q')).toBeDefined();
    now = 1_800;
    expect(kept.find(key, 't', 'q')).toBeDefined();
    now = 2_801;
    expect(kept.find(key, 't', 'q')).toBeUndefined();
    expect(kept.size).toBe(0);
  });

  it('makes room by dropping the least recently used, and the expired first', () => {
    let now = 0;
    const kept = new KeptRankings(room(2), 1_000, () => now);
    const a = kept.keep(ranking()) ?? '';
    const b = kept.keep(ranking()) ?? '';
    expect(kept.find(a, 't', 'q')).toBeDefined();
    const c = kept.keep(ranking()) ?? '';
    expect(kept.find(b, 't', 'q')).toBeUndefined();
    expect(kept.find(a, 't', 'q')).toBeDefined();
    expect(kept.find(c, 't', 'q')).toBeDefined();
    now = 5_000;
    kept.keep(ranking());
    expect(kept.size).toBe(1);
  });

  it('replaces what a key holds, and keeps nothing at capacity 0', () => {
    const kept = new KeptRankings(room(2), 1_000);
    const key = kept.keep(ranking()) ?? '';
    const longer = { ...ranking(), depth: 'full' as const };
    kept.replace(key, longer);
    expect(kept.find(key, 't', 'q')).toBe(longer);
    const none = new KeptRankings(0, 1_000);
    expect(none.keep(ranking())).toBeUndefined();
    expect(none.size).toBe(0);
  });

  it('counts what it holds in bytes, and gives them back as rankings go', () => {
    let now = 0;
    const kept = new KeptRankings(room(3), 1_000, () => now);
    const bigger = {
      ...ranking(),
      ranking: Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, score: 1, ranks: {} })),
    };
    // Larger than the whole capacity: not kept.
    expect(new KeptRankings(room(1), 1_000).keep(bigger)).toBeUndefined();
    const a = kept.keep(ranking()) ?? '';
    kept.keep(ranking());
    expect(kept.bytes).toBe(room(2));
    kept.replace(a, bigger);
    // Over the capacity: the least recently used made room.
    expect(kept.size).toBe(1);
    expect(kept.bytes).toBe(keptBytes(bigger));
    now = 2_000;
    expect(kept.find(a, 't', 'q')).toBeUndefined();
    expect(kept.bytes).toBe(0);
  });
});
