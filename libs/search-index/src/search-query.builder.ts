import { SummaryTier } from '@memory/contracts';
import type { API, Types } from '@opensearch-project/opensearch';
import { DEFAULT_KNN_EF_SEARCH } from './search.settings';
import { MAX_KEYWORD_TERMS, MAX_RESULTS } from './search-query.constants';
import { SummaryDocument } from './summary-document';

export type SearchBody = API.Search_RequestBody;
type QueryContainer = Types.Common_QueryDsl.QueryContainer;
type Highlight = Types.Core_Search.Highlight;

/**
 * BM25 fields and their weights: the condensed sections count more than the running text. The
 * sections are the `held` ones: the full sections while a compressed conversation's row still
 * keeps them, so it is ranked by what the system holds of it, as when it was full; its shorter
 * tier text (`text`) counts as any summary's does. A conversation at tier full is ranked exactly
 * as before compression existed (its held sections are its sections).
 */
export const KEYWORD_FIELDS = [
  'text',
  'held.keyPoints^2',
  'held.context^1.5',
  'held.entities^2',
  'held.decisions',
  'held.actionItems',
  'held.openQuestions',
  'held.dates',
  'held.numbers',
] as const;

/** What a result shows; the embedding (1.5 KB of floats) stays in the index. */
export const RESULT_FIELDS = [
  'conversationId',
  'userId',
  'tier',
  'text',
  'context',
  'keyPoints',
  'firstMessageAt',
  'lastMessageAt',
  'messageCount',
  'throughSeq',
  'summaryUpdatedAt',
  'indexedAt',
  'version',
] as const satisfies ReadonlyArray<keyof SummaryDocument>;

/**
 * What a ranking reads of each hit: the conversation id, from doc values. No stored field at all
 * (`stored_fields: _none_`, not even `_id`): `_id` sits in the stored-field blocks with each
 * document's source (its vector among it), and reading 200 ids made a summary BM25 list cost
 * 12.5 ms of OpenSearch CPU against 7.8 (`npm run bench:search-requests`, docs/benchmarks.md).
 */
export const SUMMARY_LIST_FIELDS = [
  'conversationId',
  'importance',
] as const satisfies ReadonlyArray<keyof SummaryDocument>;

/** Who may be found: always one tenant (the API key's), optionally narrowed by the request. */
export interface SearchScope {
  tenantId: string;
  userId?: string;
  tier?: SummaryTier;
  /** On `lastMessageAt`, inclusive. */
  from?: string;
  to?: string;
  /** Only conversations whose summary's importance is at least this (0..1). */
  minImportance?: number;
}

/** A slice of a ranking: `results` fetches what a result shows, `ids` only ids and scores. */
export interface Window {
  from: number;
  size: number;
  output: 'results' | 'ids';
}

/** Term filters of a scope; the tenant's comes first and is never absent. */
export function scopeFilters(scope: SearchScope): QueryContainer[] {
  if (!scope.tenantId) throw new Error('a search needs a tenant');
  const filters: QueryContainer[] = [{ term: { tenantId: scope.tenantId } }];
  if (scope.userId !== undefined) filters.push({ term: { userId: scope.userId } });
  if (scope.tier !== undefined) filters.push({ term: { tier: scope.tier } });
  if (scope.minImportance !== undefined)
    filters.push({ range: { importance: { gte: scope.minImportance } } });
  filters.push(...dateRange('lastMessageAt', scope));
  return filters;
}

/** A range filter on `field` for `from`/`to` (inclusive), none when both are absent. */
export function dateRange(
  field: string,
  { from, to }: { from?: string; to?: string },
): QueryContainer[] {
  if (from === undefined && to === undefined) return [];
  return [
    {
      range: {
        [field]: {
          ...(from !== undefined ? { gte: from } : {}),
          ...(to !== undefined ? { lte: to } : {}),
        },
      },
    },
  ];
}

/**
 * Words that make a sentence a question or carry its tense, and say nothing of what it is
 * about: "what", "did", "would", "have". People ask a memory in questions ("What did Maria say
 * about the shelter?"), and the messages are full of these words, so in BM25 they only add
 * noise: a passage that says "what did you do" gains over one about the shelter. The English
 * analyzer's own stop list keeps them. Not here: "may" (a month), "can" and "will" (nouns too),
 * negations and every word of content.
 */
export const QUESTION_WORDS: ReadonlySet<string> = new Set([
  'what',
  "what's",
  'when',
  'where',
  'which',
  'who',
  'whom',
  'whose',
  'why',
  'how',
  'do',
  'does',
  'did',
  'has',
  'have',
  'had',
  'is',
  'are',
  'was',
  'were',
  'be',
  'been',
  'would',
  'could',
  'should',
  'might',
]);

/**
 * The words of a query that go into BM25: the first {@link MAX_KEYWORD_TERMS} distinct
 * whitespace-separated words (the analyzer still splits and stems them), without the
 * {@link QUESTION_WORDS} unless nothing else is left.
 */
export function keywordText(query: string): string {
  const seen = new Set<string>();
  const words: string[] = [];
  const asked: string[] = [];
  for (const word of query.split(/\s+/u)) {
    const key = word.toLowerCase();
    if (!word || seen.has(key)) continue;
    seen.add(key);
    if (QUESTION_WORDS.has(key.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '').replace('’', "'"))) {
      asked.push(word);
      continue;
    }
    words.push(word);
    if (words.length === MAX_KEYWORD_TERMS) break;
  }
  return (words.length > 0 ? words : asked.slice(0, MAX_KEYWORD_TERMS)).join(' ');
}

/**
 * User text only ever goes into `multi_match` as text to analyze: unlike `query_string`, it
 * has no syntax (no fields, wildcards, regexes or boolean operators) to inject.
 *
 * `most_fields`: the scores of the matching fields add up. The words of a question spread
 * over a summary's sections (a name in the entities, an activity in a key point, a day in the
 * dates), and a term found in the running text and again in a condensed section counts more.
 * `best_fields` took the single best field and scored recall@5 0.707 on the LoCoMo sample
 * against 0.748 for this (docs/benchmarks.md).
 */
export function keywordQuery(text: string): QueryContainer {
  return { multi_match: { query: text, type: 'most_fields', fields: [...KEYWORD_FIELDS] } };
}

/**
 * Highlights of `text` (fragments) and `keyPoints` (whole matching points), matched against the
 * keyword query whatever found the document. HTML-encoded: everything but the `<em>` tags is
 * escaped, so a client can show a snippet as HTML without trusting the conversation's text.
 */
export function resultHighlight(text: string): Highlight {
  return {
    encoder: 'html',
    pre_tags: ['<em>'],
    post_tags: ['</em>'],
    highlight_query: keywordQuery(text),
    // The query names the held sections; the terms it matched are marked in what is shown.
    require_field_match: false,
    fields: {
      text: { fragment_size: 150, number_of_fragments: 3 },
      keyPoints: { number_of_fragments: 0 },
    },
  };
}

/** BM25 over the summary fields, within the scope. */
export function keywordBody(scope: SearchScope, text: string, window: Window): SearchBody {
  return {
    query: { bool: { must: [keywordQuery(text)], filter: scopeFilters(scope) } },
    ...windowOf(window, text),
  };
}

/**
 * Nearest neighbours of the query's vector within the scope. The scope is also inside the knn
 * clause (the lucene engine filters while it walks the graph), so the k nearest are the
 * tenant's: filtered only afterwards, the k nearest of all tenants could hold none of them.
 * `k` is the depth of the ranking (the same on every page a ranking serves); `efSearch` is how
 * many candidates the graph walk keeps (see {@link scaledEfSearch}).
 */
export function semanticBody(
  scope: SearchScope,
  vector: readonly number[],
  window: Window,
  text: string,
  efSearch: number = DEFAULT_KNN_EF_SEARCH,
  k: number = MAX_RESULTS,
): SearchBody {
  const knn: QueryContainer = {
    knn: {
      embedding: {
        vector: [...vector],
        k,
        filter: { bool: { filter: scopeFilters(scope) } },
        method_parameters: { ef_search: efSearch },
      },
    },
  };
  return {
    query: { bool: { must: [knn], filter: scopeFilters(scope) } },
    ...windowOf(window, text),
  };
}

/** The documents of a page of fused ids (still within the scope), with their highlights. */
export function hydrateBody(scope: SearchScope, ids: readonly string[], text: string): SearchBody {
  return {
    query: { bool: { filter: [...scopeFilters(scope), { ids: { values: [...ids] } }] } },
    ...windowOf({ from: 0, size: ids.length, output: 'results' }, text),
  };
}

function windowOf(window: Window, text: string): SearchBody {
  const base: SearchBody = { from: window.from, size: window.size, track_total_hits: false };
  if (window.output === 'ids')
    return {
      ...base,
      _source: false,
      stored_fields: ['_none_'],
      docvalue_fields: [...SUMMARY_LIST_FIELDS],
    };
  return {
    ...base,
    _source: { includes: [...RESULT_FIELDS] },
    ...(text ? { highlight: resultHighlight(text) } : {}),
  };
}
