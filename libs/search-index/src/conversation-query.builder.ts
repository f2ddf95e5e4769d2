import {
  aggregatePassages,
  ConversationList,
  MODE_LISTS,
  PassageListHit,
  RankingMode,
  SECOND_PASSAGE_SHARE,
} from './conversation-fusion';
import {
  PASSAGE_CANDIDATES,
  passageKeywordBody,
  PassageScope,
  passageSemanticBody,
} from './passage-query.builder';
import { passageId } from './passage-document';
import { TimeSpan, timeOf } from './query-periods';
import { ScoredId } from './score-fusion';
import { DEFAULT_KNN_EF_SEARCH } from './search.settings';
import { keywordBody, SearchBody, SearchScope, semanticBody } from './search-query.builder';
import { MAX_RESULTS } from './search-query.constants';

/** Which alias a list runs on, and its body. */
export interface ListQuery {
  target: 'summaries' | 'passages';
  body: SearchBody;
}

/**
 * The passage scope of a search scope: tenant, user and dates. The tier is the summary's: see
 * the search service for how it applies to conversations found by passages.
 */
export function passageScopeOf(scope: SearchScope): PassageScope {
  const { tenantId, userId, from, to } = scope;
  return { tenantId, userId, from, to };
}

/** How deep the lists of a ranking go: summaries (one per conversation) and passages. */
export interface ListDepth {
  summaries: number;
  passages: number;
}

/**
 * The depth of every list when a page reaches past {@link FIRST_PAGES_DEPTH}: `MAX_RESULTS`
 * summaries, `PASSAGE_CANDIDATES` passages (about as many conversations).
 */
export const FULL_DEPTH: ListDepth = { summaries: MAX_RESULTS, passages: PASSAGE_CANDIDATES };

/**
 * The depth of the lists for pages that end within the first 50 conversations: most searches
 * read one page of 10. A list's cost grows with its depth (the graph walk keeps more candidates,
 * BM25 collects and returns more hits), and a conversation that makes the first pages of the
 * fused ranking is near the top of at least one list. Summaries a quarter of full depth,
 * passages half (a conversation has several): on the LoCoMo sample, passage lists a quarter deep
 * lost hybrid recall@10 (0.937 against 0.948 at full depth) as min-max normalization over the
 * shorter lists moved the lower ranks; half deep kept it (0.943, recall@5 0.886 against 0.881,
 * within the runs' noise). Paging past these pages runs the lists at full depth and keeps the
 * conversations already shown first (search service). docs/benchmarks.md has the figures.
 */
export const FIRST_PAGES_DEPTH: ListDepth = {
  summaries: FULL_DEPTH.summaries / 4,
  passages: FULL_DEPTH.passages / 2,
};

/** The depth a page that ends at `end` (offset + k) is ranked at, on its own. */
export function depthFor(end: number): ListDepth {
  return end <= FIRST_PAGES_DEPTH.summaries ? FIRST_PAGES_DEPTH : FULL_DEPTH;
}

/**
 * `ef_search` of a passage k-NN list `depth` deep out of one `fullDepth` deep: `efSearch`
 * (`SEARCH_KNN_EF_SEARCH`) at full depth, proportionally fewer for a shallower list, never fewer
 * than it returns. Summary lists keep `efSearch` at every depth: what the first 10 of a k-NN
 * list get right depends on the candidates the walk keeps, not on how many it returns, and
 * scaled down to 150 for a list of 50 the summaries' recall@10 against exact search fell to
 * 0.928. Passages kept 0.998 at half depth with 300 (docs/benchmarks.md).
 */
export function scaledEfSearch(efSearch: number, depth: number, fullDepth: number): number {
  return Math.max(depth, Math.ceil((efSearch * depth) / fullDepth));
}

/**
 * The queries of the lists a mode fuses, exactly as the search service runs them, `depth` deep
 * (ids and scores only, from doc values). `text` is `keywordText(query)`; `vector` the query's
 * embedding, needed by the semantic lists.
 */
export function conversationListQueries(
  mode: RankingMode,
  scope: SearchScope,
  text: string,
  vector: readonly number[] | undefined,
  efSearch: number = DEFAULT_KNN_EF_SEARCH,
  depth: ListDepth = FULL_DEPTH,
): Partial<Record<ConversationList, ListQuery>> {
  const ranking = { from: 0, size: depth.summaries, output: 'ids' } as const;
  const passages = passageScopeOf(scope);
  const needVector = (): readonly number[] => {
    if (!vector) throw new Error(`a ${mode} search needs the query's vector`);
    return vector;
  };
  const build: Record<ConversationList, () => ListQuery> = {
    summaryKeyword: () => ({ target: 'summaries', body: keywordBody(scope, text, ranking) }),
    summarySemantic: () => ({
      target: 'summaries',
      body: semanticBody(
        scope,
        needVector(),
        ranking,
        text,
        Math.max(efSearch, depth.summaries),
        depth.summaries,
      ),
    }),
    passageKeyword: () => ({
      target: 'passages',
      body: passageKeywordBody(passages, text, depth.passages),
    }),
    passageSemantic: () => ({
      target: 'passages',
      body: passageSemanticBody(
        passages,
        needVector(),
        depth.passages,
        scaledEfSearch(efSearch, depth.passages, FULL_DEPTH.passages),
      ),
    }),
  };
  return Object.fromEntries(MODE_LISTS[mode].map((name) => [name, build[name]()]));
}

/**
 * A hit of a list as OpenSearch returns it: summary lists carry ids and scores only, passage
 * lists their {@link PASSAGE_LIST_FIELDS} as doc values (`fields`, every value an array).
 */
export interface ListHit {
  _id?: string;
  _score?: number | null;
  _source?: { conversationId?: string };
  fields?: Record<string, unknown[] | undefined>;
}

/** The first value of a list hit's field: from its doc values, else its `_source`. */
export function listHitValue(hit: ListHit, field: string): unknown {
  const values = hit.fields?.[field];
  if (values !== undefined) return values[0];
  const value = (hit._source as Record<string, unknown> | undefined)?.[field];
  return Array.isArray(value) ? (value as unknown[])[0] : value;
}

/**
 * A summary list as conversation ids: from the hit's doc values, else its source, else its
 * document id (`tenantId/conversationId`).
 */
export function summaryList(hits: readonly ListHit[]): ScoredId[] {
  return hits.flatMap((hit) => {
    const value = listHitValue(hit, 'conversationId');
    const id =
      typeof value === 'string' ? value : hit._id?.slice(hit._id.indexOf('/') + 1) || undefined;
    return id ? [{ id, score: hit._score ?? 0 }] : [];
  });
}

/** The importance each summary list hit carries (its doc value), by conversation id. */
export function importanceOfHits(hits: readonly ListHit[]): Map<string, number> {
  const importance = new Map<string, number>();
  for (const hit of hits) {
    const value = listHitValue(hit, 'importance');
    const id = listHitValue(hit, 'conversationId');
    if (typeof value === 'number' && typeof id === 'string') importance.set(id, value);
  }
  return importance;
}

/**
 * The document id of a list hit: `_id` when OpenSearch returned it, else made from its doc
 * values (a passage's `tenantId/conversationId/window`).
 */
export function passageHitId(hit: ListHit): string | undefined {
  if (hit._id) return hit._id;
  const tenantId = listHitValue(hit, 'tenantId');
  const conversationId = listHitValue(hit, 'conversationId');
  const window = listHitValue(hit, 'window');
  return typeof tenantId === 'string' &&
    typeof conversationId === 'string' &&
    typeof window === 'number'
    ? passageId(tenantId, conversationId, window)
    : undefined;
}

/** A passage list's hits with their conversations. */
export function passageList(hits: readonly ListHit[]): PassageListHit[] {
  return hits.flatMap((hit) => {
    const id = passageHitId(hit);
    const conversationId = listHitValue(hit, 'conversationId');
    return id && typeof conversationId === 'string'
      ? [{ id, conversationId, score: hit._score ?? 0 }]
      : [];
  });
}

/** The hits of each list as the conversation lists `fuseConversationLists` takes. */
export function conversationLists(
  hits: Partial<Record<ConversationList, readonly ListHit[]>>,
  secondShare: number = SECOND_PASSAGE_SHARE,
): Partial<Record<ConversationList, ScoredId[]>> {
  return Object.fromEntries(
    Object.entries(hits).map(([name, list]) => [
      name,
      name.startsWith('passage')
        ? aggregatePassages(passageList(list), secondShare)
        : summaryList(list),
    ]),
  );
}

/** The date doc values that say when a list hit was said: a summary's or a passage's. */
const SPAN_FIELDS = {
  summaries: ['firstMessageAt', 'lastMessageAt'],
  passages: ['firstAt', 'lastAt'],
} as const;

/**
 * The lists with their hits' time spans among the doc values they read, for a query that names
 * a period ({@link periodsOf}); a query that names none keeps the lists as they are.
 */
export function withSpanFields(
  queries: Partial<Record<ConversationList, ListQuery>>,
): Partial<Record<ConversationList, ListQuery>> {
  return Object.fromEntries(
    Object.entries(queries).map(([name, query]) => {
      const fields = (query.body.docvalue_fields ?? []) as string[];
      return [
        name,
        {
          ...query,
          body: { ...query.body, docvalue_fields: [...fields, ...SPAN_FIELDS[query.target]] },
        },
      ];
    }),
  );
}

/** When each passage of the passage lists was said, by passage id. */
export function passageSpans(
  hits: Partial<Record<ConversationList, readonly ListHit[]>>,
): Map<string, TimeSpan[]> {
  const spans = new Map<string, TimeSpan[]>();
  for (const hit of [...(hits.passageKeyword ?? []), ...(hits.passageSemantic ?? [])]) {
    const id = passageHitId(hit);
    const span = spanOf(hit, SPAN_FIELDS.passages);
    if (id && span) spans.set(id, [span]);
  }
  return spans;
}

/** A hit's time span from its date doc values (`[from, to]` fields), none without a start. */
function spanOf(hit: ListHit, [from, to]: readonly [string, string]): TimeSpan | undefined {
  const start = timeOf(listHitValue(hit, from));
  return start === undefined ? undefined : [start, timeOf(listHitValue(hit, to)) ?? start];
}

/**
 * When each conversation of the lists was said, by conversation id: the spans of its passages in
 * the passage lists (where the words or meaning matched), or, when no passage of it is listed (an
 * archived conversation, one found by its summary alone), its summary's first to last message.
 * A long conversation is thus placed by the passages that matched, not by all the time it spans.
 */
export function conversationSpans(
  hits: Partial<Record<ConversationList, readonly ListHit[]>>,
): Map<string, TimeSpan[]> {
  const spans = new Map<string, TimeSpan[]>();
  const add = (
    hit: ListHit,
    id: unknown,
    fields: readonly [string, string],
    only: boolean,
  ): void => {
    const span = spanOf(hit, fields);
    if (typeof id !== 'string' || !span || (only && spans.has(id))) return;
    spans.set(id, [...(spans.get(id) ?? []), span]);
  };
  for (const name of ['passageKeyword', 'passageSemantic'] as const)
    for (const hit of hits[name] ?? [])
      add(hit, listHitValue(hit, 'conversationId'), SPAN_FIELDS.passages, false);
  for (const name of ['summaryKeyword', 'summarySemantic'] as const)
    for (const hit of hits[name] ?? [])
      add(hit, summaryList([hit])[0]?.id, SPAN_FIELDS.summaries, true);
  return spans;
}
