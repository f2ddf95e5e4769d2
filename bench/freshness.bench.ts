// Freshness: how long after a message is produced it can be found, through the five real
// services and the stack. A report, not a test: it exits non-zero only when the run fails.
//
//   npm run bench:freshness [-- --out <file>]
//
// 1. stack up, build, a fresh `memory_bench_freshness` database, group and index prefixes of
//    its own; ingest, summarizer (local backend), search, compressor and retention from dist/.
// 2. Steady phases, one per rate (BENCH_RATES, default 250,1000 msg/s, the lighter first so the
//    heavier one's backlog does not weigh on it; `none`: no steady phase), each BENCH_STEADY_SECONDS
//    (180) over BENCH_CONVERSATIONS (1000) conversations of chat-like messages. Every
//    BENCH_PROBE_EVERY_MS (2000) one probe goes with them: a message in a conversation and user
//    of its own that says something (from a fixed pool) and holds a word no other message
//    holds. Each probe is polled through POST /v1/search scoped to its user: found by keyword
//    when a keyword search for its word returns it, by paraphrase when a semantic search for a
//    paraphrase of what it says returns it (a conversation is returned by the semantic lists
//    only once one of its passages or its summary has a vector). Polling goes on for
//    BENCH_DRAIN_SECONDS (60) after the phase; a probe not found by then counts as never found.
//    At the end of a phase: the passages and summaries still waiting for their vector, the
//    vectors the fillers set per second over the phase (the search service's counters), and
//    the search indexer's lag on memory.summaries.v1. Keyword freshness split in its stages:
//    produced → stored by ingest (the message's `ingested_at`), → its passage built by the
//    passage indexer (the passage's `indexedAt`), → found (bulk write, refresh, polling).
// 3. Backlog phase (skip with BENCH_BACKLOG=false): the summarizer restarted on an in-process
//    OpenAI-compatible fake (LLM-length summaries, as the fault test uses), then
//    BENCH_BACKLOG_CONVERSATIONS (2000) x BENCH_BACKLOG_MESSAGES (50) produced at once, in a
//    tenant of their own (the steady phases' backlog, if any, is still being worked off); seconds
//    from the last record until every conversation's last message is in a passage (keyword)
//    and until every conversation's summary through its last message is indexed with its
//    vector (semantic; `summariesSeconds`: until it is indexed at all, found by keyword),
//    watched in the index for up to BENCH_BACKLOG_TIMEOUT_SECONDS (900).
// 4. CPU seconds per process for each phase.
//
// `--out <file>` writes the figures as JSON (steady.keyword.p95Ms, steady.semantic.p95Ms for
// 1000 msg/s, steady<rate>.* for the others, e.g. steady250.keyword.p95Ms;
// backlog.keywordSeconds, backlog.semanticSeconds: null when not reached).
// BENCH_SKIP_BUILD=true reuses dist/.
import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSUMER_GROUPS, consumerGroupPairs, TOPICS } from '@memory/contracts';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { MessageRepository } from '@memory/persistence';
import { readPid } from '../deploy/stack/lib/processes.mjs';
import { defaultStackDir } from '../deploy/stack/models.mjs';
import { fmt, option, progress, say, table } from '../deploy/run/console';
import {
  apiKey,
  brokers,
  databaseUrl,
  freePort,
  freshDatabase,
  groupsAtEnd,
  intEnv,
  serverUrl,
  sleep,
  stackAndBuild,
  startService,
  stopServicesAndWait,
  waitReady,
} from '../deploy/run/services';
import { FakeLlmServer } from '../test/support/fake-llm-server';
import { counter } from '../test/support/metrics';
import { cpuBetween, CpuDelta, cpuSampler } from './lib/cpu';
import { benchDataSource } from './lib/database';
import { machine, machineLine } from './lib/machine';
import { generateRecords } from './lib/data';
import { nextPoll, Probe, probeMaker, quantiles, Quantiles } from './lib/freshness-probes';

const DB = 'memory_bench_freshness';
const OPENSEARCH = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
const RATES =
  process.env.BENCH_RATES === 'none'
    ? []
    : (process.env.BENCH_RATES ?? '250,1000').split(',').map(Number);
const STEADY_SECONDS = intEnv('BENCH_STEADY_SECONDS', 180);
const CONVERSATIONS = intEnv('BENCH_CONVERSATIONS', 1000);
const PROBE_EVERY_MS = intEnv('BENCH_PROBE_EVERY_MS', 2000);
const DRAIN_SECONDS = intEnv('BENCH_DRAIN_SECONDS', 60);
const BACKLOG = process.env.BENCH_BACKLOG !== 'false';
const BACKLOG_CONVERSATIONS = intEnv('BENCH_BACKLOG_CONVERSATIONS', 2000);
const BACKLOG_MESSAGES = intEnv('BENCH_BACKLOG_MESSAGES', 50);
const BACKLOG_TIMEOUT_SECONDS = intEnv('BENCH_BACKLOG_TIMEOUT_SECONDS', 900);
const SERVICES = ['ingest', 'summarizer', 'search', 'compressor', 'retention'] as const;
type Service = (typeof SERVICES)[number];

interface SteadyFigures {
  rate: number;
  produced: number;
  achievedRate: number;
  probes: number;
  keyword: Quantiles;
  semantic: Quantiles;
  passagesWaitingForVectors: number;
  /** Summary documents still waiting for their vector at the end of the phase. */
  summariesWaitingForVectors: number;
  /** Vectors the fillers set per second over the phase (all tenants: the model's rate). */
  vectorsPerSecond: { passages: number; summaries: number };
  /** Query vectors the searches (mostly the probes' polls) asked for: held, or embedded. */
  queryVectors: { kept: number; embedded: number };
  summaryIndexerLag: number;
  /**
   * Where keyword freshness goes, per probe: produced → stored by ingest (`ingested_at`, its
   * transaction's start), stored → its passage built by the passage indexer (`indexedAt`, after
   * the window is read back, before the bulk write), built → found by keyword (the bulk write,
   * the next refresh and the poll's granularity of 200 ms).
   */
  stages: { stored: Quantiles; built: Quantiles; found: Quantiles };
  cpuSeconds: Record<string, number>;
}

/** Chat-like message texts, reused round-robin (what they say does not matter here). */
const TEXTS = generateRecords({ messages: 5000, conversations: 5000, tenants: 1 }).records.map(
  (record) => (JSON.parse(record.value) as { content: string }).content,
);

function chatRecord(
  tenantId: string,
  conversationId: string,
  userId: string,
  messageId: string,
  content: string,
  turn: number,
): { key: string; value: string } {
  return {
    key: `${tenantId}:${conversationId}`,
    value: JSON.stringify({
      schema: 'chat.message.v1',
      messageId,
      tenantId,
      conversationId,
      userId,
      role: turn % 2 === 0 ? 'user' : 'assistant',
      content,
      createdAt: new Date().toISOString(),
    }),
  };
}

async function searchOnce(
  url: string,
  key: string,
  body: Record<string, unknown>,
): Promise<boolean> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) return false;
  const json = (await response.json()) as { results?: unknown[] };
  return (json.results ?? []).length > 0;
}

/** Polls the probes due, until each is found both ways or `until` passes. */
async function pollProbes(
  probes: Probe[],
  searchUrl: string,
  key: string,
  until: () => boolean,
): Promise<void> {
  while (!until()) {
    const now = Date.now();
    const due = probes.filter(
      (p) => (p.keywordMs === undefined || p.semanticMs === undefined) && p.nextPollAt <= now,
    );
    await Promise.all(
      due.map(async (probe) => {
        const asks = [
          ['keywordMs', 'keyword', probe.token],
          ['semanticMs', 'semantic', probe.paraphrase],
        ] as const;
        for (const [field, mode, query] of asks) {
          if (probe[field] !== undefined) continue;
          const body = { query, mode, userId: probe.userId, k: 1, evidence: 0 };
          const found = await searchOnce(searchUrl, key, body).catch(() => false);
          if (found) probe[field] = Date.now() - probe.producedAt;
        }
        probe.nextPollAt = nextPoll(probe, Date.now());
      }),
    );
    await sleep(50);
  }
}

async function count(index: string, query: unknown): Promise<number> {
  const response = await fetch(`${OPENSEARCH}/${index}/_count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return ((await response.json()) as { count?: number }).count ?? 0;
}

/** How many distinct conversations have a document matching `query` (exact below 40,000). */
async function conversationsIn(index: string, query: unknown): Promise<number> {
  const response = await fetch(`${OPENSEARCH}/${index}/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      size: 0,
      query,
      aggs: {
        conversations: { cardinality: { field: 'conversationId', precision_threshold: 40_000 } },
      },
    }),
  });
  const json = (await response.json()) as {
    aggregations?: { conversations?: { value?: number } };
  };
  return json.aggregations?.conversations?.value ?? 0;
}

async function groupLag(kafka: Kafka, group: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const at = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce(
      (sum, end) => sum + Math.max(0, Number(end.offset) - Math.max(0, at.get(end.partition) ?? 0)),
      0,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Produces `rate` msg/s for `seconds` over the phase's conversations, with a probe now and then. */
async function steadyPhase(args: {
  rate: number;
  phase: string;
  tenantId: string;
  producer: Producer;
  searchUrl: string;
  key: string;
  prefix: string;
  kafka: Kafka;
  sampleCpu: () => ReturnType<ReturnType<typeof cpuSampler>>;
}): Promise<SteadyFigures> {
  const { rate, phase, tenantId, producer } = args;
  const makeProbe = probeMaker(phase, rate);
  const probes: Probe[] = [];
  const turns = new Uint32Array(CONVERSATIONS);
  let sent = 0;
  let nextProbeAt = Date.now() + PROBE_EVERY_MS;
  const cpuFrom = args.sampleCpu();
  const vectorsFrom = await vectorsSet(args.searchUrl);
  const started = Date.now();
  const endAt = started + STEADY_SECONDS * 1000;
  let producing = true;
  const poller = pollProbes(probes, args.searchUrl, args.key, () => !producing && done());
  const drainUntil = (): number => endAt + DRAIN_SECONDS * 1000;
  const done = (): boolean =>
    Date.now() > drainUntil() ||
    probes.every((p) => p.keywordMs !== undefined && p.semanticMs !== undefined);
  const shown = progress('freshness', rate * STEADY_SECONDS);
  const findings = (): string =>
    `produced; probes found by keyword ${probes.filter((p) => p.keywordMs !== undefined).length}, ` +
    `by paraphrase ${probes.filter((p) => p.semanticMs !== undefined).length} of ${probes.length}`;
  while (Date.now() < endAt) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
    const messages = [];
    for (let i = 0; i < due; i += 1) {
      const c = (sent + i) % CONVERSATIONS;
      const turn = turns[c]++;
      messages.push(
        chatRecord(
          tenantId,
          `${phase}-c${c}`,
          `${phase}-u${c % 250}`,
          `${phase}-c${c}-m${turn}`,
          TEXTS[(sent + i) % TEXTS.length],
          turn,
        ),
      );
    }
    if (Date.now() >= nextProbeAt) {
      const probe = makeProbe(Date.now());
      probes.push(probe);
      messages.push(
        chatRecord(
          tenantId,
          probe.conversationId,
          probe.userId,
          `${probe.conversationId}-m0`,
          probe.content,
          0,
        ),
      );
      nextProbeAt += PROBE_EVERY_MS;
    }
    if (messages.length > 0) await producer.send({ topic: TOPICS.chatMessages, messages });
    sent += due;
    shown.update(sent, findings());
    await sleep(100);
  }
  shown.end(sent, findings());
  const produceSeconds = (Date.now() - started) / 1000;
  const cpuTo = args.sampleCpu();
  producing = false;
  const passagesWaiting = await count(`${args.prefix}-passages`, {
    bool: { filter: [{ term: { tenantId } }, { term: { embedded: false } }] },
  });
  const summariesWaiting = await count(`${args.prefix}-summaries`, {
    bool: { filter: [{ term: { tenantId } }, { term: { vectorPending: true } }] },
  });
  const vectorsTo = await vectorsSet(args.searchUrl);
  const lag = await groupLag(
    args.kafka,
    `${args.prefix}.${CONSUMER_GROUPS.searchIndexer.group}`,
    TOPICS.memorySummaries,
  );
  await poller;
  const stages = await stagesOf(probes, tenantId, args.prefix);
  const cpu = cpuBetween(cpuFrom, cpuTo);
  return {
    rate,
    produced: sent,
    achievedRate: sent / produceSeconds,
    probes: probes.length,
    keyword: quantiles(probes.map((p) => p.keywordMs)),
    semantic: quantiles(probes.map((p) => p.semanticMs)),
    passagesWaitingForVectors: passagesWaiting,
    summariesWaitingForVectors: summariesWaiting,
    vectorsPerSecond: {
      passages: round1((vectorsTo.passages - vectorsFrom.passages) / produceSeconds),
      summaries: round1((vectorsTo.summaries - vectorsFrom.summaries) / produceSeconds),
    },
    queryVectors: {
      kept: vectorsTo.queriesKept - vectorsFrom.queriesKept,
      embedded: vectorsTo.queriesEmbedded - vectorsFrom.queriesEmbedded,
    },
    summaryIndexerLag: lag,
    stages,
    cpuSeconds: cpu ? roundGroups(cpu) : {},
  };
}

/** The stages of each probe's keyword freshness (see `SteadyFigures.stages`). */
async function stagesOf(
  probes: readonly Probe[],
  tenantId: string,
  prefix: string,
): Promise<SteadyFigures['stages']> {
  const ids = probes.map((probe) => probe.conversationId);
  const db = await benchDataSource(databaseUrl(serverUrl(), DB), 'memory-bench-freshness');
  let stored: Map<string, number>;
  try {
    stored = await new MessageRepository(db).firstIngestedAt(tenantId, ids);
  } finally {
    await db.destroy();
  }
  const response = await fetch(`${OPENSEARCH}/${prefix}-passages/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      size: ids.length,
      _source: ['conversationId', 'indexedAt'],
      query: {
        bool: { filter: [{ term: { tenantId } }, { terms: { conversationId: ids } }] },
      },
    }),
  });
  const hits =
    (
      (await response.json()) as {
        hits?: { hits?: Array<{ _source: { conversationId: string; indexedAt: string } }> };
      }
    ).hits?.hits ?? [];
  const built = new Map(
    hits.map((hit) => [hit._source.conversationId, Date.parse(hit._source.indexedAt)]),
  );
  const between = (from: number | undefined, to: number | undefined): number | undefined =>
    from === undefined || to === undefined ? undefined : Math.max(0, to - from);
  return {
    stored: quantiles(probes.map((p) => between(p.producedAt, stored.get(p.conversationId)))),
    built: quantiles(
      probes.map((p) => between(stored.get(p.conversationId), built.get(p.conversationId))),
    ),
    found: quantiles(
      probes.map((p) =>
        between(
          built.get(p.conversationId),
          p.keywordMs === undefined ? undefined : p.producedAt + p.keywordMs,
        ),
      ),
    ),
  };
}

/** Vectors the fillers have set and query vectors asked for so far (the search service's counters). */
async function vectorsSet(searchUrl: string): Promise<{
  passages: number;
  summaries: number;
  queriesKept: number;
  queriesEmbedded: number;
}> {
  const service = new URL(searchUrl).origin;
  return {
    queriesKept: await counter(service, 'search_query_vectors_total', 'outcome="kept"'),
    queriesEmbedded: await counter(service, 'search_query_vectors_total', 'outcome="embedded"'),
    passages: await counter(service, 'search_passages_vectors_filled_total', 'outcome="filled"'),
    summaries: await counter(service, 'search_summaries_vectors_filled_total', 'outcome="filled"'),
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function roundGroups(cpu: CpuDelta): Record<string, number> {
  return Object.fromEntries(
    Object.entries(cpu.groups).map(([name, seconds]) => [name, Math.round(seconds * 10) / 10]),
  );
}

async function backlogPhase(args: {
  tenantId: string;
  producer: Producer;
  prefix: string;
  sampleCpu: () => ReturnType<ReturnType<typeof cpuSampler>>;
}): Promise<Record<string, unknown>> {
  const { tenantId, producer, prefix } = args;
  const cpuFrom = args.sampleCpu();
  const produceStarted = Date.now();
  for (let m = 0; m < BACKLOG_MESSAGES; m += 1) {
    const messages = [];
    for (let c = 0; c < BACKLOG_CONVERSATIONS; c += 1)
      messages.push(
        chatRecord(
          tenantId,
          `backlog-c${c}`,
          `backlog-u${c % 500}`,
          `backlog-c${c}-m${m}`,
          TEXTS[(c * 7 + m) % TEXTS.length],
          m,
        ),
      );
    await producer.send({ topic: TOPICS.chatMessages, messages });
  }
  const lastRecordAt = Date.now();
  say(
    'freshness',
    `backlog: ${BACKLOG_CONVERSATIONS * BACKLOG_MESSAGES} messages produced in ${fmt((lastRecordAt - produceStarted) / 1000, 1)} s`,
  );
  let keywordSeconds: number | null = null;
  let semanticSeconds: number | null = null;
  let withLast = 0;
  let summarized = 0;
  let summariesIn = 0;
  let summariesSeconds: number | null = null;
  const deadline = lastRecordAt + BACKLOG_TIMEOUT_SECONDS * 1000;
  let lastReport = 0;
  while (Date.now() < deadline && (keywordSeconds === null || semanticSeconds === null)) {
    withLast = await conversationsIn(`${prefix}-passages`, {
      bool: { filter: [{ term: { tenantId } }, { term: { seqTo: BACKLOG_MESSAGES } }] },
    });
    // Semantic: the summary through the last message has its vector (two-phase indexing
    // writes the text first).
    summarized = await conversationsIn(`${prefix}-summaries`, {
      bool: {
        filter: [
          { term: { tenantId } },
          { term: { throughSeq: BACKLOG_MESSAGES } },
          { exists: { field: 'embedding' } },
        ],
      },
    });
    summariesIn = await conversationsIn(`${prefix}-summaries`, {
      bool: { filter: [{ term: { tenantId } }, { term: { throughSeq: BACKLOG_MESSAGES } }] },
    });
    const now = Date.now();
    if (keywordSeconds === null && withLast >= BACKLOG_CONVERSATIONS)
      keywordSeconds = (now - lastRecordAt) / 1000;
    if (semanticSeconds === null && summarized >= BACKLOG_CONVERSATIONS)
      semanticSeconds = (now - lastRecordAt) / 1000;
    if (summariesSeconds === null && summariesIn >= BACKLOG_CONVERSATIONS)
      summariesSeconds = (now - lastRecordAt) / 1000;
    if (now - lastReport > 15_000) {
      say(
        'freshness',
        `backlog +${fmt((now - lastRecordAt) / 1000)} s: last message in a passage for ${withLast}, summary through it indexed for ${summariesIn}, with its vector for ${summarized} of ${BACKLOG_CONVERSATIONS}`,
      );
      lastReport = now;
    }
    await sleep(1000);
  }
  const cpu = cpuBetween(cpuFrom, args.sampleCpu());
  const passagesWaiting = await count(`${prefix}-passages`, {
    bool: { filter: [{ term: { tenantId } }, { term: { embedded: false } }] },
  });
  return {
    conversations: BACKLOG_CONVERSATIONS,
    messages: BACKLOG_CONVERSATIONS * BACKLOG_MESSAGES,
    keywordSeconds,
    semanticSeconds,
    // Every summary through the last message written (searchable by keyword), vector or not.
    summariesSeconds,
    // Where each stood when the watch ended (all of them, unless it timed out).
    keywordConversations: withLast,
    semanticConversations: summarized,
    summarizedConversations: summariesIn,
    passagesWaitingForVectors: passagesWaiting,
    cpuSeconds: cpu ? roundGroups(cpu) : {},
  };
}

async function main(): Promise<void> {
  const out = option('out');
  stackAndBuild('freshness', { skipBuild: process.env.BENCH_SKIP_BUILD === 'true' });
  await freshDatabase('freshness', serverUrl(), DB);
  const prefix = `fresh-${randomUUID().slice(0, 8)}`;
  const tenantId = `${prefix}-tenant`;
  const kafka = new Kafka({
    clientId: 'bench-freshness',
    brokers: brokers(),
    logLevel: logLevel.NOTHING,
  });
  await groupsAtEnd(kafka, prefix, consumerGroupPairs());
  const ports = Object.fromEntries(
    await Promise.all(SERVICES.map(async (name) => [name, await freePort()] as const)),
  ) as Record<Service, number>;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl(serverUrl(), DB),
    KAFKA_GROUP_PREFIX: prefix,
    OPENSEARCH_INDEX_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    SEARCH_RATE_LIMIT_PER_SECOND: '100000',
    SEARCH_RATE_LIMIT_BURST: '100000',
    ...Object.fromEntries(
      SERVICES.map((name) => [`${name.toUpperCase()}_PORT`, String(ports[name])]),
    ),
  };
  const children = new Map<Service, ChildProcess>();
  for (const name of SERVICES) children.set(name, startService('freshness', name, env));
  for (const name of SERVICES) await waitReady(ports[name]);
  const key = apiKey(tenantId, 'bench-freshness', 'search', env);
  const searchUrl = `http://127.0.0.1:${ports.search}/v1/search`;
  const stackDir = defaultStackDir();
  const kafkaPid = readPid(join(stackDir, 'kafka', 'engine.pid'));
  const opensearchPid = readPid(join(stackDir, 'opensearch', 'engine.pid'));
  const sampleCpu = cpuSampler({
    ...Object.fromEntries(SERVICES.map((name) => [name, () => [children.get(name)?.pid]])),
    kafka: () => (kafkaPid ? [kafkaPid] : []),
    opensearch: () => (opensearchPid ? [opensearchPid] : []),
    bench: () => [process.pid],
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  say(
    'freshness',
    `services ready (prefix ${prefix}); steady phases at ${RATES.join(', ')} msg/s, ${STEADY_SECONDS} s each`,
  );

  const results: Record<string, unknown> = { machine: machine() };
  say('freshness', `machine: ${machineLine()}`);
  const rows: Array<Array<string | number>> = [
    [
      'phase',
      'msg/s',
      'probes',
      'keyword p50/p95/p99 ms',
      'semantic p50/p95/p99 ms',
      'semantic found',
      'passages w/o vector',
      'summaries w/o vector',
      'vectors/s passages / summaries',
      'indexer lag',
    ],
  ];
  const show = (q: Quantiles): string =>
    [q.p50Ms, q.p95Ms, q.p99Ms].map((v) => (v === null ? 'never' : fmt(v))).join(' / ');
  for (const rate of RATES) {
    const phase = `s${rate}`;
    say('freshness', `steady ${rate} msg/s for ${STEADY_SECONDS} s`);
    const figures = await steadyPhase({
      rate,
      phase,
      tenantId,
      producer,
      searchUrl,
      key,
      prefix,
      kafka,
      sampleCpu,
    });
    results[rate === 1000 ? 'steady' : `steady${rate}`] = figures;
    rows.push([
      phase,
      fmt(figures.achievedRate),
      figures.probes,
      show(figures.keyword),
      show(figures.semantic),
      `${figures.semantic.found}/${figures.semantic.count}`,
      figures.passagesWaitingForVectors,
      figures.summariesWaitingForVectors,
      `${figures.vectorsPerSecond.passages} / ${figures.vectorsPerSecond.summaries}`,
      figures.summaryIndexerLag,
    ]);
    say(
      'freshness',
      `${phase}: keyword ${show(figures.keyword)} ms (stored ${show(figures.stages.stored)}, ` +
        `then built ${show(figures.stages.built)}, then found ${show(figures.stages.found)}); ` +
        `semantic ${show(figures.semantic)} ms; query vectors ${JSON.stringify(figures.queryVectors)}; CPU s ${JSON.stringify(figures.cpuSeconds)}`,
    );
  }
  if (BACKLOG) {
    const llm = new FakeLlmServer();
    const llmUrl = await llm.start();
    children.get('summarizer')?.kill('SIGTERM');
    await new Promise((resolveExit) => children.get('summarizer')?.once('exit', resolveExit));
    children.set(
      'summarizer',
      startService('freshness', 'summarizer', {
        ...env,
        SUMMARY_BACKEND: 'openai',
        OPENAI_BASE_URL: llmUrl,
        OPENAI_MODEL: 'fake-summarizer',
        SUMMARY_EVERY_MESSAGES: '25',
      }),
    );
    await waitReady(ports.summarizer);
    say(
      'freshness',
      `backlog: ${BACKLOG_CONVERSATIONS} conversations x ${BACKLOG_MESSAGES} messages at once, LLM-length summaries`,
    );
    results.backlog = await backlogPhase({
      tenantId: `${prefix}-backlog`,
      producer,
      prefix,
      sampleCpu,
    });
    await llm.stop();
  }
  await producer.disconnect();
  process.stdout.write(`\n${table(rows, [1, 2, 5, 6, 7, 9])}\n`);
  if (results.backlog) say('freshness', `backlog: ${JSON.stringify(results.backlog)}`);
  if (out) writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  await stopServicesAndWait();
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `bench:freshness failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  await stopServicesAndWait().catch(() => undefined);
  process.exit(1);
});
