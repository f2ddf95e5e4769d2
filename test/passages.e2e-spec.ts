import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '@memory/contracts';
import { defaultModelDir, LocalEmbedder } from '@memory/embeddings';
import { runCli } from './support/cli';
import { eventually } from './support/eventually';
import { committedOffsets, endOffsets, setGroupOffsets } from './support/kafka';
import { SearchHarness } from './support/search-harness';
import { GARDEN, RENT } from './fixtures/conversations/chats';

const OPENSEARCH_URL = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';

interface PassageHit {
  _id: string;
  _version: number;
  _source: {
    conversationId: string;
    window: number;
    messageIds: string[];
    text: string;
    textHash: string;
    embedded: boolean;
  };
}

/*
 * Passages on the real stack: ingest, summarizer and search as processes, retention through
 * the CLI. The passages alias is queried directly (tenant-filtered), not through the HTTP API.
 */
describe('passages', () => {
  const harness = new SearchHarness();
  const alias = `${harness.indexPrefix}-passages`;
  let root = '';
  let embedder: LocalEmbedder;

  // 10 messages make windows 1, 3, 5, 7 and 9.
  const WINDOWS = [1, 3, 5, 7, 9];

  const search = async (body: Record<string, unknown>): Promise<PassageHit[]> => {
    await fetch(`${OPENSEARCH_URL}/${alias}/_refresh`, { method: 'POST' });
    const response = await fetch(`${OPENSEARCH_URL}/${alias}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { hits?: { hits: PassageHit[] } };
    return json.hits?.hits ?? [];
  };
  const ofTenant = (tenantId = harness.tenantId) => ({ term: { tenantId } });
  const keyword = (text: string, tenantId?: string) =>
    search({
      size: 20,
      query: { bool: { filter: [ofTenant(tenantId)], must: [{ match: { text } }] } },
    });
  const passagesOf = (conversationId: string) =>
    search({
      size: 100,
      version: true,
      query: { bool: { filter: [ofTenant(), { term: { conversationId } }] } },
      sort: [{ window: 'asc' }],
    });
  const cli = (args: string[]) =>
    runCli(args, {
      RETENTION_ARCHIVE_ROOT: root,
      // Archive every summarized message (the default keeps the newest 20 in Postgres).
      RETENTION_KEEP_LAST_MESSAGES: '0',
      OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
    });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'memory-passages-'));
    await harness.setUp();
    await harness.start();
    await harness.startSummarizer();
    await harness.startSearch();
    embedder = await LocalEmbedder.load(defaultModelDir(), { batchSize: 4 });
    await harness.say('rent', RENT);
    await harness.say('garden', GARDEN);
  }, 300_000);

  afterAll(async () => {
    await embedder?.close();
    await harness.tearDown();
    await rm(root, { recursive: true, force: true });
  });

  it('finds a message by keyword through its passage as soon as it is stored', async () => {
    const hits = await eventually(async () => {
      const found = await keyword('landlord');
      return found.length > 0 ? found : undefined;
    }, 60_000);
    expect(new Set(hits.map((hit) => hit._source.conversationId))).toEqual(new Set(['rent']));
    expect(hits[0]?._id).toMatch(new RegExp(`^${harness.tenantId}/rent/\\d+$`));
    // Another tenant's filter does not see it.
    expect(await keyword('landlord', `${harness.tenantId}-other`)).toEqual([]);
    const all = await eventually(async () => {
      const found = await passagesOf('rent');
      return found.length === WINDOWS.length ? found : undefined;
    }, 60_000);
    expect(all.map((hit) => hit._source.window)).toEqual(WINDOWS);
    expect(all[1]?._source.messageIds).toEqual(['rent-m3', 'rent-m4', 'rent-m5', 'rent-m6']);
  }, 120_000);

  it('finds a passage by a paraphrase once it is embedded', async () => {
    await eventually(async () => {
      const found = [...(await passagesOf('rent')), ...(await passagesOf('garden'))];
      return found.length === 2 * WINDOWS.length && found.every((hit) => hit._source.embedded)
        ? true
        : undefined;
    }, 120_000);
    const [vector] = await embedder.embed(['my housing costs are increasing'], 'query');
    const hits = await search({
      size: 3,
      query: { knn: { embedding: { vector, k: 10, filter: ofTenant() } } },
    });
    expect(hits[0]?._source.conversationId).toBe('rent');
  }, 180_000);

  it('neither duplicates passages nor drops their vectors on a replay of memory.messages.v1', async () => {
    const before = [...(await passagesOf('rent')), ...(await passagesOf('garden'))];
    const group = `${harness.groupPrefix}.search-passages`;
    await harness.search.stop();
    await setGroupOffsets(harness.kafka, group, TOPICS.memoryMessages, harness.publishedFrom);
    await harness.startSearch();
    const ends = await endOffsets(harness.kafka, TOPICS.memoryMessages);
    await eventually(async () => {
      const committed = await committedOffsets(harness.kafka, group, TOPICS.memoryMessages);
      return ends.every(
        ({ partition, offset }) => BigInt(committed.get(partition) ?? '-1') >= BigInt(offset),
      )
        ? true
        : undefined;
    }, 60_000);
    const after = [...(await passagesOf('rent')), ...(await passagesOf('garden'))];
    // The same versions: not one passage was written again (its vector dropped and refilled).
    const state = (hits: PassageHit[]) =>
      hits.map((hit) => [hit._id, hit._version, hit._source.textHash, hit._source.embedded]);
    expect(state(after)).toEqual(state(before));
    expect(after.every((hit) => hit._source.embedded)).toBe(true);
  }, 180_000);

  it('removes the passages of an archived conversation and brings them back on restore', async () => {
    await harness.waitForSummary('rent', (summary) => summary.throughSeq >= 10, 120_000);
    const asOf = new Date(Date.now() + 3 * 365 * 24 * 3_600_000).toISOString();
    const archived = cli(['archive', '--tenant', harness.tenantId, '--as-of', asOf]);
    expect(archived.code).toBe(0);
    await eventually(
      async () => ((await passagesOf('rent')).length === 0 ? true : undefined),
      60_000,
    );
    expect(await keyword('landlord')).toEqual([]);

    const restored = cli(['restore', '--tenant', harness.tenantId, '--conversation', 'rent']);
    expect(restored.code).toBe(0);
    const back = await eventually(async () => {
      const found = await passagesOf('rent');
      return found.length === WINDOWS.length ? found : undefined;
    }, 60_000);
    expect(back.map((hit) => hit._source.window)).toEqual(WINDOWS);
    expect((await keyword('landlord')).length).toBeGreaterThan(0);
  }, 240_000);

  it('rebuilds the passages on search reindex, and the filler gives them vectors again', async () => {
    const reindexed = cli(['search', 'reindex']);
    expect(reindexed.code).toBe(0);
    const report = reindexed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { alias: string; passages?: number });
    expect(report.find((line) => line.alias === alias)?.passages).toBe(WINDOWS.length);
    await eventually(async () => {
      const found = await passagesOf('rent');
      return found.length === WINDOWS.length && found.every((hit) => hit._source.embedded)
        ? true
        : undefined;
    }, 120_000);
  }, 240_000);

  it('leaves no passage of an erased conversation', async () => {
    expect((await passagesOf('rent')).length).toBeGreaterThan(0);
    const erased = cli(['erase', '--tenant', harness.tenantId, '--conversation', 'rent', '--yes']);
    expect(erased.code).toBe(0);
    // Gone when erase returns, and still gone once search has read the `erased` event.
    expect(await passagesOf('rent')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await passagesOf('rent')).toEqual([]);
    expect(await keyword('landlord')).toEqual([]);
  }, 120_000);
});
