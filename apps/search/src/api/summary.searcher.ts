import { OpenSearchConfig } from '@memory/config';
import { ListQuery, passagesAlias, SearchBody, SummaryIndex } from '@memory/search-index';
import { Injectable } from '@nestjs/common';
import { Client, errors } from '@opensearch-project/opensearch';
import { IndexedHit, PassageHit } from './search-hit.mapper';
import { QueryTooComplexError, SearchUnavailableError } from './search.errors';
import { SEARCH_REQUEST_OPTIONS } from './search.constants';

interface TopHitsBucket {
  key: string;
  best?: { hits?: { hits?: PassageHit[] } };
}

/** What one search of a `_msearch` answers: its hits, and aggregations if it asked for any. */
export interface SearchAnswer {
  hits: Array<IndexedHit | PassageHit>;
  aggregations?: Record<string, unknown>;
}

interface MultiSearchItem {
  hits?: { hits?: Array<IndexedHit | PassageHit> };
  aggregations?: Record<string, unknown>;
  error?: unknown;
  status?: number;
}

/**
 * Runs searches on the summaries and the passages aliases; OpenSearch failures come out as the
 * API's errors. Passage searches tolerate a missing passages alias (`ignore_unavailable`): until
 * the indexer has created it, conversations are found by their summaries alone. The searches of
 * one step of a query go in one `_msearch` ({@link many}): one request, one parse, and
 * OpenSearch runs them side by side.
 */
@Injectable()
export class SummarySearcher {
  private readonly passages: string;

  constructor(
    private readonly client: Client,
    private readonly index: SummaryIndex,
    config: OpenSearchConfig,
  ) {
    this.passages = passagesAlias(config.indexPrefix);
  }

  /** A search on the summaries alias. */
  async search(body: SearchBody): Promise<IndexedHit[]> {
    const response = await this.run(this.index.alias, body);
    return (response.hits.hits ?? []) as IndexedHit[];
  }

  /** A search on the passages alias. */
  async searchPassages(body: SearchBody): Promise<PassageHit[]> {
    const response = await this.run(this.passages, body);
    return (response.hits.hits ?? []) as PassageHit[];
  }

  /** A list of `conversationListQueries` on its alias. */
  list(query: ListQuery): Promise<Array<IndexedHit | PassageHit>> {
    return query.target === 'summaries' ? this.search(query.body) : this.searchPassages(query.body);
  }

  /**
   * Several searches in one `_msearch`, answers in the order asked. One failed search fails
   * them all, as the separate requests did: a page is not served from part of its lists.
   */
  async many(queries: readonly ListQuery[]): Promise<SearchAnswer[]> {
    if (queries.length === 0) return [];
    let items: MultiSearchItem[];
    try {
      const response = await this.client.msearch(
        {
          body: queries.flatMap((query) => [
            query.target === 'summaries'
              ? { index: this.index.alias }
              : { index: this.passages, ignore_unavailable: true },
            query.body,
          ]),
        },
        SEARCH_REQUEST_OPTIONS,
      );
      items = (response.body.responses ?? []) as MultiSearchItem[];
    } catch (error) {
      throw new SearchUnavailableError('opensearch', error);
    }
    const failed = items.find((item) => item.error !== undefined);
    if (failed) {
      if (TOO_MANY_CLAUSES.test(JSON.stringify(failed.error))) throw new QueryTooComplexError();
      throw new SearchUnavailableError('opensearch', failed.error);
    }
    if (items.length !== queries.length)
      throw new SearchUnavailableError(
        'opensearch',
        `${items.length} answers to ${queries.length} searches`,
      );
    return items.map((item) => ({
      hits: item.hits?.hits ?? [],
      ...(item.aggregations ? { aggregations: item.aggregations } : {}),
    }));
  }

  private async run(index: string, body: SearchBody) {
    try {
      const response = await this.client.search(
        { index, body, ...(index === this.passages ? { ignore_unavailable: true } : {}) },
        SEARCH_REQUEST_OPTIONS,
      );
      return response.body;
    } catch (error) {
      if (isTooManyClauses(error)) throw new QueryTooComplexError();
      throw new SearchUnavailableError('opensearch', error);
    }
  }
}

/** The `top_hits` per conversation of a `passageTopUpBody` answer, by conversation id. */
export function topHitsOf(aggregations: unknown): Map<string, PassageHit[]> {
  const aggregation = (aggregations as Record<string, unknown> | undefined)?.conversations as
    { buckets?: TopHitsBucket[] } | undefined;
  return new Map(
    (aggregation?.buckets ?? []).map((bucket) => [bucket.key, bucket.best?.hits?.hits ?? []]),
  );
}

const TOO_MANY_CLAUSES = /too_many_(nested_)?clauses/;

/**
 * The status does not tell (OpenSearch 2.19 answered 500, a shard failure; 3.5 answers 400, and
 * inside an `_msearch` it is an item's error either way): the error's causes do.
 */
function isTooManyClauses(error: unknown): boolean {
  if (!(error instanceof errors.ResponseError)) return false;
  return TOO_MANY_CLAUSES.test(JSON.stringify(error.meta.body ?? ''));
}
