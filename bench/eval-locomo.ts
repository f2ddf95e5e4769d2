// LoCoMo retrieval evaluation of the running system: replays LoCoMo-format files through
// Kafka (chat.messages.v1) into ingest, summarizer and search, then asks every question of
// categories 1-4 through POST /v1/search in each mode, and compares with a BM25 baseline over
// the raw session text. A report, not a test: it exits 0 whatever the figures.
//
//   npm run eval:locomo -- [--data <dir>] [--out <file.json>] [--k 10] [--tier <tier>]
//
// Each LoCoMo file becomes a tenant (`locomo-<file>`), each of its sessions a conversation
// (`session-<n>`) whose messages carry the session's date; a question is asked with that
// tenant's API key, and the sessions its evidence names are the relevant results (Maharana et
// al., "Evaluating Very Long-Term Conversational Memory of LLM Agents", ACL 2024).
// Steps: stack up; build; a fresh database memory_eval, migrated; ingest, summarizer (local
// backend, idle folds after 1 s) and search with a fresh consumer-group prefix and index
// prefix; every turn produced; wait until every session is summarized through its last turn
// and that version is in the index; the questions; the baselines over the raw session text
// (BM25, and BM25 + per-message vectors fused as hybrid search fuses); the report.
// With --tier key_points|brief|metadata, every session's summary is first compressed to that
// tier (libs/lifecycle, as the compressor does) and published as its next version; the report
// adds the summary bytes per session, and the mean size ratio and retention score.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MemorySummary, SUMMARY_TIERS, SummaryTier } from '@memory/contracts';
import {
  DEFAULT_LOCOMO_DIR,
  evidenceSessions,
  loadLocomo,
  LocomoConversation,
} from '@memory/datasets';
import { LocalEmbedder } from '@memory/embeddings';
import { compressSummary, Compression, metadataTitle } from '@memory/lifecycle';
import { SummaryRepository, SummaryVersionKeyRow } from '@memory/persistence';
import { minMaxFusion, ScoredId } from '@memory/search-index';
import { SummaryStore, toSummaryEvent } from '@memory/summarization';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { DEFAULT_MODEL, defaultStackDir } from '../deploy/stack/models.mjs';
import { bm25Index } from './lib/bm25';
import { benchDataSource } from './lib/database';
import { option, progress, say } from '../deploy/run/console';
import {
  apiKey,
  brokers,
  databaseUrl,
  freePort,
  freshDatabase,
  groupsAtEnd,
  serverUrl,
  stackAndBuild,
  startService,
  until,
  waitReady,
} from '../deploy/run/services';

const MODES = ['hybrid', 'semantic', 'keyword'] as const;
type Mode = (typeof MODES)[number];
const CUTOFFS = [1, 5, 10];

const config = {
  data: resolve(process.cwd(), option('data', process.env.LOCOMO_DIR || DEFAULT_LOCOMO_DIR)),
  tier: option('tier', 'full'),
  out: option('out'),
  k: Number(option('k', '10')),
  brokers: brokers(),
  serverUrl: serverUrl(),
  opensearch: process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200',
};
const DB = 'memory_eval';

/** A question of categories 1-4 and the session numbers its evidence names. */
interface Question {
  conversation: LocomoConversation;
  question: string;
  relevant: Set<number>;
}

/** Recall@k and hit@k per cutoff, and the reciprocal rank, of one question. */
type Metrics = Record<string, number>;

/** Hits of an OpenSearch search of the summaries index (the fields the eval asks for). */
interface IndexHits {
  hits: {
    total: { value: number };
    hits: Array<{ _source: { tenantId: string; conversationId: string; version: number } }>;
  };
}

/** An identifier chat.message.v1 accepts (letters, digits and . _ : @ -). */
function safeId(value: string): string {
  return String(value)
    .replace(/[^A-Za-z0-9._:@-]/g, '-')
    .replace(/^[^A-Za-z0-9]/, 'x');
}

function average(values: readonly number[]): number {
  return values.length > 0 ? values.reduce((sum, v) => sum + v, 0) / values.length : 0;
}

/** Recall@k (share of the relevant sessions in the top k), hit@k and reciprocal rank. */
function metricsOf(ranked: readonly number[], relevant: ReadonlySet<number>): Metrics {
  const result: Metrics = {};
  for (const k of CUTOFFS) {
    const top = ranked.slice(0, k);
    const found = top.filter((session) => relevant.has(session)).length;
    result[`recall@${k}`] = found / relevant.size;
    result[`hit@${k}`] = found > 0 ? 1 : 0;
  }
  const first = ranked.findIndex((session) => relevant.has(session));
  result.mrr = first >= 0 ? 1 / (first + 1) : 0;
  return result;
}

function summarize(rows: readonly Metrics[]): Metrics {
  const keys = [...CUTOFFS.map((k) => `recall@${k}`), ...CUTOFFS.map((k) => `hit@${k}`), 'mrr'];
  return Object.fromEntries(
    keys.map((key) => [key, Number(average(rows.map((row) => row[key])).toFixed(4))]),
  );
}

function isTier(value: string): value is SummaryTier {
  return (SUMMARY_TIERS as readonly string[]).includes(value);
}

async function main(): Promise<void> {
  const tier = config.tier;
  if (!isTier(tier))
    throw new Error(`--tier must be one of ${SUMMARY_TIERS.join(', ')}, not ${tier}`);
  const conversations = loadLocomo(config.data);
  if (conversations.length === 0) throw new Error(`no LoCoMo *.json files in ${config.data}`);
  const questions: Question[] = conversations.flatMap((conversation) =>
    conversation.qa
      .filter((qa) => [1, 2, 3, 4].includes(Number(qa.category)))
      .map((qa) => ({
        conversation,
        question: String(qa.question),
        relevant: evidenceSessions(qa.evidence),
      }))
      .filter((q) => q.relevant.size > 0),
  );
  say(
    'eval',
    `${conversations.length} conversations, ${conversations.reduce((n, c) => n + c.sessions.length, 0)} sessions, ${questions.length} questions (categories 1-4) from ${config.data}`,
  );

  stackAndBuild('eval');
  await freshDatabase('eval', config.serverUrl, DB);

  const runId = randomUUID().slice(0, 8);
  const prefix = `eval-${runId}`;
  const kafka = new Kafka({
    clientId: 'eval-locomo',
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
  });
  await groupsAtEnd(kafka, prefix, [
    ['chat.messages.v1', 'ingest'],
    ['memory.messages.v1', 'summarizer'],
    ['memory.summaries.v1', 'search-indexer'],
  ]);

  const ports = {
    ingest: await freePort(),
    summarizer: await freePort(),
    search: await freePort(),
  };
  const env = {
    DATABASE_URL: databaseUrl(config.serverUrl, DB),
    KAFKA_GROUP_PREFIX: prefix,
    OPENSEARCH_INDEX_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    SUMMARY_IDLE_MS: '1000',
    SUMMARY_SWEEP_INTERVAL_MS: '500',
    SEARCH_RATE_LIMIT_PER_SECOND: '10000',
    SEARCH_RATE_LIMIT_BURST: '10000',
    INGEST_PORT: String(ports.ingest),
    SUMMARIZER_PORT: String(ports.summarizer),
    SEARCH_PORT: String(ports.search),
  };
  const names = ['ingest', 'summarizer', 'search'] as const;
  for (const name of names) startService('eval', name, env);
  for (const name of names) await waitReady(ports[name]);
  say('eval', `services ready (group and index prefix ${prefix})`);

  const keys = new Map<string, string>();
  for (const conversation of conversations)
    keys.set(conversation.id, apiKey(`locomo-${safeId(conversation.id)}`, 'eval', 'search', env));

  // Every turn, session by session, with the session's date (a minute apart within it).
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let expectedRows = 0;
  for (const conversation of conversations) {
    const tenantId = `locomo-${safeId(conversation.id)}`;
    const messages: Array<{ key: string; value: string }> = [];
    for (const session of conversation.sessions) {
      expectedRows++;
      const conversationId = `session-${session.number}`;
      session.messages.forEach((message, i) => {
        messages.push({
          key: `${tenantId}:${conversationId}`,
          value: JSON.stringify({
            schema: 'chat.message.v1',
            messageId: `s${session.number}-t${message.seq}`,
            tenantId,
            conversationId,
            userId: safeId(message.userId),
            role: 'user',
            content: message.content,
            createdAt: new Date(Date.parse(session.createdAt) + i * 60_000).toISOString(),
          }),
        });
      });
    }
    for (let i = 0; i < messages.length; i += 500)
      await producer.send({
        topic: 'chat.messages.v1',
        acks: -1,
        messages: messages.slice(i, i + 500),
      });
  }
  await producer.disconnect();

  const db = await benchDataSource(databaseUrl(config.serverUrl, DB), 'memory-eval');
  const summaries = new SummaryRepository(db);
  const bar = progress('eval', expectedRows, 'sessions');
  let versions: SummaryVersionKeyRow[];
  try {
    versions = await until(async () => {
      const rows = await summaries.publishedThroughLastSeq();
      bar.update(rows.length, 'summarized');
      return rows.length >= expectedRows ? rows : undefined;
    }, 'every session to be summarized');
  } finally {
    await db.destroy();
  }
  bar.end(versions.length, 'summarized');
  await until(async () => {
    const response = await fetch(`${config.opensearch}/${prefix}-summaries/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 10000, _source: ['tenantId', 'conversationId', 'version'] }),
    }).catch(() => undefined);
    if (!response?.ok) return undefined;
    const body = (await response.json()) as IndexHits;
    const indexed = new Map<string, number>(
      body.hits.hits.map((hit) => [
        `${hit._source.tenantId}/${hit._source.conversationId}`,
        hit._source.version,
      ]),
    );
    const done = versions.every(
      (row) => (indexed.get(`${row.tenant_id}/${row.conversation_id}`) ?? 0) >= row.version,
    );
    return done ? true : undefined;
  }, 'every summary to be indexed');
  say('eval', 'every session is summarized and indexed');
  const tiered = await compressToTier(kafka, env, versions, prefix, tier);

  const perMode: Record<Mode, Metrics[]> = { hybrid: [], semantic: [], keyword: [] };
  const asked = progress('eval', questions.length * MODES.length, 'queries');
  let done = 0;
  for (const { conversation, question, relevant } of questions) {
    for (const mode of MODES) {
      const response = await fetch(`http://127.0.0.1:${ports.search}/v1/search`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${keys.get(conversation.id)}`,
        },
        body: JSON.stringify({ query: question.slice(0, 1000), mode, k: config.k }),
      });
      if (!response.ok)
        throw new Error(
          `search ${mode} "${question}": HTTP ${response.status} ${await response.text()}`,
        );
      const body = (await response.json()) as { results: Array<{ conversationId: string }> };
      const ranked = body.results.map((result) =>
        Number(/^session-(\d+)$/.exec(result.conversationId)?.[1]),
      );
      perMode[mode].push(metricsOf(ranked, relevant));
      asked.update(++done);
    }
  }
  asked.end(done);

  const { baseline, rawHybrid } = await rawTextBaselines(conversations, questions);

  const modes: Record<string, Metrics> = {
    ...Object.fromEntries(MODES.map((mode) => [mode, summarize(perMode[mode])])),
    bm25Raw: summarize(baseline),
    hybridRaw: summarize(rawHybrid),
  };
  const report = {
    questions: questions.length,
    conversations: conversations.length,
    sessions: expectedRows,
    k: config.k,
    tier: config.tier,
    bytesPerSession: tiered.bytesPerSession,
    ...(config.tier === 'full' ? {} : { ratio: tiered.ratio, retention: tiered.retention }),
    modes,
  };
  process.stdout.write(
    `\ntier ${report.tier}: ${report.bytesPerSession.toFixed(0)} bytes of summary per session` +
      (tier === 'full' || tiered.ratio === undefined || tiered.retention === undefined
        ? '\n'
        : `, ratio ${tiered.ratio.toFixed(3)} and retention ${tiered.retention.toFixed(3)} against full\n`),
  );
  process.stdout.write('\nmode      recall@1 recall@5 recall@10  hit@5    MRR\n');
  for (const [mode, m] of Object.entries(modes))
    process.stdout.write(
      `${mode.padEnd(9)} ${m['recall@1'].toFixed(3).padStart(8)} ${m['recall@5'].toFixed(3).padStart(8)} ${m['recall@10'].toFixed(3).padStart(9)} ${m['hit@5'].toFixed(3).padStart(6)} ${m.mrr.toFixed(3).padStart(6)}\n`,
    );
  process.stdout.write(
    `bar: hybrid recall@5 >= 0.85: ${modes.hybrid['recall@5'] >= 0.85 ? 'met' : 'NOT met'}\n`,
  );
  if (config.out) {
    writeFileSync(resolve(process.cwd(), config.out), `${JSON.stringify(report, null, 2)}\n`);
    say('eval', `wrote ${config.out}`);
  }
  await fetch(`${config.opensearch}/${prefix}-summaries*`, { method: 'DELETE' }).catch(
    () => undefined,
  );
  process.exit(0);
}

/**
 * Baselines over the raw text of the sessions, per LoCoMo conversation, in this process:
 * - bm25Raw: BM25 over each session's text;
 * - hybridRaw: what hybrid search would do if it indexed every message instead of summaries:
 *   that BM25 ranking and a semantic one (a session scores the best cosine between the
 *   question and any of its messages, same local model), fused by the search service's own
 *   min-max fusion. It shows how far any ranking over summaries can be expected to go.
 */
async function rawTextBaselines(
  conversations: readonly LocomoConversation[],
  questions: readonly Question[],
): Promise<{ baseline: Metrics[]; rawHybrid: Metrics[] }> {
  const embedder = await LocalEmbedder.load(join(defaultStackDir(), 'models', DEFAULT_MODEL), {
    batchSize: 32,
    threads: 2,
  });
  const baseline: Metrics[] = [];
  const rawHybrid: Metrics[] = [];
  const turns = conversations.reduce(
    (n, c) => n + c.sessions.reduce((m, s) => m + s.messages.length, 0),
    0,
  );
  const embedded = progress('eval', turns, 'raw messages embedded (hybridRaw baseline)');
  let count = 0;
  try {
    for (const conversation of conversations) {
      const index = bm25Index(
        conversation.sessions.map((s) => s.messages.map((m) => m.content).join('\n')),
      );
      const vectors: number[][][] = [];
      for (const session of conversation.sessions) {
        vectors.push(
          await embedder.embed(
            session.messages.map((m) => m.content),
            'document',
          ),
        );
        embedded.update((count += session.messages.length));
      }
      const asked = questions.filter((item) => item.conversation === conversation);
      const queryVectors = await embedder.embed(
        asked.map((q) => q.question),
        'query',
      );
      asked.forEach((q, i) => {
        const keyword = index
          .search(q.question, conversation.sessions.length)
          .filter((hit) => hit.score > 0)
          .map((hit): ScoredId => ({ id: String(hit.index), score: hit.score }));
        baseline.push(
          metricsOf(keyword.slice(0, config.k).map(sessionOf(conversation)), q.relevant),
        );
        const semantic = vectors
          .map((session, index) => ({
            id: String(index),
            score: Math.max(...session.map((vector) => dot(vector, queryVectors[i]))),
          }))
          .sort((a, b) => b.score - a.score);
        const fused = minMaxFusion([keyword, semantic]).slice(0, config.k);
        rawHybrid.push(metricsOf(fused.map(sessionOf(conversation)), q.relevant));
      });
    }
  } finally {
    await embedder.close();
  }
  embedded.end(count);
  return { baseline, rawHybrid };
}

/**
 * With `--tier` other than full: every session's summary compressed to that tier, as the
 * compressor does (`compressSummary` of libs/lifecycle on the summary's sections), published
 * to memory.summaries.v1 as the next version, and waited for in the index. Returns the mean
 * size of the summary text per session (UTF-8 bytes) at that tier, and the mean ratio and
 * retention score of the compression.
 */
async function compressToTier(
  kafka: Kafka,
  env: Record<string, string>,
  versions: readonly SummaryVersionKeyRow[],
  prefix: string,
  tier: SummaryTier,
): Promise<{ bytesPerSession: number; ratio?: number; retention?: number }> {
  const dataSource = await benchDataSource(env.DATABASE_URL, 'memory-eval');
  let rows: Awaited<ReturnType<SummaryStore['loadMany']>>;
  try {
    rows = await new SummaryStore(dataSource).loadMany(
      versions.map((row) => ({ tenantId: row.tenant_id, conversationId: row.conversation_id })),
    );
  } finally {
    await dataSource.destroy();
  }
  const summaries = rows.map((row) => toSummaryEvent(row));
  const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
  if (tier === 'full')
    return { bytesPerSession: average(summaries.map((summary) => bytes(summary.text))) };

  const compressed = summaries.map((summary): { result: Compression; event: MemorySummary } => {
    const date = (value: string | null): Date | null => (value ? new Date(value) : null);
    const result = compressSummary(
      summary.sections,
      tier,
      metadataTitle({
        userId: summary.userId,
        messageCount: summary.stats.messageCount,
        firstMessageAt: date(summary.stats.firstMessageAt),
        lastMessageAt: date(summary.stats.lastMessageAt),
      }),
    );
    return {
      result,
      event: {
        ...summary,
        version: summary.version + 1,
        tier,
        text: result.text,
        sections: result.sections,
        stats: { ...summary.stats, updatedAt: new Date().toISOString() },
      },
    };
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({
    topic: 'memory.summaries.v1',
    acks: -1,
    messages: compressed.map(({ event }) => ({
      key: `${event.tenantId}:${event.conversationId}`,
      value: JSON.stringify(event),
    })),
  });
  await producer.disconnect();
  await until(async () => {
    const response = await fetch(`${config.opensearch}/${prefix}-summaries/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        size: 0,
        track_total_hits: true,
        query: { term: { tier: config.tier } },
      }),
    }).catch(() => undefined);
    if (!response?.ok) return undefined;
    const body = (await response.json()) as IndexHits;
    return body.hits.total.value >= compressed.length ? true : undefined;
  }, `every summary to be indexed at ${config.tier}`);
  say('eval', `every session compressed to ${config.tier} and indexed`);
  return {
    bytesPerSession: average(compressed.map(({ event }) => bytes(event.text))),
    ratio: Number(average(compressed.map(({ result }) => result.ratio)).toFixed(4)),
    retention: Number(average(compressed.map(({ result }) => result.retention)).toFixed(4)),
  };
}

function sessionOf(conversation: LocomoConversation): (hit: { id: string }) => number {
  return (hit) => conversation.sessions[Number(hit.id)].number;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

main().catch((error: unknown) => {
  process.stderr.write(`[eval] failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
