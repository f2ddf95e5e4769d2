import { Worker } from 'node:worker_threads';

export interface PoolingSpec {
  pooling: 'cls' | 'mean';
  normalize: boolean;
  dimensions: number;
}

/** One batch: token ids padded to `length`, row r having `lengths[r]` real tokens. */
export interface OnnxBatch {
  ids: BigInt64Array<ArrayBuffer>;
  mask: BigInt64Array<ArrayBuffer>;
  batch: number;
  length: number;
  lengths: number[];
}

type Reply = { id: number; ok: unknown } | { id: number; error: string };

// The worker's code, plain CommonJS run with `eval` (it cannot load this TypeScript file under
// ts-jest). Model runs block their thread, so they run here rather than on the event loop; and
// onnxruntime-node's typed-array checks then see one realm (under Jest they would not).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;

async function run({ ids, mask, batch, length, lengths, pooling, normalize, dimensions }) {
  const dims = [batch, length];
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
  };
  if (session.inputNames.includes('token_type_ids')) {
    feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch * length), dims);
  }
  const results = await session.run(feeds);
  const output = results[session.outputNames[0]];
  try {
    const [outBatch, outLength, hidden] = output.dims;
    if (outBatch !== batch || outLength !== length || hidden !== dimensions) {
      throw new Error('the model returned shape [' + output.dims.join(', ') + '], expected [' +
        batch + ', ' + length + ', ' + dimensions + '] (the manifest says ' + dimensions + ' dimensions)');
    }
    const data = output.data;
    const vectors = new Float64Array(batch * hidden);
    for (let r = 0; r < batch; r += 1) {
      const count = pooling === 'cls' ? 1 : lengths[r];
      const out = r * hidden;
      for (let t = 0; t < count; t += 1) {
        const offset = (r * length + t) * hidden;
        for (let h = 0; h < hidden; h += 1) vectors[out + h] += data[offset + h];
      }
      let norm = 0;
      for (let h = 0; h < hidden; h += 1) {
        if (count > 1) vectors[out + h] /= count;
        norm += vectors[out + h] * vectors[out + h];
      }
      norm = normalize ? Math.sqrt(norm) || 1 : 1;
      for (let h = 0; h < hidden; h += 1) vectors[out + h] /= norm;
    }
    return vectors;
  } finally {
    for (const tensor of Object.values(results)) tensor.dispose();
  }
}

parentPort.on('message', async (message) => {
  try {
    let ok;
    if (message.type === 'init') {
      session = await ort.InferenceSession.create(workerData.onnxPath, workerData.sessionOptions);
      ok = { inputNames: session.inputNames };
    } else if (message.type === 'close') {
      await session?.release();
      session = undefined;
      ok = true;
    } else {
      ok = await run(message.batch);
      parentPort.postMessage({ id: message.id, ok }, [ok.buffer]);
      return;
    }
    parentPort.postMessage({ id: message.id, ok });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

/**
 * An ONNX Runtime session in a worker thread that turns batches of token ids into pooled
 * vectors. The worker keeps the process alive only while a request is pending.
 */
export class OnnxWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;
  private failure: Error | null = null;

  private constructor(onnxPath: string, threads: number | undefined, spinning: boolean) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        ortPath: require.resolve('onnxruntime-node'),
        onnxPath,
        sessionOptions: {
          graphOptimizationLevel: 'all',
          executionMode: 'sequential',
          ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
          // Idle pool threads sleep rather than spin (unless `spinning`): a second thread then
          // helps when a core is free and costs little when the other core is busy (Kafka,
          // Postgres, OpenSearch); docs/benchmarks.md, bench:embeddings.
          ...(spinning
            ? {}
            : {
                extra: {
                  session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } },
                },
              }),
        },
      },
    });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const request = this.pending.get(reply.id);
      if (!request) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in reply) request.reject(new Error(`embeddings: ${reply.error}`));
      else request.resolve(reply.ok);
    });
    const fail = (error: Error): void => {
      this.failure ??= error;
      for (const request of this.pending.values()) request.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) =>
      fail(new Error(`embeddings: the model worker failed: ${error.message}`)),
    );
    this.worker.on('exit', (code) =>
      fail(new Error(`embeddings: the model worker stopped (exit code ${code})`)),
    );
  }

  /** Starts the worker and loads the model; returns the model's input names. */
  static async start(
    onnxPath: string,
    threads?: number,
    spinning = false,
  ): Promise<{ worker: OnnxWorker; inputNames: string[] }> {
    const worker = new OnnxWorker(onnxPath, threads, spinning);
    try {
      const { inputNames } = (await worker.request({ type: 'init' })) as { inputNames: string[] };
      return { worker, inputNames };
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  /** Row r of the result holds the vector of row r of the batch. */
  async run(batch: OnnxBatch, pooling: PoolingSpec): Promise<number[][]> {
    const flat = (await this.request(
      {
        type: 'run',
        batch: {
          ...batch,
          pooling: pooling.pooling,
          normalize: pooling.normalize,
          dimensions: pooling.dimensions,
        },
      },
      [batch.ids.buffer, batch.mask.buffer],
    )) as Float64Array;
    const vectors: number[][] = [];
    for (let r = 0; r < batch.batch; r += 1) {
      vectors.push(Array.from(flat.subarray(r * pooling.dimensions, (r + 1) * pooling.dimensions)));
    }
    return vectors;
  }

  async close(): Promise<void> {
    if (!this.failure) await this.request({ type: 'close' }).catch(() => undefined);
    await this.terminate();
  }

  private async terminate(): Promise<void> {
    this.failure ??= new Error('embeddings: the local embedder is closed');
    await this.worker.terminate();
  }

  private request(message: object, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }
}
