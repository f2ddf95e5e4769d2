// The search benchmark's report: the JSON it writes with --out and the text it prints.
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { Mode, MODES, RecallFigures } from './search-bench-engine';
import { LoadFigures } from './search-bench-load';
import { Figures, LatencyStats, ratio } from './search-bench-stats';
import { Cell, SearchBenchTools } from './search-bench-tools';

/** Hybrid p99 targets: with one client, and with several (8 in the default run). */
export const TARGET_HYBRID_P99_MS = { oneClient: 40, concurrent: 100 };
export const TARGET_RECALL = 0.95;

/** The summary list's recall and walk time at one ef_search (`BENCH_EF_SWEEP`). */
export type EfSweepPoint = RecallFigures & { efSearch: number };

/** What a run measured, as the report shows it. */
export interface SearchBenchResults {
  k: number;
  evidence: number;
  tenants: number;
  concurrency: number;
  queriesPerMode: number;
  warmupQueriesPerMode: number;
  distinctQueries: number;
  target: { tenantId: string; summaries: number; passages: number; expectedShare: number };
  passagesPerConversation: number;
  /** Per mode: the service, and the engine alone with the passage-aware and the old requests. */
  service: Record<Mode, Figures>;
  passageAware: Record<Mode, Figures>;
  summaryOnly: Record<Mode, Figures>;
  /** k-NN recall@10 at the depth of a first page of k (`firstDepth`) and at full depth. */
  summaryKnn: RecallFigures;
  passageKnn: RecallFigures | null;
  summaryKnnFull: RecallFigures;
  passageKnnFull: RecallFigures | null;
  efSweep: EfSweepPoint[];
  firstDepth: { summaries: number; passages: number };
  queryEmbedding: LatencyStats;
  summaries: LoadFigures & {
    chunk: number;
    poolSentences: number;
    fragmentsEmbedded: number;
    embedSeconds: number;
  };
  passages: LoadFigures;
  model: string;
}

const ms = (stats: LatencyStats): { p50: number; p99: number; mean: number } => ({
  p50: stats.p50Ms,
  p99: stats.p99Ms,
  mean: stats.meanMs,
});

const perMode = <T>(of: (mode: Mode) => T): Record<Mode, T> =>
  Object.fromEntries(MODES.map((mode) => [mode, of(mode)])) as Record<Mode, T>;

function hybridTarget(r: SearchBenchResults): number {
  return r.concurrency === 1 ? TARGET_HYBRID_P99_MS.oneClient : TARGET_HYBRID_P99_MS.concurrent;
}

/** The JSON report (`--out`). */
export function searchReport(r: SearchBenchResults): Record<string, unknown> {
  const recall = (figures: RecallFigures): Record<string, unknown> => ({
    recallAt10: figures.recallAt10,
    idOverlapAt10: figures.idOverlapAt10,
    queries: figures.queries,
    hnswMs: ms(figures.hnsw),
    exactMs: ms(figures.exact),
    exactSpeedup: figures.exactSpeedup,
  });
  return {
    summaries: r.summaries.documents,
    passages: r.passages.documents,
    passagesPerConversation: r.passagesPerConversation,
    tenants: r.tenants,
    targetTenant: {
      tenantId: r.target.tenantId,
      summaries: r.target.summaries,
      passages: r.target.passages,
    },
    concurrency: r.concurrency,
    k: r.k,
    evidence: r.evidence,
    queriesPerMode: r.queriesPerMode,
    warmupQueriesPerMode: r.warmupQueriesPerMode,
    distinctQueries: r.distinctQueries,
    queriesRepeat: false,
    modes: r.service,
    // The engine alone: `engine` with the service's requests now (passages and evidence),
    // `engineSummaryOnly` with its requests before passages.
    engine: r.passageAware,
    engineSummaryOnly: r.summaryOnly,
    serviceToEngineP99: perMode((mode) => ratio(r.service[mode].p99Ms, r.passageAware[mode].p99Ms)),
    ratios: perMode((mode) => ({
      serviceToEngine: {
        p50: ratio(r.service[mode].p50Ms, r.passageAware[mode].p50Ms),
        p99: ratio(r.service[mode].p99Ms, r.passageAware[mode].p99Ms),
      },
      passageAwareToSummaryOnly: {
        p50: ratio(r.passageAware[mode].p50Ms, r.summaryOnly[mode].p50Ms),
        p99: ratio(r.passageAware[mode].p99Ms, r.summaryOnly[mode].p99Ms),
      },
    })),
    knnRecallAt10: r.summaryKnn.recallAt10,
    knnIdOverlapAt10: r.summaryKnn.idOverlapAt10,
    recallQueries: r.summaryKnn.queries,
    hnswMs: ms(r.summaryKnn.hnsw),
    exactMs: ms(r.summaryKnn.exact),
    exactSpeedup: r.summaryKnn.exactSpeedup,
    passageKnn: r.passageKnn ? recall(r.passageKnn) : null,
    firstDepth: r.firstDepth,
    summaryKnnFullDepth: recall(r.summaryKnnFull),
    passageKnnFullDepth: r.passageKnnFull ? recall(r.passageKnnFull) : null,
    efSweep: r.efSweep.map((point) => ({ efSearch: point.efSearch, ...recall(point) })),
    queryEmbeddingMs: ms(r.queryEmbedding),
    load: r.summaries,
    passageLoad: r.passages,
    model: r.model,
    targets: {
      hybridP99Ms: hybridTarget(r),
      knnRecallAt10: TARGET_RECALL,
      hybridP99Met: r.service.hybrid.p99Ms <= hybridTarget(r),
      knnRecallMet: Math.min(r.summaryKnn.recallAt10, r.summaryKnnFull.recallAt10) >= TARGET_RECALL,
      passageKnnRecallMet: r.passageKnn
        ? Math.min(r.passageKnn.recallAt10, r.passageKnnFull?.recallAt10 ?? 1) >= TARGET_RECALL
        : null,
    },
    machine: {
      cpus: availableParallelism(),
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageAfter: Math.round(loadavg()[0] * 100) / 100,
      node: process.version,
    },
  };
}

/** The printed report. */
export function printReport(r: SearchBenchResults, { fmt, table }: SearchBenchTools): void {
  const rows: Cell[][] = [
    [
      'mode',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'queries/s',
      'engine p50',
      'engine p99',
      'engine q/s',
      'summary-only p50',
      'summary-only p99',
      'summary-only q/s',
      'p99 service/engine',
      'p99 engine/summary-only',
    ],
    ...MODES.map((mode) => {
      const [service, aware, old] = [r.service[mode], r.passageAware[mode], r.summaryOnly[mode]];
      return [
        mode,
        fmt(service.p50Ms, 1),
        fmt(service.p95Ms, 1),
        fmt(service.p99Ms, 1),
        fmt(service.qps, 1),
        fmt(aware.p50Ms, 1),
        fmt(aware.p99Ms, 1),
        fmt(aware.qps, 1),
        fmt(old.p50Ms, 1),
        fmt(old.p99Ms, 1),
        fmt(old.qps, 1),
        `${fmt(ratio(service.p99Ms, aware.p99Ms), 2)}×`,
        `${fmt(ratio(aware.p99Ms, old.p99Ms), 2)}×`,
      ];
    }),
  ];
  const cpuRows: Cell[][] = [
    ['mode', 'round', 'bench', 'service', 'OpenSearch', 'other', 'machine busy'],
  ];
  for (const mode of MODES)
    for (const [round, result] of [
      ['service', r.service[mode]],
      ['engine', r.passageAware[mode]],
      ['engine, summary-only', r.summaryOnly[mode]],
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
  const recallLine = (what: string, knn: RecallFigures): string =>
    `${what} k-NN recall@10 against exact search, ${knn.queries} queries: ` +
    `${knn.recallAt10.toFixed(4)} (ties counted; exact id overlap ${knn.idOverlapAt10.toFixed(4)})` +
    `; one query at a time: HNSW p50 ${fmt(knn.hnsw.p50Ms, 1)} ms, exact (script_score) p50 ` +
    `${fmt(knn.exact.p50Ms, 1)} ms: exact/HNSW ${fmt(knn.exactSpeedup, 1)}×\n`;
  const loadLine = (what: string, load: LoadFigures): string =>
    `load: ${fmt(load.perSecond)} ${what}/s; ${load.segments} segment(s)` +
    (load.forceMerge ? ` (force-merged from ${load.segmentsAfterLoad})` : '') +
    `, ${fmt(load.storeBytes / 1024 / 1024, 1)} MiB\n`;
  const { service, passageAware, summaryOnly } = r;
  const hybridP99 = service.hybrid.p99Ms;
  const target = hybridTarget(r);
  const recall = Math.min(r.summaryKnn.recallAt10, r.summaryKnnFull.recallAt10);
  const depth = `k ${r.firstDepth.summaries} summaries, ${r.firstDepth.passages} passages`;
  process.stdout.write(
    `\n${fmt(r.summaries.documents)} summaries and ${fmt(r.passages.documents)} passages ` +
      `(${r.passagesPerConversation} per conversation), ${r.tenants} tenants (Zipf; target ` +
      `${r.target.tenantId}: ${fmt(r.target.summaries)} summaries, ${fmt(r.target.passages)} ` +
      `passages, expected ${(r.target.expectedShare * 100).toFixed(1)}%), ${r.concurrency} ` +
      `concurrent clients, ${r.queriesPerMode} queries per mode, k = ${r.k}, evidence = ` +
      `${r.evidence}; no query string repeats (each mode has its own; each is sent once to the ` +
      'service and once to each engine round)\n' +
      '"engine": the service\'s requests now (summary and passage lists, fusion, page, ' +
      'evidence) straight to OpenSearch; "summary-only": its requests before passages\n\n' +
      `${table(rows, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])}\n\n` +
      (cpuRows.length > 1
        ? `CPU ms per query (processes; "other" is the rest of the machine, others' work ` +
          `included):\n${table(cpuRows, [2, 3, 4, 5, 6])}\n\n`
        : '') +
      recallLine(`summary (first pages: ${depth})`, r.summaryKnn) +
      (r.passageKnn ? recallLine('passage (first pages)', r.passageKnn) : '') +
      recallLine('summary (full depth)', r.summaryKnnFull) +
      (r.passageKnnFull ? recallLine('passage (full depth)', r.passageKnnFull) : '') +
      r.efSweep.map((point) => recallLine(`summary, ef_search ${point.efSearch}`, point)).join('') +
      `query embedding in this process, one at a time: p50 ${fmt(r.queryEmbedding.p50Ms, 1)} ms, ` +
      `p99 ${fmt(r.queryEmbedding.p99Ms, 1)} ms (the service embeds every semantic and hybrid ` +
      'query)\n' +
      loadLine('summaries', r.summaries) +
      loadLine('passages', r.passages) +
      `targets: hybrid p99 ≤ ${target} ms at ${r.concurrency} client(s): ` +
      `${hybridP99 <= target ? 'met' : 'NOT met'} (${fmt(hybridP99, 1)} ms); ` +
      `summary recall@10 ≥ ${TARGET_RECALL} at both depths: ` +
      `${recall >= TARGET_RECALL ? 'met' : 'NOT met'}\n` +
      `passage-aware/summary-only p50 at the engine: ${MODES.map(
        (mode) => `${mode} ${fmt(ratio(passageAware[mode].p50Ms, summaryOnly[mode].p50Ms), 2)}×`,
      ).join(', ')}\n`,
  );
}
