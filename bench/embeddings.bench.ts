// Embedding throughput of the local backend (libs/embeddings, from source): texts and tokens
// per second at three text lengths, for each model and thread count, on an idle machine and
// with the other core kept busy (a spinning child process: what Kafka, Postgres and OpenSearch
// do to the search service on two cores). A report, not a test: it exits non-zero only when the
// run itself fails.
//
//   npm run bench:embeddings [-- --out <file>]     (models are provisioned if missing)
//
// Texts are the ingest benchmark's chat messages (deterministic), joined and cut to each
// length in the model's own tokens. Calls of BENCH_BATCH texts, each cell timed for at least
// BENCH_SECONDS after a warm-up; runs are capped as the services cap them (EMBEDDING_RUN_TOKENS
// default), so a batch of long texts is split into runs.
// Environment: BENCH_MODELS (bge-small-en-v1.5,bge-small-en-v1.5-q; any ids
// deploy/stack/models.mjs knows), BENCH_LENGTHS (32,128,512 tokens), BENCH_THREADS (1,2),
// BENCH_BATCH (8), BENCH_SECONDS (3), BENCH_SPINNING (false: idle model threads sleep, as the
// services run them; true: ONNX Runtime's spinning default, for comparison), STACK_DIR.
import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { DEFAULT_RUN_TOKENS, LocalEmbedder } from '@memory/embeddings';
import { defaultStackDir, provisionModels } from '../deploy/stack/models.mjs';
import { Cell, fmt, say, table } from '../deploy/run/console';
import { generateRecords } from './lib/data';
import { machine, machineLine } from './lib/machine';

/** Documents are measured at the lengths asked for, not cut (a model's own limit still cuts). */
const WHOLE = 8192;

const list = (name: string, fallback: string): string[] =>
  (process.env[name] ?? fallback).split(',').map((value) => value.trim());
const MODELS = list('BENCH_MODELS', 'bge-small-en-v1.5,bge-small-en-v1.5-q');
const LENGTHS = list('BENCH_LENGTHS', '32,128,512').map(Number);
const THREADS = list('BENCH_THREADS', '1,2').map(Number);
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const SPINNING = process.env.BENCH_SPINNING === 'true';
const TEXTS_PER_LENGTH = 64;
const outIndex = process.argv.indexOf('--out');
const OUT = outIndex > 0 ? process.argv[outIndex + 1] : undefined;

type Load = 'idle' | 'other core busy';

interface Figure {
  model: string;
  threads: number;
  load: Load;
  tokens: number;
  textsPerSecond: number;
  tokensPerSecond: number;
  cpuMsPerText: number;
}

/** `count` texts of `tokens` model tokens each (the last words cut to fit), from chat messages. */
function textsOf(embedder: LocalEmbedder, words: readonly string[], tokens: number): string[] {
  const texts: string[] = [];
  let at = 0;
  while (texts.length < TEXTS_PER_LENGTH) {
    const taken: string[] = [];
    for (;;) {
      const next = [...taken, words[at % words.length]];
      // The model adds [CLS] and [SEP]: `tokens` counts them, as a run does.
      if (taken.length > 0 && embedder.tokenIds(next.join(' '), 'document').length > tokens) break;
      taken.push(words[at % words.length]);
      at += 1;
      if (tokens >= 512 && taken.length > tokens) break; // cut by the model anyway
    }
    texts.push(taken.join(' '));
  }
  return texts;
}

/** Texts per second of `texts` in calls of BENCH_BATCH, for at least BENCH_SECONDS. */
async function measure(
  embedder: LocalEmbedder,
  texts: readonly string[],
): Promise<{ textsPerSecond: number; tokensPerSecond: number; cpuMsPerText: number }> {
  await embedder.embed(texts.slice(0, BATCH), 'document'); // warm-up
  const tokensOf = texts.map((text) => embedder.tokenIds(text, 'document').length);
  let done = 0;
  let tokens = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while ((performance.now() - started) / 1000 < SECONDS || done < 2 * BATCH) {
    const from = done % texts.length;
    const slice = texts.slice(from, from + BATCH);
    await embedder.embed(slice, 'document');
    done += slice.length;
    tokens += tokensOf.slice(from, from + BATCH).reduce((sum, n) => sum + n, 0);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    textsPerSecond: done / seconds,
    tokensPerSecond: tokens / seconds,
    cpuMsPerText: (cpu.user + cpu.system) / 1000 / done,
  };
}

/**
 * How long a one-text query waits while documents of 512 tokens are being embedded (32 a call,
 * calls kept coming, as a catching-up indexer makes them): p50 and max over 20 queries, one
 * every 150 ms, with runs capped at `runTokens`.
 */
async function queryWait(
  modelDir: string,
  runTokens: number,
  documents: readonly string[],
): Promise<{ p50Ms: number; maxMs: number }> {
  const embedder = await LocalEmbedder.load(modelDir, {
    batchSize: 32,
    threads: 1,
    runTokens,
    documentTokens: WHOLE,
  });
  try {
    await embedder.embed(['warm up'], 'query');
    let indexing = true;
    const indexer = (async () => {
      while (indexing) await embedder.embed(documents.slice(0, 32), 'document');
    })();
    const waits: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      await new Promise((resolveDelay) => setTimeout(resolveDelay, 150));
      const started = performance.now();
      await embedder.embed([`what did we decide about the budget ${i}`], 'query');
      waits.push(performance.now() - started);
    }
    indexing = false;
    await indexer;
    waits.sort((a, b) => a - b);
    return { p50Ms: waits[Math.floor(waits.length / 2)], maxMs: waits[waits.length - 1] };
  } finally {
    await embedder.close();
  }
}

/** A process that keeps one core busy until it is killed. */
function busyCore(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

async function main(): Promise<void> {
  const modelDirs = await provisionModels({
    stackDir: defaultStackDir(),
    models: MODELS,
    log: (message: string) => say('models', message),
  });
  const { records } = generateRecords({ messages: 400, conversations: 400, tenants: 1 });
  const words = records
    .map((record) => (JSON.parse(record.value) as { content: string }).content)
    .join(' ')
    .split(/\s+/)
    .filter(Boolean);
  say(
    'bench',
    `${MODELS.join(', ')}: texts of ${LENGTHS.join(', ')} tokens in calls of ${BATCH}, ` +
      `${THREADS.join(' and ')} model threads${SPINNING ? ' (spinning)' : ''}, ${SECONDS} s a cell; ` +
      `${machineLine()}, load average ${loadavg()[0].toFixed(2)}`,
  );
  const figures: Figure[] = [];
  for (const [m, model] of MODELS.entries()) {
    for (const threads of THREADS) {
      const embedder = await LocalEmbedder.load(modelDirs[m], {
        batchSize: BATCH,
        threads,
        spinning: SPINNING,
        documentTokens: WHOLE,
      });
      try {
        const textsByLength = new Map(LENGTHS.map((n) => [n, textsOf(embedder, words, n)]));
        for (const load of ['idle', 'other core busy'] as const) {
          const busy = load === 'idle' ? undefined : busyCore();
          try {
            for (const tokens of LENGTHS) {
              const figure = await measure(embedder, textsByLength.get(tokens) ?? []);
              figures.push({ model, threads, load, tokens, ...figure });
              say(
                'bench',
                `${model}, ${threads} thread(s), ${load}, ${tokens} tokens: ` +
                  `${fmt(figure.textsPerSecond, 1)} texts/s`,
              );
            }
          } finally {
            busy?.kill('SIGKILL');
          }
        }
      } finally {
        await embedder.close();
      }
    }
  }
  const rows: Cell[][] = [
    ['model', 'threads', 'load', 'tokens', 'texts/s', 'tokens/s', 'CPU ms/text'],
    ...figures.map((f) => [
      f.model,
      f.threads,
      f.load,
      f.tokens,
      fmt(f.textsPerSecond, 1),
      fmt(f.tokensPerSecond, 0),
      fmt(f.cpuMsPerText, 1),
    ]),
  ];
  process.stdout.write(`\n${table(rows, [1, 3, 4, 5, 6])}\n`);
  // Same-run ratios: what int8 and a second thread buy, cell by cell.
  const find = (model: string, threads: number, load: Load, tokens: number) =>
    figures.find(
      (f) => f.model === model && f.threads === threads && f.load === load && f.tokens === tokens,
    );
  const [base, ...others] = MODELS;
  for (const other of others)
    for (const load of ['idle', 'other core busy'] as const)
      say(
        'bench',
        `${other} / ${base} (${THREADS[0]} thread, ${load}): ` +
          LENGTHS.map((tokens) => {
            const a = find(other, THREADS[0], load, tokens);
            const b = find(base, THREADS[0], load, tokens);
            return `${tokens} tokens ${a && b ? fmt(a.textsPerSecond / b.textsPerSecond, 2) : '-'}x`;
          }).join(', '),
      );
  if (THREADS.length > 1)
    for (const load of ['idle', 'other core busy'] as const)
      say(
        'bench',
        `${base}, ${THREADS[1]} threads / ${THREADS[0]} (${load}): ` +
          LENGTHS.map((tokens) => {
            const a = find(base, THREADS[1], load, tokens);
            const b = find(base, THREADS[0], load, tokens);
            return `${tokens} tokens ${a && b ? fmt(a.textsPerSecond / b.textsPerSecond, 2) : '-'}x`;
          }).join(', '),
      );
  // A search query behind a document backlog: runs capped as the services cap them, against
  // uncapped runs of 32 documents (a query could then wait for a whole run of 16k tokens).
  const longest = Math.max(...LENGTHS);
  const tokenizing = await LocalEmbedder.load(modelDirs[0], { threads: 1, documentTokens: WHOLE });
  const documents = textsOf(tokenizing, words, longest);
  await tokenizing.close();
  const queryWaits = [];
  for (const runTokens of [DEFAULT_RUN_TOKENS, 32 * 512]) {
    const wait = await queryWait(modelDirs[0], runTokens, documents);
    queryWaits.push({ model: MODELS[0], runTokens, documentTokens: longest, ...wait });
    say(
      'bench',
      `${MODELS[0]}: a query behind ${longest}-token documents, runs of at most ${runTokens} ` +
        `tokens: waits p50 ${fmt(wait.p50Ms, 0)} ms, max ${fmt(wait.maxMs, 0)} ms`,
    );
  }
  say('bench', `load average after the run ${loadavg()[0].toFixed(2)} (others' load skews these)`);
  if (OUT)
    writeFileSync(OUT, `${JSON.stringify({ machine: machine(), figures, queryWaits }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:embeddings failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
