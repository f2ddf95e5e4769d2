import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddingBackend, EmbeddingKind, EmbeddingStats } from './embedding-backend';
import {
  FETCH_MODEL_HINT,
  ModelManifest,
  readManifest,
  runsOneTextAtATime,
} from './model-manifest';
import { OnnxBatch, OnnxWorker } from './onnx-worker';
import { WordPieceTokenizer } from './wordpiece-tokenizer';

/** A call to `embed` that waits for, or is part way through, its model runs. */
interface WaitingCall {
  kind: EmbeddingKind;
  /** Token ids of each text. */
  encoded: number[][];
  /** Indices of the texts not yet run, longest first (so each run pads little). */
  order: number[];
  vectors: number[][];
  resolve: (vectors: number[][]) => void;
  reject: (error: unknown) => void;
}

/** One model run: rows of the waiting calls of one kind. */
interface Run {
  kind: EmbeddingKind;
  rows: Array<{ call: WaitingCall; index: number }>;
}

export interface LocalEmbedderOptions {
  /** Texts per model run. Default 32 (1 for a model that runs one text at a time). */
  batchSize?: number;
  /**
   * One text per model run whatever `batchSize` says. Default: what the model needs
   * (`runsOneTextAtATime`: a dynamically quantized model, whose vectors would otherwise depend
   * on the texts run beside them). Tests of the scheduling turn it off.
   */
  oneTextPerRun?: boolean;
  /**
   * Tokens per model run at most (rows times the longest row, padding included), one text
   * always fits. Default {@link DEFAULT_RUN_TOKENS}. A run cannot be interrupted, so this bounds
   * how long a query waits behind documents.
   */
  runTokens?: number;
  /**
   * Tokens of a document at most (its prefix and the model's two framing tokens included); the
   * rest is cut. Default: the model's own limit (512 for bge-small); more than that is the
   * limit. A model run costs more than linearly in its length (attention), so a cap trades the
   * tail of long documents (a summary's entity, date and number lists come last, and BM25
   * searches them in their own fields) for speed. Queries are never cut below the model's limit.
   * Default {@link DEFAULT_DOCUMENT_TOKENS}.
   */
  documentTokens?: number;
  /** Threads of one model run; ONNX Runtime's default (one per physical core) when unset. */
  threads?: number;
  /**
   * Let idle model threads spin while they wait for work (ONNX Runtime's own default). Default
   * false: with one core busy elsewhere, spinning threads take CPU from it.
   */
  spinning?: boolean;
  /** Hash the ONNX file against the manifest when loading. Default true. */
  verifyChecksum?: boolean;
}

/**
 * Tokens per model run by default: two documents of 512 tokens, about 0.6 s of bge-small on one
 * core, so a search query waits about that long at most behind documents (bench:embeddings).
 */
export const DEFAULT_RUN_TOKENS = 1024;

/**
 * Tokens of a document at most by default (`EMBEDDING_DOCUMENT_TOKENS`; a model's own limit
 * caps it). LoCoMo sample, live stage (docs/benchmarks.md): semantic recall@5 0.803 at 512,
 * 0.800 at 256, 0.811 at 128, hybrid 0.881 / 0.881 / 0.880; only 3 of its 70 summaries reach 256
 * tokens. An LLM's summary runs to 350 or more, and the model reads 256 tokens about twice as
 * fast as 512 (bench:embeddings): what is cut is its tail, the entity, date and number lists,
 * which keyword search ranks in their own fields.
 */
export const DEFAULT_DOCUMENT_TOKENS = 256;

/**
 * A BERT-style sentence-embedding model (ONNX) run in-process with onnxruntime-node, described by
 * the manifest `node deploy/stack/models.mjs` writes: texts are tokenized here, run in batches
 * (sorted by length, so little padding) in a worker thread, which keeps the event loop free,
 * pooled (CLS or mean) and L2-normalized. One batch runs at a time, with the threads given.
 *
 * Calls that arrive while the model is busy wait, and the waiting calls of one kind are then
 * run together, up to `batchSize` texts and `runTokens` tokens a run: concurrent search queries
 * (one short text each) share a model run, which costs about half as much per query at 8 as one
 * run each. Queries go first: a call of documents is embedded a run at a time, and the queries
 * that arrive meanwhile run before its next run, so a search never waits behind more than one
 * run of documents.
 */
export class LocalEmbedder implements EmbeddingBackend {
  readonly name = 'local' as const;
  readonly model: string;
  readonly dimensions: number;
  private readonly waiting: WaitingCall[] = [];
  private draining: Promise<void> | undefined;
  private readonly counters = { texts: 0, batches: 0, busyMs: 0 };

  private constructor(
    readonly manifest: ModelManifest,
    private readonly tokenizer: WordPieceTokenizer,
    private readonly worker: OnnxWorker,
    private readonly batchSize: number,
    private readonly runTokens: number,
    private readonly documentTokens: number,
  ) {
    this.model = manifest.id;
    this.dimensions = manifest.dimensions;
  }

  /**
   * Loads the model in `modelDir` (manifest.json, the ONNX file, tokenizer.json).
   * @throws Error naming the missing or damaged file and how to fetch the model.
   */
  static async load(modelDir: string, options: LocalEmbedderOptions = {}): Promise<LocalEmbedder> {
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`embeddings: batchSize must be a positive integer, got ${batchSize}`);
    }
    const runTokens = options.runTokens ?? DEFAULT_RUN_TOKENS;
    if (!Number.isInteger(runTokens) || runTokens < 1) {
      throw new Error(`embeddings: runTokens must be a positive integer, got ${runTokens}`);
    }
    const manifest = readManifest(modelDir);
    const rows = (options.oneTextPerRun ?? runsOneTextAtATime(manifest)) ? 1 : batchSize;
    const documentTokens = Math.min(
      options.documentTokens ?? DEFAULT_DOCUMENT_TOKENS,
      manifest.maxTokens,
    );
    if (!Number.isInteger(documentTokens) || documentTokens < 8) {
      throw new Error(
        `embeddings: documentTokens must be an integer of at least 8, got ${options.documentTokens}`,
      );
    }
    const onnxPath = join(modelDir, manifest.onnx.file);
    const tokenizerPath = join(modelDir, manifest.tokenizer.file);
    for (const path of [onnxPath, tokenizerPath]) {
      if (!existsSync(path)) {
        throw new Error(`embeddings: model file ${path} is missing; ${FETCH_MODEL_HINT}`);
      }
    }
    if (options.verifyChecksum !== false) {
      const actual = createHash('sha256').update(readFileSync(onnxPath)).digest('hex');
      if (actual !== manifest.onnx.sha256) {
        throw new Error(
          `embeddings: ${onnxPath} is damaged (sha256 ${actual}, manifest says ${manifest.onnx.sha256}); ` +
            `delete ${modelDir} and ${FETCH_MODEL_HINT}`,
        );
      }
    }
    const tokenizer = WordPieceTokenizer.fromJson(JSON.parse(readFileSync(tokenizerPath, 'utf8')));
    const { worker, inputNames } = await OnnxWorker.start(
      onnxPath,
      options.threads,
      options.spinning,
    );
    const missing = ['input_ids', 'attention_mask'].filter((name) => !inputNames.includes(name));
    if (missing.length > 0) {
      await worker.close();
      throw new Error(
        `embeddings: ${onnxPath} has no ${missing.join(', ')} input (not a BERT encoder)`,
      );
    }
    return new LocalEmbedder(manifest, tokenizer, worker, rows, runTokens, documentTokens);
  }

  embed(texts: readonly string[], kind: EmbeddingKind): Promise<number[][]> {
    if (texts.length === 0) return Promise.resolve([]);
    const encoded = texts.map((text) => this.tokenIds(text, kind));
    const order = encoded
      .map((_, index) => index)
      .sort((a, b) => encoded[b].length - encoded[a].length);
    return new Promise((resolve, reject) => {
      this.waiting.push({
        kind,
        encoded,
        order,
        vectors: new Array<number[]>(texts.length),
        resolve,
        reject,
      });
      this.draining ??= this.drain();
    });
  }

  /**
   * Runs the model until no call is waiting; then clears `draining` in the same step as it finds
   * the queue empty, so a call made later starts a new drain.
   */
  private async drain(): Promise<void> {
    // Let the calls made in the same tick join the first run.
    await Promise.resolve();
    for (;;) {
      const run = this.nextRun();
      if (!run) {
        this.draining = undefined;
        return;
      }
      const calls = new Set(run.rows.map((row) => row.call));
      const started = performance.now();
      try {
        const vectors = await this.worker.run(
          this.pad(run.rows.map(({ call, index }) => call.encoded[index])),
          this.manifest,
        );
        run.rows.forEach(({ call, index }, row) => (call.vectors[index] = vectors[row]));
        this.counters.batches += 1;
        this.counters.texts += run.rows.length;
        this.counters.busyMs += performance.now() - started;
        for (const call of calls) if (call.order.length === 0) this.settle(call, call.resolve);
      } catch (error) {
        for (const call of calls) this.settle(call, () => call.reject(error));
      }
    }
  }

  private settle(call: WaitingCall, settle: (vectors: number[][]) => void): void {
    this.waiting.splice(this.waiting.indexOf(call), 1);
    settle(call.vectors);
  }

  /**
   * The next model run: queries if any wait, else documents; rows of the calls of that kind,
   * oldest call first and each call's longest texts first, up to `batchSize` rows and
   * `runTokens` tokens with padding (one row always fits).
   */
  private nextRun(): Run | undefined {
    if (this.waiting.length === 0) return undefined;
    const kind: EmbeddingKind = this.waiting.some((call) => call.kind === 'query')
      ? 'query'
      : 'document';
    const rows: Run['rows'] = [];
    let longest = 0;
    for (const call of this.waiting) {
      if (call.kind !== kind) continue;
      while (call.order.length > 0 && rows.length < this.batchSize) {
        const index = call.order[0];
        const length = Math.max(longest, call.encoded[index].length);
        if (rows.length > 0 && length * (rows.length + 1) > this.runTokens) return { kind, rows };
        call.order.shift();
        rows.push({ call, index });
        longest = length;
      }
      if (rows.length === this.batchSize) break;
    }
    return { kind, rows };
  }

  /** Texts embedded so far and the rate. */
  stats(): EmbeddingStats {
    const { texts, batches, busyMs } = this.counters;
    return { texts, batches, busyMs, perSecond: busyMs > 0 ? (texts * 1000) / busyMs : 0 };
  }

  /**
   * Token ids of a text as this model sees it (prefix included, cut to the model's limit, a
   * document to `documentTokens`).
   */
  tokenIds(text: string, kind: EmbeddingKind): number[] {
    const prefix = kind === 'query' ? this.manifest.queryPrefix : this.manifest.documentPrefix;
    const limit = kind === 'query' ? this.manifest.maxTokens : this.documentTokens;
    return this.tokenizer.encode(prefix + text, limit);
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining;
    await this.worker.close();
  }

  private pad(rows: readonly number[][]): OnnxBatch {
    const batch = rows.length;
    const length = Math.max(...rows.map((row) => row.length));
    const ids = new BigInt64Array(batch * length).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(batch * length);
    rows.forEach((row, r) => {
      for (let t = 0; t < row.length; t += 1) {
        ids[r * length + t] = BigInt(row[t]);
        mask[r * length + t] = 1n;
      }
    });
    return { ids, mask, batch, length, lengths: rows.map((row) => row.length) };
  }
}
