import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** The model `npm run stack:up` provisions and the local backend uses unless told otherwise. */
export const DEFAULT_LOCAL_MODEL = 'bge-small-en-v1.5-q';

/** The models `node deploy/stack/models.mjs` can fetch (the keys of its `MODELS`). */
export const LOCAL_MODELS = [
  'bge-small-en-v1.5',
  'bge-small-en-v1.5-q',
  'all-minilm-l6-v2',
  'all-minilm-l6-v2-q',
] as const;

/**
 * Models quantized dynamically (int8 weights, activations quantized per model run with a scale
 * taken from the whole run): a text's vector would depend on the texts run beside it (by up to
 * 0.024 in a coordinate on LoCoMo passages), so they run one text at a time, which gives the
 * same vector every time and costs nothing here (no padding; measured in docs/benchmarks.md).
 */
const ONE_TEXT_PER_RUN: ReadonlySet<string> = new Set([
  'bge-small-en-v1.5-q',
  'all-minilm-l6-v2-q',
]);

/** Whether the model must run one text at a time (see `ONE_TEXT_PER_RUN`). */
export function runsOneTextAtATime(manifest: Pick<ModelManifest, 'id'>): boolean {
  return ONE_TEXT_PER_RUN.has(manifest.id);
}

export const MANIFEST_FILE = 'manifest.json';

/** How to fetch a model that is not there (both provision into `.stack/models/`). */
export const FETCH_MODEL_HINT =
  'run `npm run stack:up` (with the same EMBEDDING_MODEL) or `node deploy/stack/models.mjs <model>` to fetch it from Maven Central';

const manifestSchema = z.object({
  id: z.string().min(1),
  dimensions: z.number().int().positive(),
  /** `cls`: the first token's hidden state (BGE); `mean`: the mean over the real tokens (MiniLM). */
  pooling: z.enum(['cls', 'mean']),
  /**
   * Always true: the indices score vectors by inner product (index-definition.ts), which is the
   * cosine only for vectors of unit length.
   */
  normalize: z.literal(true, {
    error: 'must be true: vectors are L2-normalized (the index scores them by inner product)',
  }),
  /** Longest input in tokens, [CLS] and [SEP] included; longer texts are cut. */
  maxTokens: z.number().int().min(2).max(8192),
  /** Put before each query / document, e.g. BGE's instruction for queries. */
  queryPrefix: z.string(),
  documentPrefix: z.string(),
  onnx: z.object({ file: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  tokenizer: z.object({ file: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** Where it came from (informational). */
  source: z.record(z.string(), z.string()).optional(),
});

/** What `deploy/stack/models.mjs` writes next to a provisioned model. */
export type ModelManifest = z.infer<typeof manifestSchema>;

/** Reads and checks `<modelDir>/manifest.json`; the error names what is missing and how to fetch it. */
export function readManifest(modelDir: string): ModelManifest {
  const path = join(modelDir, MANIFEST_FILE);
  if (!existsSync(path)) {
    throw new Error(
      `embeddings: no model at ${modelDir} (${MANIFEST_FILE} is missing); ${FETCH_MODEL_HINT}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `embeddings: ${path} is not JSON (${(error as Error).message}); ${FETCH_MODEL_HINT}`,
    );
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new Error(
      `embeddings: ${path} is not a model manifest (${problems}); ${FETCH_MODEL_HINT}`,
    );
  }
  return result.data;
}

/**
 * The repository's root, found from this file (libs/embeddings/src or its build under dist/),
 * or the working directory when this code runs elsewhere.
 */
export function repositoryRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'deploy', 'stack', 'models.mjs'))) return dir;
  }
  return process.cwd();
}

/** `<repo>/.stack/models/<model>`, where `node deploy/stack/models.mjs` puts a model. */
export function defaultModelDir(model: string = DEFAULT_LOCAL_MODEL): string {
  return join(repositoryRoot(), '.stack', 'models', model);
}
