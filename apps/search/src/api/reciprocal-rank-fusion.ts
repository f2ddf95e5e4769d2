import { RRF_K } from './search.constants';

export interface FusedHit {
  id: string;
  /** Σ 1 / (k + rank) over the lists that hold the id. */
  score: number;
  /** The id's 1-based rank in each list, null where it is absent. */
  ranks: Array<number | null>;
}

/**
 * Reciprocal Rank Fusion (Cormack, Clarke & Büttcher, 2009) of ranked lists of ids.
 *
 * Why RRF and not a weighted sum of scores: BM25 scores are unbounded and depend on the query
 * and the corpus, cosine scores live in [0, 1] and bunch together; they are not comparable,
 * and min-max normalization per query is fragile (one outlier squeezes everything else). RRF
 * uses ranks only, needs no normalization or tuning, and is known to be robust: an id ranked
 * well by both lists rises, one found by a single list still counts.
 *
 * An id repeated within a list counts once, at its best rank. Ties are broken by the best
 * rank the id has in any list, then by the id, so the order is deterministic.
 */
export function reciprocalRankFusion(
  lists: ReadonlyArray<readonly string[]>,
  k: number = RRF_K,
): FusedHit[] {
  const fused = new Map<string, FusedHit>();
  lists.forEach((list, listIndex) => {
    list.forEach((id, index) => {
      let hit = fused.get(id);
      if (!hit) {
        hit = { id, score: 0, ranks: lists.map(() => null) };
        fused.set(id, hit);
      }
      if (hit.ranks[listIndex] !== null) return;
      const rank = index + 1;
      hit.ranks[listIndex] = rank;
      hit.score += 1 / (k + rank);
    });
  });
  return [...fused.values()].sort(
    (a, b) => byScore(a, b) || bestRank(a) - bestRank(b) || compare(a.id, b.id),
  );
}

/** Equal sums added in another order can differ in the last bits: those are ties. */
function byScore(a: FusedHit, b: FusedHit): number {
  const difference = b.score - a.score;
  return Math.abs(difference) < 1e-12 ? 0 : difference;
}

function bestRank(hit: FusedHit): number {
  return Math.min(...hit.ranks.map((rank) => rank ?? Number.POSITIVE_INFINITY));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
