import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddingBackend, EmbeddingKind, EmbeddingStats } from './embedding-backend';
import { FETCH_MODEL_HINT, ModelManifest, readManifest } from './model-manifest';
import { OnnxBatch, OnnxWorker } from './onnx-worker';
import { WordPieceTokenizer } from './wordpiece-tokenizer';

interface WaitingCall {
  texts: readonly string[];
  kind: EmbeddingKind;
  resolve: (vectors: number[][]) => void;
  reject: (error: unknown) => void;
}

export interface LocalEmbedderOptions {
  /** Texts per model run. Default 32. */
  batchSize?: number;
  /** Threads of one model run; ONNX Runtime's default (one per physical core) when unset. */
  threads?: number;
  /** Hash the ONNX file against the manifest when loading. Default true. */
  verifyChecksum?: boolean;
}

/**
 * A BERT-style sentence-embedding model (ONNX) run in-process with onnxruntime-node, described by
 * the manifest `node deploy/stack/models.mjs` writes: texts are tokenized here, run in batches
 * (sorted by length, so little padding) in a worker thread, which keeps the event loop free,
 * pooled (CLS or mean) and L2-normalized. One batch runs at a time, with the threads given.
 *
 * Calls that arrive while the model is busy wait, and the waiting calls of one kind are then
 * run together, up to `batchSize` texts: concurrent search queries (one short text each) share
 * a model run, which costs about half as much per query at 8 as one run each.
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
    const manifest = readManifest(modelDir);
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
    const { worker, inputNames } = await OnnxWorker.start(onnxPath, options.threads);
    const missing = ['input_ids', 'attention_mask'].filter((name) => !inputNames.includes(name));
    if (missing.length > 0) {
      await worker.close();
      throw new Error(
        `embeddings: ${onnxPath} has no ${missing.join(', ')} input (not a BERT encoder)`,
      );
    }
    return new LocalEmbedder(manifest, tokenizer, worker, batchSize);
  }

  embed(texts: readonly string[], kind: EmbeddingKind): Promise<number[][]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ texts, kind, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /**
   * Runs the waiting calls, a group at a time, until none is left; then clears `draining` in
   * the same step as it finds the queue empty, so a call made later starts a new drain.
   */
  private async drain(): Promise<void> {
    // Let the calls made in the same tick join the first group.
    await Promise.resolve();
    for (;;) {
      const group = this.nextGroup();
      if (group.length === 0) {
        this.draining = undefined;
        return;
      }
      try {
        const vectors = await this.embedNow(
          group.flatMap((call) => call.texts),
          group[0].kind,
        );
        let at = 0;
        for (const call of group) {
          call.resolve(vectors.slice(at, at + call.texts.length));
          at += call.texts.length;
        }
      } catch (error) {
        for (const call of group) call.reject(error);
      }
    }
  }

  /**
   * The oldest waiting call, with the later ones of the same kind that fit with it in one
   * model run (a call larger than a run goes alone; `embedNow` splits it).
   */
  private nextGroup(): WaitingCall[] {
    const first = this.waiting.shift();
    if (!first) return [];
    const group = [first];
    let texts = first.texts.length;
    for (let i = 0; i < this.waiting.length;) {
      const call = this.waiting[i];
      if (call.kind === first.kind && texts + call.texts.length <= this.batchSize) {
        group.push(call);
        texts += call.texts.length;
        this.waiting.splice(i, 1);
      } else i += 1;
    }
    return group;
  }

  /** Texts embedded so far and the rate. */
  stats(): EmbeddingStats {
    const { texts, batches, busyMs } = this.counters;
    return { texts, batches, busyMs, perSecond: busyMs > 0 ? (texts * 1000) / busyMs : 0 };
  }

  /** Token ids of a text as this model sees it (prefix included, cut to the model's limit). */
  tokenIds(text: string, kind: EmbeddingKind): number[] {
    const prefix = kind === 'query' ? this.manifest.queryPrefix : this.manifest.documentPrefix;
    return this.tokenizer.encode(prefix + text, this.manifest.maxTokens);
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining;
    await this.worker.close();
  }

  private async embedNow(texts: readonly string[], kind: EmbeddingKind): Promise<number[][]> {
    const started = performance.now();
    const encoded = texts.map((text) => this.tokenIds(text, kind));
    // Longest first, so each batch holds texts of similar length and pads little.
    const order = encoded
      .map((_, index) => index)
      .sort((a, b) => encoded[b].length - encoded[a].length);
    const vectors = new Array<number[]>(texts.length);
    for (let from = 0; from < order.length; from += this.batchSize) {
      const slice = order.slice(from, from + this.batchSize);
      const batch = await this.worker.run(
        this.pad(slice.map((index) => encoded[index])),
        this.manifest,
      );
      slice.forEach((index, row) => (vectors[index] = batch[row]));
      this.counters.batches += 1;
    }
    this.counters.texts += texts.length;
    this.counters.busyMs += performance.now() - started;
    return vectors;
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
