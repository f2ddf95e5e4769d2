// Search latency benchmark: 100,000 synthetic conversation summaries in the summaries index,
// then POST /v1/search of the real search service under concurrent clients, per mode, against
// the same queries sent straight to OpenSearch (engine-only latency) in the same run; and the
// recall@10 of the k-NN (HNSW) ranking against exact search. A report, not a test: it exits 0
// whatever the figures, and non-zero only when the run itself fails.
//
//   npm run bench:search -- [--out <file.json>]
//
// Steps:
//  1. the local stack up (idempotent); build; a fresh database memory_bench_search, migrated
//     (the service needs it for API keys); an index prefix of its own, `bench-search-<random>`;
//  2. a pool of chat-like sentences per topic (bench/lib/synthetic-summaries.ts) whose every
//     sentence, and every entity, date and number, is embedded once with the real local model;
//  3. the summaries, generated deterministically: tenants by Zipf's law (the first, a third of
//     the summaries, is the one the queries target), about eight conversations per user, tiers
//     40/30/20/10% full/key_points/brief/metadata dated by age; turned into index documents by
//     the library (`summaryDocuments`) with an embedding backend whose document vector is the
//     word-weighted mean of its sentences' real vectors, and written through `SummaryIndex`
//     (`ensure`, then `write` in chunks, two in flight) with refreshes off during the load;
//     then a refresh and a force-merge to one segment (BENCH_FORCE_MERGE=false skips it): the
//     segments a bulk load leaves depend on timing, one segment is the same on every run;
//  4. the search service from dist/ (its own consumer groups, set to the end of
//     memory.summaries.v1 so it indexes nothing else into the bench's index; rate limit out of
//     the way) and an API key of the target tenant;
//  5. per mode (hybrid, semantic, keyword): BENCH_QUERIES queries through the service with
//     BENCH_CONCURRENCY clients, no string sent twice (each mode has its own); baseline: the
//     same queries straight to OpenSearch with the service's own query builders (libs/search-index)
//     and query vectors computed beforehand (hybrid: both rankings in parallel, fused, then
//     the page fetched by id, as the service does), same concurrency. A warm-up round of other
//     queries first (not counted), then five blocks, each sent to the service and then to the
//     engine, so that both sides meet the same spells of load from whatever else runs;
//  6. recall@10: for BENCH_RECALL_QUERIES queries, the top 10 of the service's k-NN query
//     (one client, timed) against the top 10 of an exact script_score search (knn_score,
//     cosinesimil) over the same tenant filter (timed): speed-up of HNSW over exact search;
//  7. the report (and JSON with --out); the service stopped, the bench's index deleted (the
//     database is kept: the next run drops and recreates it).
//
// Environment: BENCH_SUMMARIES (100000), BENCH_TENANTS (10), BENCH_CONCURRENCY (8),
// BENCH_QUERIES (500 per mode), BENCH_WARMUP (100 per mode), BENCH_RECALL_QUERIES (100),
// BENCH_SENTENCES (4000, the pool), BENCH_CHUNK (500 summaries per bulk request), BENCH_SEED,
// BENCH_FORCE_MERGE (true), BENCH_SKIP_BUILD (false), BENCH_KEEP_INDEX (false), plus the
// services' KAFKA_BROKERS, DATABASE_URL (only its server is used), OPENSEARCH_URL and
// EMBEDDING_* (the bench embeds with the same model as the service).
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvReader, readOpenSearchConfig } from '@memory/config';
import { consumerGroupPairs, renderSummaryText } from '@memory/contracts';
import { createEmbeddingBackend } from '@memory/embeddings';
import { createOpenSearchClient } from '@memory/opensearch';
import {
  hydrateBody,
  keywordBody,
  keywordText,
  MAX_RESULTS,
  minMaxFusion,
  readSearchSettings,
  scopeFilters,
  SearchScope,
  semanticBody,
  SummaryIndex,
  summaryDocuments,
  Window,
} from '@memory/search-index';
import { Kafka, logLevel } from 'kafkajs';
import { readPid } from '../deploy/stack/lib/processes.mjs';
import { defaultStackDir } from '../deploy/stack/models.mjs';
import { Cell, fmt, option, progress, say, table } from '../deploy/run/console';
import { cpuBetween, CpuDelta, cpuSampler } from './lib/cpu';
import {
  apiKey,
  brokers,
  databaseUrl,
  freePort,
  freshDatabase,
  groupsAtEnd,
  intEnv,
  serverUrl,
  stackAndBuild,
  startService,
  stopServicesAndWait,
  waitReady,
} from '../deploy/run/services';
import {
  pooledEmbedder,
  queryStrings,
  sentencePool,
  summaryChunks,
  tenantShares,
  vocabularyFragments,
} from './lib/synthetic-summaries';

const MODES = ['hybrid', 'semantic', 'keyword'] as const;
type Mode = (typeof MODES)[number];
const K = 10;
const TARGET_HYBRID_P99_MS = 50;
const TARGET_RECALL = 0.95;
const DB = 'memory_bench_search';
const TENANT_PREFIX = 'bench-search-';
/** Blocks a mode's measured queries are split into, alternating service and engine. */
const BLOCKS = 5;
/** Bulk requests in flight while loading: one is parsed while the other builds graphs. */
const WRITES_IN_FLIGHT = 2;
/** Cosines closer than this to the 10th exact one are ties (float32 arithmetic). */
const TIE_EPSILON = 1e-6;

const config = {
  summaries: intEnv('BENCH_SUMMARIES', 100_000),
  tenants: intEnv('BENCH_TENANTS', 10),
  concurrency: intEnv('BENCH_CONCURRENCY', 8),
  queries: intEnv('BENCH_QUERIES', 500),
  warmup: intEnv('BENCH_WARMUP', 100),
  recallQueries: intEnv('BENCH_RECALL_QUERIES', 100),
  sentences: intEnv('BENCH_SENTENCES', 4000),
  chunk: intEnv('BENCH_CHUNK', 500),
  seed: intEnv('BENCH_SEED', 20261121),
  forceMerge: process.env.BENCH_FORCE_MERGE !== 'false',
  skipBuild: process.env.BENCH_SKIP_BUILD === 'true',
  keepIndex: process.env.BENCH_KEEP_INDEX === 'true',
  out: option('out'),
  serverUrl: serverUrl(),
  brokers: brokers(),
};
config.recallQueries = Math.min(config.recallQueries, config.queries);

interface LatencyStats {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  qps: number;
  requests: number;
}

/** What a round of requests adds up: latencies of the answered ones, failures, CPU seconds. */
interface Tally {
  latencies: number[];
  seconds: number;
  errors: number;
  firstError: unknown;
  cpu: Record<string, number>;
}

interface Figures extends LatencyStats {
  errors: number;
  cpuMsPerQuery: { bench: number; service: number; opensearch: number; other: number } | null;
  machineBusy: number | null;
}

/** A query of the bench: its text, its vector, and the bodies the engine rounds send. */
interface BenchQuery {
  query: string;
  vector: number[];
  text: string;
  bodies: { keyword: string; semantic: string; keywordRanking: string; semanticRanking: string };
}

interface Hit {
  _id: string;
  _score?: number | null;
  _source?: { embedding: number[] };
}

/** Latency figures of one round: nearest-rank percentiles of the successful requests. */
function latencyStats(latencies: readonly number[], seconds: number): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    p50Ms: round(at(0.5)),
    p95Ms: round(at(0.95)),
    p99Ms: round(at(0.99)),
    meanMs: round(sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
    qps: seconds > 0 ? Math.round((sorted.length / seconds) * 10) / 10 : 0,
    requests: sorted.length,
  };
}

/**
 * Sends every item with `concurrency` clients, each taking the next item when its previous
 * request is answered; latency is the client's wall time per request. Adds to `into`
 * (`latencies`, `seconds`, `errors`, `firstError`); `onDone` after each request.
 */
async function runRound<T>(
  items: readonly T[],
  concurrency: number,
  send: (item: T) => Promise<unknown>,
  into: Tally,
  onDone: () => void = () => undefined,
): Promise<Tally> {
  let next = 0;
  const started = performance.now();
  const client = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const sent = performance.now();
      try {
        await send(items[i]);
        into.latencies.push(performance.now() - sent);
      } catch (error) {
        into.errors++;
        into.firstError ??= error;
      }
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, client));
  into.seconds += (performance.now() - started) / 1000;
  return into;
}

const tally = (): Tally => ({
  latencies: [],
  seconds: 0,
  errors: 0,
  firstError: undefined,
  cpu: {},
});

/** Adds the CPU seconds per process group of `delta` (cpuBetween) to `cpu`. */
function addCpu(cpu: Record<string, number>, delta: CpuDelta | undefined): void {
  if (!delta) return;
  for (const [name, seconds] of Object.entries(delta.groups))
    cpu[name] = (cpu[name] ?? 0) + seconds;
  cpu.machineBusy = (cpu.machineBusy ?? 0) + delta.busy;
  cpu.machineCapacity = (cpu.machineCapacity ?? 0) + delta.capacity;
}

/** The figures of a tally; throws when no request succeeded. */
function figures(scope: string, { latencies, seconds, errors, firstError, cpu }: Tally): Figures {
  if (latencies.length === 0)
    throw firstError instanceof Error ? firstError : new Error(`${scope}: no request succeeded`);
  if (errors > 0)
    say(
      scope,
      `${errors} requests failed, first: ${firstError instanceof Error ? firstError.message : String(firstError)}`,
    );
  const perQuery = (...names: string[]): number =>
    Math.round(
      (names.reduce((sum, name) => sum + (cpu[name] ?? 0), 0) * 10_000) / latencies.length,
    ) / 10;
  return {
    ...latencyStats(latencies, seconds),
    errors,
    // CPU per answered query of the bench (the clients), the service, OpenSearch, and the rest
    // of the machine (others' work included), and how busy the machine was meanwhile.
    cpuMsPerQuery:
      cpu.machineCapacity > 0
        ? {
            bench: perQuery('bench'),
            service: perQuery('service'),
            opensearch: perQuery('opensearch'),
            other: perQuery('other', 'postgres'),
          }
        : null,
    machineBusy:
      cpu.machineCapacity > 0
        ? Math.round((cpu.machineBusy / cpu.machineCapacity) * 100) / 100
        : null,
  };
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < a.length; d++) {
    dot += a[d] * b[d];
    na += a[d] * a[d];
    nb += b[d] * b[d];
  }
  return dot / Math.sqrt(na * nb);
}

async function main(): Promise<void> {
  say(
    'bench',
    `${fmt(config.summaries)} summaries over ${config.tenants} tenants; ${config.queries} ` +
      `queries per mode with ${config.concurrency} clients; ${availableParallelism()} CPUs, ` +
      `load average ${loadavg()[0].toFixed(2)}`,
  );
  stackAndBuild('bench', { skipBuild: config.skipBuild });
  await freshDatabase('bench', config.serverUrl, DB);

  const prefix = `bench-search-${randomUUID().slice(0, 8)}`;
  const libraryEnv = { ...process.env, OPENSEARCH_INDEX_PREFIX: prefix };
  const read = new EnvReader(libraryEnv);
  const opensearch = readOpenSearchConfig(read);
  const settings = readSearchSettings(read);
  read.assertValid();
  const osBase = opensearch.url.replace(/\/$/, '');
  const credentials = `${opensearch.username}:${opensearch.password ?? ''}`;
  const osHeaders: Record<string, string> = {
    'content-type': 'application/json',
    ...(opensearch.username
      ? { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }
      : {}),
  };
  /** One OpenSearch REST call; throws on an error status. */
  const os = async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${osBase}${path}`, {
      method,
      headers: osHeaders,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const client = createOpenSearchClient(opensearch);
  let summariesIndex: SummaryIndex | undefined;
  let physical: string | undefined;
  let service: ChildProcess | undefined;
  const cleanUp = async (): Promise<void> => {
    if (service) await stopServicesAndWait();
    if (physical && summariesIndex && config.keepIndex)
      say('bench', `index kept: ${physical} (alias ${summariesIndex.alias})`);
    else if (physical && summariesIndex) {
      // The bench's physical index (and the alias with it), and whatever the alias points at.
      const current = await summariesIndex.currentIndex().catch(() => undefined);
      for (const name of new Set([physical, current].filter(Boolean)))
        await os('DELETE', `/${name}`).catch((error: unknown) =>
          say(
            'bench',
            `could not delete index ${name}: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
    }
    await client.close().catch(() => undefined);
  };
  process.once('SIGINT', () => {
    say('bench', 'interrupted: cleaning up');
    void cleanUp().finally(() => process.exit(130));
  });

  try {
    const report = await measure();
    if (config.out) {
      writeFileSync(resolve(process.cwd(), config.out), `${JSON.stringify(report, null, 2)}\n`);
      say('bench', `wrote ${config.out}`);
    }
  } finally {
    await cleanUp();
  }

  async function measure(): Promise<Record<string, unknown>> {
    // 2. The sentence pool, embedded once with the real model.
    const real = await createEmbeddingBackend(settings.embeddings);
    const embedder = pooledEmbedder(real);
    const pool = sentencePool({ size: config.sentences, seed: config.seed });
    const fragments = [...pool.sentences.map((s) => s.text), ...vocabularyFragments()];
    say(
      'embed',
      `${real.model} (${real.dimensions} dimensions): ${fmt(fragments.length)} sentences and ` +
        'vocabulary fragments, each embedded once',
    );
    const embedBar = progress('embed', fragments.length, 'fragments');
    await embedder.warm(fragments, (done) => embedBar.update(done));
    embedBar.end(fragments.length);

    // 3. The summaries, through the library into the library's index.
    const index = new SummaryIndex(client, prefix, real.dimensions);
    summariesIndex = index;
    physical = await index.ensure();
    const settingsPath = `/${physical}/_settings/index.refresh_interval`;
    const refreshInterval =
      (
        await os<Record<string, { settings?: { index?: { refresh_interval?: string } } }>>(
          'GET',
          settingsPath,
        )
      )[physical]?.settings?.index?.refresh_interval ?? null;
    await os('PUT', `/${physical}/_settings`, { index: { refresh_interval: '-1' } });
    say('load', `index ${physical} (alias ${index.alias}); refreshes off while loading`);

    const perTenant = new Map<string, number>();
    const loadBar = progress('load', config.summaries, 'summaries');
    let written = 0;
    let failure: Error | undefined;
    const pending: Array<Promise<void>> = [];
    const loadStarted = performance.now();
    for (const chunk of summaryChunks({
      count: config.summaries,
      chunkSize: config.chunk,
      tenants: config.tenants,
      tenantPrefix: TENANT_PREFIX,
      pool,
      renderText: renderSummaryText,
      seed: config.seed + 1,
    })) {
      for (const summary of chunk)
        perTenant.set(summary.tenantId, (perTenant.get(summary.tenantId) ?? 0) + 1);
      const { documents } = await summaryDocuments(embedder, chunk);
      pending.push(
        summariesIndex.write(documents).then(
          (outcome) => {
            if (outcome.indexed !== documents.length)
              failure ??= new Error(`${outcome.indexed} of ${documents.length} indexed`);
            written += outcome.indexed;
            loadBar.update(written);
          },
          (error: unknown) => {
            failure ??= error instanceof Error ? error : new Error(String(error));
          },
        ),
      );
      if (pending.length >= WRITES_IN_FLIGHT) await pending.shift();
      if (failure) throw failure;
    }
    await Promise.all(pending);
    if (failure) throw failure;
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    loadBar.end(written);
    say(
      'load',
      `${fmt(written)} summaries in ${loadSeconds.toFixed(1)} s: ` +
        `${fmt(written / loadSeconds)} summaries/s (documents made by the library, bulk writes)`,
    );
    if (embedder.stats.fragmentsEmbedded > fragments.length)
      say(
        'load',
        `${embedder.stats.fragmentsEmbedded - fragments.length} fragments were not in the pool ` +
          '(the rendered text changed?): embedded during the load',
      );

    await os('PUT', `/${physical}/_settings`, { index: { refresh_interval: refreshInterval } });
    let started = performance.now();
    await os('POST', `/${physical}/_refresh`);
    const refreshSeconds = (performance.now() - started) / 1000;
    const segmentsOf = async (): Promise<number> =>
      (await os<unknown[]>('GET', `/_cat/segments/${physical}?format=json`)).length;
    const segmentsAfterLoad = await segmentsOf();
    let mergeSeconds: number | null = null;
    if (config.forceMerge) {
      say('load', `${segmentsAfterLoad} segments after the load; force-merging to one`);
      started = performance.now();
      // One request that returns when the merge is done (no task left behind in .tasks); the
      // client's timeout is lifted, merging 100,000 vectors' graphs takes minutes.
      await client.indices.forcemerge(
        { index: physical, max_num_segments: 1 },
        { requestTimeout: 3_600_000, maxRetries: 0 },
      );
      await os('POST', `/${physical}/_refresh`);
      mergeSeconds = (performance.now() - started) / 1000;
    }
    const segments = await segmentsOf();
    const [stats] = await os<Array<Record<string, string>>>(
      'GET',
      `/_cat/indices/${physical}?format=json&bytes=b`,
    );
    say(
      'load',
      `refresh ${refreshSeconds.toFixed(1)} s` +
        (mergeSeconds !== null ? `, force-merge ${mergeSeconds.toFixed(1)} s` : '') +
        `; ${segments} segment(s), ${fmt(Number(stats['docs.count']))} documents, ` +
        `${fmt(Number(stats['store.size']) / 1024 / 1024, 1)} MiB`,
    );

    // Query strings (the warm-up's, then each mode's own) and their vectors for the engine
    // rounds, made before the service starts so that this model does not compete with it.
    const target = `${TENANT_PREFIX}0`;
    const scope: SearchScope = { tenantId: target };
    const strings = queryStrings({
      count: config.warmup + MODES.length * config.queries,
      pool,
      seed: config.seed + 2,
    });
    const vectorBar = progress('embed', strings.length, 'queries');
    const queries: BenchQuery[] = [];
    for (let i = 0; i < strings.length; i += 32) {
      const slice = strings.slice(i, i + 32);
      const vectors = await real.embed(slice, 'query');
      slice.forEach((query, j) => {
        const vector = vectors[j];
        const text = keywordText(query);
        const page: Window = { from: 0, size: K + 1, output: 'results' };
        const ranking: Window = { from: 0, size: MAX_RESULTS, output: 'ids' };
        queries.push({
          query,
          vector,
          text,
          bodies: {
            keyword: JSON.stringify(keywordBody(scope, text, page)),
            semantic: JSON.stringify(semanticBody(scope, vector, page, text, settings.knnEfSearch)),
            keywordRanking: JSON.stringify(keywordBody(scope, text, ranking)),
            semanticRanking: JSON.stringify(
              semanticBody(scope, vector, ranking, text, settings.knnEfSearch),
            ),
          },
        });
      });
      vectorBar.update(queries.length);
    }
    vectorBar.end(queries.length);
    // What one query's embedding costs, as the service makes it (one text per call).
    const embedTimes: number[] = [];
    for (const query of strings.slice(0, Math.min(50, strings.length))) {
      const sent = performance.now();
      await real.embed([query], 'query');
      embedTimes.push(performance.now() - sent);
    }
    const embedOne = latencyStats(embedTimes, 0);
    await embedder.close();
    const warmup = queries.slice(0, config.warmup);
    // No string is sent twice to the service in the measured rounds, whatever it caches.
    const measuredOf = Object.fromEntries(
      MODES.map((mode, i) => {
        const from = config.warmup + i * config.queries;
        return [mode, queries.slice(from, from + config.queries)];
      }),
    ) as Record<Mode, BenchQuery[]>;

    // 4. The service, with a key of the target tenant.
    const port = await freePort();
    const serviceEnv = {
      DATABASE_URL: databaseUrl(config.serverUrl, DB),
      KAFKA_GROUP_PREFIX: prefix,
      OPENSEARCH_INDEX_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      SEARCH_RATE_LIMIT_PER_SECOND: '100000',
      SEARCH_RATE_LIMIT_BURST: '1000000',
      SEARCH_PORT: String(port),
    };
    const kafka = new Kafka({
      clientId: 'bench-search',
      brokers: config.brokers,
      logLevel: logLevel.NOTHING,
    });
    await groupsAtEnd(kafka, prefix, consumerGroupPairs());
    const search = startService('bench', 'search', serviceEnv);
    service = search;
    const opensearchPid = readPid(join(defaultStackDir(), 'opensearch', 'engine.pid'));
    const sampleCpu = cpuSampler({
      bench: () => [process.pid],
      service: () => [search.pid],
      opensearch: () => (opensearchPid ? [opensearchPid] : []),
    });
    await waitReady(port);
    const key = apiKey(target, 'bench-search', 'search', serviceEnv);
    say('bench', `search service ready on port ${port}; queries go to tenant ${target}`);

    const searchUrl = `http://127.0.0.1:${port}/v1/search`;
    const serviceSearch =
      (mode: Mode) =>
      async (q: BenchQuery): Promise<unknown[]> => {
        const response = await fetch(searchUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: q.query, mode, k: K }),
        });
        const body = await response.text();
        if (!response.ok) throw new Error(`${mode}: HTTP ${response.status} ${body.slice(0, 300)}`);
        return (JSON.parse(body) as { results: unknown[] }).results;
      };
    const engineQuery = async (body: string): Promise<Hit[]> => {
      const response = await fetch(`${osBase}/${index.alias}/_search`, {
        method: 'POST',
        headers: osHeaders,
        body,
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`engine: HTTP ${response.status} ${text.slice(0, 300)}`);
      const result = JSON.parse(text) as { _shards?: { failed?: number }; hits: { hits: Hit[] } };
      if (result._shards?.failed) throw new Error(`engine: shard failure ${text.slice(0, 300)}`);
      return result.hits.hits;
    };
    // What the service asks OpenSearch for each mode, minus embedding, HTTP and framework.
    const engineSearch: Record<Mode, (q: BenchQuery) => Promise<Hit[]>> = {
      keyword: (q) => engineQuery(q.bodies.keyword),
      semantic: (q) => engineQuery(q.bodies.semantic),
      hybrid: async (q) => {
        const [keywordHits, semanticHits] = await Promise.all([
          engineQuery(q.bodies.keywordRanking),
          engineQuery(q.bodies.semanticRanking),
        ]);
        // The service's own fusion function.
        const ids = minMaxFusion(
          [keywordHits, semanticHits].map((hits) =>
            hits.map((hit) => ({ id: hit._id, score: hit._score ?? 0 })),
          ),
        )
          .slice(0, K)
          .map((hit) => hit.id);
        if (ids.length === 0) return [];
        return engineQuery(JSON.stringify(hydrateBody(scope, ids, q.text)));
      },
    };

    // A sanity check before timing anything: every mode finds something for the first query.
    for (const mode of MODES) {
      const [first] = warmup.length > 0 ? warmup : measuredOf[mode];
      const results = await serviceSearch(mode)(first);
      if (results.length === 0) throw new Error(`${mode}: no result for "${first.query}"`);
    }

    // Per mode: a warm-up of each side, then the measured queries in BLOCKS blocks, each sent
    // to the service and then to the engine, so that both sides see the same spells of load
    // from whatever else runs on the machine.
    const modes = {} as Record<Mode, Figures>;
    const engine = {} as Record<Mode, Figures>;
    for (const mode of MODES) {
      const sides: Array<[string, (q: BenchQuery) => Promise<unknown>, Tally]> = [
        ['service', serviceSearch(mode), tally()],
        ['engine', engineSearch[mode], tally()],
      ];
      const warmBar = progress(`${mode} warm-up`, warmup.length * 2, 'queries');
      let warmed = 0;
      for (const [, send] of sides)
        await runRound(warmup, config.concurrency, send, tally(), () => warmBar.update(++warmed));
      warmBar.end(warmed);
      const measured = measuredOf[mode];
      const bar = progress(mode, measured.length * 2, 'queries');
      let done = 0;
      const blockSize = Math.ceil(measured.length / BLOCKS);
      for (let from = 0; from < measured.length; from += blockSize) {
        const block = measured.slice(from, from + blockSize);
        for (const [, send, into] of sides) {
          const before = sampleCpu();
          await runRound(block, config.concurrency, send, into, () => bar.update(++done));
          addCpu(into.cpu, cpuBetween(before, sampleCpu()));
        }
      }
      bar.end(done, '(service and engine)');
      modes[mode] = figures(mode, sides[0][2]);
      engine[mode] = figures(`${mode} engine`, sides[1][2]);
      say(
        'query',
        `${mode}: service p50 ${modes[mode].p50Ms} ms, p99 ${modes[mode].p99Ms} ms; ` +
          `engine p50 ${engine[mode].p50Ms} ms, p99 ${engine[mode].p99Ms} ms`,
      );
    }

    // 6. Recall@10 of the service's k-NN query against exact search, one query at a time.
    const recallSet = measuredOf.semantic.slice(0, config.recallQueries);
    const recallBar = progress('recall', recallSet.length, 'queries');
    const hnswMs: number[] = [];
    const exactMs: number[] = [];
    let strictSum = 0;
    let tieAwareSum = 0;
    for (const q of recallSet) {
      const knnBody = JSON.stringify(
        semanticBody(
          scope,
          q.vector,
          { from: 0, size: K, output: 'ids' },
          q.text,
          settings.knnEfSearch,
        ),
      );
      const exactBody = JSON.stringify({
        size: K,
        _source: false,
        track_total_hits: false,
        query: {
          script_score: {
            query: { bool: { filter: scopeFilters(scope) } },
            script: {
              source: 'knn_score',
              lang: 'knn',
              params: { field: 'embedding', query_value: q.vector, space_type: 'cosinesimil' },
            },
          },
        },
      });
      let sent = performance.now();
      const approximate = (await engineQuery(knnBody)).map((hit) => hit._id);
      hnswMs.push(performance.now() - sent);
      sent = performance.now();
      const exact = (await engineQuery(exactBody)).map((hit) => hit._id);
      exactMs.push(performance.now() - sent);
      // Equal vectors (two summaries made of the same sentences) tie: an approximate result
      // counts when it is as close as the 10th exact one (what ann-benchmarks does).
      const ids = [...new Set([...approximate, ...exact])];
      const vectors = new Map(
        (
          await engineQuery(
            JSON.stringify({
              size: ids.length,
              _source: ['embedding'],
              query: { ids: { values: ids } },
            }),
          )
        ).map((hit) => [hit._id, hit._source?.embedding ?? []]),
      );
      const closeness = (id: string): number => cosine(q.vector, vectors.get(id) ?? []);
      const tenth = Math.min(...exact.map(closeness));
      const exactSet = new Set(exact);
      const denominator = Math.min(K, exact.length) || 1;
      strictSum += approximate.filter((id) => exactSet.has(id)).length / denominator;
      tieAwareSum +=
        Math.min(
          denominator,
          approximate.filter((id) => exactSet.has(id) || closeness(id) >= tenth - TIE_EPSILON)
            .length,
        ) / denominator;
      recallBar.update(hnswMs.length);
    }
    recallBar.end(hnswMs.length);
    const knnRecallAt10 = Math.round((tieAwareSum / recallSet.length) * 10_000) / 10_000;
    const knnIdOverlapAt10 = Math.round((strictSum / recallSet.length) * 10_000) / 10_000;
    const hnsw = latencyStats(hnswMs, 0);
    const exactStats = latencyStats(exactMs, 0);
    const exactSpeedup = Math.round((exactStats.p50Ms / hnsw.p50Ms) * 10) / 10;

    // 7. The report.
    const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
    const targetSummaries = perTenant.get(target) ?? 0;
    const report = {
      summaries: written,
      tenants: config.tenants,
      targetTenant: { tenantId: target, summaries: targetSummaries },
      concurrency: config.concurrency,
      queriesPerMode: config.queries,
      warmupQueriesPerMode: warmup.length,
      distinctQueries: strings.length,
      queriesRepeat: false,
      modes: Object.fromEntries(MODES.map((mode) => [mode, modes[mode]])),
      engine: Object.fromEntries(MODES.map((mode) => [mode, engine[mode]])),
      serviceToEngineP99: Object.fromEntries(
        MODES.map((mode) => [mode, ratio(modes[mode].p99Ms, engine[mode].p99Ms)]),
      ),
      knnRecallAt10,
      knnIdOverlapAt10,
      recallQueries: recallSet.length,
      hnswMs: { p50: hnsw.p50Ms, p99: hnsw.p99Ms, mean: hnsw.meanMs },
      exactMs: { p50: exactStats.p50Ms, p99: exactStats.p99Ms, mean: exactStats.meanMs },
      exactSpeedup,
      queryEmbeddingMs: { p50: embedOne.p50Ms, p99: embedOne.p99Ms, mean: embedOne.meanMs },
      load: {
        seconds: Math.round(loadSeconds * 10) / 10,
        perSecond: Math.round(written / loadSeconds),
        chunk: config.chunk,
        poolSentences: pool.sentences.length,
        fragmentsEmbedded: embedder.stats.fragmentsEmbedded,
        embedSeconds: Math.round(embedder.stats.modelMs / 100) / 10,
        refreshSeconds: Math.round(refreshSeconds * 10) / 10,
        forceMerge: config.forceMerge,
        segmentsAfterLoad,
        segments,
        mergeSeconds: mergeSeconds === null ? null : Math.round(mergeSeconds * 10) / 10,
        storeBytes: Number(stats['store.size']),
      },
      model: real.model,
      targets: {
        hybridP99Ms: TARGET_HYBRID_P99_MS,
        knnRecallAt10: TARGET_RECALL,
        hybridP99Met: modes.hybrid.p99Ms <= TARGET_HYBRID_P99_MS,
        knnRecallMet: knnRecallAt10 >= TARGET_RECALL,
      },
      machine: {
        cpus: availableParallelism(),
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        loadAverageAfter: Math.round(loadavg()[0] * 100) / 100,
        node: process.version,
      },
    };

    const rows: Cell[][] = [
      [
        'mode',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'mean ms',
        'queries/s',
        'engine p50',
        'engine p99',
        'engine q/s',
        'p99 service/engine',
      ],
      ...MODES.map((mode) => [
        mode,
        fmt(modes[mode].p50Ms, 1),
        fmt(modes[mode].p95Ms, 1),
        fmt(modes[mode].p99Ms, 1),
        fmt(modes[mode].meanMs, 1),
        fmt(modes[mode].qps, 1),
        fmt(engine[mode].p50Ms, 1),
        fmt(engine[mode].p99Ms, 1),
        fmt(engine[mode].qps, 1),
        `${fmt(ratio(modes[mode].p99Ms, engine[mode].p99Ms), 2)}×`,
      ]),
    ];
    const cpuRows: Cell[][] = [
      ['mode', 'round', 'bench', 'service', 'OpenSearch', 'other', 'machine busy'],
    ];
    for (const mode of MODES)
      for (const [round, result] of [
        ['service', modes[mode]],
        ['engine only', engine[mode]],
      ] as const) {
        const cpu = result.cpuMsPerQuery;
        if (!cpu) continue;
        cpuRows.push([
          mode,
          round,
          fmt(cpu.bench, 1),
          round === 'service' ? fmt(cpu.service, 1) : '-',
          fmt(cpu.opensearch, 1),
          fmt(cpu.other, 1),
          `${Math.round((result.machineBusy ?? 0) * 100)}%`,
        ]);
      }
    const shares = tenantShares(config.tenants);
    process.stdout.write(
      `\n${fmt(written)} summaries, ${config.tenants} tenants (Zipf; target ${target}: ` +
        `${fmt(targetSummaries)}, expected ${(shares[0] * 100).toFixed(1)}%), ` +
        `${config.concurrency} concurrent clients, ${config.queries} queries per mode, k = ${K}; ` +
        'no query string repeats (each mode has its own; each is sent once to the service and ' +
        'once to the engine)\n\n' +
        `${table(rows, [1, 2, 3, 4, 5, 6, 7, 8, 9])}\n\n` +
        (cpuRows.length > 1
          ? `CPU ms per query (processes; "other" is the rest of the machine, others' work ` +
            `included):\n${table(cpuRows, [2, 3, 4, 5, 6])}\n\n`
          : '') +
        `k-NN recall@10 against exact search, ${recallSet.length} queries: ` +
        `${knnRecallAt10.toFixed(4)} ` +
        `(ties counted; exact id overlap ${knnIdOverlapAt10.toFixed(4)})\n` +
        `one query at a time: HNSW p50 ${fmt(hnsw.p50Ms, 1)} ms, exact (script_score) p50 ` +
        `${fmt(exactStats.p50Ms, 1)} ms: exact/HNSW ${fmt(exactSpeedup, 1)}×\n` +
        `query embedding in this process, one at a time: p50 ${fmt(embedOne.p50Ms, 1)} ms, ` +
        `p99 ${fmt(embedOne.p99Ms, 1)} ms (the service embeds every semantic and hybrid query)\n` +
        `load: ${fmt(Math.round(written / loadSeconds))} summaries/s; ${segments} segment(s)` +
        (config.forceMerge ? ` (force-merged from ${segmentsAfterLoad})` : '') +
        `\ntargets: hybrid p99 ≤ ${TARGET_HYBRID_P99_MS} ms: ` +
        `${modes.hybrid.p99Ms <= TARGET_HYBRID_P99_MS ? 'met' : 'NOT met'} (${fmt(modes.hybrid.p99Ms, 1)} ms); ` +
        `recall@10 ≥ ${TARGET_RECALL}: ${knnRecallAt10 >= TARGET_RECALL ? 'met' : 'NOT met'}\n`,
    );
    say(
      'bench',
      `load average after the run ${loadavg()[0].toFixed(2)} (others' load skews these)`,
    );
    return report;
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench:search failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);
