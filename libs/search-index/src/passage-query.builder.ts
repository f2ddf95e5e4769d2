import type { Types } from '@opensearch-project/opensearch';
import { DEFAULT_KNN_EF_SEARCH } from './search.settings';
import { PassageDocument } from './passage-document';
import { dateRange, SearchBody } from './search-query.builder';

type QueryContainer = Types.Common_QueryDsl.QueryContainer;
type Highlight = Types.Core_Search.Highlight;

/**
 * How many passages each passage list ranks. A conversation has about one passage per two
 * messages, so a list holds several per conversation; twice the summaries' depth
 * (`MAX_RESULTS`) keeps about as many conversations in reach.
 */
export const PASSAGE_CANDIDATES = 400;

/**
 * What a passage list returns: enough to aggregate to conversations and mark how it matched, and
 * to make the passage's id (`passageId(tenantId, conversationId, window)`). Read from doc values
 * only, no stored field (`_none_`, not even `_id`): a list is hundreds of passages, and loading
 * each one's source (its 384 floats of vector with it) made a passage list ten times slower than
 * a summary list; reading `_id` alone still cost twice the doc values (bench:search-requests).
 */
export const PASSAGE_LIST_FIELDS = [
  'tenantId',
  'conversationId',
  'window',
  'userIds',
  'seqFrom',
  'seqTo',
  'embedded',
] as const satisfies ReadonlyArray<keyof PassageDocument>;

/** What evidence shows of a passage; the embedding stays in the index. */
export const PASSAGE_RESULT_FIELDS = [
  'conversationId',
  'userIds',
  'seqFrom',
  'seqTo',
  'messageIds',
  'speakers',
  'firstAt',
  'lastAt',
  'text',
  'embedded',
] as const satisfies ReadonlyArray<keyof PassageDocument>;

/** Who may be found among passages: one tenant always; `from`/`to` on the passage's `lastAt`. */
export interface PassageScope {
  tenantId: string;
  /** Passages holding a message of this user (`userIds`). */
  userId?: string;
  from?: string;
  to?: string;
}

/** Term filters of a passage scope; the tenant's comes first and is never absent. */
export function passageScopeFilters(scope: PassageScope): QueryContainer[] {
  if (!scope.tenantId) throw new Error('a search needs a tenant');
  const filters: QueryContainer[] = [{ term: { tenantId: scope.tenantId } }];
  if (scope.userId !== undefined) filters.push({ term: { userIds: scope.userId } });
  filters.push(...dateRange('lastAt', scope));
  return filters;
}

/** BM25 on the passage text; the user's words only ever as text to analyze (no syntax). */
export function passageKeywordQuery(text: string): QueryContainer {
  return { match: { text: { query: text } } };
}

/** Highlighted fragments of a passage's text against the keyword query, HTML-encoded. */
export function passageHighlight(text: string): Highlight {
  return {
    encoder: 'html',
    pre_tags: ['<em>'],
    post_tags: ['</em>'],
    highlight_query: passageKeywordQuery(text),
    fields: { text: { fragment_size: 150, number_of_fragments: 2 } },
  };
}

/** The passage BM25 list: the `size` best passages of the scope for `text` (keywordText). */
export function passageKeywordBody(
  scope: PassageScope,
  text: string,
  size: number = PASSAGE_CANDIDATES,
): SearchBody {
  return {
    query: { bool: { must: [passageKeywordQuery(text)], filter: passageScopeFilters(scope) } },
    ...listWindow(size),
  };
}

/**
 * The passage k-NN list: the `size` nearest passages of the scope, the scope inside the knn
 * clause (as for summaries: filtered while the graph is walked). Only passages with a vector
 * (`embedded`) are in the graph.
 */
export function passageSemanticBody(
  scope: PassageScope,
  vector: readonly number[],
  size: number = PASSAGE_CANDIDATES,
  efSearch: number = DEFAULT_KNN_EF_SEARCH,
): SearchBody {
  const filter = { bool: { filter: passageScopeFilters(scope) } };
  const knn: QueryContainer = {
    knn: {
      embedding: {
        vector: [...vector],
        k: size,
        filter,
        method_parameters: { ef_search: Math.max(efSearch, size) },
      },
    },
  };
  return {
    query: { bool: { must: [knn], filter: passageScopeFilters(scope) } },
    ...listWindow(size),
  };
}

/** The passages of these ids (still within the scope), with what evidence shows of them. */
export function passageHydrateBody(
  scope: PassageScope,
  ids: readonly string[],
  text: string,
): SearchBody {
  return {
    query: { bool: { filter: [...passageScopeFilters(scope), { ids: { values: [...ids] } }] } },
    size: ids.length,
    track_total_hits: false,
    _source: { includes: [...PASSAGE_RESULT_FIELDS] },
    ...(text ? { highlight: passageHighlight(text) } : {}),
  };
}

/**
 * Up to `perConversation` passages of each of these conversations, best BM25 match first, then
 * the earliest: the evidence of a conversation the candidate lists held too few passages of.
 * One request: a `terms` aggregation on the conversation with `top_hits` inside.
 */
export function passageTopUpBody(
  scope: PassageScope,
  conversationIds: readonly string[],
  text: string,
  perConversation: number,
): SearchBody {
  return {
    size: 0,
    track_total_hits: false,
    query: {
      bool: {
        filter: [
          ...passageScopeFilters(scope),
          { terms: { conversationId: [...conversationIds] } },
        ],
        ...(text ? { should: [passageKeywordQuery(text)] } : {}),
      },
    },
    // The client types `terms` without its `field` (OpenSearch 3.x API spec): cast.
    aggs: {
      conversations: {
        terms: { field: 'conversationId', size: conversationIds.length },
        aggs: {
          best: {
            top_hits: {
              size: perConversation,
              track_scores: true,
              sort: [{ _score: { order: 'desc' } }, { seqFrom: { order: 'asc' } }],
              _source: { includes: [...PASSAGE_RESULT_FIELDS] },
              ...(text ? { highlight: passageHighlight(text) } : {}),
            },
          },
        },
      },
    } as unknown as NonNullable<SearchBody['aggs']>,
  };
}

function listWindow(size: number): SearchBody {
  return {
    from: 0,
    size,
    track_total_hits: false,
    _source: false,
    stored_fields: ['_none_'],
    docvalue_fields: [...PASSAGE_LIST_FIELDS],
  };
}
