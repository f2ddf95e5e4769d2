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

/**
 * Runs searches on the summaries and the passages aliases; OpenSearch failures come out as the
 * API's errors. Passage searches tolerate a missing passages alias (`ignore_unavailable`): until
 * the indexer has created it, conversations are found by their summaries alone.
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

  /** The `top_hits` per conversation of `passageTopUpBody`, by conversation id. */
  async topPassages(body: SearchBody): Promise<Map<string, PassageHit[]>> {
    const response = await this.run(this.passages, body);
    const aggregation = response.aggregations?.conversations as
      { buckets?: TopHitsBucket[] } | undefined;
    return new Map(
      (aggregation?.buckets ?? []).map((bucket) => [bucket.key, bucket.best?.hits?.hits ?? []]),
    );
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

/** OpenSearch 2.19 answers this with status 500 (a shard failure), so the body tells. */
function isTooManyClauses(error: unknown): boolean {
  if (!(error instanceof errors.ResponseError)) return false;
  return /too_many_(nested_)?clauses/.test(JSON.stringify(error.meta.body ?? ''));
}
