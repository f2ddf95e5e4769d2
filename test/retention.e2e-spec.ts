import {
  erasedEventSchema,
  ErasedEvent,
  TOMBSTONE_HEADERS,
  TOPICS,
  archivedEventSchema,
  restoredEventSchema,
} from '@memory/contracts';
import { readArchive, subjectHash } from '@memory/lifecycle';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCli } from './support/cli';
import { eventually } from './support/eventually';
import { consumeUntil, endOffsets } from './support/kafka';
import { SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';

const DAY = 86_400_000;

interface StoredMessage {
  message_id: string;
  seq: string;
  user_id: string;
  role: string;
  content: string;
  metadata: unknown;
  created_at: string;
}

/*
 * Retention on the real stack (ingest, summarizer, search and retention as processes; Kafka,
 * OpenSearch, Postgres): the first scheduled pass archives summarized conversations older than
 * 90 days and removes their rows; restore brings them back identical and re-summarizes; a
 * replay stores nothing twice; erase by conversation and by user leaves nothing in Postgres,
 * the index or the archive root.
 */
describe('retention: archive, restore, erase', () => {
  const harness = new SearchHarness();
  let root = '';
  let retention: ServiceProcess;
  let adminKey = '';
  let searchKey = '';
  let lifecycleFrom: Array<{ partition: number; offset: string }> = [];
  let summariesFrom: Array<{ partition: number; offset: string }> = [];
  const before = new Map<string, StoredMessage[]>();

  // conversation -> [age in days, user]
  const CONVERSATIONS: Record<string, [number, string]> = {
    'old-a': [200, 'user-1'],
    'old-b': [120, 'user-1'],
    recent: [10, 'user-1'],
    'erase-me': [150, 'user-2'],
    'gone-1': [5, 'user-gone'],
    'gone-2': [300, 'user-gone'],
  };
  const line = (conversationId: string, i: number): string =>
    `Message ${i} of ${conversationId}: the ${['harbour', 'garden', 'lantern', 'meadow'][i % 4]} ` +
    `plan costs ${100 + i} euros and zq${conversationId.replace(/\W/g, '')}x is its code word.`;

  const messagesOf = (conversationId: string): Promise<StoredMessage[]> =>
    harness.dataSource.query<StoredMessage[]>(
      `SELECT message_id, seq, user_id, role, content, metadata,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created_at
         FROM messages WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY seq`,
      [harness.tenantId, conversationId],
    );

  const produce = async (conversationId: string): Promise<void> => {
    const [days, userId] = CONVERSATIONS[conversationId];
    const now = Date.now();
    await harness.produce(
      Array.from({ length: 10 }, (_, i) =>
        harness.record(
          harness.message(conversationId, `${conversationId}-m${i + 1}`, line(conversationId, i), {
            userId,
            role: i % 2 === 0 ? 'user' : 'assistant',
            metadata: { source: 'e2e', n: i },
            createdAt: new Date(now - days * DAY + i * 60_000).toISOString(),
          }),
        ),
      ),
    );
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'memory-archive-'));
    await harness.setUp();
    // Ingest serves archived messages from the archives retention writes here.
    await harness.start({ RETENTION_ARCHIVE_ROOT: root });
    await harness.startSummarizer();
    await harness.startSearch();
    adminKey = harness.createKey(harness.tenantId, 'admin');
    searchKey = harness.createKey(harness.tenantId, 'search');
    for (const conversationId of Object.keys(CONVERSATIONS)) await produce(conversationId);
    for (const conversationId of Object.keys(CONVERSATIONS))
      await harness.waitForSummary(conversationId, (summary) => summary.throughSeq >= 10, 120_000);
    for (const conversationId of Object.keys(CONVERSATIONS))
      before.set(conversationId, await messagesOf(conversationId));
    lifecycleFrom = await endOffsets(harness.kafka, TOPICS.memoryLifecycle);
    summariesFrom = await endOffsets(harness.kafka, TOPICS.memorySummaries);
    retention = new ServiceProcess('retention', {
      RETENTION_ARCHIVE_ROOT: root,
      // Archive every summarized message (the default keeps the newest 20 in Postgres).
      RETENTION_KEEP_LAST_MESSAGES: '0',
      RETENTION_INTERVAL_MS: '3600000',
      OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
      // Erasures are logged at info: the user's hash must be there, the id must not.
      LOG_LEVEL: 'info',
    });
  }, 300_000);

  afterAll(async () => {
    await retention?.stop('SIGKILL');
    await harness.tearDown();
    await rm(root, { recursive: true, force: true });
  });

  const request = (method: string, path: string, key: string, body?: unknown): Promise<Response> =>
    fetch(`${retention.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('reports in a dry run what the first pass will archive, changing nothing', () => {
    const result = runCli(['archive', '--dry-run', '--tenant', harness.tenantId], {
      RETENTION_ARCHIVE_ROOT: root,
      // Archive every summarized message (the default keeps the newest 20 in Postgres).
      RETENTION_KEEP_LAST_MESSAGES: '0',
      RETENTION_ERASE_AFTER_DAYS: '250',
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      dryRun: boolean;
      archived: number;
      tenants: Record<
        string,
        {
          archive: { conversations: number; messages: number; sample: string[] };
          erase: { sample: string[] };
        }
      >;
    };
    expect(report.dryRun).toBe(true);
    expect(report.archived).toBe(0);
    const tenant = report.tenants[harness.tenantId];
    expect(tenant.archive).toMatchObject({ conversations: 4, messages: 40 });
    expect([...tenant.archive.sample].sort()).toEqual(['erase-me', 'gone-2', 'old-a', 'old-b']);
    // With a maximum age of 250 days, the 300-day-old conversation would be erased.
    expect(tenant.erase.sample).toEqual(['gone-2']);
    expect(result.stderr).toContain('archive (dry run)');
    return messagesOf('old-a').then((rows) => expect(rows).toHaveLength(10));
  });

  it('archives summarized conversations over 90 days old and removes their rows', async () => {
    retention.start();
    await retention.waitReady();
    const old = ['old-a', 'old-b', 'erase-me', 'gone-2'];
    await eventually(async () => {
      const [row] = await harness.dataSource.query<Array<{ count: number }>>(
        `SELECT count(*)::int AS count FROM conversation_archives WHERE tenant_id = $1`,
        [harness.tenantId],
      );
      return row.count === old.length ? true : undefined;
    }, 60_000);
    for (const conversationId of old) expect(await messagesOf(conversationId)).toEqual([]);
    expect(await messagesOf('recent')).toHaveLength(10);
    expect(await messagesOf('gone-1')).toHaveLength(10);

    const [record] = await harness.dataSource.query<
      Array<{
        relative_path: string;
        sha256: string;
        message_count: number;
        first_seq: string;
        last_seq: string;
      }>
    >(
      `SELECT relative_path, sha256, message_count, first_seq, last_seq FROM conversation_archives
        WHERE tenant_id = $1 AND conversation_id = 'old-a'`,
      [harness.tenantId],
    );
    const firstAt = new Date(Date.now() - 200 * DAY);
    const month = String(firstAt.getUTCMonth() + 1).padStart(2, '0');
    // The first message's month, give or take the minutes between producing and now.
    expect(record.relative_path).toMatch(
      new RegExp(`^${harness.tenantId}/\\d{4}/\\d{2}/old-a\\.json\\.gz$`),
    );
    expect(record.relative_path.split('/')[2] === month || firstAt.getUTCDate() === 1).toBe(true);
    expect([record.message_count, Number(record.first_seq), Number(record.last_seq)]).toEqual([
      10, 1, 10,
    ]);
    const archive = await readArchive(root, record.relative_path, { sha256: record.sha256 });
    expect(archive.document.manifest).toMatchObject({
      format: 'memory.archive.v1',
      messageCount: 10,
      firstSeq: 1,
      lastSeq: 10,
      userIds: ['user-1'],
    });
    expect(archive.document.messages.map((m) => m.content)).toEqual(
      before.get('old-a')?.map((m) => m.content),
    );
    // Human-readable: gunzip gives JSON text with one message per line.
    const text = gunzipSync(await readFile(join(root, record.relative_path))).toString('utf8');
    expect(text).toContain(line('old-a', 3));

    const events = await consumeUntil(harness.kafka, TOPICS.memoryLifecycle, {
      from: lifecycleFrom,
      keep: (event) =>
        String(event.value).includes(`"tenantId":"${harness.tenantId}"`) &&
        String(event.value).includes('"type":"archived"'),
      done: (kept) => kept.length >= old.length,
    });
    const archived = events.map((event) =>
      archivedEventSchema.parse(JSON.parse(String(event.value))),
    );
    expect(archived.map((event) => event.conversationId).sort()).toEqual([...old].sort());
    expect(archived.every((event) => event.archivedMessages === 10)).toBe(true);
  }, 120_000);

  it('serves archived messages from the archive, marked archived and identical to it', async () => {
    const ingestKey = harness.createKey(harness.tenantId, 'ingest');
    const get = async (query: string) => {
      const response = await fetch(
        `${harness.ingest.baseUrl}/v1/conversations/old-a/messages${query}`,
        { headers: { authorization: `Bearer ${ingestKey}` } },
      );
      return { status: response.status, body: (await response.json()) as Record<string, never> };
    };
    const [record] = await harness.dataSource.query<
      Array<{ relative_path: string; sha256: string }>
    >(
      `SELECT relative_path, sha256 FROM conversation_archives
        WHERE tenant_id = $1 AND conversation_id = 'old-a'`,
      [harness.tenantId],
    );
    const archive = await readArchive(root, record.relative_path, { sha256: record.sha256 });

    // Two pages of 6 and 4, every message as the archive holds it, each marked archived.
    const first = await get('?limit=6');
    expect(first.status).toBe(200);
    expect(first.body.nextAfterSeq).toBe(6);
    const second = await get('?limit=6&afterSeq=6');
    expect(second.body.nextAfterSeq).toBeNull();
    const items = [
      ...(first.body.items as Array<Record<string, unknown>>),
      ...(second.body.items as Array<Record<string, unknown>>),
    ];
    expect(items).toEqual(archive.document.messages.map((m) => ({ ...m, archived: true })));
    expect(first.body.archive).toMatchObject({
      messageCount: 10,
      firstSeq: 1,
      lastSeq: 10,
      restoredAt: null,
    });
    expect(String((first.body.archive as { restore: string }).restore)).toMatch(/restore/);

    // archived=skip: only what Postgres holds (nothing here), and where the archive is.
    const skipped = await get('?archived=skip');
    expect(skipped.body).toMatchObject({ items: [], archive: { messageCount: 10 } });
    // A recent conversation has no archive (not `recent`: the importance test counts its reads).
    const recent = await fetch(`${harness.ingest.baseUrl}/v1/conversations/gone-1/messages`, {
      headers: { authorization: `Bearer ${ingestKey}` },
    });
    const page = (await recent.json()) as { items: Array<{ archived: boolean }>; archive: null };
    expect(page.archive).toBeNull();
    expect(page.items.every((item) => !item.archived)).toBe(true);
    const bad = await get('?archived=maybe');
    expect(bad.status).toBe(400);
  });

  it('lists the archived conversations of the tenant and of one user, by API and CLI', async () => {
    const list = async (query: string) => {
      const response = await request('GET', `/v1/archives${query}`, adminKey);
      expect(response.status).toBe(200);
      return (await response.json()) as {
        items: Array<{ conversationId: string; messageCount: number }>;
        next: string | null;
      };
    };
    const all = await list('');
    expect(all.items.map((item) => item.conversationId)).toEqual([
      'erase-me',
      'gone-2',
      'old-a',
      'old-b',
    ]);
    expect(all.next).toBeNull();
    expect(all.items.every((item) => item.messageCount === 10)).toBe(true);
    const paged = await list('?limit=3');
    expect(paged.next).toBe('old-a');
    expect((await list('?after=old-a')).items.map((item) => item.conversationId)).toEqual([
      'old-b',
    ]);
    expect((await list('?userId=user-2')).items.map((item) => item.conversationId)).toEqual([
      'erase-me',
    ]);
    expect((await request('GET', '/v1/archives', searchKey)).status).toBe(403);
    expect((await request('GET', '/v1/archives?limit=0&extra=1', adminKey)).status).toBe(400);

    const cli = runCli(['archives', '--tenant', harness.tenantId, '--user', 'user-gone'], {
      RETENTION_ARCHIVE_ROOT: root,
    });
    expect(cli.code).toBe(0);
    const lines = cli.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { conversationId: string; relativePath: string });
    expect(lines.map((line) => line.conversationId)).toEqual(['gone-2']);
    expect(cli.stderr).toContain('1 archived conversations');
  });

  it('stores nothing again when archived messages are replayed', async () => {
    await produce('old-b');
    // A marker after the replay: once it is stored, the replayed batch was handled too.
    await harness.produce([
      harness.record(
        harness.message('marker', 'marker-1', 'after the replay', {
          createdAt: new Date().toISOString(),
        }),
      ),
    ]);
    await eventually(async () => ((await messagesOf('marker')).length === 1 ? true : undefined));
    expect(await messagesOf('old-b')).toEqual([]);
  }, 60_000);

  it('restores byte-identical messages with the same seqs, re-summarized and re-indexed', async () => {
    const summaryBefore = await harness.summary('old-a');
    const response = await request('POST', '/v1/conversations/old-a/restore', adminKey);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      restoredMessages: number;
      messageCount: number;
      summaryVersion: number;
    };
    expect(body).toMatchObject({ restoredMessages: 10, messageCount: 10 });
    expect(body.summaryVersion).toBeGreaterThan(summaryBefore?.version ?? 0);
    expect(await messagesOf('old-a')).toEqual(before.get('old-a'));

    // search has the new version
    await eventually(async () => {
      const found = await harness.get('/v1/conversations/old-a/summary', searchKey);
      if (found.status !== 200) return undefined;
      const summary = (await found.json()) as { version: number };
      return summary.version >= body.summaryVersion ? true : undefined;
    }, 60_000);
    const events = await consumeUntil(harness.kafka, TOPICS.memoryLifecycle, {
      from: lifecycleFrom,
      keep: (event) =>
        String(event.value).includes(`"tenantId":"${harness.tenantId}"`) &&
        String(event.value).includes('"type":"restored"'),
      done: (kept) => kept.length >= 1,
    });
    expect(restoredEventSchema.parse(JSON.parse(String(events[0].value)))).toMatchObject({
      conversationId: 'old-a',
      restoredMessages: 10,
      firstSeq: 1,
      lastSeq: 10,
    });

    // Restored conversations are held: the next pass does not archive them again.
    const pass = await request('POST', '/v1/retention/run', adminKey, {});
    expect(((await pass.json()) as { archived: number }).archived).toBe(0);
    expect(await messagesOf('old-a')).toHaveLength(10);
  }, 120_000);

  it('scores importance, and a read conversation scores higher than an unread twin', async () => {
    // The restore test read old-a's summary through search; recent has the same shape, unread.
    await eventually(async () => {
      const [row] = await harness.dataSource.query<Array<{ reads: number }>>(
        `SELECT COALESCE(sum(reads), 0)::int AS reads FROM conversation_reads
          WHERE tenant_id = $1 AND conversation_id = 'old-a'`,
        [harness.tenantId],
      );
      return row.reads > 0 ? true : undefined;
    });
    const pass = await request('POST', '/v1/retention/run', adminKey, {});
    expect(pass.status).toBe(200);
    const rows = await harness.dataSource.query<
      Array<{
        conversation_id: string;
        importance: number;
        importance_facts: { recentReads: number; messageCount: number; speakerChanges: number };
      }>
    >(
      `SELECT conversation_id, importance, importance_facts FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id IN ('old-a', 'recent')`,
      [harness.tenantId],
    );
    const byId = Object.fromEntries(rows.map((row) => [row.conversation_id, row]));
    expect(byId['old-a'].importance_facts).toMatchObject({ messageCount: 10, speakerChanges: 9 });
    expect(byId['old-a'].importance_facts.recentReads).toBeGreaterThan(0);
    expect(byId.recent.importance_facts).toMatchObject({ recentReads: 0, speakerChanges: 9 });
    expect(byId.recent.importance).toBeGreaterThan(0);
    expect(byId['old-a'].importance).toBeGreaterThan(byId.recent.importance);
  }, 60_000);

  it('answers 404, 401, 403 and 400 where it should', async () => {
    expect((await request('POST', '/v1/conversations/recent/restore', adminKey)).status).toBe(404);
    expect((await request('POST', '/v1/conversations/old-b/restore', 'nope')).status).toBe(401);
    expect((await request('DELETE', '/v1/conversations/old-b', searchKey)).status).toBe(403);
    const bad = await request('POST', '/v1/retention/run', adminKey, { dryRun: 'yes', extra: 1 });
    expect(bad.status).toBe(400);
    const errors = ((await bad.json()) as { errors: Array<{ field: string }> }).errors;
    expect(errors.map((e) => e.field).sort()).toEqual(['dryRun', 'extra']);
    const archive = await request('GET', '/v1/conversations/old-b/archive', adminKey);
    expect(archive.status).toBe(200);
    expect(await archive.json()).toMatchObject({ conversationId: 'old-b', messageCount: 10 });
  });

  it('erases a conversation and a user everywhere, and a replay brings nothing back', async () => {
    // Rows other steps leave about these conversations: a summary backfill that listed one,
    // rests on another and failed on the third; reads.
    await harness.dataSource.query(
      `INSERT INTO summary_backfills (selection, status, total, cursor_tenant, cursor_conversation,
                                      done, failures)
       VALUES ($1::jsonb, 'finished', 3, $2, 'gone-1', 3, $3::jsonb)`,
      [
        JSON.stringify({
          tenantId: harness.tenantId,
          conversationIds: ['erase-me', 'gone-1', 'recent'],
          rebuild: false,
        }),
        harness.tenantId,
        JSON.stringify([
          { tenantId: harness.tenantId, conversationId: 'gone-2', error: 'Error: zqgone2x' },
        ]),
      ],
    );
    await harness.dataSource.query(
      `INSERT INTO conversation_reads (tenant_id, conversation_id, day, reads)
       VALUES ($1, 'erase-me', current_date, 1) ON CONFLICT DO NOTHING`,
      [harness.tenantId],
    );
    // A message of the user that reached Kafka before the erasure but is read after it (ingest
    // is down meanwhile), its createdAt set 23 h ahead: it must not slip past the erasure.
    await harness.ingest.stop();
    await harness.produce([
      harness.record(
        harness.message('gone-ahead', 'gone-ahead-1', 'ahead of time zqgoneaheadx', {
          userId: 'user-gone',
          createdAt: new Date(Date.now() + 23 * 3_600_000).toISOString(),
        }),
      ),
    ]);
    const erasedIds = ['erase-me', 'gone-1', 'gone-2'];
    const beforeErase = await scanPostgres(harness, [...erasedIds, 'user-gone']);

    const one = await request('DELETE', '/v1/conversations/erase-me', adminKey);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({
      conversationId: 'erase-me',
      counts: { messages: 0, archivedMessages: 10, archives: 1, summaries: 1 },
    });
    const user = await request('DELETE', '/v1/users/user-gone', adminKey);
    expect(user.status).toBe(200);
    const erasedUser = (await user.json()) as {
      conversations: Array<{ conversationId: string }>;
      counts: { messages: number; archivedMessages: number };
    };
    expect(erasedUser.conversations.map((c) => c.conversationId)).toEqual(['gone-1', 'gone-2']);
    expect(erasedUser.counts).toMatchObject({ messages: 10, archivedMessages: 10 });

    // A replay of the erased messages is dropped by ingest.
    await harness.start();
    await produce('erase-me');
    await produce('gone-1');
    await harness.produce([
      harness.record(
        harness.message('marker', 'marker-2', 'after the erase', {
          createdAt: new Date().toISOString(),
        }),
      ),
    ]);
    await eventually(async () => ((await messagesOf('marker')).length === 2 ? true : undefined));
    await harness.waitCaughtUp();

    const erased = [...erasedIds, 'gone-ahead'];
    const needles = [
      ...erased,
      'user-gone',
      'user-2',
      ...erased.map((id) => `zq${id.replace(/\W/g, '')}x`),
    ];
    expect(await scanPostgres(harness, needles)).toEqual([]);
    // Every table is accounted for: one that held these conversations before the erasure was
    // scrubbed (just above); a table added later must be classified here, scrubbed or not.
    const tables = new Set(beforeErase.map((hit) => hit.split(':')[0]));
    for (const table of [
      'conversations',
      'messages',
      'conversation_summaries',
      'summary_versions',
      'conversation_archives',
      'archived_message_ids',
      'summary_backfills',
      'conversation_reads',
    ])
      expect(tables).toContain(table);
    expect(await unclassifiedTables(harness)).toEqual([]);
    expect(await scanArchiveRoot(root, needles)).toEqual([]);
    expect(await scanIndex(harness, needles)).toEqual([]);
    // what was not erased is still there
    expect(await messagesOf('recent')).toHaveLength(10);

    // Audit events and tombstones on Kafka
    const audit = await consumeUntil(harness.kafka, TOPICS.memoryLifecycle, {
      from: lifecycleFrom,
      keep: (event) =>
        String(event.value).includes(`"tenantId":"${harness.tenantId}"`) &&
        String(event.value).includes('"type":"erased"'),
      done: (kept) => kept.length >= 3,
    });
    const events = audit.map((event) => erasedEventSchema.parse(JSON.parse(String(event.value))));
    expect(events.map((e: ErasedEvent) => [e.conversationId, e.subject.kind]).sort()).toEqual([
      ['erase-me', 'conversation'],
      ['gone-1', 'user'],
      ['gone-2', 'user'],
    ]);
    // A user is named by the hash the erasure list keeps, never by id: in events and in logs.
    const userHash = subjectHash('user', 'user-gone');
    for (const event of events.filter((e) => e.subject.kind === 'user'))
      expect(event.subject).toEqual({ kind: 'user', idSha256: userHash });
    for (const event of audit) {
      expect(String(event.value)).not.toContain('zq');
      expect(String(event.value)).not.toContain('user-gone');
    }
    expect(retention.output.filter((line) => line.includes('user-gone'))).toEqual([]);
    expect(retention.output.some((line) => line.includes(userHash))).toBe(true);
    const tombstones = await consumeUntil(harness.kafka, TOPICS.memorySummaries, {
      from: summariesFrom,
      keep: (event) =>
        event.value === null &&
        String(event.headers?.[TOMBSTONE_HEADERS.tenantId] ?? '') === harness.tenantId,
      done: (kept) => kept.length >= 3,
    });
    expect(
      tombstones.map((t) => String(t.headers?.[TOMBSTONE_HEADERS.conversationId])).sort(),
    ).toEqual(erasedIds);
  }, 180_000);
});

/**
 * How erase treats each table: `scrubbed` (its rows of an erased conversation go; the scan
 * checks it), or `no-conversation-data` (it holds no ids nor content of conversations:
 * `erasures` keeps hashes only, `api_keys` tenants and key hashes, `schema_migrations` the schema).
 */
const ERASE_TABLES: Record<string, 'scrubbed' | 'no-conversation-data'> = {
  conversations: 'scrubbed',
  messages: 'scrubbed',
  conversation_summaries: 'scrubbed',
  summary_versions: 'scrubbed',
  summary_backfills: 'scrubbed',
  summary_compressions: 'scrubbed',
  conversation_archives: 'scrubbed',
  archived_message_ids: 'scrubbed',
  conversation_reads: 'scrubbed',
  lifecycle_outbox: 'scrubbed',
  user_profiles: 'scrubbed',
  user_rollups: 'scrubbed',
  erasures: 'no-conversation-data',
  api_keys: 'no-conversation-data',
  tenant_jwt_keys: 'no-conversation-data',
  webhooks: 'no-conversation-data',
  webhook_deliveries: 'scrubbed',
  schema_migrations: 'no-conversation-data',
};

/** Tables of the schema that {@link ERASE_TABLES} does not say how erase treats. */
async function unclassifiedTables(harness: SearchHarness): Promise<string[]> {
  const tables = await harness.dataSource.query<Array<{ table_name: string }>>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return tables.map((t) => t.table_name).filter((name) => ERASE_TABLES[name] === undefined);
}

/** Every row of every table whose text (any column) contains one of `needles`. */
async function scanPostgres(harness: SearchHarness, needles: readonly string[]): Promise<string[]> {
  const tables = await harness.dataSource.query<Array<{ table_name: string }>>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const found: string[] = [];
  for (const { table_name } of tables) {
    for (const needle of needles) {
      const [row] = await harness.dataSource.query<Array<{ count: number }>>(
        `SELECT count(*)::int AS count FROM "${table_name}" t
          WHERE t::text LIKE '%' || $1 || '%' AND t::text LIKE '%' || $2 || '%'`,
        [harness.tenantId, needle],
      );
      if (row.count > 0) found.push(`${table_name}: ${needle} (${row.count})`);
    }
  }
  return found;
}

/** Archive files whose name or content holds one of `needles`. */
async function scanArchiveRoot(root: string, needles: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        const bytes = await readFile(path);
        const text = path.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString();
        for (const needle of needles)
          if (path.includes(needle) || text.includes(needle)) found.push(`${path}: ${needle}`);
      }
    }
  };
  await walk(root);
  return found;
}

/**
 * Documents of both indices, summaries and passages (all of them, this tenant's), whose source
 * holds one of `needles`.
 */
async function scanIndex(harness: SearchHarness, needles: readonly string[]): Promise<string[]> {
  const url = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
  const indices = `${harness.indexPrefix}-summaries*,${harness.indexPrefix}-passages*`;
  // Deletions become visible to searches at the next refresh: make it now.
  await fetch(`${url}/${indices}/_refresh`, { method: 'POST' });
  const response = await fetch(`${url}/${indices}/_search?size=1000`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { term: { tenantId: harness.tenantId } } }),
  });
  const body = (await response.json()) as { hits: { hits: Array<{ _source: unknown }> } };
  const found: string[] = [];
  for (const hit of body.hits.hits) {
    const text = JSON.stringify(hit._source);
    for (const needle of needles) if (text.includes(needle)) found.push(needle);
  }
  return found;
}
