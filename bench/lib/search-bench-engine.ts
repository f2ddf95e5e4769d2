// The engine side of the search benchmark: what the search service asks OpenSearch for a
// query, sent straight to OpenSearch (no embedding, HTTP framework or auth), built with the
// library's own builders (libs/search-index) as the service builds them: the summary-only
// queries of the service before passages, the passage-aware ones it runs now; and the recall
// of the k-NN queries against exact search.
import {
  ConversationList,
  conversationListQueries,
  depthFor,
  conversationLists,
  documentId,
  fuseConversationLists,
  fusePassageLists,
  hydrateBody,
  keywordBody,
  keywordText,
  ListQuery,
  MAX_RESULTS,
  minMaxFusion,
  passageHydrateBody,
  passageList,
  PassageListHit,
  passageScopeOf,
  passageTopUpBody,
  RankingMode,
  SearchScope,
  semanticBody,
  summaryList,
  Window,
} from '@memory/search-index';
import { Engine, EngineHit } from './search-bench-load';
import { cosine, latencyStats, LatencyStats } from './search-bench-stats';

export const MODES = ['hybrid', 'semantic', 'keyword'] as const satisfies readonly RankingMode[];
export type Mode = (typeof MODES)[number];

/** The aliases the engine rounds search. */
export interface Aliases {
  summaries: string;
  passages: string;
}

/** A query of the bench: its text, its vector, and the bodies the engine rounds send. */
export interface BenchQuery {
  query: string;
  vector: number[];
  text: string;
  /** The summary-only requests (before passages): the page of a mode, or a hybrid's rankings. */
  bodies: { keyword: string; semantic: string; keywordRanking: string; semanticRanking: string };
  /** The lists of `conversationListQueries` per mode, serialized (see {@link prepareLists}). */
  lists: Partial<Record<Mode, Array<[ConversationList, ListQuery['target'], string]>>>;
}

/** A bench query with its summary-only bodies, as the service built them before passages. */
export function benchQuery(
  query: string,
  vector: number[],
  scope: SearchScope,
  k: number,
  efSearch: number,
): BenchQuery {
  const text = keywordText(query);
  const page: Window = { from: 0, size: k + 1, output: 'results' };
  const ranking: Window = { from: 0, size: MAX_RESULTS, output: 'ids' };
  return {
    query,
    vector,
    text,
    bodies: {
      keyword: JSON.stringify(keywordBody(scope, text, page)),
      semantic: JSON.stringify(semanticBody(scope, vector, page, text, efSearch)),
      keywordRanking: JSON.stringify(keywordBody(scope, text, ranking)),
      semanticRanking: JSON.stringify(semanticBody(scope, vector, ranking, text, efSearch)),
    },
    lists: {},
  };
}

/**
 * Serializes the lists of `mode` for `q` beforehand, so no round times the serialization: as the
 * service ranks a first page of `k` (`depthFor(k)`).
 */
export function prepareLists(
  q: BenchQuery,
  mode: Mode,
  scope: SearchScope,
  efSearch: number,
  k: number,
): void {
  q.lists[mode] ??= Object.entries(
    conversationListQueries(mode, scope, q.text, q.vector, efSearch, depthFor(k)),
  ).map(([name, list]) => [name as ConversationList, list.target, JSON.stringify(list.body)]);
}

/** The service's requests before passages: summaries alone (hybrid: two rankings fused). */
export function summaryOnlySearch(
  engine: Engine,
  aliases: Aliases,
  scope: SearchScope,
  k: number,
): Record<Mode, (q: BenchQuery) => Promise<unknown>> {
  const search = (body: string): Promise<EngineHit[]> => engine.hits(aliases.summaries, body);
  return {
    keyword: (q) => search(q.bodies.keyword),
    semantic: (q) => search(q.bodies.semantic),
    hybrid: async (q) => {
      const [keywordHits, semanticHits] = await Promise.all([
        search(q.bodies.keywordRanking),
        search(q.bodies.semanticRanking),
      ]);
      const ids = minMaxFusion([keywordHits, semanticHits].map((hits) => summaryList(hits)))
        .slice(0, k)
        .map((hit) => documentId(scope.tenantId, hit.id));
      if (ids.length === 0) return [];
      return search(JSON.stringify(hydrateBody(scope, ids, q.text)));
    },
  };
}

/**
 * The service's requests now, for a first page of `k` results with `evidence` passages each:
 * the mode's lists (as {@link prepareLists} made them) in one `_msearch`, fused by the library;
 * then the page's summaries and its evidence in a second `_msearch`: its best passages in the
 * passage lists fused (`fusePassageLists`) by id and, for conversations the lists held fewer
 * of, the top-up request. Left out: the service's check of archived conversations in Postgres,
 * asked only for conversations without any passage (none here). Resolves to the number of
 * results.
 */
export function passageAwareSearch(
  engine: Engine,
  aliases: Aliases,
  scope: SearchScope,
  k: number,
  evidence: number,
): (mode: Mode) => (q: BenchQuery) => Promise<number> {
  const passageScope = passageScopeOf(scope);
  return (mode) => async (q) => {
    const lists = q.lists[mode];
    if (!lists) throw new Error(`${mode}: the lists of "${q.query}" were not prepared`);
    const answers = await engine.msearch(
      lists.map(([, target, body]) => [aliases[target], body] as const),
    );
    const hits: Partial<Record<ConversationList, EngineHit[]>> = Object.fromEntries(
      lists.map(([name], index) => [name, answers[index]?.hits.hits ?? []]),
    );
    const page = fuseConversationLists(conversationLists(hits))
      .slice(0, MAX_RESULTS)
      .slice(0, Math.min(k, MAX_RESULTS));
    if (page.length === 0) return 0;

    const keyword = hits.passageKeyword && passageList(hits.passageKeyword);
    const semantic = hits.passageSemantic && passageList(hits.passageSemantic);
    const conversationOf = new Map(
      [...(keyword ?? []), ...(semantic ?? [])].map((hit: PassageListHit) => [
        hit.id,
        hit.conversationId,
      ]),
    );
    const chosen = new Map<string, string[]>(page.map((hit) => [hit.id, []]));
    for (const hit of fusePassageLists({ keyword, semantic })) {
      const ids = chosen.get(conversationOf.get(hit.id) ?? '');
      if (ids && ids.length < evidence) ids.push(hit.id);
    }
    const ids = [...chosen.values()].flat();
    const short = [...chosen]
      .filter(([, passages]) => passages.length < evidence && evidence > 0)
      .map(([id]) => id);
    const pageRequests: Array<readonly [string, string]> = [
      [
        aliases.summaries,
        JSON.stringify(
          hydrateBody(
            scope,
            page.map((hit) => documentId(scope.tenantId, hit.id)),
            q.text,
          ),
        ),
      ],
    ];
    if (ids.length > 0)
      pageRequests.push([
        aliases.passages,
        JSON.stringify(passageHydrateBody(passageScope, ids, q.text)),
      ]);
    if (short.length > 0)
      pageRequests.push([
        aliases.passages,
        JSON.stringify(passageTopUpBody(passageScope, short, q.text, evidence)),
      ]);
    await engine.msearch(pageRequests);
    return page.length;
  };
}

/** Recall of a k-NN query against exact search, and what each took, one query at a time. */
export interface RecallFigures {
  /** Ties counted: an approximate result as close as the k-th exact one counts. */
  recallAt10: number;
  idOverlapAt10: number;
  queries: number;
  hnsw: LatencyStats;
  exact: LatencyStats;
  /** exact p50 / HNSW p50. */
  exactSpeedup: number;
}

/** Cosines closer than this to the k-th exact one are ties (float32 arithmetic). */
const TIE_EPSILON = 1e-6;

/**
 * For each query, the top `k` of `knnBody(q)` (the service's k-NN query, a window of `k`)
 * against the top `k` of an exact script_score search (knn_score, innerproduct) over `filters`
 * (the same scope), both on `index`; `onDone` after each query.
 */
export async function knnRecall({
  engine,
  index,
  queries,
  knnBody,
  filters,
  k,
  onDone = () => undefined,
}: {
  engine: Engine;
  index: string;
  queries: readonly BenchQuery[];
  knnBody: (q: BenchQuery) => unknown;
  filters: unknown[];
  k: number;
  onDone?: (done: number) => void;
}): Promise<RecallFigures> {
  const hnswMs: number[] = [];
  const exactMs: number[] = [];
  let strictSum = 0;
  let tieAwareSum = 0;
  for (const q of queries) {
    const exactBody = JSON.stringify({
      size: k,
      _source: false,
      track_total_hits: false,
      query: {
        script_score: {
          query: { bool: { filter: filters } },
          script: {
            source: 'knn_score',
            lang: 'knn',
            params: { field: 'embedding', query_value: q.vector, space_type: 'innerproduct' },
          },
        },
      },
    });
    // The list as the service sends it, but with `_id` returned (it reads doc values only).
    const knn = JSON.stringify({
      ...(knnBody(q) as Record<string, unknown>),
      stored_fields: undefined,
    });
    let sent = performance.now();
    const approximate = (await engine.hits(index, knn)).map((hit) => hit._id);
    hnswMs.push(performance.now() - sent);
    sent = performance.now();
    const exact = (await engine.hits(index, exactBody)).map((hit) => hit._id);
    exactMs.push(performance.now() - sent);
    // Equal vectors (two documents made of the same sentences) tie: an approximate result
    // counts when it is as close as the k-th exact one (what ann-benchmarks does).
    const ids = [...new Set([...approximate, ...exact])];
    const vectors = new Map(
      (
        await engine.hits(
          index,
          JSON.stringify({
            size: ids.length,
            _source: ['embedding'],
            query: { ids: { values: ids } },
          }),
        )
      ).map((hit) => [hit._id, hit._source?.embedding ?? []]),
    );
    const closeness = (id: string): number => cosine(q.vector, vectors.get(id) ?? []);
    const kth = Math.min(...exact.map(closeness));
    const exactSet = new Set(exact);
    const denominator = Math.min(k, exact.length) || 1;
    strictSum += approximate.filter((id) => exactSet.has(id)).length / denominator;
    tieAwareSum +=
      Math.min(
        denominator,
        approximate.filter((id) => exactSet.has(id) || closeness(id) >= kth - TIE_EPSILON).length,
      ) / denominator;
    onDone(hnswMs.length);
  }
  const hnsw = latencyStats(hnswMs, 0);
  const exact = latencyStats(exactMs, 0);
  const share = (sum: number): number => Math.round((sum / queries.length) * 10_000) / 10_000;
  return {
    recallAt10: share(tieAwareSum),
    idOverlapAt10: share(strictSum),
    queries: queries.length,
    hnsw,
    exact,
    exactSpeedup: Math.round((exact.p50Ms / hnsw.p50Ms) * 10) / 10,
  };
}
