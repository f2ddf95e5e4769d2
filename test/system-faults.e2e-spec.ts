import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { conversationKey, TOPICS } from '@memory/contracts';
import { prng } from '@memory/datasets';
import { ServiceName } from '@memory/config';
import { Message } from 'kafkajs';
import { eventually } from './support/eventually';
import { FakeLlmServer } from './support/fake-llm-server';
import { consumeUntil, endOffsets } from './support/kafka';
import { SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';
import { stack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';
import { deleteTenant, TEST_DATABASE_URL } from './support/test-database';

/**
 * Two sizes of the same run. `npm test` runs the check: every kind of fault on a load that
 * catches up in a few minutes. `npm run test:faults` (FAULT_PROFILE=soak) runs the soak:
 * 100,000 messages and three kills of each service. FAULT_MESSAGES, FAULT_CONVERSATIONS,
 * FAULT_BAD_RECORDS and FAULT_KILLS override either.
 */
const PROFILES = {
  check: { messages: 6_000, conversations: 200, badRecords: 40, kills: 1 },
  soak: { messages: 100_000, conversations: 2_000, badRecords: 300, kills: 3 },
} as const;
const PROFILE_NAME = process.env.FAULT_PROFILE ?? 'check';
if (!(PROFILE_NAME in PROFILES))
  throw new Error(`FAULT_PROFILE must be one of ${Object.keys(PROFILES).join(', ')}`);
const PROFILE = PROFILES[PROFILE_NAME as keyof typeof PROFILES];
const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
};
const MESSAGES = setting('FAULT_MESSAGES', PROFILE.messages);
const CONVERSATIONS = setting('FAULT_CONVERSATIONS', PROFILE.conversations);
const BAD_RECORDS = setting('FAULT_BAD_RECORDS', PROFILE.badRecords);
const TRACED_EVERY = 97;
const KILLS_PER_SERVICE = setting('FAULT_KILLS', PROFILE.kills);
/** Production is spread over this long, so that every fault hits a pipeline at work. */
const PRODUCE_OVER_MS = 60_000;
const SERVICES: ServiceName[] = ['ingest', 'summarizer', 'compressor', 'retention', 'search'];
const OPENSEARCH_URL = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
const ROOT = resolve(__dirname, '..');

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/*
 * The whole system under faults: the five services as processes (the summarizer on the openai
 * backend against the test's fake LLM), real Kafka, Postgres (behind a proxy the test can cut)
 * and OpenSearch. MESSAGES over CONVERSATIONS are produced over a minute, with invalid
 * records among them, while every service is killed (SIGKILL) KILLS_PER_SERVICE times at random
 * points and restarted, the Kafka broker is restarted, Postgres refuses connections for 10 s
 * and the LLM fails for a minute. Then: every valid message stored once with gap-free seqs,
 * every summary through its conversation's last seq and published, every index document at
 * the stored summary version, the DLQ holding exactly the invalid records, and every traced
 * message's trace carried on by ingest.
 */
describe('the system under faults', () => {
  const llm = new FakeLlmServer();
  const database = new URL(TEST_DATABASE_URL);
  const proxy = new TcpProxy(database.hostname, Number(database.port || 5432));
  let harness: SearchHarness;
  const processes = new Map<ServiceName, ServiceProcess>();
  const events: string[] = [];
  let started = 0;
  let env: Record<string, string> = {};
  const seed = Number(process.env.FAULT_SEED ?? Date.now() % 100_000);
  // Seeded, so a failing run can be repeated with the same kill times.
  const random = prng(seed);

  const log = (event: string): void => {
    const line = `${((Date.now() - started) / 1000).toFixed(1)}s ${event}`;
    events.push(line);
    process.stdout.write(`[faults] ${line}\n`);
  };

  const start = (service: ServiceName): ServiceProcess => {
    const child = new ServiceProcess(service, env).start();
    processes.set(service, child);
    return child;
  };

  beforeAll(async () => {
    const llmUrl = await llm.start();
    const proxyPort = await proxy.start();
    const throughProxy = new URL(TEST_DATABASE_URL);
    throughProxy.port = String(proxyPort);
    harness = new SearchHarness();
    await harness.setUp();
    env = {
      KAFKA_GROUP_PREFIX: harness.groupPrefix,
      OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
      DATABASE_URL: throughProxy.toString(),
      SUMMARY_BACKEND: 'openai',
      OPENAI_BASE_URL: llmUrl,
      OPENAI_MODEL: 'fake-summarizer',
      OPENAI_MAX_RETRIES: '2',
      OPENAI_TIMEOUT_MS: '2000',
      OPENAI_CIRCUIT_OPEN_MS: '2000',
      SUMMARY_EVERY_MESSAGES: '25',
      SUMMARY_IDLE_MS: '2000',
      SUMMARY_SWEEP_INTERVAL_MS: '500',
      // Embedding 2,000 summaries is the long pole of the catch-up; both cores help it.
      EMBEDDING_THREADS: '2',
      // Passages are written (keyword) but not embedded: 50,000 passage vectors would compete
      // with the summaries' catch-up and with ingest for the two cores this test measures.
      SEARCH_PASSAGE_VECTORS: 'false',
      RETENTION_INTERVAL_MS: '5000',
      COMPRESSOR_INTERVAL_MS: '5000',
      RETENTION_ARCHIVE_ROOT: resolve(ROOT, '.stack/fault-archive'),
    };
    for (const service of SERVICES) start(service);
    for (const service of SERVICES) await processes.get(service)?.waitReady(120_000);
  }, 300_000);

  afterAll(async () => {
    // Each step on its own: a failure of one must not leave the others' servers open.
    const steps: Array<() => Promise<unknown>> = [
      ...[...processes.values()].map((child) => () => child.stop('SIGKILL')),
      () => llm.stop(),
      () =>
        harness.dataSource.isInitialized
          ? deleteTenant(
              (sql, parameters) => harness.dataSource.query(sql, parameters),
              harness.tenantId,
            )
          : Promise.resolve(),
      () => harness.tearDown(),
      () => proxy.stop(),
    ];
    for (const step of steps)
      await step().catch((error: unknown) => {
        process.stdout.write(`[faults] cleanup step failed: ${String(error)}\n`);
      });
  });

  it('loses nothing and doubles nothing', async () => {
    const tenantId = harness.tenantId;
    const dlqFrom = await endOffsets(harness.kafka, TOPICS.chatMessagesDlq);
    const publishedFrom = harness.publishedFrom;

    // The records: valid messages in order per conversation, some traced, invalid ones among them.
    const traced = new Map<string, string>();
    const valid: Message[] = [];
    const perConversation = Math.ceil(MESSAGES / CONVERSATIONS);
    for (let i = 0; i < MESSAGES; i++) {
      const conversation = `fault-${i % CONVERSATIONS}`;
      const number = Math.floor(i / CONVERSATIONS) + 1;
      const messageId = `${conversation}-m${number}`;
      const record = harness.record(
        harness.message(
          conversation,
          messageId,
          `Note ${number} of ${conversation}: the ${['budget', 'venue', 'schedule'][i % 3]} ` +
            `is ${1_000 + (i % 977)} and Ana will confirm it by Friday.`,
          { createdAt: new Date(Date.now() - 3_600_000 + number * 1_000).toISOString() },
        ),
      );
      if (i % TRACED_EVERY === 0) {
        const traceId = randomBytes(16).toString('hex');
        traced.set(messageId, traceId);
        record.headers = { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
      }
      valid.push(record);
    }
    const badKeys = new Set<string>();
    const bad: Message[] = Array.from({ length: BAD_RECORDS }, (_, i) => {
      const key = conversationKey(tenantId, `fault-bad-${i}`);
      badKeys.add(key);
      const value =
        i % 3 === 0
          ? Buffer.from([0xff, 0xfe, 0x00, i % 256])
          : i % 3 === 1
            ? '{"schema": "chat.message.v1", "tenantId": "no closing brace"'
            : JSON.stringify({ schema: 'chat.message.v1', tenantId, messageId: `bad-${i}` });
      return { key, value };
    });
    // Invalid records go in the first half, before the broker restart: a producer retry after
    // it could write one twice, which the DLQ check below would (rightly) count twice.
    const records = [...valid];
    bad.forEach((record, i) =>
      records.splice(Math.floor((i / bad.length) * MESSAGES * 0.4), 0, record),
    );

    started = Date.now();
    const production = produceOver(records, PRODUCE_OVER_MS);

    // The faults, at seeded random points of the first 90 s.
    const faults: Array<{ at: number; run: () => Promise<void> }> = [];
    for (const service of SERVICES)
      for (let k = 0; k < KILLS_PER_SERVICE; k++)
        faults.push({
          at: 3_000 + random() * 85_000,
          run: async () => {
            log(`SIGKILL ${service}`);
            await processes.get(service)?.stop('SIGKILL');
            await sleep(1_000 + random() * 2_000);
            start(service);
            log(`restarted ${service}`);
          },
        });
    faults.push({
      at: 35_000,
      run: async () => {
        log('stopping the Kafka broker');
        stack('down', 'kafka');
        await sleep(3_000);
        stack('up');
        log('Kafka broker back');
      },
    });
    faults.push({
      at: 55_000,
      run: async () => {
        log('PostgreSQL refuses connections');
        await proxy.cut();
        try {
          await sleep(10_000);
        } finally {
          await proxy.restore();
        }
        log('PostgreSQL back');
      },
    });
    faults.push({
      at: 20_000,
      run: async () => {
        log('LLM fails (HTTP 500) for a minute');
        llm.mode = 'server_error';
        await sleep(60_000);
        llm.mode = 'ok';
        log('LLM back');
      },
    });
    faults.sort((a, b) => a.at - b.at);
    // Faults run one after the other; the LLM minute runs beside them.
    const beside: Array<Promise<void>> = [];
    for (const fault of faults) {
      await sleep(Math.max(0, started + fault.at - Date.now()));
      if (fault.at === 20_000) beside.push(fault.run());
      else await fault.run();
    }
    await Promise.all(beside);
    const producedFor = await production;
    log(`all ${records.length} records produced (${producedFor.retries} sends retried)`);
    for (const service of SERVICES) await processes.get(service)?.waitReady(180_000);
    const faultsOver = Date.now();

    // Catching up: everything stored, summarized, published and indexed.
    const conversationsDone = async (): Promise<number> => {
      const [row] = await harness.dataSource.query<Array<{ done: number }>>(
        `SELECT count(*)::int AS done FROM conversations c
           JOIN conversation_summaries s USING (tenant_id, conversation_id)
          WHERE c.tenant_id = $1 AND s.through_seq = c.last_seq
            AND s.published_version = s.version AND NOT s.llm_pending`,
        [tenantId],
      );
      return row.done;
    };
    await eventually(
      async () => ((await harness.storedCount()) >= MESSAGES ? true : undefined),
      900_000,
    );
    log('every message stored');
    await eventually(
      async () => ((await conversationsDone()) === CONVERSATIONS ? true : undefined),
      1_200_000,
    );
    log('every summary through its last seq, published, no LLM pass pending');
    const versions = new Map(
      (
        await harness.dataSource.query<Array<{ conversation_id: string; version: number }>>(
          `SELECT conversation_id, version FROM conversation_summaries WHERE tenant_id = $1`,
          [tenantId],
        )
      ).map((row) => [row.conversation_id, row.version]),
    );
    let mismatched: string[] = [];
    await eventually(async () => {
      const indexed = await indexedVersions(harness.indexPrefix, tenantId);
      mismatched = [...versions]
        .filter(([id, version]) => indexed.get(id) !== version)
        .map(([id]) => id);
      return mismatched.length === 0 && indexed.size === CONVERSATIONS ? true : undefined;
    }, 1_200_000).catch((error: unknown) => {
      throw new Error(
        `${mismatched.length} index documents behind, e.g. ${mismatched.slice(0, 5).join(', ')}`,
        {
          cause: error,
        },
      );
    });
    const caughtUpSeconds = (Date.now() - faultsOver) / 1000;
    log(
      `every index document at its summary version, ${caughtUpSeconds.toFixed(0)} s after the faults`,
    );

    // Every message Postgres holds is in the passages (archived ones are not), none twice:
    // passage ids are their windows, so a replayed window overwrites itself.
    const held = async (): Promise<Map<string, number>> =>
      new Map(
        (
          await harness.dataSource.query<Array<{ conversation_id: string; held: number }>>(
            `SELECT conversation_id, count(*)::int AS held FROM messages
              WHERE tenant_id = $1 GROUP BY conversation_id`,
            [tenantId],
          )
        ).map((row) => [row.conversation_id, row.held]),
      );
    let passagesBehind: string[] = [];
    await eventually(async () => {
      const [inPostgres, inPassages] = await Promise.all([
        held(),
        messagesInPassages(harness.indexPrefix, tenantId),
      ]);
      passagesBehind = [...new Set([...inPostgres.keys(), ...inPassages.keys()])].filter(
        (id) => (inPostgres.get(id) ?? 0) !== (inPassages.get(id) ?? 0),
      );
      return passagesBehind.length === 0 ? true : undefined;
    }, 600_000).catch((error: unknown) => {
      throw new Error(
        `${passagesBehind.length} conversations whose passages differ from the messages held, ` +
          `e.g. ${passagesBehind.slice(0, 5).join(', ')}`,
        { cause: error },
      );
    });
    log(
      `every message held is in the passages, ${((Date.now() - faultsOver) / 1000).toFixed(0)} s after the faults`,
    );

    // Stored exactly once, seq gap-free and in order.
    const [counts] = await harness.dataSource.query<Array<{ rows: number; distinct: number }>>(
      `SELECT count(*)::int AS rows, count(DISTINCT message_id)::int AS distinct
         FROM messages WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(counts).toEqual({ rows: MESSAGES, distinct: MESSAGES });
    const broken = await harness.dataSource.query<Array<{ conversation_id: string }>>(
      `SELECT conversation_id FROM messages WHERE tenant_id = $1 GROUP BY conversation_id
       HAVING count(*) <> max(seq) OR min(seq) <> 1
           OR bool_or(message_id <> conversation_id || '-m' || seq)`,
      [tenantId],
    );
    expect(broken).toEqual([]);
    expect(perConversation).toBe(MESSAGES / CONVERSATIONS);

    // The DLQ holds exactly the invalid records, bytes intact.
    const letters = await consumeUntil(harness.kafka, TOPICS.chatMessagesDlq, {
      from: dlqFrom,
      keep: (record) => Boolean(record.key?.toString().startsWith(`${tenantId}:`)),
      done: (kept) => new Set(kept.map((record) => record.key?.toString())).size >= BAD_RECORDS,
      timeoutMs: 60_000,
    });
    const lettered = new Set(letters.map((record) => record.key?.toString() ?? ''));
    expect([...lettered].filter((key) => !badKeys.has(key))).toEqual([]);
    expect(lettered.size).toBe(BAD_RECORDS);
    const badByKey = new Map(
      bad.map((record) => [String(record.key), Buffer.from(record.value as never)]),
    );
    for (const letter of letters)
      expect(
        Buffer.compare(
          letter.value ?? Buffer.alloc(0),
          badByKey.get(String(letter.key)) ?? Buffer.alloc(1),
        ),
      ).toBe(0);

    // Every traced message went on to memory.messages.v1 in its own trace, also after restarts.
    const republished = new Map<string, number>();
    const carried = new Map<string, Set<string>>();
    await consumeUntil(harness.kafka, TOPICS.memoryMessages, {
      from: publishedFrom,
      keep: (record) => {
        if (!record.key?.toString().startsWith(`${tenantId}:`)) return false;
        const { messageId } = JSON.parse(String(record.value)) as { messageId: string };
        republished.set(messageId, (republished.get(messageId) ?? 0) + 1);
        if (traced.has(messageId)) {
          const traceId = String(record.headers?.traceparent ?? '').split('-')[1] ?? '';
          carried.set(messageId, (carried.get(messageId) ?? new Set()).add(traceId));
        }
        return false;
      },
      done: () => republished.size >= MESSAGES,
      timeoutMs: 300_000,
    });
    expect(republished.size).toBe(MESSAGES);
    const brokenTraces = [...traced].filter(
      ([messageId, traceId]) => [...(carried.get(messageId) ?? [])].join() !== traceId,
    );
    expect(brokenTraces).toEqual([]);

    const figures = {
      profile: PROFILE_NAME,
      seed,
      messages: MESSAGES,
      conversations: CONVERSATIONS,
      invalidRecords: BAD_RECORDS,
      kills: SERVICES.length * KILLS_PER_SERVICE,
      brokerRestarts: 1,
      postgresOutageSeconds: 10,
      llmOutageSeconds: 60,
      storedDuplicates: counts.rows - counts.distinct,
      republishedRecords: [...republished.values()].reduce((a, b) => a + b, 0) - MESSAGES,
      producerRetries: producedFor.retries,
      llmRequests: llm.requests.length,
      tracedMessages: traced.size,
      catchUpSeconds: Math.round(caughtUpSeconds),
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    process.stdout.write(`[faults] figures ${JSON.stringify(figures)}\n`);
  }, 2_700_000);

  /** Produces `records` in order, spread over `overMs`; a send that fails is sent again. */
  async function produceOver(records: Message[], overMs: number): Promise<{ retries: number }> {
    const chunk = 500;
    const chunks = Math.ceil(records.length / chunk);
    let retries = 0;
    for (let i = 0; i < chunks; i++) {
      await sleep(Math.max(0, started + (i / chunks) * overMs - Date.now()));
      for (;;) {
        try {
          await harness.produce(records.slice(i * chunk, (i + 1) * chunk));
          break;
        } catch {
          retries++;
          await sleep(1_000);
        }
      }
    }
    return { retries };
  }
});

/**
 * conversationId -> messages the tenant's passages hold (distinct message ids; the windows
 * overlap). Exact at these sizes: the cardinality aggregation counts exactly below its
 * precision threshold.
 */
async function messagesInPassages(prefix: string, tenantId: string): Promise<Map<string, number>> {
  await fetch(`${OPENSEARCH_URL}/${prefix}-passages*/_refresh`, { method: 'POST' });
  const response = await fetch(`${OPENSEARCH_URL}/${prefix}-passages*/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      size: 0,
      query: { term: { tenantId } },
      aggs: {
        conversations: {
          terms: { field: 'conversationId', size: 10_000 },
          aggs: { messages: { cardinality: { field: 'messageIds', precision_threshold: 10_000 } } },
        },
      },
    }),
  });
  const body = (await response.json()) as {
    aggregations?: {
      conversations: { buckets: Array<{ key: string; messages: { value: number } }> };
    };
  };
  return new Map(
    (body.aggregations?.conversations.buckets ?? []).map((bucket) => [
      bucket.key,
      bucket.messages.value,
    ]),
  );
}

/** conversationId -> version of the tenant's documents in the index. */
async function indexedVersions(prefix: string, tenantId: string): Promise<Map<string, number>> {
  await fetch(`${OPENSEARCH_URL}/${prefix}-summaries*/_refresh`, { method: 'POST' });
  const versions = new Map<string, number>();
  let after: unknown[] | undefined;
  for (;;) {
    const response = await fetch(`${OPENSEARCH_URL}/${prefix}-summaries*/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        size: 1_000,
        _source: ['conversationId', 'version'],
        query: { term: { tenantId } },
        sort: [{ conversationId: 'asc' }],
        ...(after ? { search_after: after } : {}),
      }),
    });
    const body = (await response.json()) as {
      hits?: {
        hits: Array<{ _source: { conversationId: string; version: number }; sort: unknown[] }>;
      };
    };
    const hits = body.hits?.hits ?? [];
    for (const hit of hits) versions.set(hit._source.conversationId, hit._source.version);
    if (hits.length < 1_000) return versions;
    after = hits[hits.length - 1].sort;
  }
}
