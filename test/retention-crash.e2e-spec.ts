import { TOPICS } from '@memory/contracts';
import { ArchiveVerificationError, readArchive } from '@memory/lifecycle';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, runCli } from './support/cli';
import { eventually } from './support/eventually';
import { consumeUntil, endOffsets } from './support/kafka';
import { ServiceProcess } from './support/service-process';
import { SummarizerHarness } from './support/summarizer-harness';

const DAY = 86_400_000;
const CONVERSATIONS = ['crash-a', 'crash-b', 'crash-c'];
const PER_CONVERSATION = 30;

interface Message {
  conversationId: string;
  messageId: string;
  seq: number;
  content: string;
}

/*
 * The retention service killed (SIGKILL) where archiving is most fragile: after the archive
 * file is written but before any row is deleted, and after the rows are deleted but before the
 * transaction commits. After each kill every message is in Postgres or in a verified archive
 * (never neither); a restart finishes the work, each conversation archived exactly once.
 */
describe('retention killed mid-archive', () => {
  const harness = new SummarizerHarness();
  let root = '';
  const original: Message[] = [];
  let lifecycleFrom: Array<{ partition: number; offset: string }> = [];
  let retention: ServiceProcess | undefined;

  const start = async (pauseAt: string): Promise<ServiceProcess> => {
    retention = new ServiceProcess('retention', {
      RETENTION_ARCHIVE_ROOT: root,
      // Archive every summarized message (the default keeps the newest 20 in Postgres).
      RETENTION_KEEP_LAST_MESSAGES: '0',
      RETENTION_INTERVAL_MS: '3600000',
      RETENTION_PAUSE_AT: pauseAt,
    }).start();
    await retention.waitReady();
    return retention;
  };

  /** Waits for the killed process's session to end, so its locks and transaction are gone. */
  const waitSessionsGone = (): Promise<true> =>
    eventually(async () => {
      const [row] = await harness.dataSource.query<Array<{ count: number }>>(
        `SELECT count(*)::int AS count FROM pg_locks WHERE locktype = 'advisory'`,
      );
      return row.count === 0 ? true : undefined;
    });

  /** Every original message, identical, in Postgres or in its conversation's verified archive. */
  const checkNothingLost = async (): Promise<{ inPostgres: number; inArchives: number }> => {
    const rows = await harness.dataSource.query<
      Array<{ conversation_id: string; message_id: string; seq: string; content: string }>
    >(`SELECT conversation_id, message_id, seq, content FROM messages WHERE tenant_id = $1`, [
      harness.tenantId,
    ]);
    const found = new Map<string, Message>();
    for (const row of rows)
      found.set(row.message_id, {
        conversationId: row.conversation_id,
        messageId: row.message_id,
        seq: Number(row.seq),
        content: row.content,
      });
    const inPostgres = found.size;
    const records = await harness.dataSource.query<
      Array<{ conversation_id: string; relative_path: string; sha256: string }>
    >(
      `SELECT conversation_id, relative_path, sha256 FROM conversation_archives WHERE tenant_id = $1`,
      [harness.tenantId],
    );
    let inArchives = 0;
    for (const record of records) {
      // The recorded archive must verify against its record (file sha256 and manifest).
      const archive = await readArchive(root, record.relative_path, { sha256: record.sha256 });
      for (const message of archive.document.messages) {
        inArchives++;
        if (!found.has(message.messageId))
          found.set(message.messageId, {
            conversationId: record.conversation_id,
            messageId: message.messageId,
            seq: message.seq,
            content: message.content,
          });
      }
    }
    const lost = original.filter((message) => {
      const there = found.get(message.messageId);
      return !there || JSON.stringify(there) !== JSON.stringify(message);
    });
    expect(lost).toEqual([]);
    return { inPostgres, inArchives };
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'memory-archive-crash-'));
    await harness.setUp();
    // Ingest serves archived messages from the archives written here.
    await harness.start({ RETENTION_ARCHIVE_ROOT: root });
    await harness.startSummarizer();
    const now = Date.now();
    for (const conversationId of CONVERSATIONS)
      await harness.produce(
        Array.from({ length: PER_CONVERSATION }, (_, i) =>
          harness.record(
            harness.message(
              conversationId,
              `${conversationId}-m${i + 1}`,
              `Line ${i + 1} of ${conversationId}: the budget for the ${i % 3 === 0 ? 'roof' : 'garden'} is ${1_000 + i} euros.`,
              { createdAt: new Date(now - 120 * DAY + i * 60_000).toISOString() },
            ),
          ),
        ),
      );
    for (const conversationId of CONVERSATIONS)
      await harness.waitForSummary(
        conversationId,
        (summary) => summary.throughSeq >= PER_CONVERSATION,
        120_000,
      );
    const rows = await harness.dataSource.query<
      Array<{ conversation_id: string; message_id: string; seq: string; content: string }>
    >(
      `SELECT conversation_id, message_id, seq, content FROM messages WHERE tenant_id = $1
        ORDER BY conversation_id, seq`,
      [harness.tenantId],
    );
    for (const row of rows)
      original.push({
        conversationId: row.conversation_id,
        messageId: row.message_id,
        seq: Number(row.seq),
        content: row.content,
      });
    expect(original).toHaveLength(CONVERSATIONS.length * PER_CONVERSATION);
    lifecycleFrom = await endOffsets(harness.kafka, TOPICS.memoryLifecycle);
  }, 300_000);

  afterAll(async () => {
    await retention?.stop('SIGKILL');
    await harness.tearDown();
    await rm(root, { recursive: true, force: true });
  });

  it('loses nothing when killed between the archive write and the row delete', async () => {
    const service = await start('archive-written');
    await eventually(() =>
      Promise.resolve(
        service.output.some((line) => line.includes('paused at archive-written'))
          ? true
          : undefined,
      ),
    );
    // The file is on disk, verified by its writer; no row is gone and nothing is recorded.
    await service.stop('SIGKILL');
    await waitSessionsGone();
    const { inPostgres } = await checkNothingLost();
    expect(inPostgres).toBe(original.length);
  }, 120_000);

  it('loses nothing when killed between the row delete and the commit', async () => {
    const service = await start('rows-deleted');
    await eventually(() =>
      Promise.resolve(
        service.output.some((line) => line.includes('paused at rows-deleted')) ? true : undefined,
      ),
    );
    // The delete is not committed: other sessions still see every row.
    const [visible] = await harness.dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM messages WHERE tenant_id = $1`,
      [harness.tenantId],
    );
    expect(visible.count).toBe(original.length);
    await service.stop('SIGKILL');
    await waitSessionsGone();
    const { inPostgres } = await checkNothingLost();
    expect(inPostgres).toBe(original.length);
  }, 120_000);

  it('finishes after a restart: every message archived once, verified, none in Postgres', async () => {
    await start('none');
    await eventually(async () => {
      const [row] = await harness.dataSource.query<Array<{ count: number }>>(
        `SELECT count(*)::int AS count FROM conversation_archives WHERE tenant_id = $1`,
        [harness.tenantId],
      );
      return row.count === CONVERSATIONS.length ? true : undefined;
    }, 60_000);
    const { inPostgres, inArchives } = await checkNothingLost();
    expect(inPostgres).toBe(0);
    expect(inArchives).toBe(original.length);

    const events = await consumeUntil(harness.kafka, TOPICS.memoryLifecycle, {
      from: lifecycleFrom,
      keep: (event) =>
        String(event.value).includes(`"tenantId":"${harness.tenantId}"`) &&
        String(event.value).includes('"type":"archived"'),
      done: (kept) => kept.length >= CONVERSATIONS.length,
    });
    // Only committed archiving sends an event: one per conversation, none from the kills.
    expect(
      events
        .map(
          (event) => (JSON.parse(String(event.value)) as { conversationId: string }).conversationId,
        )
        .sort(),
    ).toEqual(CONVERSATIONS);

    const verify = runCli(['verify-archives', '--tenant', harness.tenantId], {
      RETENTION_ARCHIVE_ROOT: root,
    });
    expect(verify.stderr).toContain(
      `${CONVERSATIONS.length} of ${CONVERSATIONS.length} archives verified`,
    );
    expect(verify.code).toBe(0);
  }, 120_000);

  it('verify-archives and restore refuse an archive that was tampered with', async () => {
    const [record] = await harness.dataSource.query<Array<{ relative_path: string }>>(
      `SELECT relative_path FROM conversation_archives WHERE tenant_id = $1 AND conversation_id = 'crash-c'`,
      [harness.tenantId],
    );
    const { readFile, writeFile } = await import('node:fs/promises');
    const path = join(root, record.relative_path);
    const bytes = await readFile(path);
    bytes[bytes.length - 12] ^= 0xff;
    await writeFile(path, bytes);
    await expect(readArchive(root, record.relative_path)).rejects.toBeInstanceOf(
      ArchiveVerificationError,
    );
    // Reading its messages: a 503 that names the problem, never a page missing them.
    const ingestKey = createApiKey(harness.tenantId, 'ingest');
    const read = (query: string) =>
      fetch(`${harness.ingest.baseUrl}/v1/conversations/crash-c/messages${query}`, {
        headers: { authorization: `Bearer ${ingestKey}` },
      });
    const unreadable = await read('');
    expect(unreadable.status).toBe(503);
    expect(await unreadable.json()).toMatchObject({ code: 'ARCHIVE_UNAVAILABLE' });
    const skipped = await read('?archived=skip');
    expect(skipped.status).toBe(200);
    expect(await skipped.json()).toMatchObject({ items: [], archive: { firstSeq: 1 } });
    const verify = runCli(['verify-archives', '--tenant', harness.tenantId], {
      RETENTION_ARCHIVE_ROOT: root,
    });
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain('failed: ');
    const restore = runCli(['restore', '--tenant', harness.tenantId, '--conversation', 'crash-c'], {
      RETENTION_ARCHIVE_ROOT: root,
    });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/sha256|gzip|verif/i);
    const [count] = await harness.dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM messages WHERE tenant_id = $1 AND conversation_id = 'crash-c'`,
      [harness.tenantId],
    );
    expect(count.count).toBe(0);

    // An intact one restores through the CLI, identical.
    const good = runCli(['restore', '--tenant', harness.tenantId, '--conversation', 'crash-a'], {
      RETENTION_ARCHIVE_ROOT: root,
    });
    expect(good.code).toBe(0);
    const restored = await harness.dataSource.query<
      Array<{ conversation_id: string; message_id: string; seq: string; content: string }>
    >(
      `SELECT conversation_id, message_id, seq, content FROM messages
        WHERE tenant_id = $1 AND conversation_id = 'crash-a' ORDER BY seq`,
      [harness.tenantId],
    );
    expect(
      restored.map((row) => ({
        conversationId: row.conversation_id,
        messageId: row.message_id,
        seq: Number(row.seq),
        content: row.content,
      })),
    ).toEqual(original.filter((message) => message.conversationId === 'crash-a'));
  }, 120_000);
});
