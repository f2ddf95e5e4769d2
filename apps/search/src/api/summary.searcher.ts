import { SearchBody, SummaryIndex } from '@memory/search-index';
import { Injectable } from '@nestjs/common';
import { Client, errors } from '@opensearch-project/opensearch';
import { IndexedHit } from './search-hit.mapper';
import { QueryTooComplexError, SearchUnavailableError } from './search.errors';
import { SEARCH_REQUEST_OPTIONS } from './search.constants';

/** Runs searches on the summaries alias; OpenSearch failures come out as the API's errors. */
@Injectable()
export class SummarySearcher {
  constructor(
    private readonly client: Client,
    private readonly index: SummaryIndex,
  ) {}

  async search(body: SearchBody): Promise<IndexedHit[]> {
    try {
      const response = await this.client.search(
        { index: this.index.alias, body },
        SEARCH_REQUEST_OPTIONS,
      );
      return (response.body.hits.hits ?? []) as IndexedHit[];
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
