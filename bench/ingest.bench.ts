// Ingest benchmark: how fast the real ingest service drains chat.messages.v1 into Postgres
// (and memory.messages.v1), compared with a naive per-message consumer measured in the same
// run on the same machine. A report, not a test: it exits 0 when a target is missed and
// non-zero only when the stored data is wrong (or the run itself fails).
//
//   npm run bench:ingest
//
// Steps: the local stack up (idempotent); build; fresh databases memory_bench and
// memory_bench_naive, migrated; the current end offsets of chat.messages.v1 noted; the bench
// records produced (before any consumer runs, so what is measured is the drain rate); the naive
// baseline over the first BENCH_NAIVE_MESSAGES records with its own group; the real ingest
// process (dist/) with a fresh consumer group positioned at the noted offsets, timed from its
// first stored row until every row is stored and its committed offsets reach the end; checks.
// Topics are never deleted or recreated; other users' groups and databases are not touched.
//
// Environment: BENCH_MESSAGES (200000), BENCH_CONVERSATIONS (10000), BENCH_TENANTS (5),
// BENCH_NAIVE_MESSAGES (5000), BENCH_SKIP_BUILD (false), BENCH_LOG_LEVEL (warn, for the
// ingest process), BENCH_NODE_ARGS (extra node flags for the ingest process, e.g. --cpu-prof),
// BENCH_INGEST_LOG (a file that gets the ingest process's output), BENCH_DRAIN_TIMEOUT_MS
// (600000), plus the services' KAFKA_BROKERS and
// DATABASE_URL (only its server is used; the databases are memory_bench*).
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { machineLine } from './lib/machine';
import { join } from 'node:path';
import { ConversationRepository, MessageRepository } from '@memory/persistence';
import { Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import { DataSource } from 'typeorm';
import { readPid } from '../deploy/stack/lib/processes.mjs';
import { defaultStackDir } from '../deploy/stack/models.mjs';
import { fmt, progress, say, table } from '../deploy/run/console';
import { cpuBetween, CpuSample, cpuSampler } from './lib/cpu';
import { BenchRecord, benchTenants, generateRecords } from './lib/data';
import { benchDataSource } from './lib/database';
import { runNaiveIngest } from './lib/naive';
import {
  brokers,
  databaseUrl,
  freePort,
  freshDatabase,
  intEnv,
  ROOT,
  serverUrl,
  sleep,
  stackAndBuild,
} from '../deploy/run/services';

const TOPIC_IN = 'chat.messages.v1';
const TOPIC_OUT = 'memory.messages.v1';
const TARGET_RATE = 20_000;
const TARGET_RATIO = 20;
/** A produce request carries one record batch per partition; stay under message.max.bytes. */
const PRODUCE_BATCH_BYTES = 900 * 1024;

const config = {
  messages: intEnv('BENCH_MESSAGES', 200_000),
  conversations: intEnv('BENCH_CONVERSATIONS', 10_000),
  tenants: intEnv('BENCH_TENANTS', 5),
  naiveMessages: intEnv('BENCH_NAIVE_MESSAGES', 5_000),
  drainTimeoutMs: intEnv('BENCH_DRAIN_TIMEOUT_MS', 600_000),
  skipBuild: process.env.BENCH_SKIP_BUILD === 'true',
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
  brokers: brokers(),
  serverUrl: serverUrl(),
};
if (config.naiveMessages > config.messages) config.naiveMessages = config.messages;
if (config.conversations > config.messages) throw new Error('more conversations than messages');

const urlOf = (name: string): string => databaseUrl(config.serverUrl, name);

const BENCH_DB = 'memory_bench';
const NAIVE_DB = 'memory_bench_naive';
const runId = `bench-${new Date()
  .toISOString()
  .replace(/[-:.TZ]/g, '')
  .slice(0, 14)}`;

// ---------------------------------------------------------------------------------------------
// Child processes and clean-up

const children = new Set<ChildProcess>();
const closers: Array<() => Promise<unknown>> = [];

function killChildren(signal: NodeJS.Signals): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

process.on('exit', () => killChildren('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    process.stdout.write(`\n[bench] ${signal}: stopping\n`);
    killChildren('SIGTERM');
    setTimeout(() => process.exit(130), 3_000).unref();
    void Promise.allSettled(closers.map((close) => close())).then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Setup

async function topicEnds(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
}

const sum = (map: Map<number, bigint>): bigint =>
  [...map.values()].reduce((total, v) => total + v, 0n);

async function ensureTopics(admin: Admin): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [TOPIC_IN, TOPIC_OUT].filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  // Only on a stack where no service ever ran: create them as the services would.
  say('kafka', `creating missing topics ${missing.join(', ')}`);
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 3),
      replicationFactor: Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1),
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(7 * 24 * 60 * 60 * 1000) },
      ],
    })),
  });
}

/** Points `groupId` (no member may be running) at `offsets` on `topic`. */
async function positionGroup(
  admin: Admin,
  groupId: string,
  offsets: Map<number, bigint>,
): Promise<void> {
  await admin.setOffsets({
    groupId,
    topic: TOPIC_IN,
    partitions: [...offsets].map(([partition, offset]) => ({
      partition,
      offset: offset.toString(),
    })),
  });
}

/** Groups with running members that read chat.messages.v1: they will read the bench too. */
async function activeReaders(admin: Admin): Promise<string[]> {
  const { groups } = await admin.listGroups();
  const ids = groups.map((g) => g.groupId).filter((id) => !id.startsWith(runId));
  if (ids.length === 0) return [];
  const described = await admin.describeGroups(ids);
  const active = described.groups.filter((g) => g.members.length > 0).map((g) => g.groupId);
  const readers: string[] = [];
  for (const groupId of active) {
    const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC_IN] });
    if (topic.partitions.some((p) => Number(p.offset) >= 0)) readers.push(groupId);
  }
  return readers;
}

async function committedOffsets(admin: Admin, groupId: string): Promise<Map<number, bigint>> {
  const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC_IN] });
  return new Map(topic.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}

// ---------------------------------------------------------------------------------------------
// Produce

async function produce(
  kafka: Kafka,
  records: readonly BenchRecord[],
): Promise<{ seconds: number; bytes: number }> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  closers.push(() => producer.disconnect());
  const admin = kafka.admin();
  await admin.connect();
  const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC_IN] });
  await admin.disconnect();
  const partitionMetadata = metadata.topics[0].partitions;
  // The partition the service's (Java-compatible) partitioner gives each key; records are
  // sent per partition, one request in flight per partition, so each keeps produce order.
  const partitioner = Partitioners.DefaultPartitioner();
  const perPartition = new Map<number, BenchRecord[]>(
    partitionMetadata.map((p) => [p.partitionId, []]),
  );
  for (const record of records) {
    const partition = partitioner({
      topic: TOPIC_IN,
      partitionMetadata,
      message: { key: record.key, value: record.value },
    });
    perPartition.get(partition)?.push(record);
  }

  const bar = progress('produce', records.length);
  let sent = 0;
  let bytes = 0;
  const started = Date.now();
  await Promise.all(
    [...perPartition].map(async ([partition, list]) => {
      let index = 0;
      while (index < list.length) {
        const batch: Array<BenchRecord & { partition: number }> = [];
        let size = 0;
        while (index < list.length && size < PRODUCE_BATCH_BYTES) {
          const record = list[index++];
          batch.push({ key: record.key, value: record.value, partition });
          size += record.key.length + Buffer.byteLength(record.value) + 64;
        }
        await producer.send({ topic: TOPIC_IN, acks: -1, messages: batch });
        sent += batch.length;
        bytes += size;
        bar.update(sent);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  bar.end(sent, `(${fmt(bytes / 1024 / 1024 / seconds, 1)} MB/s)`);
  await producer.disconnect();
  return { seconds, bytes };
}

// ---------------------------------------------------------------------------------------------
// The real ingest process

interface IngestProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | string | null>;
}

function startIngest(port: number, groupPrefix: string): IngestProcess {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/apps/ingest/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: urlOf(BENCH_DB),
      KAFKA_BROKERS: config.brokers.join(','),
      KAFKA_GROUP_PREFIX: groupPrefix,
      KAFKA_CLIENT_ID: `memory-ingest-${runId}`,
      INGEST_PORT: String(port),
      LOG_LEVEL: config.logLevel,
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const output: string[] = [];
  const logFile = process.env.BENCH_INGEST_LOG
    ? createWriteStream(process.env.BENCH_INGEST_LOG)
    : undefined;
  const collect = (chunk: Buffer): void => {
    logFile?.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      output.push(line);
      if (output.length > 500) output.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string | null>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal)),
  );
  return { child, output, exited };
}

async function waitIngestReady(
  ingest: IngestProcess,
  port: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ingest.child.exitCode !== null)
      throw new Error(`ingest exited during start-up:\n${ingest.output.join('\n')}`);
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`)
      .then((response) => response.status)
      .catch(() => 0);
    if (status === 200) return;
    await sleep(200);
  }
  throw new Error(`ingest not ready after ${timeoutMs} ms:\n${ingest.output.join('\n')}`);
}

async function stopIngest(ingest: IngestProcess): Promise<number | string | null> {
  if (ingest.child.exitCode === null && ingest.child.signalCode === null) {
    ingest.child.kill('SIGTERM');
  }
  const timer = setTimeout(() => ingest.child.kill('SIGKILL'), 15_000);
  const code = await ingest.exited;
  clearTimeout(timer);
  children.delete(ingest.child);
  return code;
}

async function drain({
  refreshPostgresPids,
  admin,
  conversations,
  ingest,
  groupId,
  ends,
  tenants,
  sampleCpu,
}: {
  refreshPostgresPids: () => Promise<void>;
  admin: Admin;
  conversations: ConversationRepository;
  ingest: IngestProcess;
  groupId: string;
  ends: Map<number, bigint>;
  tenants: string[];
  sampleCpu: () => CpuSample | undefined;
}): Promise<{ completeAt: number; samples: CpuSample[] }> {
  const expected = config.messages;
  const bar = progress('drain', expected);
  const deadline = Date.now() + config.drainTimeoutMs;
  const samples: CpuSample[] = [];
  let stored = 0;
  let completeAt = 0;
  let refreshedAt = 0;
  for (;;) {
    if (Date.now() - refreshedAt > 1_000) {
      // new backends appear as the ingest pool grows; a backend's CPU counts from its start
      await refreshPostgresPids();
      refreshedAt = Date.now();
    }
    if (ingest.child.exitCode !== null || ingest.child.signalCode !== null)
      throw new Error(`ingest exited during the drain:\n${ingest.output.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`drain not done after ${config.drainTimeoutMs} ms`);
    const cpu = sampleCpu();
    if (cpu) samples.push(cpu);
    stored = await conversations.messageCountForTenants(tenants);
    if (stored >= expected) {
      const committed = await committedOffsets(admin, groupId);
      const caughtUp = [...ends].every(([p, end]) => (committed.get(p) ?? -1n) >= end);
      if (caughtUp) {
        completeAt = Date.now();
        const last = sampleCpu();
        if (last) samples.push(last);
        break;
      }
      bar.update(stored, '(waiting for the offset commit)');
      await sleep(10);
      continue;
    }
    bar.update(stored);
    await sleep(100);
  }
  bar.end(stored);
  return { completeAt, samples };
}

// ---------------------------------------------------------------------------------------------
// Checks

async function check(
  dataSource: DataSource,
  tenants: string[],
  expectedConversations: number,
): Promise<string[]> {
  const failures: string[] = [];
  const messages = new MessageRepository(dataSource);
  const rows = await messages.countForTenants(tenants);
  if (rows !== config.messages)
    failures.push(`expected ${fmt(config.messages)} rows, found ${fmt(rows)}`);
  const conversations = await new ConversationRepository(dataSource).countForTenants(tenants);
  if (conversations !== expectedConversations)
    failures.push(
      `expected ${fmt(expectedConversations)} conversations, found ${fmt(conversations)}`,
    );
  // seq is 1..n without gaps, the conversation's counters agree.
  const gaps = await messages.countConversationsWithSeqGaps(tenants);
  if (gaps !== 0) failures.push(`${fmt(gaps)} conversations whose seq is not 1..n gap-free`);
  // seq follows produce order: message ids and createdAt grow with the produce index.
  const order = await messages.countOutOfOrder(tenants);
  if (order !== 0) failures.push(`${fmt(order)} messages whose seq is out of produce order`);
  return failures;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  say(
    'bench',
    `run ${runId}: ${fmt(config.messages)} messages over ${fmt(config.conversations)} conversations, ${config.tenants} tenants; naive slice ${fmt(config.naiveMessages)}`,
  );
  say('bench', `machine: ${machineLine()}`);

  stackAndBuild('bench', { skipBuild: config.skipBuild });
  await freshDatabase('bench', config.serverUrl, BENCH_DB);
  await freshDatabase('bench', config.serverUrl, NAIVE_DB);

  const kafka = new Kafka({
    clientId: `memory-bench-${runId}`,
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  closers.push(() => admin.disconnect());
  await ensureTopics(admin);

  say('bench', `generating ${fmt(config.messages)} records`);
  const generated = Date.now();
  const { records, conversationsUsed } = generateRecords(config);
  const avgBytes =
    records.reduce((total, r) => total + Buffer.byteLength(r.value), 0) / records.length;
  say(
    'bench',
    `generated in ${((Date.now() - generated) / 1000).toFixed(1)}s, ${fmt(avgBytes)} bytes per record on average`,
  );

  const readers = await activeReaders(admin);
  if (readers.length > 0)
    say(
      'bench',
      `warning: running consumer group(s) ${readers.join(', ')} read ${TOPIC_IN}: they will ingest the bench records too, and compete for the CPU if they run during the measure`,
    );
  const starts = await topicEnds(admin, TOPIC_IN);
  const outBefore = sum(await topicEnds(admin, TOPIC_OUT));
  const produced = await produce(kafka, records);
  const ends = await topicEnds(admin, TOPIC_IN);
  const added = sum(ends) - sum(starts);
  if (added < BigInt(config.messages))
    throw new Error(`chat.messages.v1 grew by ${added}, expected ${config.messages}`);
  if (added > BigInt(config.messages))
    say(
      'bench',
      `note: ${added - BigInt(config.messages)} records from someone else arrived meanwhile; ingest reads them too`,
    );
  records.length = 0; // let the strings go before the measured phases

  const tenants = benchTenants(config.tenants);

  // --- naive baseline ---
  const naiveGroup = `${runId}.naive`;
  await positionGroup(admin, naiveGroup, starts);
  const naiveBar = progress('naive', config.naiveMessages);
  const naive = await runNaiveIngest({
    kafka,
    topic: TOPIC_IN,
    groupId: naiveGroup,
    databaseUrl: urlOf(NAIVE_DB),
    limit: config.naiveMessages,
    onProgress: (n) => naiveBar.update(n),
  });
  naiveBar.end(naive.messages);
  const naiveSeconds = (naive.lastAt - naive.firstAt) / 1000;
  const naiveRate = naive.messages / naiveSeconds;
  const naiveDb = await benchDataSource(urlOf(NAIVE_DB), 'memory-bench-naive-check');
  // the naive database is the bench's own: every row in it came from the naive consumer
  const naiveRows = await new MessageRepository(naiveDb).countAll();
  await naiveDb.destroy();
  await admin.deleteGroups([naiveGroup]).catch(() => undefined);

  // --- the real pipeline ---
  const groupPrefix = runId;
  const groupId = `${groupPrefix}.ingest`;
  await positionGroup(admin, groupId, starts);
  // One connection (see benchDataSource), opened before ingest starts and held to the end.
  const db = await benchDataSource(urlOf(BENCH_DB), 'memory-bench');
  closers.push(() => db.destroy());
  const conversations = new ConversationRepository(db);
  const port = await freePort();
  say(
    'ingest',
    `starting dist/apps/ingest (group ${groupId}, port ${port}, LOG_LEVEL=${config.logLevel})`,
  );
  const ingest = startIngest(port, groupPrefix);
  closers.push(() => stopIngest(ingest));
  // The engines' processes when this machine runs them (a pid file of the local stack).
  const kafkaPid = readPid(join(defaultStackDir(), 'kafka', 'engine.pid'));
  const opensearchPid = readPid(join(defaultStackDir(), 'opensearch', 'engine.pid'));
  // Postgres: the backends of the bench database and the server's background processes
  // (WAL writer, checkpointer, ...), not the backends other users of the server have.
  let postgresPids: number[] = [];
  const refreshPostgresPids = async (): Promise<void> => {
    const rows = await db.query<Array<{ pid: number }>>(
      `SELECT pid FROM pg_stat_activity
       WHERE datname = current_database() OR backend_type <> 'client backend'`,
    );
    postgresPids = rows.map((row) => row.pid);
  };
  const sampleCpu = cpuSampler(
    {
      ingest: () => [ingest.child.pid],
      kafka: () => (kafkaPid ? [kafkaPid] : []),
      opensearch: () => (opensearchPid ? [opensearchPid] : []),
      bench: () => [process.pid],
    },
    () => postgresPids,
  );
  await waitIngestReady(ingest, port);
  say('ingest', 'ready; draining');
  const { completeAt, samples } = await drain({
    refreshPostgresPids,
    admin,
    conversations,
    ingest,
    groupId,
    ends,
    tenants,
    sampleCpu,
  });
  const exitCode = await stopIngest(ingest);

  const timing = await new MessageRepository(db).ingestTimes(tenants);
  const firstAt = timing.firstMs;
  const drainSeconds = (completeAt - firstAt) / 1000;
  const rate = config.messages / drainSeconds;
  const steadyRate = (0.8 * config.messages) / ((timing.p90Ms - timing.p10Ms) / 1000);
  const fromSample = samples.reduce(
    (best, s) => (Math.abs(s.at - firstAt) < Math.abs(best.at - firstAt) ? s : best),
    samples[0],
  );
  const cpu = cpuBetween(fromSample, samples[samples.length - 1]);

  const outAfter = sum(await topicEnds(admin, TOPIC_OUT));
  const published = outAfter - outBefore;
  const failures = await check(db, tenants, conversationsUsed);
  if (published < BigInt(config.messages))
    failures.push(
      `memory.messages.v1 grew by ${fmt(Number(published))}, expected at least ${fmt(config.messages)}`,
    );
  if (naiveRows !== naive.messages - naive.skipped)
    failures.push(
      `naive stored ${fmt(naiveRows)} rows for ${fmt(naive.messages - naive.skipped)} valid records`,
    );
  if (exitCode !== 0) say('ingest', `note: exited with ${String(exitCode)} on SIGTERM`);
  await db.destroy();
  closers.length = 0;
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();

  // --- report ---
  const ratio = rate / naiveRate;
  process.stdout.write('\n');
  say('bench', `machine: ${machineLine()}`);
  say(
    'bench',
    `records: ${fmt(config.messages)} (${fmt(avgBytes)} B avg), ${fmt(conversationsUsed)} conversations; produced at ${fmt(config.messages / produced.seconds)} msg/s before ingest started`,
  );
  process.stdout.write(
    '\n' +
      table(
        [
          ['measure', 'value'],
          ['pipeline (ingest process), msg/s', fmt(rate)],
          ['  drain time (first row → all stored and committed)', `${drainSeconds.toFixed(2)} s`],
          ['  steady rate (10th → 90th percentile row)', `${fmt(steadyRate)} msg/s`],
          [
            '  store transactions (≈ batches), avg size',
            `${fmt(timing.transactions)}, ${fmt(config.messages / timing.transactions)} msgs`,
          ],
          ['  published to memory.messages.v1', fmt(Number(published))],
          [
            'naive per-message, msg/s',
            `${fmt(naiveRate)} (${fmt(naive.messages)} msgs in ${naiveSeconds.toFixed(2)} s)`,
          ],
          ['ratio pipeline / naive', `${fmt(ratio, 1)}×`],
          [`target ≥ ${fmt(TARGET_RATE)} msg/s`, rate >= TARGET_RATE ? 'met' : 'MISSED'],
          [`target ≥ ${TARGET_RATIO}× naive`, ratio >= TARGET_RATIO ? 'met' : 'MISSED'],
          [
            'correctness (rows, seq 1..n in order, published)',
            failures.length === 0 ? 'ok' : 'FAILED',
          ],
        ],
        [1],
      ) +
      '\n',
  );
  if (cpu) {
    const names = ['ingest', 'postgres', 'kafka', 'opensearch', 'bench', 'other'];
    process.stdout.write(
      `\nCPU during the drain (${cpu.wall.toFixed(2)} s wall, ${fmt(cpu.capacity / cpu.wall, 0)} cores; busy ${fmt((100 * cpu.busy) / cpu.capacity, 0)}% of the machine):\n` +
        table(
          [
            ['process', 'CPU s', '% of one core', '% of busy'],
            ...names.map((name) => [
              name,
              cpu.groups[name].toFixed(2),
              fmt((100 * cpu.groups[name]) / cpu.wall, 0),
              fmt((100 * cpu.groups[name]) / Math.max(cpu.busy, 1e-9), 0),
            ]),
          ],
          [1, 2, 3],
        ) +
        '\n',
    );
  }
  for (const failure of failures) say('check', `FAILED: ${failure}`);
  return failures.length === 0 ? 0 : 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killChildren('SIGTERM');
    process.stderr.write(
      `\n[bench] failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);
