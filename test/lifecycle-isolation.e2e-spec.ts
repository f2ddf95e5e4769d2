import { EnvReader, readDatabaseConfig } from '@memory/config';
import {
  ArchivedMessage,
  buildManifest,
  readArchive,
  RetentionReport,
  writeArchive,
} from '@memory/lifecycle';
import { dataSourceOptions } from '@memory/persistence';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApiKey } from './support/cli';
import { eventually } from './support/eventually';
import { ServiceProcess } from './support/service-process';
import { TEST_DATABASE_URL } from './support/test-database';

const DAY = 86_400_000;

interface ArchiveRecordRow {
  conversation_id: string;
  relative_path: string;
  revision: number;
  sha256: string;
  message_count: number;
}

/*
 * Archive names and per-conversation isolation on the real stack (retention as a process,
 * Postgres, the file system). Conversations are put straight into Postgres as ingest and the
 * summarizer would leave them (summarized, old enough), for tenants of this file only: the
 * service archives them after 1 day by a tenant policy, and nothing else (every other tenant
 * waits 100 years), so suites sharing the database are left alone.
 *
 * - `Conv-A` and `conv-a` get archives whose names differ on a file system that ignores case;
 * - 128-character tenant and conversation ids (mostly `:`, 3 bytes each encoded) get names
 *   within 255 bytes;
 * - `broken`, whose month directory cannot be made (a file is in its place), fails: it is
 *   logged, counted in the report and skipped, and the conversations after it are archived;
 *   once the obstacle is gone the next pass archives it;
 * - an archive recorded under a name of the earlier rule keeps it and stays readable;
 * - many run requests for a tenant while its pass waits become one pass; all answer 200.
 */
describe('lifecycle isolation: archive names, a failing conversation skipped', () => {
  const suffix = randomUUID().slice(0, 8);
  const tenant = `e2e-iso-${suffix}`;
  const longTenant = `e2e-iso-${suffix}-${':'.repeat(128 - `e2e-iso-${suffix}-`.length)}`;
  const longConversation = `${':'.repeat(100)}${'x'.repeat(28)}`;
  const recent = new Date(Date.now() - 10 * DAY);
  // 70 days before the others: another month, so another directory.
  const older = new Date(Date.now() - 70 * DAY);
  const dataSource = new DataSource(
    dataSourceOptions(readDatabaseConfig(new EnvReader({ DATABASE_URL: TEST_DATABASE_URL }))),
  );
  let root = '';
  let retention: ServiceProcess;
  let adminKey = '';
  let blocker = '';
  let messageIds = 0;

  const month = (at: Date): string =>
    `${at.getUTCFullYear()}/${String(at.getUTCMonth() + 1).padStart(2, '0')}`;

  /** A conversation as ingest and the summarizer leave it: messages, counters, summary v1. */
  const seed = async (
    tenantId: string,
    conversationId: string,
    firstAt: Date,
    firstSeq = 1,
  ): Promise<void> => {
    const count = 4;
    const lastSeq = firstSeq + count - 1;
    const ids = Array.from({ length: count }, () => `iso-m${(messageIds += 1)}`);
    const times = ids.map((_, i) => new Date(firstAt.getTime() + i * 60_000));
    await dataSource.query(
      `INSERT INTO conversations (tenant_id, conversation_id, user_id, message_count, last_seq,
                                  first_message_at, last_message_at)
       VALUES ($1, $2, 'user-iso', $3::int, $3::int, $4, $5)`,
      [tenantId, conversationId, lastSeq, times[0], times[count - 1]],
    );
    await dataSource.query(
      `INSERT INTO messages (tenant_id, message_id, conversation_id, seq, user_id, role, content,
                             created_at)
       SELECT $1, unnest($2::varchar[]), $3, unnest($4::bigint[]), 'user-iso', 'user',
              unnest($5::text[]), unnest($6::timestamptz[])`,
      [
        tenantId,
        ids,
        conversationId,
        ids.map((_, i) => firstSeq + i),
        ids.map((id) => `message ${id} of ${conversationId}`),
        times,
      ],
    );
    await dataSource.query(
      `INSERT INTO conversation_summaries (tenant_id, conversation_id, user_id, version, through_seq,
                                           seen_seq, text, published_version, first_message_at,
                                           last_message_at)
       VALUES ($1, $2, 'user-iso', 1, $3, $3, 'a summary', 1, $4, $5)`,
      [tenantId, conversationId, lastSeq, times[0], times[count - 1]],
    );
  };

  const records = async (tenantId: string): Promise<ArchiveRecordRow[]> =>
    dataSource.query<ArchiveRecordRow[]>(
      `SELECT conversation_id, relative_path, revision, sha256, message_count
         FROM conversation_archives WHERE tenant_id = $1 ORDER BY conversation_id`,
      [tenantId],
    );

  const storedMessages = async (tenantId: string, conversationId: string): Promise<number> => {
    const [row] = await dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM messages WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
    return row.count;
  };

  /** Run requests made so far, one after the other until the burst (each its own pass). */
  let requested = 0;
  const run = (): Promise<Response> => {
    requested += 1;
    return fetch(`${retention.baseUrl}/v1/retention/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'memory-archive-iso-'));
    await dataSource.initialize();
    adminKey = createApiKey(tenant, 'admin');

    for (const id of ['Conv-A', 'conv-a', longConversation, 'zz-after'])
      await seed(tenant, id, recent);
    await seed(tenant, 'broken', older);
    await seed(longTenant, 'c-1', recent);

    // An archive recorded under the earlier rule's name (capitals kept as they are), with two
    // more messages in Postgres to archive: it must be rewritten where its record says.
    await seed(tenant, 'Old-Case', recent, 2);
    const legacyPath = `${tenant}/${month(recent)}/Old-Case.json.gz`;
    const archived: ArchivedMessage[] = [
      {
        messageId: 'iso-legacy-1',
        seq: 1,
        userId: 'user-iso',
        role: 'user',
        content: 'archived before the naming rule changed',
        metadata: null,
        createdAt: new Date(recent.getTime() - 60_000).toISOString(),
        ingestedAt: new Date(recent.getTime() - 60_000).toISOString(),
      },
    ];
    const written = await writeArchive(
      root,
      {
        manifest: buildManifest(tenant, 'Old-Case', archived, 1, new Date(recent)),
        messages: archived,
      },
      legacyPath,
    );
    await dataSource.query(
      `INSERT INTO conversation_archives (tenant_id, conversation_id, relative_path, revision,
              sha256, bytes, message_count, first_seq, last_seq, user_ids, archived_at, verified_at)
       VALUES ($1, 'Old-Case', $2, 1, $3, $4, 1, 1, 1, '{user-iso}', now(), now())`,
      [tenant, legacyPath, written.sha256, written.bytes],
    );
    await dataSource.query(
      `INSERT INTO archived_message_ids (tenant_id, message_id, conversation_id, seq)
       VALUES ($1, 'iso-legacy-1', 'Old-Case', 1)`,
      [tenant],
    );

    // Where broken's archive directory would go, a file: mkdir fails there, even as root.
    blocker = join(root, tenant, month(older));
    await mkdir(join(root, tenant, String(older.getUTCFullYear())), { recursive: true });
    await writeFile(blocker, 'not a directory');

    const policy = { archiveAfterDays: 1, keepLastMessages: 0 };
    retention = new ServiceProcess('retention', {
      RETENTION_ARCHIVE_ROOT: root,
      // Archive every summarized message (the default keeps the newest 20 in Postgres).
      RETENTION_KEEP_LAST_MESSAGES: '0',
      RETENTION_INTERVAL_MS: '3600000',
      RETENTION_ARCHIVE_AFTER_DAYS: '36500',
      RETENTION_TENANT_POLICIES: JSON.stringify({ [tenant]: policy, [longTenant]: policy }),
      OPENSEARCH_INDEX_PREFIX: `e2e-iso-${suffix}`,
      // Pass reports are logged at info.
      LOG_LEVEL: 'info',
    }).start();
    await retention.waitReady(120_000);
  }, 300_000);

  afterAll(async () => {
    await retention?.stop('SIGKILL');
    for (const tenantId of [tenant, longTenant])
      for (const table of [
        'messages',
        'archived_message_ids',
        'conversation_archives',
        'conversation_summaries',
        'conversations',
        'lifecycle_outbox',
      ])
        await dataSource
          .query(`DELETE FROM ${table} WHERE tenant_id = $1`, [tenantId])
          .catch(() => undefined);
    if (dataSource.isInitialized) await dataSource.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it('skips the conversation that fails, archives the ones after it, and says why', async () => {
    // The first scheduled pass (at start) or this one: either way every good one is archived.
    const response = await run();
    expect(response.status).toBe(200);
    const report = (await response.json()) as RetentionReport;
    expect(report.failed).toBe(1);
    expect(report.failures).toEqual([
      expect.objectContaining({
        step: 'archive',
        tenantId: tenant,
        conversationId: 'broken',
        reason: 'filesystem',
      }),
    ]);
    expect(await storedMessages(tenant, 'broken')).toBe(4);
    for (const id of ['Conv-A', 'conv-a', longConversation, 'zz-after'])
      expect(await storedMessages(tenant, id)).toBe(0);
    const byId = new Map((await records(tenant)).map((row) => [row.conversation_id, row]));
    expect([...byId.keys()].sort()).toEqual(
      ['Conv-A', 'Old-Case', 'conv-a', longConversation, 'zz-after'].sort(),
    );
    const skipped = retention.output.filter(
      (line) => line.includes('conversation skipped') && line.includes('"broken"'),
    );
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped[0]).toMatch(/"step":"archive"/);
    expect(skipped[0]).toMatch(/ENOTDIR|EEXIST/);
  }, 120_000);

  it('names archives uniquely ignoring case, and within 255 bytes for long ids', async () => {
    const byId = new Map((await records(tenant)).map((row) => [row.conversation_id, row]));
    const upper = byId.get('Conv-A')!.relative_path;
    const lower = byId.get('conv-a')!.relative_path;
    expect(lower).toBe(`${tenant}/${month(recent)}/conv-a.json.gz`);
    expect(upper.toLowerCase()).not.toBe(lower.toLowerCase());
    const long = byId.get(longConversation)!.relative_path;
    for (const path of [upper, lower, long]) {
      for (const segment of path.split('/'))
        expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
      const read = await readArchive(root, path, {});
      expect(read.document.manifest.tenantId).toBe(tenant);
    }
    expect((await readArchive(root, long, {})).document.manifest.conversationId).toBe(
      longConversation,
    );

    await eventually(async () => ((await records(longTenant)).length === 1 ? true : undefined));
    const [other] = await records(longTenant);
    const [tenantSegment] = other.relative_path.split('/');
    expect(Buffer.byteLength(tenantSegment)).toBeLessThanOrEqual(255);
    expect(tenantSegment).toMatch(/^e2e-iso-[0-9a-f]{8}-(%3a)+~[0-9a-f]{32}$/);
    const read = await readArchive(root, other.relative_path, { sha256: other.sha256 });
    expect(read.document.manifest.tenantId).toBe(longTenant);
  });

  it('keeps the recorded path of an archive named by the earlier rule, readable', async () => {
    const [row] = (await records(tenant)).filter((r) => r.conversation_id === 'Old-Case');
    expect(row.relative_path).toBe(`${tenant}/${month(recent)}/Old-Case.json.gz`);
    expect(row.revision).toBe(2);
    expect(row.message_count).toBe(5);
    const read = await readArchive(root, row.relative_path, { sha256: row.sha256 });
    expect(read.document.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('archives the skipped conversation once the obstacle is gone', async () => {
    await rm(blocker);
    const response = await run();
    expect(response.status).toBe(200);
    const report = (await response.json()) as RetentionReport;
    expect(report.failed).toBe(0);
    expect(await storedMessages(tenant, 'broken')).toBe(0);
    const [row] = (await records(tenant)).filter((r) => r.conversation_id === 'broken');
    expect(row.relative_path).toBe(`${tenant}/${month(older)}/broken.json.gz`);
  }, 120_000);

  it('coalesces a burst of run requests for the tenant made while its pass runs', async () => {
    const passes = (): number =>
      retention.output.filter(
        (line) =>
          line.includes('"retention pass"') &&
          line.includes('"trigger":"request"') &&
          line.includes(`"tenantId":"${tenant}"`),
      ).length;
    // Hold the pass in its importance step: it must rescore zz-after (its summary changed),
    // and this transaction holds that row.
    await dataSource.query(
      `UPDATE conversation_summaries SET updated_at = now() + interval '1 hour'
        WHERE tenant_id = $1 AND conversation_id = 'zz-after'`,
      [tenant],
    );
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      const [{ pid }] = (await holder.query('SELECT pg_backend_pid() AS pid')) as Array<{
        pid: number;
      }>;
      await holder.query(
        `SELECT 1 FROM conversation_summaries
          WHERE tenant_id = $1 AND conversation_id = 'zz-after' FOR UPDATE`,
        [tenant],
      );
      // The earlier requests' passes are logged; their lines may reach us late.
      const earlier = requested;
      await eventually(() => Promise.resolve(passes() >= earlier ? true : undefined));
      const before = passes();
      const first = run();
      await eventually(async () => {
        const waiting = await dataSource.query<unknown[]>(
          `SELECT 1 FROM pg_stat_activity
            WHERE $1 = ANY(pg_blocking_pids(pid))
              AND query LIKE 'UPDATE conversation_summaries s SET importance%'`,
          [pid],
        );
        return waiting.length > 0 ? true : undefined;
      });
      const burst = Array.from({ length: 11 }, () => run());
      await eventually(async () => {
        const queue = await fetch(`${retention.baseUrl}/v1/retention/passes`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        const { queued, waitingRequests } = (await queue.json()) as Record<string, number>;
        return queued === 1 && waitingRequests === 11 ? true : undefined;
      });
      await holder.commitTransaction();
      const answers = await Promise.all([first, ...burst]);
      expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200));
      // Each pass logs before it answers; the log may reach us a moment after the answer.
      await eventually(() => Promise.resolve(passes() - before >= 2 ? true : undefined));
      expect(passes() - before).toBe(2);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  }, 120_000);
});
