// Embedding throughput of the local backend (libs/embeddings, from source): texts per
// second when callers hand it 1, 8 or 32 texts at a time, with the model on 2 threads.
// A report, not a test: it exits non-zero only when the run itself fails.
//
//   npm run bench:embeddings        (the model is provisioned if missing)
//
// Texts are the ingest benchmark's chat messages (100-400 characters, deterministic).
// Environment: BENCH_TEXTS (256 per batch size), BENCH_THREADS (2), BENCH_BATCH_SIZES (1,8,32),
// BENCH_MODEL (the default model; any id deploy/stack/models.mjs knows), STACK_DIR.
import { availableParallelism, loadavg } from 'node:os';
import { LocalEmbedder } from '@memory/embeddings';
import { DEFAULT_MODEL, defaultStackDir, provisionModels } from '../deploy/stack/models.mjs';
import { Cell, fmt, say, table } from '../deploy/run/console';
import { generateRecords } from './lib/data';

const TEXTS = Number(process.env.BENCH_TEXTS ?? 256);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const BATCH_SIZES = (process.env.BENCH_BATCH_SIZES ?? '1,8,32').split(',').map(Number);
const MODEL = process.env.BENCH_MODEL ?? DEFAULT_MODEL;

async function main(): Promise<void> {
  const [modelDir] = await provisionModels({
    stackDir: defaultStackDir(),
    models: [MODEL],
    log: (message: string) => say('models', message),
  });
  const { records } = generateRecords({ messages: TEXTS, conversations: TEXTS, tenants: 1 });
  const texts = records.map((record) => (JSON.parse(record.value) as { content: string }).content);

  say(
    'bench',
    `${MODEL}: ${TEXTS} chat messages per batch size, ${THREADS} model threads, ` +
      `${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}`,
  );
  const rows: Cell[][] = [
    ['batch size', 'texts/s', 'CPU ms/text', 'ms/call p50', 'ms/call p95', 'tokens/text'],
  ];
  for (const batchSize of BATCH_SIZES) {
    const embedder = await LocalEmbedder.load(modelDir, { batchSize, threads: THREADS });
    try {
      const tokens = texts.reduce((sum, t) => sum + embedder.tokenIds(t, 'document').length, 0);
      await embedder.embed(texts.slice(0, Math.max(batchSize, 4)), 'document'); // warm-up
      const latencies: number[] = [];
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      for (let from = 0; from < texts.length; from += batchSize) {
        const callStarted = performance.now();
        const vectors = await embedder.embed(texts.slice(from, from + batchSize), 'document');
        latencies.push(performance.now() - callStarted);
        if (vectors[0].length !== embedder.dimensions) throw new Error('wrong dimension');
      }
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      latencies.sort((a, b) => a - b);
      const at = (q: number): number =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
      rows.push([
        batchSize,
        fmt(texts.length / seconds, 1),
        fmt((cpu.user + cpu.system) / 1000 / texts.length, 1),
        fmt(at(0.5), 1),
        fmt(at(0.95), 1),
        fmt(tokens / texts.length, 1),
      ]);
      say('bench', `batch size ${batchSize}: ${fmt(texts.length / seconds, 1)} texts/s`);
    } finally {
      await embedder.close();
    }
  }
  process.stdout.write(`\n${table(rows, [0, 1, 2, 3, 4, 5])}\n`);
  say('bench', `load average after the run ${loadavg()[0].toFixed(2)} (others' load skews these)`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:embeddings failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
