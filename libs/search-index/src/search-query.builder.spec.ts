import {
  hydrateBody,
  keywordBody,
  keywordText,
  scopeFilters,
  SearchScope,
  semanticBody,
} from './search-query.builder';
import { DEFAULT_KNN_EF_SEARCH } from './search.settings';
import { MAX_KEYWORD_TERMS, MAX_RESULTS } from './search-query.constants';

const SCOPE: SearchScope = { tenantId: 'tenant-a' };
const TENANT_FILTER = { term: { tenantId: 'tenant-a' } };
const HOSTILE = 'tenantId:* OR (userId:x) AND text:/.*/ \\" }{ "query_string" *';

/** Every object in a body, depth first, with its key. */
function* entries(value: unknown, key = ''): Generator<[string, unknown]> {
  yield [key, value];
  if (value && typeof value === 'object')
    for (const [childKey, child] of Object.entries(value)) yield* entries(child, childKey);
}

/** The places user text may go: the `query` of `multi_match` (also the highlight query). */
function textPlaces(body: unknown): string[] {
  return [...entries(body)]
    .filter(([key]) => key === 'multi_match')
    .map(([, value]) => (value as { query: string }).query);
}

/** Every key of a body: the query types it uses among them. */
function queryKeys(body: unknown): string[] {
  return [...entries(body)].map(([key]) => key);
}

describe('search query builders', () => {
  describe(scopeFilters.name, () => {
    it('always starts with the tenant', () => {
      expect(scopeFilters(SCOPE)).toEqual([TENANT_FILTER]);
    });

    it('adds user, tier and an inclusive range on lastMessageAt', () => {
      expect(
        scopeFilters({
          ...SCOPE,
          userId: 'u',
          tier: 'brief',
          from: '2026-05-01',
          to: '2026-05-31',
        }),
      ).toEqual([
        TENANT_FILTER,
        { term: { userId: 'u' } },
        { term: { tier: 'brief' } },
        { range: { lastMessageAt: { gte: '2026-05-01', lte: '2026-05-31' } } },
      ]);
      expect(scopeFilters({ ...SCOPE, to: '2026-05-31' })[1]).toEqual({
        range: { lastMessageAt: { lte: '2026-05-31' } },
      });
    });

    it('refuses to build a query without a tenant', () => {
      expect(() => scopeFilters({ tenantId: '' })).toThrow('tenant');
    });
  });

  describe(keywordBody.name, () => {
    const body = keywordBody({ ...SCOPE, userId: 'u' }, HOSTILE, {
      from: 10,
      size: 11,
      output: 'results',
    });

    it('filters on the tenant in the bool query', () => {
      expect(body.query?.bool?.filter).toEqual([TENANT_FILTER, { term: { userId: 'u' } }]);
    });

    it('adds up the weighted fields that match (most_fields)', () => {
      expect(body.query?.bool?.must).toEqual([
        {
          multi_match: {
            query: HOSTILE,
            type: 'most_fields',
            fields: [
              'text',
              'held.keyPoints^2',
              'held.context^1.5',
              'held.entities^2',
              'held.decisions',
              'held.actionItems',
              'held.openQuestions',
              'held.dates',
              'held.numbers',
            ],
          },
        },
      ]);
    });

    it('puts user text only into multi_match, never into query_string', () => {
      expect(queryKeys(body)).not.toContain('query_string');
      expect(queryKeys(body)).not.toContain('simple_query_string');
      expect(textPlaces(body)).toEqual([HOSTILE, HOSTILE]);
      expect(JSON.stringify(body).split(JSON.stringify(HOSTILE))).toHaveLength(3);
    });

    it('pages, fetches the shown fields without the embedding, and highlights as HTML', () => {
      expect(body).toMatchObject({ from: 10, size: 11, track_total_hits: false });
      expect(body._source).toEqual({ includes: expect.not.arrayContaining(['embedding']) });
      expect(body.highlight).toMatchObject({
        encoder: 'html',
        pre_tags: ['<em>'],
        post_tags: ['</em>'],
        fields: { text: expect.any(Object), keyPoints: expect.any(Object) },
      });
    });

    it('asks only for ids when ranking', () => {
      const ranking = keywordBody(SCOPE, 'x', { from: 0, size: MAX_RESULTS, output: 'ids' });
      expect(ranking._source).toBe(false);
      expect(ranking.highlight).toBeUndefined();
      expect(ranking.size).toBe(MAX_RESULTS);
    });
  });

  describe(semanticBody.name, () => {
    const scope: SearchScope = { ...SCOPE, tier: 'full', from: '2026-05-01' };
    const body = semanticBody(scope, [0.1, 0.2], { from: 0, size: 11, output: 'results' }, HOSTILE);
    const knn = body.query?.bool?.must as Array<{ knn: { embedding: Record<string, unknown> } }>;

    it('filters on the tenant inside the knn clause and in the bool query', () => {
      expect(knn[0]?.knn.embedding.filter).toEqual({ bool: { filter: scopeFilters(scope) } });
      expect(scopeFilters(scope)[0]).toEqual(TENANT_FILTER);
      expect(body.query?.bool?.filter).toEqual(scopeFilters(scope));
    });

    it('takes the full ranking depth as k, whatever the page', () => {
      expect(knn[0]?.knn.embedding).toMatchObject({ vector: [0.1, 0.2], k: MAX_RESULTS });
    });

    it('passes the graph walk its candidate count', () => {
      expect(knn[0]?.knn.embedding.method_parameters).toEqual({
        ef_search: DEFAULT_KNN_EF_SEARCH,
      });
      const wider = semanticBody(SCOPE, [1], { from: 0, size: 1, output: 'ids' }, '', 1000);
      expect(JSON.stringify(wider.query)).toContain('"method_parameters":{"ef_search":1000}');
    });

    it('highlights with the keyword query, the only place user text goes', () => {
      expect(body.highlight?.highlight_query).toEqual({
        multi_match: expect.objectContaining({ query: HOSTILE }),
      });
      expect(queryKeys(body)).not.toContain('query_string');
      expect(textPlaces(body)).toEqual([HOSTILE]);
    });

    it('does not highlight without words', () => {
      expect(semanticBody(SCOPE, [1], { from: 0, size: 1, output: 'results' }, '').highlight).toBe(
        undefined,
      );
    });
  });

  describe(hydrateBody.name, () => {
    it('fetches the ids within the scope, with highlights', () => {
      const body = hydrateBody(SCOPE, ['tenant-a/c1', 'tenant-a/c2'], 'dentist');
      expect(body.query).toEqual({
        bool: { filter: [TENANT_FILTER, { ids: { values: ['tenant-a/c1', 'tenant-a/c2'] } }] },
      });
      expect(body).toMatchObject({ from: 0, size: 2 });
      expect(textPlaces(body)).toEqual(['dentist']);
    });
  });

  describe(keywordText.name, () => {
    it('keeps distinct words in their order, at most the limit', () => {
      expect(keywordText(' Dentist  friday\tdentist\nFRIDAY at 10 ')).toBe('Dentist friday at 10');
    });

    it('leaves out the words that only make it a question', () => {
      expect(keywordText('What did we decide about the car?')).toBe('we decide about the car?');
      expect(keywordText('"When" did Caroline go… Where’s')).toBe('Caroline go… Where’s');
      expect(keywordText('Would John be considered patriotic?')).toBe('John considered patriotic?');
      expect(keywordText('what May have been')).toBe('May');
    });

    it('keeps a query made of question words only as it is', () => {
      expect(keywordText('What is what? How')).toBe('What is what? How');
      const many = Array.from({ length: 300 }, (_, index) => `w${index}`).join(' ');
      expect(keywordText(many).split(' ')).toHaveLength(MAX_KEYWORD_TERMS);
    });
  });
});
