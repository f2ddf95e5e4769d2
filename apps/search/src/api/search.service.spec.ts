import { EmbeddingBackend } from '@memory/embeddings';
import { Logger } from '@nestjs/common';
import { SearchBody } from '@memory/search-index';
import { decodeCursor, queryHash } from './search-cursor';
import { IndexedHit } from './search-hit.mapper';
import { QueryTooComplexError, SearchUnavailableError } from './search.errors';
import { SearchMetrics } from './search.metrics';
import { SearchService } from './search.service';
import { SummarySearcher } from './summary.searcher';

type Kind = 'keyword' | 'semantic' | 'hydrate';

function kindOf(body: SearchBody): Kind {
  const must = body.query?.bool?.must as Array<Record<string, unknown>> | undefined;
  if (!must) return 'hydrate';
  return must[0] && 'knn' in must[0] ? 'semantic' : 'keyword';
}

function hit(id: string, score = 1): IndexedHit {
  const conversationId = id.split('/')[1] ?? id;
  return {
    _id: id,
    _score: score,
    _source: {
      conversationId,
      userId: 'user-7',
      tier: 'full',
      text: `summary of ${conversationId}`,
      context: '',
      keyPoints: ['one', 'two', 'three', 'four'],
      firstMessageAt: '2026-05-01T10:00:00.000Z',
      lastMessageAt: '2026-05-01T11:00:00.000Z',
      messageCount: 4,
      throughSeq: 4,
      summaryUpdatedAt: '2026-05-01T11:00:01.000Z',
      indexedAt: '2026-05-01T11:00:02.000Z',
      version: 3,
    },
  };
}

function setup(rankings: { keyword?: string[]; semantic?: string[] } = {}) {
  const bodies: Array<{ kind: Kind; body: SearchBody }> = [];
  const searcher = {
    search: jest.fn((body: SearchBody): Promise<IndexedHit[]> => {
      const kind = kindOf(body);
      bodies.push({ kind, body });
      if (kind === 'hydrate') {
        const ids = (body.query?.bool?.filter as Array<{ ids?: { values: string[] } }>).find(
          (filter) => filter.ids,
        )?.ids?.values;
        // OpenSearch returns them in its own order.
        return Promise.resolve([...(ids ?? [])].reverse().map((id) => hit(id, 0)));
      }
      const ids = (kind === 'keyword' ? rankings.keyword : rankings.semantic) ?? [];
      const from = body.from ?? 0;
      return Promise.resolve(
        ids.slice(from, from + (body.size ?? 10)).map((id, index) => hit(id, 10 - index)),
      );
    }),
  };
  const embedder = {
    embed: jest.fn(() => Promise.resolve([[0.1, 0.2, 0.3]])),
  };
  const metrics = { request: jest.fn() };
  const service = new SearchService(
    searcher as unknown as SummarySearcher,
    embedder as unknown as EmbeddingBackend,
    metrics as unknown as SearchMetrics,
    { knnEfSearch: 600 },
  );
  return { service, searcher, embedder, metrics, bodies };
}

const ids = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `t/${prefix}${index}`);

describe(SearchService.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('runs a keyword search for the tenant and pages with a cursor', async () => {
    const { service, bodies, embedder, metrics } = setup({ keyword: ids('k', 25) });
    const first = await service.search('t', { query: 'dentist', mode: 'keyword', k: 10 });
    if (!first.ok) throw new Error('expected results');
    expect(first.response.results.map((result) => result.conversationId)).toEqual(
      ids('k', 10).map((id) => id.slice(2)),
    );
    expect(first.response.results[0]).toMatchObject({
      score: 10,
      snippet: 'summary of k0',
      summary: { keyPoints: ['one', 'two', 'three'] },
      freshness: { throughSeq: 4, indexedAt: '2026-05-01T11:00:02.000Z' },
    });
    expect(bodies[0]?.body.query?.bool?.filter).toEqual([{ term: { tenantId: 't' } }]);
    expect(bodies[0]?.body).toMatchObject({ from: 0, size: 11 });
    expect(embedder.embed).not.toHaveBeenCalled();
    expect(metrics.request).toHaveBeenCalledWith('keyword', 'ok', expect.any(Number));

    const cursor = first.response.nextCursor ?? '';
    const second = await service.search('t', { query: 'dentist', mode: 'keyword', k: 10, cursor });
    const third = second.ok
      ? await service.search('t', {
          query: 'dentist',
          mode: 'keyword',
          k: 10,
          cursor: second.response.nextCursor,
        })
      : second;
    if (!third.ok) throw new Error('expected results');
    expect(bodies[2]?.body).toMatchObject({ from: 20, size: 11 });
    expect(third.response.results).toHaveLength(5);
    expect(third.response.nextCursor).toBeUndefined();
  });

  it('embeds the query as a query for a semantic search', async () => {
    const { service, embedder, bodies } = setup({ semantic: ids('s', 3) });
    const outcome = await service.search('t', { query: 'dentist', mode: 'semantic' });
    expect(embedder.embed).toHaveBeenCalledWith(['dentist'], 'query');
    expect(bodies.map((entry) => entry.kind)).toEqual(['semantic']);
    expect(outcome).toMatchObject({ ok: true, response: { mode: 'semantic' } });
    if (outcome.ok) expect(outcome.response.nextCursor).toBeUndefined();
  });

  it('fuses both rankings by their normalized scores and fetches the page in fused order', async () => {
    const { service, bodies } = setup({
      keyword: ['t/a', 't/b', 't/c'],
      semantic: ['t/c', 't/d', 't/a'],
    });
    const outcome = await service.search('t', { query: 'dentist', k: 2 });
    if (!outcome.ok) throw new Error('expected results');
    // Scores 10, 9, 8 normalize to 1, 0.5, 0: a (1 + 0) / 2, c (0 + 1) / 2 (tie, both ranked
    // first once: a first by id), b 0.5 / 2, d 0.5 / 2.
    expect(outcome.response.results.map((result) => result.conversationId)).toEqual(['a', 'c']);
    expect(outcome.response.results[0]?.score).toBeCloseTo(0.5, 12);
    expect(bodies.map((entry) => entry.kind).sort()).toEqual(['hydrate', 'keyword', 'semantic']);
    for (const { body } of bodies)
      expect(body.query?.bool?.filter).toContainEqual({ term: { tenantId: 't' } });
    const cursor = outcome.response.nextCursor ?? '';
    expect(
      decodeCursor(cursor, {
        mode: 'hybrid',
        queryHash: queryHash({ query: 'dentist', mode: 'hybrid', k: 2 }),
      }),
    ).toEqual({ ok: true, offset: 2 });

    const next = await service.search('t', { query: 'dentist', k: 2, cursor });
    if (!next.ok) throw new Error('expected results');
    expect(next.response.results.map((result) => result.conversationId)).toEqual(['b', 'd']);
    expect(next.response.nextCursor).toBeUndefined();
  });

  it('answers an empty page without fetching documents', async () => {
    const { service, bodies } = setup();
    expect(await service.search('t', { query: 'nothing' })).toEqual({
      ok: true,
      response: { mode: 'hybrid', results: [] },
    });
    expect(bodies.map((entry) => entry.kind)).not.toContain('hydrate');
  });

  it('returns field errors and counts an invalid request', async () => {
    const { service, metrics, searcher } = setup();
    const outcome = await service.search('t', { query: 'x', tenantId: 'other' });
    expect(outcome).toMatchObject({ ok: false, errors: [{ field: 'tenantId' }] });
    expect(searcher.search).not.toHaveBeenCalled();
    expect(metrics.request).toHaveBeenCalledWith('hybrid', 'invalid');
  });

  it('turns a query OpenSearch finds too large into a field error', async () => {
    const { service, searcher } = setup();
    searcher.search.mockRejectedValueOnce(new QueryTooComplexError());
    expect(await service.search('t', { query: 'x', mode: 'keyword' })).toMatchObject({
      ok: false,
      errors: [{ field: 'query', code: 'QUERY_TOO_COMPLEX' }],
    });
  });

  it('reports an unavailable embedding model or index as such', async () => {
    const { service, embedder, searcher, metrics } = setup();
    embedder.embed.mockRejectedValueOnce(new Error('onnx died'));
    await expect(service.search('t', { query: 'x', mode: 'semantic' })).rejects.toBeInstanceOf(
      SearchUnavailableError,
    );
    searcher.search.mockRejectedValueOnce(new SearchUnavailableError('opensearch', 'down'));
    await expect(service.search('t', { query: 'x', mode: 'keyword' })).rejects.toBeInstanceOf(
      SearchUnavailableError,
    );
    expect(metrics.request).toHaveBeenCalledWith('semantic', 'unavailable', expect.any(Number));
  });
});
