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

/**
 * The queries of the lists a mode fuses, exactly as the search service runs them: summary lists
 * to `MAX_RESULTS` (ids and scores only), passage lists to `PASSAGE_CANDIDATES`. `text` is
 * `keywordText(query)`; `vector` the query's embedding, needed by the semantic lists.
 */
export function conversationListQueries(
  mode: RankingMode,
  scope: SearchScope,
  text: string,
  vector: readonly number[] | undefined,
  efSearch: number = DEFAULT_KNN_EF_SEARCH,
): Partial<Record<ConversationList, ListQuery>> {
  const ranking = { from: 0, size: MAX_RESULTS, output: 'ids' } as const;
  const passages = passageScopeOf(scope);
  const needVector = (): readonly number[] => {
    if (!vector) throw new Error(`a ${mode} search needs the query's vector`);
    return vector;
  };
  const build: Record<ConversationList, () => ListQuery> = {
    summaryKeyword: () => ({ target: 'summaries', body: keywordBody(scope, text, ranking) }),
    summarySemantic: () => ({
      target: 'summaries',
      body: semanticBody(scope, needVector(), ranking, text, efSearch),
    }),
    passageKeyword: () => ({ target: 'passages', body: passageKeywordBody(passages, text) }),
    passageSemantic: () => ({
      target: 'passages',
      body: passageSemanticBody(passages, needVector(), PASSAGE_CANDIDATES, efSearch),
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

/** A summary list as conversation ids (the document id is `tenantId/conversationId`). */
export function summaryList(hits: readonly ListHit[]): ScoredId[] {
  return hits.flatMap((hit) => {
    const id = hit._source?.conversationId ?? hit._id?.slice(hit._id.indexOf('/') + 1);
    return id ? [{ id, score: hit._score ?? 0 }] : [];
  });
}

/** A passage list's hits with their conversations. */
export function passageList(hits: readonly ListHit[]): PassageListHit[] {
  return hits.flatMap((hit) => {
    const conversationId = listHitValue(hit, 'conversationId');
    return hit._id && typeof conversationId === 'string'
      ? [{ id: hit._id, conversationId, score: hit._score ?? 0 }]
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
