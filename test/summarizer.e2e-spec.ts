import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DLQ_HEADERS, TOPICS } from '@memory/contracts';
import { runCli } from './support/cli';
import { eventually } from './support/eventually';
import { committedOffsets, consumeUntil, endOffsets, setGroupOffsets } from './support/kafka';
import {
  locomoTurns,
  longBrief,
  SummarizerHarness,
  SummaryVersion,
} from './support/summarizer-harness';
import { testEnv } from './support/test-env';

const CLI = resolve(__dirname, '../dist/libs/cli/src/memory.main.js');

/*
 * The summarizer on the real stack with its default (local) backend: ingest and summarizer run
 * as their own processes; chat messages go in on chat.messages.v1, summaries come out in
 * Postgres and on memory.summaries.v1.
 */
describe('summarizer (local backend)', () => {
  // Idle folds only after 5 s, so the pauses between streamed pieces never trigger one.
  const harness = new SummarizerHarness({ SUMMARY_IDLE_MS: '5000' });
  const turns = locomoTurns('26');

  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
    await harness.startSummarizer();
  });

  afterAll(() => harness.tearDown());

  /** Consecutive, non-overlapping seq ranges from 1 to `last`, versions 1, 2, 3 … */
  function expectContiguous(versions: SummaryVersion[], last: number): void {
    let next = 1;
    versions.forEach((version, i) => {
      expect(version.version).toBe(i + 1);
      expect(version.fromSeq).toBe(next);
      expect(version.throughSeq).toBeGreaterThanOrEqual(version.fromSeq);
      next = version.throughSeq + 1;
    });
    expect(next - 1).toBe(last);
  }

  it('ends with identical summaries whether a conversation is streamed in pieces or delivered twice', async () => {
    const contents = turns.slice(0, 47);
    // Streamed: pieces of uneven size, each consumed before the next is sent.
    let sent = 0;
    for (const size of [3, 7, 1, 9, 12, 5, 10]) {
      await harness.say('streamed', contents.slice(sent, sent + size), sent + 1);
      sent += size;
      await harness.waitSeen('streamed', sent);
    }
    // Delivered twice: everything at once, then all of it again.
    await harness.say('twice', contents);
    await harness.say('twice', contents);

    const streamed = await harness.waitForSummary('streamed', (s) => s.throughSeq === 47);
    const twice = await harness.waitForSummary('twice', (s) => s.throughSeq === 47);
    expect(twice.text).toBe(streamed.text);
    expect(twice.sections).toEqual(streamed.sections);
    expect(streamed.text.length).toBeGreaterThan(0);
    expect(streamed.backend).toBe('local');

    // Folds end at the trigger points (every 10th seq, milestone 25) and the idle tail.
    const ranges = (versions: SummaryVersion[]) => versions.map((v) => [v.fromSeq, v.throughSeq]);
    const expected = [
      [1, 10],
      [11, 20],
      [21, 25],
      [26, 30],
      [31, 40],
      [41, 47],
    ];
    expect(ranges(await harness.versions('streamed'))).toEqual(expected);
    expect(ranges(await harness.versions('twice'))).toEqual(expected);
    expect((await harness.versions('twice')).map((v) => v.trigger)).toEqual([
      'count',
      'count',
      'milestone',
      'count',
      'count',
      'idle',
    ]);

    // Published: the last record of each conversation is its latest version.
    const published = await harness.publishedSummaries((all) =>
      ['streamed', 'twice'].every((id) =>
        all.some((s) => s.conversationId === id && s.throughSeq === 47),
      ),
    );
    for (const id of ['streamed', 'twice']) {
      const last = published.filter((s) => s.conversationId === id).at(-1);
      expect(last).toMatchObject({
        schema: 'memory.summary.v1',
        throughSeq: 47,
        version: 6,
        tier: 'full',
      });
      expect(last?.text).toBe(streamed.text);
      expect(last?.stats).toMatchObject({
        messageCount: 47,
        backend: 'local',
        llmPending: false,
        fromSeq: 41,
      });
      expect(last?.stats.totalCost.inputChars).toBeGreaterThan(0);
    }
  });

  it('changes nothing when the whole topic is replayed', async () => {
    const before = await harness.summary('twice');
    await harness.summarizer.stop();
    await setGroupOffsets(
      harness.kafka,
      harness.summarizerGroup,
      TOPICS.memoryMessages,
      harness.publishedFrom,
    );
    await harness.startSummarizer();
    const ends = await endOffsets(harness.kafka, TOPICS.memoryMessages);
    await eventually(async () => {
      const committed = await committedOffsets(
        harness.kafka,
        harness.summarizerGroup,
        TOPICS.memoryMessages,
      );
      return ends.every(
        ({ partition, offset }) => BigInt(committed.get(partition) ?? '-1') >= BigInt(offset),
      )
        ? true
        : undefined;
    }, 60_000);
    expect(await harness.summary('twice')).toEqual(before);
    expect(await harness.versions('twice')).toHaveLength(6);
  });

  it('folds a 5,000-message import in bounded chunks, and a crash in the middle loses and doubles nothing', async () => {
    const contents = Array.from({ length: 5000 }, (_, i) => turns[i % turns.length]);
    await harness.say('import-a', contents);
    // Killed as soon as the first fold of the backlog is stored (polled tightly: the whole
    // import folds in seconds), then started again. The summary at the kill proves it was
    // mid-import.
    await eventually(
      async () => ((await harness.summary('import-a'))?.throughSeq ? true : undefined),
      120_000,
      10,
    );
    const killed = await harness.summarizer.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect((await harness.summary('import-a'))?.throughSeq).toBeLessThan(5000);
    await harness.startSummarizer();
    const a = await harness.waitForSummary('import-a', (s) => s.throughSeq === 5000, 300_000);

    // The same conversation again, without a crash: the same summary.
    await harness.say('import-b', contents);
    const b = await harness.waitForSummary('import-b', (s) => s.throughSeq === 5000, 300_000);
    expect(a.text).toBe(b.text);
    expect(a.text.length).toBeLessThanOrEqual(2000);

    for (const id of ['import-a', 'import-b']) {
      const versions = await harness.versions(id);
      expectContiguous(versions, 5000);
      // Every fold took at most 10 messages (a trigger interval) and stayed under the budget.
      expect(Math.max(...versions.map((v) => v.messageCount))).toBeLessThanOrEqual(10);
      expect(Math.max(...versions.map((v) => v.inputChars))).toBeLessThan(12_000 + 20_000);
    }
    const [memo] = await harness.dataSource.query<Array<{ bytes: number }>>(
      `SELECT pg_column_size(memo) AS bytes FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = 'import-a'`,
      [harness.tenantId],
    );
    expect(memo.bytes).toBeLessThan(64 * 1024);
  });

  it('folds a 64 KiB message whole, in parts, never cut to the chunk budget', async () => {
    const brief = longBrief(64 * 1024, 'Quillmere');
    await harness.say('long-message', [turns[0], brief, turns[1]]);
    await harness.waitForSummary('long-message', (s) => s.throughSeq === 3);
    const versions = await harness.versions('long-message');
    expectContiguous(versions, 3);
    // Cut to SUMMARY_CHUNK_CHARS (12,000), the folds would have read about a fifth of it.
    const read = versions.reduce((sum, version) => sum + version.inputChars, 0);
    expect(read).toBeGreaterThanOrEqual(brief.length);
    expect(versions.reduce((sum, version) => sum + version.messageCount, 0)).toBe(3);
  });

  it('refuses to start with a wrong setting, naming the variable', async () => {
    const wrong = harness
      .newSummarizer({ SUMMARY_BACKEND: 'gpt', SUMMARY_EVERY_MESSAGES: '-1' })
      .start();
    expect(await wrong.waitExit()).toBe(78);
    const output = wrong.output.join('\n');
    expect(output).toMatch(/SUMMARY_BACKEND: expected one of local, openai, got "gpt"/);
    expect(output).toMatch(
      /SUMMARY_EVERY_MESSAGES: expected an integer from 0 to 100000, got "-1"/,
    );
  });

  it('dead-letters a memory.messages.v1 record it cannot read, with bytes and reason, and keeps going', async () => {
    const dlqFrom = await endOffsets(harness.kafka, TOPICS.memoryMessagesDlq);
    const garbage = Buffer.from([0x7b, 0x22, 0xff, 0x00]);
    const producer = harness.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPICS.memoryMessages,
      messages: [
        { key: `${harness.tenantId}:garbage`, value: garbage },
        {
          key: `${harness.tenantId}:garbage`,
          value: JSON.stringify({
            schema: 'memory.message.v1',
            messageId: 'garbage-1',
            tenantId: harness.tenantId,
            conversationId: 'garbage',
            userId: 'user-1',
            role: 'user',
            content: 'a seq that is not a number',
            createdAt: '2026-03-01T10:00:00Z',
            seq: 'one',
            ingestedAt: '2026-03-01T10:00:01Z',
          }),
        },
      ],
    });
    await producer.disconnect();
    await harness.say('after-garbage', turns.slice(0, 10));
    await harness.waitForSummary('after-garbage', (s) => s.throughSeq === 10);

    const letters = await consumeUntil(harness.kafka, TOPICS.memoryMessagesDlq, {
      from: dlqFrom,
      keep: (record) => record.key?.toString() === `${harness.tenantId}:garbage`,
      done: (kept) => kept.length >= 2,
    });
    expect(letters).toHaveLength(2);
    expect(letters[0].value).toEqual(garbage);
    expect(letters[0].headers?.[DLQ_HEADERS.errorCode]?.toString()).toBe('NOT_JSON');
    expect(letters[1].headers?.[DLQ_HEADERS.errorCode]?.toString()).toBe('INVALID_FIELDS');
    expect(letters[1].headers?.[DLQ_HEADERS.errorReason]?.toString()).toMatch(/seq/);
    expect(letters[0].headers?.[DLQ_HEADERS.sourceTopic]?.toString()).toBe(TOPICS.memoryMessages);
  });

  it('fills a gap in seq from Postgres', async () => {
    const contents = turns.slice(60, 80);
    await harness.say('no-gap', contents);
    const reference = await harness.waitForSummary('no-gap', (s) => s.throughSeq === 20);

    // The summarizer misses the first 6 records of a conversation (as if they were lost).
    await harness.summarizer.stop();
    const before = await endOffsets(harness.kafka, TOPICS.memoryMessages);
    await harness.say('gap', contents);
    const records = await consumeUntil(harness.kafka, TOPICS.memoryMessages, {
      from: before,
      keep: (record) => record.key?.toString() === `${harness.tenantId}:gap`,
      done: (kept) => kept.length >= 20,
    });
    const sixth = records[6];
    const ends = await endOffsets(harness.kafka, TOPICS.memoryMessages);
    await setGroupOffsets(
      harness.kafka,
      harness.summarizerGroup,
      TOPICS.memoryMessages,
      ends.map((end) =>
        end.partition === sixth.partition
          ? { partition: end.partition, offset: sixth.offset }
          : end,
      ),
    );
    await harness.startSummarizer();
    const filled = await harness.waitForSummary('gap', (s) => s.throughSeq === 20);
    expect(filled.text).toBe(reference.text);
    expect((await harness.versions('gap'))[0]).toMatchObject({ fromSeq: 1, throughSeq: 10 });
    expect(harness.summarizer.output.join('\n')).toMatch(/gap in seq/);
  });

  it('backfills stored conversations from Postgres, resumably and idempotently, with a report', async () => {
    // Conversations stored while no summarizer runs.
    await harness.summarizer.stop();
    for (let c = 0; c < 12; c++) await harness.say(`stored-${c}`, turns.slice(c * 7, c * 7 + 23));
    await eventually(async () => {
      const [row] = await harness.dataSource.query<Array<{ n: string }>>(
        `SELECT count(*) AS n FROM conversations WHERE tenant_id = $1 AND conversation_id LIKE 'stored-%' AND last_seq = 23`,
        [harness.tenantId],
      );
      return Number(row?.n) === 12 ? true : undefined;
    });
    const env = { KAFKA_GROUP_PREFIX: harness.groupPrefix };
    const selection = [
      'summaries',
      'backfill',
      '--tenant',
      harness.tenantId,
      '--conversations',
      Array.from({ length: 12 }, (_, c) => `stored-${c}`).join(','),
      '--workers',
      '4',
    ];
    const bad = runCli([...selection, '--limit', '0'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--limit must be a whole number/);
    // Four at a time, stopped after five: the next run goes on after them.
    const partial = runCli([...selection, '--limit', '5'], env);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/stopped at --limit 5/);
    expect(JSON.parse(partial.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      total: 12,
      done: 5,
      failed: 0,
      resumed: false,
      limited: true,
    });
    const first = runCli(selection, env);
    expect(first.stderr).toMatch(/summaries backfill \[#+\.*\]/);
    expect(first.stderr).toMatch(/resuming after 5 conversations/);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(report).toMatchObject({ total: 12, done: 12, failed: 0, resumed: true, limited: false });
    for (let c = 0; c < 12; c++) {
      const summary = await harness.summary(`stored-${c}`);
      expect(summary).toMatchObject({ throughSeq: 23, publishedVersion: summary?.version });
    }

    // The whole tenant: the conversations of the earlier tests and these are up to date.
    const again = runCli(['summaries', 'backfill', '--tenant', harness.tenantId], env);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      done: 0,
      failed: 0,
    });
    const before = await harness.summary('stored-3');
    const rebuilt = runCli(
      [
        'summaries',
        'backfill',
        '--tenant',
        harness.tenantId,
        '--conversations',
        'stored-3',
        '--rebuild',
      ],
      env,
    );
    expect(JSON.parse(rebuilt.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      total: 1,
      done: 1,
    });
    const after = await harness.summary('stored-3');
    expect(after!.version).toBeGreaterThan(before!.version);
    expect(after!.text).toBe(before!.text);
  });

  it('resumes an interrupted rebuild after the last conversation it finished', async () => {
    const texts = new Map<string, string>();
    const rows = await harness.dataSource.query<Array<{ conversation_id: string; text: string }>>(
      `SELECT conversation_id, text FROM conversation_summaries WHERE tenant_id = $1`,
      [harness.tenantId],
    );
    for (const row of rows) texts.set(row.conversation_id, row.text);
    const args = ['summaries', 'backfill', '--tenant', harness.tenantId, '--rebuild'];
    const env = { KAFKA_GROUP_PREFIX: harness.groupPrefix };

    // Killed once it has finished two conversations (the 5,000-message imports come next).
    const cli = spawn(process.execPath, [CLI, ...args], { env: testEnv(env), stdio: 'ignore' });
    const exited = new Promise((done) => cli.once('exit', done));
    await eventually(async () => {
      const [run] = await harness.dataSource.query<Array<{ done: number }>>(
        `SELECT done FROM summary_backfills WHERE status = 'running' AND selection->>'tenantId' = $1`,
        [harness.tenantId],
      );
      return run && run.done >= 2 ? true : undefined;
    }, 60_000);
    cli.kill('SIGKILL');
    await exited;

    const resumed = runCli(args, env);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after \d+ conversations/);
    const report = JSON.parse(resumed.stdout.trim().split('\n').at(-1)!) as {
      resumed: boolean;
      total: number;
      done: number;
      failed: number;
      skipped: number;
    };
    expect(report.resumed).toBe(true);
    expect(report.done + report.skipped).toBe(report.total);
    expect(report.failed).toBe(0);
    // Rebuilt from seq 1: the same deterministic summaries, folded through the last message.
    for (const [conversationId, text] of texts) {
      const summary = await harness.summary(conversationId);
      expect(summary?.text).toBe(text);
      expect(summary?.throughSeq).toBe(summary?.seenSeq);
    }
  });
});
