import type { Server } from 'node:http';
import { ApiKeyIdentity, ApiKeyStore } from '@memory/auth';
import { AuthConfig, loadConfig } from '@memory/config';
import { ReadRecorder } from '@memory/persistence';
import { ArchiveRepository } from '@memory/lifecycle';
import { FUSION_WEIGHTS, ListQuery, SearchBody, SummaryIndex } from '@memory/search-index';
import { SummaryStore } from '@memory/summarization';
import { Global, INestApplication, Logger, Module } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { Client } from '@opensearch-project/opensearch';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { EMBEDDER, SEARCH_SETTINGS } from '../core/tokens';
import { IndexedHit, PassageHit } from './search-hit.mapper';
import { summaryRowFixture } from '../indexing/summary.fixture';
import { SearchApiModule } from './search-api.module';
import { SearchUnavailableError } from './search.errors';
import { SummarySearcher } from './summary.searcher';

const KEYS: Record<string, ApiKeyIdentity> = {
  'mk_search-a': { keyId: 'key-a', tenantId: 'tenant-a', scopes: ['search'] },
  'mk_search-b': { keyId: 'key-b', tenantId: 'tenant-b', scopes: ['search'] },
  'mk_ingest-a': { keyId: 'key-i', tenantId: 'tenant-a', scopes: ['ingest'] },
};

@Global()
@Module({
  providers: [
    {
      provide: SEARCH_SETTINGS,
      useValue: { knnEfSearch: 600, importanceBoost: 0.1 },
    },
    {
      provide: AuthConfig,
      useValue: loadConfig('search', {
        SEARCH_RATE_LIMIT_PER_SECOND: '1',
        SEARCH_RATE_LIMIT_BURST: '3',
      }).auth,
    },
    { provide: EMBEDDER, useValue: { embed: () => Promise.resolve([[1, 0, 0]]) } },
    { provide: SummaryIndex, useValue: {} },
    { provide: Client, useValue: {} },
    { provide: DataSource, useValue: {} },
  ],
  exports: [SEARCH_SETTINGS, AuthConfig, EMBEDDER, SummaryIndex, Client, DataSource],
})
class FakeCoreModule {}

const summaryRow = summaryRowFixture;

async function setup() {
  const bodies: SearchBody[] = [];
  const search = jest.fn((body: SearchBody): Promise<IndexedHit[]> => {
    bodies.push(body);
    return Promise.resolve([
      {
        _id: 'tenant-a/conv-1',
        _score: 2.5,
        _source: { conversationId: 'conv-1', text: '<b>hi</b>', tier: 'full' },
      },
    ]);
  });
  const searchPassages = jest.fn((body: SearchBody): Promise<PassageHit[]> => {
    bodies.push(body);
    return Promise.resolve([]);
  });
  const searcher = {
    search,
    searchPassages,
    topPassages: jest.fn(() => Promise.resolve(new Map<string, PassageHit[]>())),
    list: jest.fn((query: ListQuery) =>
      query.target === 'summaries' ? search(query.body) : searchPassages(query.body),
    ),
    many: jest.fn((queries: readonly ListQuery[]) =>
      Promise.all(
        queries.map(async (query) => ({
          hits:
            query.target === 'summaries'
              ? await search(query.body)
              : await searchPassages(query.body),
        })),
      ),
    ),
  };
  const rows = [summaryRow('tenant-a', 'conv-1', 2), summaryRow('tenant-a', 'conv-new', 0)];
  const load = jest.fn((tenantId: string, conversationId: string) =>
    Promise.resolve(
      rows.find((row) => row.tenantId === tenantId && row.conversationId === conversationId),
    ),
  );
  const record = jest.fn((_tenantId: string, _conversationId: string) => Promise.resolve());
  const moduleRef = await Test.createTestingModule({ imports: [FakeCoreModule, SearchApiModule] })
    .overrideProvider(ApiKeyStore)
    .useValue({ verify: (key: string) => Promise.resolve(KEYS[key] ?? null) })
    .overrideProvider(SummarySearcher)
    .useValue(searcher)
    .overrideProvider(SummaryStore)
    .useValue({ load })
    .overrideProvider(ArchiveRepository)
    .useValue({ archivedAmong: () => Promise.resolve(new Set<string>()) })
    .overrideProvider(ReadRecorder)
    // The real fire-and-forget counting over a stub of the database write.
    .useValue(Object.assign(Object.create(ReadRecorder.prototype) as ReadRecorder, { record }))
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return {
    app,
    searcher,
    load,
    record,
    bodies,
    http: () => request(app.getHttpServer() as Server),
  };
}

describe(SearchApiModule.name, () => {
  let app: INestApplication | undefined;
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('searches in the key’s tenant', async () => {
    const context = await setup();
    app = context.app;
    const response = await context
      .http()
      .post('/v1/search')
      .set('Authorization', 'Bearer mk_search-a')
      .send({ query: 'hi', mode: 'keyword' })
      .expect(200);
    expect(response.body).toMatchObject({
      mode: 'keyword',
      // Normalized 1 in the summary BM25 list, absent from the (empty) passage list.
      results: [
        {
          conversationId: 'conv-1',
          score:
            FUSION_WEIGHTS.summaryKeyword /
            (FUSION_WEIGHTS.summaryKeyword + FUSION_WEIGHTS.passageKeyword),
          snippet: '&lt;b&gt;hi&lt;&#x2F;b&gt;',
        },
      ],
    });
    expect(context.bodies[0]?.query?.bool?.filter).toEqual([{ term: { tenantId: 'tenant-a' } }]);
    expect(context.record).not.toHaveBeenCalled();
  });

  it('answers 401 without a key and 403 without the search scope, each with a code', async () => {
    const context = await setup();
    app = context.app;
    const missing = await context.http().post('/v1/search').send({ query: 'x' }).expect(401);
    expect(missing.body).toMatchObject({ code: 'API_KEY_MISSING' });
    const unknown = await context
      .http()
      .post('/v1/search')
      .set('Authorization', 'Bearer mk_nobody')
      .send({ query: 'x' })
      .expect(401);
    expect(unknown.body).toEqual({
      message: 'unknown or revoked API key',
      code: 'API_KEY_INVALID',
    });
    const forbidden = await context
      .http()
      .post('/v1/search')
      .set('X-API-Key', 'mk_ingest-a')
      .send({ query: 'x' })
      .expect(403);
    expect(forbidden.body).toMatchObject({ code: 'API_KEY_SCOPE_MISSING' });
    await context.http().get('/v1/conversations/conv-1/summary').expect(401);
  });

  it('answers 400 with field errors, a tenantId in the body included', async () => {
    const context = await setup();
    app = context.app;
    const response = await context
      .http()
      .post('/v1/search')
      .set('Authorization', 'Bearer mk_search-a')
      .send({ query: 'x', tenantId: 'tenant-b', k: 500 })
      .expect(400);
    expect(response.body).toEqual({
      message: 'invalid search request',
      errors: expect.arrayContaining([
        expect.objectContaining({ field: 'tenantId', code: 'UNKNOWN_FIELD' }),
      ]),
    });
    expect(context.searcher.search).not.toHaveBeenCalled();
  });

  it('answers 503 with a message only when OpenSearch or Postgres fails, 500 without a stack otherwise', async () => {
    const context = await setup();
    app = context.app;
    context.searcher.search.mockRejectedValueOnce(
      new SearchUnavailableError('opensearch', new Error('connect ECONNREFUSED 10.0.0.7:9200')),
    );
    const unavailable = await context
      .http()
      .post('/v1/search')
      .set('Authorization', 'Bearer mk_search-a')
      .send({ query: 'x', mode: 'keyword' })
      .expect(503);
    expect(unavailable.body).toEqual({ message: 'search is unavailable, try again' });

    context.searcher.search.mockRejectedValueOnce(new TypeError('secret internals at line 42'));
    const failed = await context
      .http()
      .post('/v1/search')
      .set('Authorization', 'Bearer mk_search-b')
      .send({ query: 'x', mode: 'keyword' })
      .expect(500);
    expect(failed.body).toEqual({ statusCode: 500, message: 'Internal server error' });

    context.load.mockRejectedValueOnce(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const down = await context
      .http()
      .get('/v1/conversations/conv-1/summary')
      .set('Authorization', 'Bearer mk_search-a')
      .expect(503);
    expect(down.body).toEqual({ message: 'summaries are unavailable, try again' });
  });

  it('limits each key to its burst, then 429 with Retry-After', async () => {
    const context = await setup();
    app = context.app;
    const search = (key: string) =>
      context
        .http()
        .post('/v1/search')
        .set('Authorization', `Bearer ${key}`)
        .send({ query: 'x', mode: 'keyword' });
    for (let i = 0; i < 2; i++) await search('mk_search-a').expect(200);
    await context
      .http()
      .get('/v1/conversations/conv-1/summary')
      .set('Authorization', 'Bearer mk_search-a')
      .expect(200);
    const refused = await search('mk_search-a').expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toEqual({
      message: expect.stringContaining('too many requests'),
      code: 'RATE_LIMITED',
      retryAfterSeconds: 1,
    });
    await search('mk_search-b').expect(200);
  });

  it('serves the current summary of the key’s tenant, 404 otherwise', async () => {
    const context = await setup();
    app = context.app;
    const found = await context
      .http()
      .get('/v1/conversations/conv-1/summary')
      .set('Authorization', 'Bearer mk_search-a')
      .expect(200);
    expect(found.body).toMatchObject({
      schema: 'memory.summary.v1',
      conversationId: 'conv-1',
      version: 2,
      throughSeq: 8,
      tier: 'full',
      text: 'The user moved the appointment.',
      sections: { context: '', keyPoints: [] },
      stats: { messageCount: 8, lastMessageAt: '2026-05-01T10:04:00.000Z' },
    });
    for (const [key, conversation] of [
      ['mk_search-b', 'conv-1'],
      ['mk_search-a', 'conv-new'],
      ['mk_search-a', 'unknown'],
    ] as const) {
      const missing = await context
        .http()
        .get(`/v1/conversations/${conversation}/summary`)
        .set('Authorization', `Bearer ${key}`)
        .expect(404);
      expect(missing.body).toEqual({ message: `no summary of conversation "${conversation}"` });
    }
    expect(context.record.mock.calls).toEqual([['tenant-a', 'conv-1']]);
  });

  it('still serves the summary when the read cannot be counted', async () => {
    const context = await setup();
    app = context.app;
    context.record.mockRejectedValueOnce(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const found = await context
      .http()
      .get('/v1/conversations/conv-1/summary')
      .set('Authorization', 'Bearer mk_search-a')
      .expect(200);
    expect(found.body).toMatchObject({ conversationId: 'conv-1', version: 2 });
    expect(context.record).toHaveBeenCalledTimes(1);
  });

  it('answers a context request in the key’s tenant, the live summary first, within the budget', async () => {
    const context = await setup();
    app = context.app;
    const response = await context
      .http()
      .post('/v1/context')
      .set('Authorization', 'Bearer mk_search-a')
      .send({ query: 'hi', conversationId: 'conv-1', tokenBudget: 150 })
      .expect(200);
    const body = response.body as {
      budget: number;
      tokens: number;
      items: unknown[];
      text: string;
    };
    expect(body.budget).toBe(150);
    expect(body.tokens).toBeLessThanOrEqual(150);
    expect(body.items[0]).toMatchObject({ kind: 'summary', conversationId: 'conv-1', seqFrom: 1 });
    expect(body.text.startsWith('[conv-1#1-')).toBe(true);
    expect(context.load).toHaveBeenCalledWith('tenant-a', 'conv-1');
    for (const sent of context.bodies)
      expect(JSON.stringify(sent)).toContain('{"term":{"tenantId":"tenant-a"}}');

    await context.http().post('/v1/context').send({ query: 'x' }).expect(401);
    const invalid = await context
      .http()
      .post('/v1/context')
      .set('Authorization', 'Bearer mk_search-a')
      .send({ query: 'x', tokenBudget: 50, tenantId: 'tenant-b', conversationId: 'a b' })
      .expect(400);
    expect(invalid.body).toMatchObject({ message: 'invalid context request' });
    expect(
      (invalid.body as { errors: Array<{ field: string; code: string }> }).errors
        .map((error) => `${error.field} ${error.code}`)
        .sort(),
    ).toEqual([
      'conversationId INVALID_IDENTIFIER',
      'tenantId UNKNOWN_FIELD',
      'tokenBudget TOO_SMALL',
    ]);

    context.searcher.search.mockRejectedValueOnce(new SearchUnavailableError('opensearch', 'down'));
    const down = await context
      .http()
      .post('/v1/context')
      .set('Authorization', 'Bearer mk_search-b')
      .send({ query: 'x' })
      .expect(503);
    expect(down.body).toEqual({ message: 'context is unavailable, try again' });
  });

  it('documents the endpoints with their answers', async () => {
    const context = await setup();
    app = context.app;
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder().addBearerAuth().build(),
    );
    const search = document.paths['/v1/search']?.post;
    const summary = document.paths['/v1/conversations/{conversationId}/summary']?.get;
    const contextRoute = document.paths['/v1/context']?.post;
    expect(Object.keys(search?.responses ?? {}).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '413',
      '429',
      '503',
    ]);
    expect(Object.keys(summary?.responses ?? {}).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '429',
      '503',
    ]);
    expect(Object.keys(contextRoute?.responses ?? {}).sort()).toEqual(
      Object.keys(search?.responses ?? {}).sort(),
    );
    expect(search?.security).toEqual([{ bearer: [] }]);
    expect(contextRoute?.security).toEqual([{ bearer: [] }]);
    expect(JSON.stringify(search?.requestBody)).toContain('"additionalProperties":false');
    expect(JSON.stringify(contextRoute?.requestBody)).toContain('"additionalProperties":false');
    expect(JSON.stringify(contextRoute?.responses['200'])).toContain('[conv-42#3-6]');
  });
});
