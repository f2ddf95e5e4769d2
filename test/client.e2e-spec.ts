import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChatMessageInput,
  chatMessageRecord,
  MemoryApiError,
  MemoryClient,
  StoredMessage,
} from '@memory/client';
import { eventually } from './support/eventually';
import { GARDEN, RENT } from './fixtures/conversations/chats';
import { SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';

/*
 * libs/client against the real services: ingest over HTTP, Kafka records made by its helper,
 * search, context, summaries and their versions, messages (from Postgres and from the archive),
 * the profile, pins, and the admin operations (compress, retention, archives, restore, erase).
 */
describe('client', () => {
  const harness = new SearchHarness();
  const otherTenant = `${harness.tenantId}-b`;
  let root = '';
  let retention: ServiceProcess;
  let compressor: ServiceProcess;
  let memory: MemoryClient;
  let admin: MemoryClient;
  let other: MemoryClient;

  const message = (conversationId: string, n: number, content: string): ChatMessageInput => ({
    messageId: `${conversationId}-m${n}`,
    conversationId,
    userId: 'user-1',
    role: n % 2 === 1 ? 'user' : 'assistant',
    content,
    createdAt: new Date(Date.parse('2026-03-01T10:00:00Z') + n * 60_000).toISOString(),
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'memory-client-archive-'));
    await harness.setUp();
    await harness.start({ RETENTION_ARCHIVE_ROOT: root });
    await harness.startSummarizer({ SUMMARY_PROFILE_INTERVAL_MS: '1000' });
    await harness.startSearch();
    retention = new ServiceProcess('retention', {
      KAFKA_GROUP_PREFIX: harness.groupPrefix,
      OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
      RETENTION_ARCHIVE_ROOT: root,
      RETENTION_KEEP_LAST_MESSAGES: '0',
      RETENTION_INTERVAL_MS: '3600000',
    }).start();
    compressor = new ServiceProcess('compressor', {
      KAFKA_GROUP_PREFIX: harness.groupPrefix,
      COMPRESSOR_INTERVAL_MS: '3600000',
    }).start();
    await retention.waitReady();
    await compressor.waitReady();
    const urls = {
      ingest: harness.ingest.baseUrl,
      search: harness.search.baseUrl,
      retention: retention.baseUrl,
      compressor: compressor.baseUrl,
    };
    memory = new MemoryClient({
      apiKey: harness.createKey(harness.tenantId, 'search,ingest'),
      urls,
    });
    admin = new MemoryClient({ apiKey: harness.createKey(harness.tenantId, 'admin'), urls });
    other = new MemoryClient({ apiKey: harness.createKey(otherTenant, 'search,ingest'), urls });
  }, 300_000);

  afterAll(async () => {
    await retention?.stop('SIGKILL');
    await compressor?.stop('SIGKILL');
    await harness.tearDown();
    await rm(root, { recursive: true, force: true });
  });

  it('ingests over HTTP and through Kafka records of its helper; a repeat is stored once', async () => {
    const rent = RENT.map((content, i) => message('rent', i + 1, content));
    expect(await memory.ingest(rent)).toEqual({
      accepted: RENT.length,
      messageIds: rent.map((m) => m.messageId),
    });
    await memory.ingest(rent.slice(0, 3));
    await harness.produce(
      GARDEN.map((content, i) => {
        const record = chatMessageRecord(harness.tenantId, message('garden', i + 1, content));
        return { key: record.key, value: record.value };
      }),
    );
    expect(await memory.whoami()).toMatchObject({
      tenantId: harness.tenantId,
      scopes: ['search', 'ingest'],
    });
    const stored: StoredMessage[] = [];
    await eventually(async () => {
      stored.length = 0;
      for await (const item of memory.allMessages('rent', { limit: 4 })) stored.push(item);
      return stored.length === RENT.length ? true : undefined;
    });
    expect(stored.map((item) => item.seq)).toEqual(RENT.map((_, i) => i + 1));
    expect(stored.map((item) => item.content)).toEqual(RENT);
    await harness.waitForSummary('rent', (summary) => summary.throughSeq >= RENT.length, 120_000);
    await harness.waitForSummary('garden', (s) => s.throughSeq >= GARDEN.length, 120_000);
  });

  it('searches, pages, builds context and reads summaries, versions and the profile', async () => {
    const found = await eventually(async () => {
      const page = await memory.search({ query: 'landlord rent increase', k: 1, evidence: 2 });
      return page.results[0]?.conversationId === 'rent' && page.nextCursor ? page : undefined;
    }, 60_000);
    expect(found.results[0]?.evidence.length).toBeGreaterThan(0);
    // Vectors may still be landing: the pages slice the ranking the first page kept.
    const all: string[] = [];
    for await (const result of memory.searchAll({ query: 'landlord rent tomato garden', k: 1 }))
      all.push(result.conversationId);
    expect(all.sort()).toEqual(['garden', 'rent']);

    const context = await memory.context({ query: 'rent increase', tokenBudget: 300 });
    expect(context.tokens).toBeLessThanOrEqual(300);
    expect(context.items.some((item) => item.conversationId === 'rent')).toBe(true);

    const summary = await memory.summary('rent');
    expect(summary).toMatchObject({ conversationId: 'rent', tier: 'full', userId: 'user-1' });
    expect(await memory.summary('rent', { view: 'full' })).toMatchObject({
      version: summary.version,
    });
    const versions = await memory.summaryVersions('rent', { limit: 1 });
    expect(versions.items).toHaveLength(1);
    expect(versions.items[0]?.version).toBe(summary.version);

    const profile = await eventually(
      () => memory.profile('user-1').catch(() => undefined),
      60_000,
      500,
    );
    expect(profile.userId).toBe('user-1');
    expect(profile.conversations.sort()).toEqual(['garden', 'rent']);
    expect((await memory.rollups('user-1')).userId).toBe('user-1');
  });

  it('pins, and answers refusals as typed errors with field codes', async () => {
    expect(await memory.pin('garden')).toEqual({ conversationId: 'garden', pinned: true });
    expect(await memory.unpin('garden')).toEqual({ conversationId: 'garden', pinned: false });

    const bad = await memory.search({ query: 'x', k: 1000 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(MemoryApiError);
    expect((bad as MemoryApiError).status).toBe(400);
    expect((bad as MemoryApiError).fieldErrors('k')[0]?.code).toBe('TOO_BIG');

    const badMessage = await memory
      .ingest({ ...message('rent', 99, 'x'), createdAt: 'yesterday' })
      .catch((e: unknown) => e);
    expect((badMessage as MemoryApiError).errors[0]).toMatchObject({
      index: 0,
      field: 'createdAt',
    });

    await expect(other.summary('rent')).rejects.toMatchObject({ status: 404 });
    await expect(memory.admin.compress({ dryRun: true })).rejects.toMatchObject({
      status: 403,
      code: 'API_KEY_SCOPE_MISSING',
    });
    const stranger = new MemoryClient({
      apiKey: `mk_${'q'.repeat(43)}`,
      urls: { search: harness.search.baseUrl },
    });
    await expect(stranger.whoami()).rejects.toMatchObject({
      status: 401,
      code: 'API_KEY_INVALID',
    });
  });

  it('runs the admin operations: compress, retention, archives, restore and erase', async () => {
    expect(await admin.admin.compress({ dryRun: true })).toMatchObject({ dryRun: true });
    const archived = (await admin.admin.retention()) as { archived: number };
    expect(archived.archived).toBe(2);
    const archives = await admin.admin.archives();
    expect(archives.items.map((item) => item.conversationId).sort()).toEqual(['garden', 'rent']);
    expect(archives.next).toBeNull();

    const page = await memory.messages('rent', { limit: 100 });
    expect(page.items.every((item) => item.archived)).toBe(true);
    expect(page.items.map((item) => item.content)).toEqual(RENT);
    expect(page.archive).toMatchObject({ messageCount: RENT.length, firstSeq: 1 });

    const restored = await admin.admin.restore('rent');
    expect(restored).toMatchObject({ restoredMessages: RENT.length, firstSeq: 1 });
    const back = await memory.messages('rent', { limit: 100, archived: 'skip' });
    expect(back.items.map((item) => item.content)).toEqual(RENT);

    await admin.admin.eraseConversation('garden');
    await expect(memory.summary('garden')).rejects.toMatchObject({ status: 404 });
    await expect(memory.messages('garden')).rejects.toMatchObject({ status: 404 });
  });
});
