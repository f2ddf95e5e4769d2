// Search latency benchmark: 100,000 synthetic conversation summaries in the summaries index and
// a few passages of each conversation in the passages index, then POST /v1/search of the real
// search service under concurrent clients, per mode, against the same queries sent straight to
// OpenSearch (engine-only latency) in the same run, both as the service asks them now (summary
// and passage lists, evidence) and as it asked them before passages (summaries alone); and the
// recall@10 of the k-NN (HNSW) rankings against exact search. A report, not a test: it exits 0
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
//  4. the passages (bench/lib/synthetic-passages.ts): the same summaries generated again, and
//     for each conversation its first BENCH_PASSAGES_PER_CONVERSATION windows of messages cut by
//     the library (`toPassage`: 4 messages, a new window every 2), each message a pool sentence
//     of the conversation's summary or topics, `user-<n>: ` and `assistant: ` in turn; vector:
//     the pooled vector of the window's sentences, `embedded` true. Written through
//     `PassageIndex` (`ensure`, then whole documents in chunks of about BENCH_CHUNK, two in
//     flight, by the index's rebuild writer: `PassageIndex.write` leaves the vector to the
//     service's filler), refreshes off, then refreshed and force-merged like the summaries.
//     The default of 4 (400,000 passages) keeps the load to minutes on 2 cores; a real
//     conversation of 100 messages has 50 passages, so the passage lists here search a smaller
//     index than they would in production;
//  5. the search service from dist/ (its own consumer groups, set to the end of their topics,
//     so it indexes nothing else into the bench's indices; rate limit out of the way) and an
//     API key of the target tenant;
//  6. per mode (hybrid, semantic, keyword): BENCH_QUERIES queries through the service with
//     BENCH_CONCURRENCY clients, k = 10 and 3 passages of evidence, no string sent twice (each
//     mode has its own); two baselines, the same queries straight to OpenSearch with the
//     library's builders (libs/search-index) and query vectors computed beforehand, same
//     concurrency: "engine", the service's requests now (the mode's lists of
//     `conversationListQueries` in parallel, fused by `fuseConversationLists`, the page's
//     summaries by id, then the page's passages of evidence and the top-up request), and
//     "summary-only", its requests before passages (hybrid: both summary rankings in parallel,
//     fused, then the page by id). A warm-up round of other queries first (not counted), then
//     five blocks, each sent to the service and then to each baseline, so that all three meet
//     the same spells of load from whatever else runs;
//  7. recall@10: for BENCH_RECALL_QUERIES queries, the top 10 of the service's summary k-NN
//     query, and of its passage k-NN list, (one client, timed) against the top 10 of an exact
//     script_score search (knn_score, innerproduct) over the same tenant filter (timed): the
//     speed-up of HNSW over exact search;
//  8. the report (and JSON with --out); the service stopped, the bench's indices deleted (the
//     database is kept: the next run drops and recreates it).
//
// Environment: BENCH_SUMMARIES (100000), BENCH_PASSAGES_PER_CONVERSATION (4), BENCH_TENANTS
// (10), BENCH_CONCURRENCY (8), BENCH_QUERIES (500 per mode), BENCH_WARMUP (100 per mode),
// BENCH_RECALL_QUERIES (100), BENCH_SENTENCES (4000, the pool), BENCH_CHUNK (500 documents per
// bulk request), BENCH_SEED, BENCH_FORCE_MERGE (true), BENCH_SKIP_BUILD (false),
// BENCH_KEEP_INDEX (false), BENCH_EF_SWEEP (none; e.g. 400,600,800,1000: summary recall@10 and
// the walk's time at each ef_search, at first-page depth), plus the services' KAFKA_BROKERS, DATABASE_URL (only its server is
// used), OPENSEARCH_URL and EMBEDDING_* (the bench embeds with the same model as the service).
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvReader, readOpenSearchConfig } from '@memory/config';
import { consumerGroupPairs } from '@memory/contracts';
import { createEmbeddingBackend } from '@memory/embeddings';
import { createOpenSearchClient } from '@memory/opensearch';
import {
  depthFor,
  FULL_DEPTH,
  ListDepth,
  PassageIndex,
  passageScopeFilters,
  passageScopeOf,
  passageSemanticBody,
  readSearchSettings,
  scopeFilters,
  scaledEfSearch,
  SearchScope,
  semanticBody,
  SummaryIndex,
} from '@memory/search-index';
import { Kafka, logLevel } from 'kafkajs';
import { readPid } from '../deploy/stack/lib/processes.mjs';
import { defaultStackDir } from '../deploy/stack/models.mjs';
import { fmt, option, progress, say, table } from '../deploy/run/console';
import { cpuBetween, cpuSampler } from './lib/cpu';
import { machine, machineLine } from './lib/machine';
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
  benchQuery,
  BenchQuery,
  knnRecall,
  Mode,
  MODES,
  passageAwareSearch,
  prepareLists,
  RecallFigures,
  summaryOnlySearch,
} from './lib/search-bench-engine';
import { loadCorpus } from './lib/search-bench-corpus';
import { engineOf } from './lib/search-bench-load';
import { EfSweepPoint, printReport, searchReport } from './lib/search-bench-report';
import {
  addCpu,
  figures,
  Figures,
  latencyStats,
  runRound,
  Tally,
  tally,
} from './lib/search-bench-stats';
import { SearchBenchTools } from './lib/search-bench-tools';
import { queryStrings, tenantShares } from './lib/synthetic-summaries';

const K = 10;
/** Passages of evidence per result: the service's default, sent explicitly. */
const EVIDENCE = 3;
const DB = 'memory_bench_search';
const TENANT_PREFIX = 'bench-search-';
/** Blocks a mode's measured queries are split into, alternating service and engine rounds. */
const BLOCKS = 5;

const config = {
  summaries: intEnv('BENCH_SUMMARIES', 100_000),
  passagesPerConversation: intEnv('BENCH_PASSAGES_PER_CONVERSATION', 4),
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
  efSweep: (process.env.BENCH_EF_SWEEP ?? '')
    .split(',')
    .filter((value) => value.trim() !== '')
    .map((value) => {
      const ef = Number(value);
      if (!Number.isInteger(ef) || ef < 1 || ef > 10_000)
        throw new Error(`BENCH_EF_SWEEP: ${value} is not an ef_search (1..10000)`);
      return ef;
    }),
  out: option('out'),
  serverUrl: serverUrl(),
  brokers: brokers(),
};
config.recallQueries = Math.min(config.recallQueries, config.queries);
const tools: SearchBenchTools = { say, progress, fmt, table };

async function main(): Promise<void> {
  say(
    'bench',
    `${fmt(config.summaries)} summaries (${config.passagesPerConversation} passages each) over ` +
      `${config.tenants} tenants; ${config.queries} queries per mode with ${config.concurrency} ` +
      `clients; ${machineLine()}, load average ${loadavg()[0].toFixed(2)}`,
  );
  stackAndBuild('bench', { skipBuild: config.skipBuild });
  await freshDatabase('bench', config.serverUrl, DB);

  const prefix = `bench-search-${randomUUID().slice(0, 8)}`;
  const libraryEnv = { ...process.env, OPENSEARCH_INDEX_PREFIX: prefix };
  const read = new EnvReader(libraryEnv);
  const opensearch = readOpenSearchConfig(read);
  const settings = readSearchSettings(read);
  read.assertValid();
  const engine = engineOf(opensearch);
  const client = createOpenSearchClient(opensearch);
  /** The bench's indices: alias, and the physical index it made. */
  const indices: Array<{ index: SummaryIndex | PassageIndex; physical: string }> = [];
  let service: ChildProcess | undefined;
  const cleanUp = async (): Promise<void> => {
    if (service) await stopServicesAndWait();
    for (const { index, physical } of indices) {
      if (config.keepIndex) {
        say('bench', `index kept: ${physical} (alias ${index.alias})`);
        continue;
      }
      // The bench's physical index (and the alias with it), and whatever the alias points at.
      const current = await index.currentIndex().catch(() => undefined);
      for (const name of new Set([physical, current].filter(Boolean)))
        await engine
          .call('DELETE', `/${name}`)
          .catch((error: unknown) =>
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
      writeFileSync(
        resolve(process.cwd(), config.out),
        `${JSON.stringify({ machine: machine(), ...report }, null, 2)}\n`,
      );
      say('bench', `wrote ${config.out}`);
    }
  } finally {
    await cleanUp();
  }

  async function measure(): Promise<Record<string, unknown>> {
    // 2-4. The sentence pool, the summaries and their passages.
    const real = await createEmbeddingBackend(settings.embeddings);
    const corpus = await loadCorpus({
      real,
      client,
      engine,
      prefix,
      options: { ...config, tenantPrefix: TENANT_PREFIX },
      tools,
      onIndex: (index, physical) => indices.push({ index, physical }),
    });
    const { pool, embedder, summaryIndex: index, passageIndex: passages } = corpus;

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
      slice.forEach((query, j) =>
        queries.push(benchQuery(query, vectors[j], scope, K, settings.knnEfSearch)),
      );
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
    const queryEmbedding = latencyStats(embedTimes, 0);
    await embedder.close();
    const warmup = queries.slice(0, config.warmup);
    // No string is sent twice to the service in the measured rounds, whatever it caches.
    const measuredOf = Object.fromEntries(
      MODES.map((mode, i) => {
        const from = config.warmup + i * config.queries;
        return [mode, queries.slice(from, from + config.queries)];
      }),
    ) as Record<Mode, BenchQuery[]>;
    for (const mode of MODES)
      for (const q of [...warmup, ...measuredOf[mode]])
        prepareLists(q, mode, scope, settings.knnEfSearch, K);

    // 5. The service, with a key of the target tenant.
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
      async (q: BenchQuery): Promise<Array<{ evidence?: unknown[] }>> => {
        const response = await fetch(searchUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: q.query, mode, k: K, evidence: EVIDENCE }),
        });
        const body = await response.text();
        if (!response.ok) throw new Error(`${mode}: HTTP ${response.status} ${body.slice(0, 300)}`);
        return (JSON.parse(body) as { results: Array<{ evidence?: unknown[] }> }).results;
      };
    const aliases = { summaries: index.alias, passages: passages.alias };
    const passageAware = passageAwareSearch(engine, aliases, scope, K, EVIDENCE);
    const summaryOnly = summaryOnlySearch(engine, aliases, scope, K);

    // A sanity check before timing anything: every mode finds something for the first query,
    // with evidence (the service sees the passages), and so does the passage-aware baseline.
    for (const mode of MODES) {
      const [first] = warmup.length > 0 ? warmup : measuredOf[mode];
      const results = await serviceSearch(mode)(first);
      if (results.length === 0) throw new Error(`${mode}: no result for "${first.query}"`);
      if (!results[0].evidence?.length)
        throw new Error(`${mode}: no evidence for "${first.query}": passages not searched?`);
      if ((await passageAware(mode)(first)) === 0)
        throw new Error(`${mode} engine: no result for "${first.query}"`);
    }

    // 6. Per mode: a warm-up of each side, then the measured queries in BLOCKS blocks, each sent
    // to the service and then to each baseline, so that all sides see the same spells of load
    // from whatever else runs on the machine.
    const measured = {
      service: {} as Record<Mode, Figures>,
      passageAware: {} as Record<Mode, Figures>,
      summaryOnly: {} as Record<Mode, Figures>,
    };
    for (const mode of MODES) {
      const sides: Array<[keyof typeof measured, (q: BenchQuery) => Promise<unknown>, Tally]> = [
        ['service', serviceSearch(mode), tally()],
        ['passageAware', passageAware(mode), tally()],
        ['summaryOnly', summaryOnly[mode], tally()],
      ];
      const warmBar = progress(`${mode} warm-up`, warmup.length * sides.length, 'queries');
      let warmed = 0;
      for (const [, send] of sides)
        await runRound(warmup, config.concurrency, send, tally(), () => warmBar.update(++warmed));
      warmBar.end(warmed);
      const ofMode = measuredOf[mode];
      const bar = progress(mode, ofMode.length * sides.length, 'queries');
      let done = 0;
      const blockSize = Math.ceil(ofMode.length / BLOCKS);
      for (let from = 0; from < ofMode.length; from += blockSize) {
        const block = ofMode.slice(from, from + blockSize);
        for (const [, send, into] of sides) {
          const before = sampleCpu();
          await runRound(block, config.concurrency, send, into, () => bar.update(++done));
          addCpu(into.cpu, cpuBetween(before, sampleCpu()));
        }
      }
      bar.end(done, '(service, engine, engine summary-only)');
      for (const [side, , into] of sides)
        measured[side][mode] = figures(`${mode} ${side}`, into, say);
      const { service: s, passageAware: a, summaryOnly: o } = measured;
      say(
        'query',
        `${mode}: service p50 ${s[mode].p50Ms} ms, p99 ${s[mode].p99Ms} ms; engine p50 ` +
          `${a[mode].p50Ms} ms, p99 ${a[mode].p99Ms} ms; summary-only p50 ${o[mode].p50Ms} ms, ` +
          `p99 ${o[mode].p99Ms} ms`,
      );
    }

    // 7. Recall@10 of the service's k-NN queries against exact search, one query at a time.
    const recallSet = measuredOf.semantic.slice(0, config.recallQueries);
    const recallOf = async (
      what: string,
      alias: string,
      knnBody: (q: BenchQuery) => unknown,
      filters: unknown[],
    ): Promise<RecallFigures> => {
      const bar = progress(`${what} recall`, recallSet.length, 'queries');
      const figures = await knnRecall({
        engine,
        index: alias,
        queries: recallSet,
        knnBody,
        filters,
        k: K,
        onDone: (done) => bar.update(done),
      });
      bar.end(recallSet.length);
      return figures;
    };
    // At the depth of a first page of K (most searches) and at full depth (pages past it):
    // k and ef_search as the service sends them, only the first K returned.
    const passageScope = passageScopeOf(scope);
    const summaryRecall = (depth: ListDepth, what: string) =>
      recallOf(
        what,
        index.alias,
        (q) => ({
          ...semanticBody(
            scope,
            q.vector,
            { from: 0, size: K, output: 'ids' },
            q.text,
            Math.max(settings.knnEfSearch, depth.summaries),
            depth.summaries,
          ),
        }),
        scopeFilters(scope),
      );
    const passageRecall = (depth: ListDepth, what: string) =>
      recallOf(
        what,
        passages.alias,
        (q) => ({
          ...passageSemanticBody(
            passageScope,
            q.vector,
            depth.passages,
            scaledEfSearch(settings.knnEfSearch, depth.passages, FULL_DEPTH.passages),
          ),
          size: K,
        }),
        passageScopeFilters(passageScope),
      );
    const firstDepth = depthFor(K);
    const summaryKnn = await summaryRecall(firstDepth, 'summary');
    const passageKnn = await passageRecall(firstDepth, 'passage');
    const summaryKnnFull = await summaryRecall(FULL_DEPTH, 'summary, full depth');
    const passageKnnFull = await passageRecall(FULL_DEPTH, 'passage, full depth');
    // BENCH_EF_SWEEP: the summary list at first-page depth with each ef_search given, for
    // sizing SEARCH_KNN_EF_SEARCH (recall against the time of one walk).
    const efSweep: EfSweepPoint[] = [];
    for (const efSearch of config.efSweep) {
      const figures = await recallOf(
        `summary, ef_search ${efSearch}`,
        index.alias,
        (q) =>
          semanticBody(
            scope,
            q.vector,
            { from: 0, size: K, output: 'ids' },
            q.text,
            Math.max(efSearch, firstDepth.summaries),
            firstDepth.summaries,
          ),
        scopeFilters(scope),
      );
      efSweep.push({ efSearch, ...figures });
    }

    // 8. The report.
    const results = {
      k: K,
      evidence: EVIDENCE,
      tenants: config.tenants,
      concurrency: config.concurrency,
      queriesPerMode: config.queries,
      warmupQueriesPerMode: warmup.length,
      distinctQueries: strings.length,
      target: {
        tenantId: target,
        summaries: corpus.summariesPerTenant.get(target) ?? 0,
        passages: corpus.passagesPerTenant.get(target) ?? 0,
        expectedShare: tenantShares(config.tenants)[0],
      },
      passagesPerConversation: config.passagesPerConversation,
      ...measured,
      summaryKnn,
      passageKnn,
      summaryKnnFull,
      passageKnnFull,
      efSweep,
      firstDepth,
      queryEmbedding,
      summaries: {
        ...corpus.summaryLoad,
        chunk: config.chunk,
        poolSentences: pool.sentences.length,
        fragmentsEmbedded: embedder.stats.fragmentsEmbedded,
        embedSeconds: Math.round(embedder.stats.modelMs / 100) / 10,
      },
      passages: corpus.passageLoad,
      model: real.model,
    };
    printReport(results, tools);
    say(
      'bench',
      `load average after the run ${loadavg()[0].toFixed(2)} (others' load skews these)`,
    );
    return searchReport(results);
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
