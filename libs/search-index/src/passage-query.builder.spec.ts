import { passageList } from './conversation-query.builder';
import {
  PASSAGE_CANDIDATES,
  PASSAGE_LIST_FIELDS,
  passageHydrateBody,
  passageKeywordBody,
  passageScopeFilters,
  passageSemanticBody,
  passageTopUpBody,
} from './passage-query.builder';

const HOSTILE = 'tenantId:* OR (userId:x) AND text:/.*/ \\" }{ "query_string" *';

/** Every key of a body, at any depth: the query types it uses among them. */
function keys(value: unknown): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [key, ...keys(child)]);
}

describe(passageScopeFilters.name, () => {
  it('filters by tenant always, user on userIds and dates on lastAt', () => {
    expect(passageScopeFilters({ tenantId: 't' })).toEqual([{ term: { tenantId: 't' } }]);
    expect(
      passageScopeFilters({ tenantId: 't', userId: 'u', from: '2026-05-01', to: '2026-05-02' }),
    ).toEqual([
      { term: { tenantId: 't' } },
      { term: { userIds: 'u' } },
      { range: { lastAt: { gte: '2026-05-01', lte: '2026-05-02' } } },
    ]);
    expect(() => passageScopeFilters({ tenantId: '' })).toThrow('tenant');
  });
});

describe('passage list bodies', () => {
  it('ranks passage BM25 to the candidate depth, the text only ever as text to analyze', () => {
    const body = passageKeywordBody({ tenantId: 't' }, HOSTILE);
    expect(body).toMatchObject({ from: 0, size: PASSAGE_CANDIDATES, track_total_hits: false });
    expect(body.query?.bool?.must).toEqual([{ match: { text: { query: HOSTILE } } }]);
    expect(body.query?.bool?.filter).toEqual([{ term: { tenantId: 't' } }]);
    expect(keys(body)).not.toContain('query_string');
  });

  it('reads a list from doc values, never loading the passages (and their vectors)', () => {
    for (const body of [
      passageKeywordBody({ tenantId: 't' }, 'rent'),
      passageSemanticBody({ tenantId: 't' }, [0.1, 0.2]),
    ]) {
      expect(body._source).toBe(false);
      expect(body.docvalue_fields).toEqual([...PASSAGE_LIST_FIELDS]);
    }
    expect(
      passageList([
        { _id: 't/c/1', _score: 2, fields: { conversationId: ['c'], embedded: [true] } },
        { _id: 't/d/3', _score: 1, _source: { conversationId: 'd' } },
        { _id: 't/e/5', _score: 1 },
      ]),
    ).toEqual([
      { id: 't/c/1', conversationId: 'c', score: 2 },
      { id: 't/d/3', conversationId: 'd', score: 1 },
    ]);
  });

  it('filters the k-NN walk itself by the scope', () => {
    const body = passageSemanticBody({ tenantId: 't', userId: 'u' }, [0.1, 0.2], 50, 600);
    const knn = (
      body.query?.bool?.must as Array<{ knn: { embedding: Record<string, unknown> } }>
    )[0]?.knn.embedding;
    expect(knn).toMatchObject({
      vector: [0.1, 0.2],
      k: 50,
      filter: { bool: { filter: [{ term: { tenantId: 't' } }, { term: { userIds: 'u' } }] } },
      method_parameters: { ef_search: 600 },
    });
    expect(body.query?.bool?.filter).toContainEqual({ term: { tenantId: 't' } });
  });

  it('hydrates ids within the scope with HTML-encoded highlights', () => {
    const body = passageHydrateBody({ tenantId: 't' }, ['t/c/1'], 'dentist');
    expect(body.query?.bool?.filter).toEqual([
      { term: { tenantId: 't' } },
      { ids: { values: ['t/c/1'] } },
    ]);
    expect(body.highlight).toMatchObject({ encoder: 'html', pre_tags: ['<em>'] });
  });

  it('tops up per conversation with top hits, best match then earliest', () => {
    const body = passageTopUpBody({ tenantId: 't' }, ['a', 'b'], 'dentist', 3);
    expect(body.size).toBe(0);
    expect(body.query?.bool?.filter).toEqual([
      { term: { tenantId: 't' } },
      { terms: { conversationId: ['a', 'b'] } },
    ]);
    expect(body.aggs).toMatchObject({
      conversations: {
        terms: { field: 'conversationId', size: 2 },
        aggs: {
          best: {
            top_hits: {
              size: 3,
              sort: [{ _score: { order: 'desc' } }, { seqFrom: { order: 'asc' } }],
            },
          },
        },
      },
    });
  });
});
