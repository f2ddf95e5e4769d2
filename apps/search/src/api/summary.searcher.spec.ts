import { OpenSearchConfig } from '@memory/config';
import { SummaryIndex } from '@memory/search-index';
import { Client, errors } from '@opensearch-project/opensearch';
import { QueryTooComplexError, SearchUnavailableError } from './search.errors';
import { SEARCH_REQUEST_OPTIONS } from './search.constants';
import { SummarySearcher, topHitsOf } from './summary.searcher';

function responseError(statusCode: number, body: unknown): errors.ResponseError {
  return new errors.ResponseError({
    body,
    statusCode,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

function setup() {
  const client = { search: jest.fn(), msearch: jest.fn() };
  const searcher = new SummarySearcher(
    client as unknown as Client,
    { alias: 'memory-summaries' } as SummaryIndex,
    { indexPrefix: 'memory' } as OpenSearchConfig,
  );
  return { client, searcher };
}

describe(SummarySearcher.name, () => {
  it('searches the alias with short timeouts and returns the hits', async () => {
    const { client, searcher } = setup();
    client.search.mockResolvedValue({ body: { hits: { hits: [{ _id: 't/c' }] } } });
    await expect(searcher.search({ size: 1 })).resolves.toEqual([{ _id: 't/c' }]);
    expect(client.search).toHaveBeenCalledWith(
      { index: 'memory-summaries', body: { size: 1 } },
      SEARCH_REQUEST_OPTIONS,
    );
  });

  it('tells a query with too many clauses (a 500 from OpenSearch 2.19, a 400 from 3.5) from an outage', async () => {
    const { client, searcher } = setup();
    client.search.mockRejectedValueOnce(
      responseError(500, {
        error: {
          root_cause: [{ type: 'too_many_nested_clauses', reason: 'maxClauseCount is 1024' }],
          type: 'search_phase_execution_exception',
        },
        status: 500,
      }),
    );
    await expect(searcher.search({})).rejects.toBeInstanceOf(QueryTooComplexError);
    // 3.5: a 400 whose root cause is a query_shard_exception; too_many_clauses is its cause.
    client.search.mockRejectedValueOnce(
      responseError(400, {
        error: {
          root_cause: [{ type: 'query_shard_exception', reason: 'maxClauseCount is set to 1024' }],
          type: 'search_phase_execution_exception',
          caused_by: {
            type: 'query_shard_exception',
            caused_by: { type: 'too_many_clauses', reason: 'maxClauseCount is set to 1024' },
          },
        },
        status: 400,
      }),
    );
    await expect(searcher.search({})).rejects.toBeInstanceOf(QueryTooComplexError);

    client.search.mockRejectedValueOnce(new errors.ConnectionError('connect ECONNREFUSED'));
    await expect(searcher.search({})).rejects.toBeInstanceOf(SearchUnavailableError);
    client.search.mockRejectedValueOnce(
      responseError(503, { error: { type: 'cluster_block_exception' } }),
    );
    await expect(searcher.search({})).rejects.toBeInstanceOf(SearchUnavailableError);
  });

  it('searches the passages alias, tolerating its absence, and reads top hits per conversation', async () => {
    const { client, searcher } = setup();
    client.search.mockResolvedValueOnce({ body: { hits: { hits: [{ _id: 't/c/1' }] } } });
    await expect(searcher.list({ target: 'passages', body: { size: 1 } })).resolves.toEqual([
      { _id: 't/c/1' },
    ]);
    expect(client.search).toHaveBeenLastCalledWith(
      { index: 'memory-passages', body: { size: 1 }, ignore_unavailable: true },
      SEARCH_REQUEST_OPTIONS,
    );
    const top = topHitsOf({
      conversations: { buckets: [{ key: 'c', best: { hits: { hits: [{ _id: 't/c/3' }] } } }] },
    });
    expect([...top]).toEqual([['c', [{ _id: 't/c/3' }]]]);
    expect([...topHitsOf(undefined)]).toEqual([]);
  });

  it('sends the searches of a step in one _msearch and answers in their order', async () => {
    const { client, searcher } = setup();
    client.msearch.mockResolvedValueOnce({
      body: {
        responses: [
          { hits: { hits: [{ _id: 't/a' }] }, status: 200 },
          {
            hits: { hits: [] },
            aggregations: {
              conversations: { buckets: [{ key: 'c', best: { hits: { hits: [] } } }] },
            },
            status: 200,
          },
        ],
      },
    });
    const answers = await searcher.many([
      { target: 'summaries', body: { size: 1 } },
      { target: 'passages', body: { size: 0 } },
    ]);
    expect(answers).toEqual([
      { hits: [{ _id: 't/a' }] },
      {
        hits: [],
        aggregations: { conversations: { buckets: [{ key: 'c', best: { hits: { hits: [] } } }] } },
      },
    ]);
    expect(client.msearch).toHaveBeenCalledWith(
      {
        body: [
          { index: 'memory-summaries' },
          { size: 1 },
          { index: 'memory-passages', ignore_unavailable: true },
          { size: 0 },
        ],
      },
      SEARCH_REQUEST_OPTIONS,
    );
    await expect(searcher.many([])).resolves.toEqual([]);
    expect(client.msearch).toHaveBeenCalledTimes(1);
  });

  it('fails the whole step when one of its searches fails, telling too many clauses apart', async () => {
    const { client, searcher } = setup();
    const ok = { hits: { hits: [] }, status: 200 };
    client.msearch.mockResolvedValueOnce({
      body: {
        responses: [
          ok,
          {
            error: {
              root_cause: [{ type: 'too_many_clauses' }],
              type: 'search_phase_execution_exception',
            },
            status: 500,
          },
        ],
      },
    });
    const two = [
      { target: 'summaries', body: {} },
      { target: 'passages', body: {} },
    ] as const;
    await expect(searcher.many(two)).rejects.toBeInstanceOf(QueryTooComplexError);
    client.msearch.mockResolvedValueOnce({
      body: { responses: [{ error: { type: 'cluster_block_exception' }, status: 503 }, ok] },
    });
    await expect(searcher.many(two)).rejects.toBeInstanceOf(SearchUnavailableError);
    client.msearch.mockResolvedValueOnce({ body: { responses: [ok] } });
    await expect(searcher.many(two)).rejects.toBeInstanceOf(SearchUnavailableError);
    client.msearch.mockRejectedValueOnce(new errors.ConnectionError('connect ECONNREFUSED'));
    await expect(searcher.many(two)).rejects.toBeInstanceOf(SearchUnavailableError);
  });
});
