import { MEMORY_SUMMARY_SCHEMA, renderSummaryText, TOPICS } from '@memory/contracts';
import { runCli } from './support/cli';
import { eventually } from './support/eventually';
import { counter } from './support/metrics';
import { GARDEN, RENT } from './fixtures/conversations/chats';
import { SearchHarness } from './support/search-harness';

const OPENSEARCH_URL = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';

interface SearchResult {
  conversationId: string;
  version: number | null;
  summary: unknown;
  score: number;
  snippet: string;
  matchedBy: string[];
}

/*
 * Search on the real stack: chat messages go in on chat.messages.v1; ingest, summarizer and
 * search run as processes; the local embedding model and OpenSearch k-NN do the rest.
 */
describe('search', () => {
  const harness = new SearchHarness();
  const tenantB = `${harness.tenantId}-b`;
  let keyA = '';
  let keyB = '';

  const search = async (
    body: Record<string, unknown>,
    key = keyA,
  ): Promise<{ status: number; json: { results?: SearchResult[]; errors?: unknown[] } }> => {
    const response = await harness.post('/v1/search', body, key);
    return { status: response.status, json: (await response.json()) as never };
  };
  const ids = (results: SearchResult[] | undefined) => (results ?? []).map((r) => r.conversationId);
  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
    await harness.startSummarizer();
    await harness.startSearch();
    keyA = harness.createKey(harness.tenantId, 'search');
    keyB = harness.createKey(tenantB, 'search');
    await harness.say('rent', RENT);
    await harness.say('garden', GARDEN);
    await harness.produce(
      RENT.map((content, i) =>
        harness.record(
          harness.message('rent-b', `rent-b-m${i + 1}`, content, { tenantId: tenantB }),
        ),
      ),
    );
    // Searchable once the summaries (at message 10) are indexed (a conversation is found by its
    // passages before: its summary fields are null until then) and every summary and passage
    // has its vector.
    const summarized = (results: SearchResult[] | undefined, id: string) =>
      (results ?? []).some((r) => r.conversationId === id && r.version !== null);
    await eventually(async () => {
      const rent = await search({ query: 'landlord', mode: 'keyword' });
      const garden = await search({ query: 'tomato', mode: 'keyword' });
      const other = await search({ query: 'landlord', mode: 'keyword' }, keyB);
      return summarized(rent.json.results, 'rent') &&
        summarized(garden.json.results, 'garden') &&
        summarized(other.json.results, 'rent-b') &&
        (await harness.vectorsFilled())
        ? true
        : undefined;
    }, 120_000);
  });

  afterAll(() => harness.tearDown());

  it('finds a conversation by a paraphrase (semantic) and by an exact keyword', async () => {
    const semantic = await search({
      query: 'housing costs are increasing for a tenant',
      mode: 'semantic',
      k: 2,
    });
    expect(semantic.status).toBe(200);
    expect(ids(semantic.json.results)[0]).toBe('rent');

    const vegetables = await search({
      query: 'growing vegetables in the backyard',
      mode: 'semantic',
      k: 2,
    });
    expect(ids(vegetables.json.results)[0]).toBe('garden');

    const keyword = await search({ query: 'landlord', mode: 'keyword' });
    expect(ids(keyword.json.results)).toEqual(['rent']);
    expect(keyword.json.results?.[0]?.snippet).toMatch(/<em>landlord<\/em>/i);

    const hybrid = await search({ query: 'tomato fertilizer' });
    expect(ids(hybrid.json.results)[0]).toBe('garden');
  });

  it('runs the model once for a query a tenant asks again, and again for another tenant', async () => {
    const vectors = async (outcome: string) =>
      counter(harness.search.baseUrl, 'search_query_vectors_total', `outcome="${outcome}"`);
    const [kept, embedded] = [await vectors('kept'), await vectors('embedded')];
    const query = 'what the landlord wants for the flat next year';
    const first = await search({ query, mode: 'semantic', k: 1 });
    const again = await search({ query, mode: 'hybrid', k: 1 });
    const other = await search({ query, mode: 'semantic', k: 1 }, keyB);
    expect(ids(first.json.results)).toEqual(['rent']);
    expect(ids(again.json.results)).toEqual(['rent']);
    expect(ids(other.json.results)).toEqual(['rent-b']);
    // Kept per tenant: a shared vector would answer tenant B faster for what A asked.
    expect((await vectors('embedded')) - embedded).toBe(2);
    expect((await vectors('kept')) - kept).toBe(1);
  });

  it('pages through the ranking its first page showed while a better match arrives', async () => {
    const found = async (outcome: string) =>
      counter(harness.search.baseUrl, 'search_cursor_rankings_total', `outcome="${outcome}"`);
    const before = await found('found');
    const query = { query: 'quokka zephyr', mode: 'keyword', k: 1 };
    await harness.say('quokka-a', [
      'We saw a quokka on the island trip, it smiled at the camera.',
      'The zephyr kept the ferry late, so we stayed for dinner.',
    ]);
    await harness.say('quokka-b', ['Is the quokka photo from the zephyr cruise or the hike?']);
    await eventually(async () => {
      const both = await search({ ...query, k: 2 });
      return ids(both.json.results).length === 2 ? true : undefined;
    }, 60_000);
    const first = await harness.post('/v1/search', query, keyA);
    const page1 = (await first.json()) as { results: SearchResult[]; nextCursor?: string };
    expect(page1.nextCursor).toBeDefined();

    // A conversation that matches better arrives between the two pages, and is found first.
    await harness.say('quokka-c', [
      'Quokka, quokka, quokka! The zephyr quokka tour sold out.',
      'Zephyr quokka tour tickets: quokka zephyr zephyr.',
    ]);
    await eventually(async () => {
      const fresh = await search(query);
      return ids(fresh.json.results)[0] === 'quokka-c' ? true : undefined;
    }, 60_000);

    // The next page continues the first page's ranking: the other conversation, no repeat.
    const second = await search({ ...query, cursor: page1.nextCursor });
    const shown = [...ids(page1.results), ...ids(second.json.results)];
    expect(shown.sort()).toEqual(['quokka-a', 'quokka-b']);
    expect((await found('found')) - before).toBe(1);
  });

  it('keeps the newest version when updates arrive out of order', async () => {
    const summary = (version: number, context: string) => {
      const sections = {
        context,
        keyPoints: [],
        decisions: [],
        actionItems: [],
        openQuestions: [],
        entities: [],
        dates: [],
        numbers: [],
        mood: null,
      };
      const cost = {
        inputTokens: 0,
        outputTokens: 0,
        inputChars: 1,
        outputChars: 1,
        durationMs: 1,
      };
      return {
        key: `${harness.tenantId}:ooo`,
        value: JSON.stringify({
          schema: MEMORY_SUMMARY_SCHEMA,
          tenantId: harness.tenantId,
          conversationId: 'ooo',
          userId: 'user-1',
          version,
          throughSeq: version * 10,
          tier: 'full',
          text: renderSummaryText(sections),
          sections,
          stats: {
            messageCount: version * 10,
            firstMessageAt: '2026-03-01T10:00:00.000Z',
            lastMessageAt: '2026-03-01T11:00:00.000Z',
            backend: 'local',
            llmPending: false,
            fromSeq: 1,
            cost,
            totalCost: cost,
            updatedAt: new Date().toISOString(),
          },
        }),
      };
    };
    // The indexer indexes only conversations Postgres knows (an erased one's summary replayed
    // from the topic is not); these versions are made by hand, so 'ooo' is known, unsummarized.
    await harness.dataSource.query(
      `INSERT INTO conversation_summaries (tenant_id, conversation_id, user_id) VALUES ($1, 'ooo', 'user-1')`,
      [harness.tenantId],
    );
    const producer = harness.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPICS.memorySummaries,
      messages: [summary(7, 'A zebra migration across the savanna.')],
    });
    await eventually(async () => {
      const { json } = await search({ query: 'zebra', mode: 'keyword' });
      return ids(json.results).includes('ooo') ? true : undefined;
    }, 60_000);
    // Two-phase: the filler writes version 7 again with its vector, still version 7 (an update
    // would raise it to 8 and refuse the real version 8 below as stale).
    const indexed = async () => {
      const response = await fetch(
        `${OPENSEARCH_URL}/${harness.indexPrefix}-summaries/_doc/${encodeURIComponent(`${harness.tenantId}/ooo`)}`,
      );
      const doc = (await response.json()) as {
        _version?: number;
        _source?: { vectorPending?: boolean; embedding?: number[] };
      };
      return {
        version: doc._version,
        pending: doc._source?.vectorPending,
        vector: (doc._source?.embedding ?? []).length > 0,
      };
    };
    await eventually(async () => ((await indexed()).pending === false ? true : undefined), 60_000);
    expect(await indexed()).toEqual({ version: 7, pending: false, vector: true });
    await producer.send({
      topic: TOPICS.memorySummaries,
      messages: [summary(3, 'A penguin colony on the ice.')],
    });
    await producer.send({
      topic: TOPICS.memorySummaries,
      messages: [summary(8, 'A zebra herd at the river crossing.')],
    });
    await producer.disconnect();
    await eventually(async () => {
      const { json } = await search({ query: 'river crossing zebra', mode: 'keyword' });
      return json.results?.find((r) => r.conversationId === 'ooo')?.version === 8
        ? true
        : undefined;
    }, 60_000);
    const penguin = await search({ query: 'penguin', mode: 'keyword' });
    expect(ids(penguin.json.results)).not.toContain('ooo');
    await eventually(async () => ((await indexed()).pending === false ? true : undefined), 60_000);
    expect(await indexed()).toEqual({ version: 8, pending: false, vector: true });
    // Found by meaning once the index shows the vector (its next refresh).
    const found = await eventually(async () => {
      const { json } = await search({ query: 'wild animals crossing a river', mode: 'semantic' });
      return json.results?.find((r) => r.conversationId === 'ooo');
    }, 10_000);
    expect(found.version).toBe(8);
    expect(found.matchedBy).toEqual(['semantic']);
  });

  it("never returns another tenant's conversations, whatever the request says", async () => {
    for (const mode of ['keyword', 'semantic', 'hybrid']) {
      const own = await search({ query: 'landlord rent increase', mode, k: 100 });
      expect(own.status).toBe(200);
      expect(ids(own.json.results)).toContain('rent');
      expect(ids(own.json.results)).not.toContain('rent-b');
      const theirs = await search({ query: 'landlord rent increase', mode, k: 100 }, keyB);
      expect(ids(theirs.json.results)).toEqual(['rent-b']);
    }
    // Naming the other tenant is refused; query syntax is only text.
    const named = await search({ query: 'rent', tenantId: tenantB });
    expect(named.status).toBe(400);
    for (const query of [
      `rent OR tenantId:${tenantB}`,
      '*',
      `tenantId:"${tenantB}"`,
      '{"match_all":{}}',
    ]) {
      for (const mode of ['keyword', 'hybrid']) {
        const injected = await search({ query, mode, k: 100 });
        expect(injected.status).toBe(200);
        expect(ids(injected.json.results)).not.toContain('rent-b');
      }
    }
    // The summary endpoint too: another tenant's conversation does not exist for this key.
    expect((await harness.get('/v1/conversations/rent-b/summary', keyA)).status).toBe(404);
    const mine = await harness.get('/v1/conversations/rent/summary', keyA);
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as { text: string }).text).toMatch(/landlord|rent/i);
  });

  it('answers bad input with field errors', async () => {
    const bad = await search({ query: '', mode: 'fuzzy', k: 1000 });
    expect(bad.status).toBe(400);
    const fields = ((bad.json.errors ?? []) as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['k', 'mode', 'query']);
    expect((await harness.get('/v1/conversations/nope/summary', keyA)).status).toBe(404);
  });

  it('rebuilds the index from Postgres with `search reindex` and moves the alias', async () => {
    const alias = `${harness.indexPrefix}-summaries`;
    const aliasTarget = async (): Promise<string[]> => {
      const response = await fetch(`${OPENSEARCH_URL}/_alias/${alias}`);
      return Object.keys((await response.json()) as object);
    };
    const indices = async (): Promise<string[]> => {
      const response = await fetch(`${OPENSEARCH_URL}/_cat/indices/${alias}-v*?format=json`);
      return ((await response.json()) as Array<{ index: string }>).map((row) => row.index).sort();
    };
    const [before] = await aliasTarget();
    // What a reindex killed before it could clean up leaves behind.
    const stray = `${alias}-v1-20000101000000000`;
    expect((await fetch(`${OPENSEARCH_URL}/${stray}`, { method: 'PUT' })).status).toBe(200);
    // A conversation erased from Postgres whose deletion never reached the index.
    await harness.dataSource.query(
      `DELETE FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = 'garden'`,
      [harness.tenantId],
    );

    const run = runCli(['search', 'reindex', '--batch', '50'], {
      OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
    });
    expect(run.code).toBe(0);
    // One JSON line per rebuilt alias (the summaries', then the passages'): the summaries' here.
    const report = run.stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            alias: string;
            index: string;
            previous: string;
            documents: number;
            strayDropped: string[];
          },
      )
      .find((line) => line.alias === alias) ?? {
      alias,
      index: '',
      previous: '',
      documents: 0,
      strayDropped: [],
    };
    expect(report.previous).toBe(before);
    expect(report.strayDropped).toEqual([stray]);
    // rent and rent-b at least (the shared test database may hold other suites' summaries);
    // not garden, nor 'ooo', which was only ever produced to Kafka.
    expect(report.documents).toBeGreaterThanOrEqual(2);
    expect(await aliasTarget()).toEqual([report.index]);
    expect(await indices()).toEqual([report.index]);
    expect(run.stderr).toMatch(/search reindex: \d+ documents/);

    // Every mode works on the new index (vectors embedded again), without the erased one.
    const semantic = await search({
      query: 'housing costs are increasing for a tenant',
      mode: 'semantic',
      k: 2,
    });
    expect(ids(semantic.json.results)[0]).toBe('rent');
    expect(ids((await search({ query: 'landlord', mode: 'keyword' })).json.results)).toEqual([
      'rent',
    ]);
    // Its passages remain (only the summary row was deleted here; an erase removes both), so it
    // is found by them alone: a result without a summary.
    const tomato = (await search({ query: 'tomato', mode: 'keyword' })).json.results ?? [];
    expect(tomato.filter((r) => r.summary !== null)).toEqual([]);
  });

  it('refuses missing, unknown and revoked keys', async () => {
    expect((await search({ query: 'rent' }, '')).status).toBe(401);
    expect((await search({ query: 'rent' }, 'mk_not-a-real-key')).status).toBe(401);
    const listed = runCli(['api-keys', 'list', '--tenant', tenantB]);
    const id = listed.stdout.split(/\s+/)[0] ?? '';
    expect(runCli(['api-keys', 'revoke', id]).stdout).toContain('revoked');
    // The running process sees the revocation within two seconds (it polls the keys table).
    const refused = await eventually(async () => {
      const { status } = await search({ query: 'rent' }, keyB);
      return status === 401 ? status : undefined;
    }, 10_000);
    expect(refused).toBe(401);
    expect((await search({ query: 'rent' }, keyA)).status).toBe(200);
  });
});
