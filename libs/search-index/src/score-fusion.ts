export interface ScoredId {
  id: string;
  score: number;
}

export interface FusedHit {
  id: string;
  /**
   * The (weighted) mean over the lists of the id's normalized score (0 in a list that lacks it),
   * in [0, 1].
   */
  score: number;
  /** The id's 1-based rank in each list, null where it is absent. */
  ranks: Array<number | null>;
}

/**
 * Hybrid ranking: each list's scores min-max normalized to [0, 1] (the list's best hit 1, its
 * worst 0), then averaged over the lists, an id missing from a list counting 0 there. This is
 * the normalization and combination OpenSearch's hybrid search uses by default (`min_max`,
 * `arithmetic_mean`, equal weights); it runs here because that needs the neural-search plugin.
 *
 * Why scores and not ranks (reciprocal rank fusion): normalized scores keep how far apart the
 * hits are. When one list is sure (a keyword found in one conversation only, far ahead of the
 * rest) and the other is flat (cosine similarities bunched together), the sure list decides;
 * RRF would give both lists' first ranks the same weight. On the LoCoMo sample it raised
 * hybrid recall@5 from 0.725 (RRF, k 60) to the figure in docs/benchmarks.md.
 *
 * A list whose hits all score the same (one hit, say) gives each of them 1. An id repeated
 * within a list counts once, at its first position. Ties are broken by the best rank the id
 * has in any list, then by the id, so the order is deterministic.
 */
export function minMaxFusion(lists: ReadonlyArray<readonly ScoredId[]>): FusedHit[] {
  return weightedMinMaxFusion(
    lists,
    lists.map(() => 1),
  );
}

/**
 * {@link minMaxFusion} with a weight per list: each list's normalized score times its weight,
 * summed and divided by the sum of the weights (of all the lists given, empty ones included),
 * so the fused score stays in [0, 1]. Equal weights are {@link minMaxFusion}.
 *
 * `counts(id, list)`, when given, says whether a list can hold the id at all; a list that cannot
 * (an archived conversation has no passages to be found by) leaves the id's weight sum, so its
 * score is the weighted mean over the lists it can be in, not a mean that counts them as misses.
 */
export function weightedMinMaxFusion(
  lists: ReadonlyArray<readonly ScoredId[]>,
  weights: readonly number[],
  counts?: (id: string, listIndex: number) => boolean,
): FusedHit[] {
  if (weights.length !== lists.length) throw new Error('one weight per list');
  if (weights.some((weight) => !(weight >= 0))) throw new Error('weights must be >= 0');
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const fused = new Map<string, FusedHit>();
  lists.forEach((list, listIndex) => {
    if (list.length === 0) return;
    const share = total > 0 ? (weights[listIndex] ?? 0) / total : 0;
    const scores = list.map((hit) => hit.score);
    const low = Math.min(...scores);
    const range = Math.max(...scores) - low;
    list.forEach(({ id, score }, index) => {
      let hit = fused.get(id);
      if (!hit) {
        hit = { id, score: 0, ranks: lists.map(() => null) };
        fused.set(id, hit);
      }
      if (hit.ranks[listIndex] !== null) return;
      hit.ranks[listIndex] = index + 1;
      hit.score += (range > 0 ? (score - low) / range : 1) * share;
    });
  });
  if (counts && total > 0)
    for (const hit of fused.values()) {
      const counted = weights.reduce(
        (sum, weight, listIndex) => sum + (counts(hit.id, listIndex) ? weight : 0),
        0,
      );
      hit.score = counted > 0 ? (hit.score * total) / counted : 0;
    }
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
