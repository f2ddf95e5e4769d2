// What each request of a search costs OpenSearch, one at a time, against the indices a
// `bench:search` run kept (BENCH_KEEP_INDEX=true): the requests the service sends now, each
// beside the variant it replaced (ids read from `_id` instead of doc values, full depth instead
// of the first pages' depth), so a change to one request is measured alone. A report, not a
// test: it exits 0 whatever the figures.
//
//   BENCH_SEARCH_PREFIX=bench-search-xxxxxxxx npm run bench:search-requests -- [--out <file>]
//
// For each variant: BENCH_REQUESTS queries (80) of the target tenant (`bench-search-0`, the
// one bench:search queries), each a run of words from one of its summaries, after 10 warm-up
// requests; wall time per request, OpenSearch's own `took`, and the OpenSearch process's CPU
// per request (read from /proc: the stack's OpenSearch on this machine only), the shard request
// cache bypassed (it would answer a repeated top-up, a `size: 0` request). Variants run one
// after another, so they meet the machine's load in turn: run it on an idle machine, and compare
// the rows of one run.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvReader, readOpenSearchConfig } from '@memory/config';
import { createEmbeddingBackend } from '@memory/embeddings';
import {
  conversationListQueries,
  depthFor,
  FULL_DEPTH,
  hydrateBody,
  keywordText,
  ListDepth,
  passageHydrateBody,
  passageTopUpBody,
  readSearchSettings,
  SearchBody,
} from '@memory/search-index';
import { readPid } from '../deploy/stack/lib/processes.mjs';
import { defaultStackDir } from '../deploy/stack/models.mjs';
import { fmt, option, say, table } from '../deploy/run/console';
import { intEnv } from '../deploy/run/services';
import { cpuBetween, cpuSampler } from './lib/cpu';
import { EngineResponse, engineOf } from './lib/search-bench-load';

const TENANT = 'bench-search-0';
const K = 10;
const EVIDENCE = 3;

const config = {
  prefix: process.env.BENCH_SEARCH_PREFIX ?? '',
  requests: intEnv('BENCH_REQUESTS', 80),
  out: option('out'),
};

interface Variant {
  name: string;
  index: 'summaries' | 'passages';
  body: (i: number) => SearchBody;
}

interface Row {
  name: string;
  wallMs: number;
  tookMs: number;
  cpuMs: number | null;
  hits: number;
}

/** A list of the service's requests at `depth`, optionally reading `_id` as before. */
function list(
  name: 'summaryKeyword' | 'summarySemantic' | 'passageKeyword' | 'passageSemantic',
  texts: string[],
  vectors: number[][],
  efSearch: number,
  depth: ListDepth,
  readId = false,
): (i: number) => SearchBody {
  return (i) => {
    const query = conversationListQueries(
      'hybrid',
      { tenantId: TENANT },
      keywordText(texts[i] ?? ''),
      vectors[i],
      efSearch,
      depth,
    )[name];
    if (!query) throw new Error(name);
    if (!readId) return query.body;
    const { stored_fields: _none, ...body } = query.body;
    return body;
  };
}

/** A top-up body with its terms aggregation's execution hint set, or its highlights left out. */
function topUpVariant(
  body: SearchBody,
  change: { executionHint?: 'map'; highlight?: false },
): SearchBody {
  const copy = structuredClone(body) as SearchBody & {
    aggs: {
      conversations: {
        terms: Record<string, unknown>;
        aggs: { best: { top_hits: Record<string, unknown> } };
      };
    };
  };
  if (change.executionHint) copy.aggs.conversations.terms.execution_hint = change.executionHint;
  if (change.highlight === false) delete copy.aggs.conversations.aggs.best.top_hits.highlight;
  return copy;
}

async function main(): Promise<void> {
  if (!config.prefix)
    throw new Error(
      'BENCH_SEARCH_PREFIX: the index prefix of a bench:search run with BENCH_KEEP_INDEX=true',
    );
  const alias = { summaries: `${config.prefix}-summaries`, passages: `${config.prefix}-passages` };
  const read = new EnvReader(process.env);
  const engine = engineOf(readOpenSearchConfig(read));
  const opensearchPid = readPid(join(defaultStackDir(), 'opensearch', 'engine.pid'));
  const sampleCpu = cpuSampler({ opensearch: () => (opensearchPid ? [opensearchPid] : []) });
  const sample = await engine.search(
    alias.summaries,
    JSON.stringify({
      size: config.requests,
      query: {
        function_score: {
          query: { term: { tenantId: TENANT } },
          random_score: { seed: 7, field: '_seq_no' },
        },
      },
      _source: ['text', 'conversationId'],
    }),
  );
  const hits = sample.hits.hits;
  if (hits.length < 20) throw new Error(`only ${hits.length} summaries of ${TENANT} found`);
  const texts = hits.map((hit) => (hit._source?.text ?? '').split(/\s+/).slice(3, 10).join(' '));
  const conversations = hits.map((hit) => hit._source?.conversationId ?? '');
  const settings = readSearchSettings(read);
  const embedder = await createEmbeddingBackend(settings.embeddings);
  const vectors = await embedder.embed(texts, 'query');
  await embedder.close?.();
  const ef = settings.knnEfSearch;
  const first = depthFor(K);
  const page = (i: number): string[] =>
    Array.from({ length: K }, (_, j) => conversations[(i + j) % conversations.length] ?? '');
  const evidenceIds = (i: number): string[] =>
    page(i).flatMap((id) =>
      Array.from({ length: EVIDENCE }, (_, w) => `${TENANT}/${id}/${1 + 2 * w}`),
    );
  const variants: Variant[] = [];
  for (const name of [
    'summaryKeyword',
    'summarySemantic',
    'passageKeyword',
    'passageSemantic',
  ] as const) {
    const index = name.startsWith('summary') ? 'summaries' : 'passages';
    variants.push(
      { name: `${name}, first pages (now)`, index, body: list(name, texts, vectors, ef, first) },
      { name: `${name}, full depth`, index, body: list(name, texts, vectors, ef, FULL_DEPTH) },
      {
        name: `${name}, full depth, reading _id`,
        index,
        body: list(name, texts, vectors, ef, FULL_DEPTH, true),
      },
    );
  }
  variants.push(
    {
      name: 'page summaries by id, highlights',
      index: 'summaries',
      body: (i) =>
        hydrateBody(
          { tenantId: TENANT },
          page(i).map((id) => `${TENANT}/${id}`),
          keywordText(texts[i] ?? ''),
        ),
    },
    {
      name: 'evidence passages by id, highlights',
      index: 'passages',
      body: (i) =>
        passageHydrateBody({ tenantId: TENANT }, evidenceIds(i), keywordText(texts[i] ?? '')),
    },
    {
      name: 'evidence top-up',
      index: 'passages',
      body: (i) =>
        passageTopUpBody({ tenantId: TENANT }, page(i), keywordText(texts[i] ?? ''), EVIDENCE),
    },
    // Where the top-up's cost lies: its terms aggregation by a hash map of the values found
    // instead of global ordinals, and without the highlights of its top hits.
    {
      name: 'evidence top-up, execution_hint map',
      index: 'passages',
      body: (i) =>
        topUpVariant(
          passageTopUpBody({ tenantId: TENANT }, page(i), keywordText(texts[i] ?? ''), EVIDENCE),
          { executionHint: 'map' },
        ),
    },
    {
      name: 'evidence top-up, no highlights',
      index: 'passages',
      body: (i) =>
        topUpVariant(
          passageTopUpBody({ tenantId: TENANT }, page(i), keywordText(texts[i] ?? ''), EVIDENCE),
          { highlight: false },
        ),
    },
  );

  // Without the shard request cache: it keeps the answers of `size: 0` requests (the top-up), and
  // a second run of the same queries would time the cache, not the search.
  const uncached = (index: string, body: string) =>
    engine.call<EngineResponse>('POST', `/${index}/_search?request_cache=false`, body);
  const rows: Row[] = [];
  for (const variant of variants) {
    const bodies = texts.map((_, i) => JSON.stringify(variant.body(i)));
    const index = alias[variant.index];
    for (const body of bodies.slice(0, 10)) await uncached(index, body);
    const cpuBefore = sampleCpu();
    const started = performance.now();
    let took = 0;
    let found = 0;
    for (const body of bodies) {
      const response = await uncached(index, body);
      took += response.took ?? 0;
      found += response.hits.hits.length;
    }
    const cpu = cpuBetween(cpuBefore, sampleCpu());
    const n = bodies.length;
    rows.push({
      name: variant.name,
      wallMs: (performance.now() - started) / n,
      tookMs: took / n,
      cpuMs: cpu && opensearchPid ? ((cpu.groups.opensearch ?? 0) * 1000) / n : null,
      hits: found / n,
    });
    say('requests', `${variant.name}: done`);
  }
  process.stdout.write(
    `\n${config.requests} requests each, one at a time, tenant ${TENANT} of ${config.prefix}; ` +
      `first pages: ${first.summaries} summaries, ${first.passages} passages; full depth: ` +
      `${FULL_DEPTH.summaries} and ${FULL_DEPTH.passages}; ef_search ${ef}\n\n` +
      table(
        [
          ['request', 'wall ms', 'took ms', 'OpenSearch CPU ms', 'hits'],
          ...rows.map((row) => [
            row.name,
            fmt(row.wallMs, 1),
            fmt(row.tookMs, 1),
            row.cpuMs === null ? '-' : fmt(row.cpuMs, 1),
            fmt(row.hits, 0),
          ]),
        ],
        [1, 2, 3, 4],
      ) +
      '\n',
  );
  if (config.out) {
    writeFileSync(
      resolve(process.cwd(), config.out),
      `${JSON.stringify({ prefix: config.prefix, requests: config.requests, efSearch: ef, firstDepth: first, fullDepth: FULL_DEPTH, rows }, null, 2)}\n`,
    );
    say('requests', `wrote ${config.out}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench:search-requests failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
