import { join, resolve } from 'node:path';
import { EnvReader } from '@memory/config';
import { DEFAULT_DOCUMENT_TOKENS, DEFAULT_RUN_TOKENS } from './local-embedder';
import { DEFAULT_LOCAL_MODEL, LOCAL_MODELS, repositoryRoot } from './model-manifest';

export interface LocalEmbeddingSettings {
  /** A directory `node deploy/stack/models.mjs` made: manifest.json, model.onnx, tokenizer.json. */
  modelDir: string;
  /**
   * Threads of one model run (default 1); 0 leaves it to ONNX Runtime (one per physical core).
   * More threads shorten one run on an idle machine, but the pool spins while it waits: the
   * search service spent 65 against 22 ms of CPU per hybrid query with 2 threads against 1.
   */
  threads: number;
  /** Tokens per model run at most (padding included); bounds a query's wait behind documents. */
  runTokens: number;
  /** Tokens of a document at most (the rest cut); at most the model's own limit. */
  documentTokens: number;
}

export interface OpenAiEmbeddingSettings {
  baseUrl: string;
  apiKey?: string;
  model: string;
  dimensions: number;
  timeoutMs: number;
  maxRetries: number;
}

export interface EmbeddingSettings {
  backend: 'local' | 'openai';
  /** Texts per model run (local) or per request (openai). */
  batchSize: number;
  local?: LocalEmbeddingSettings;
  openai?: OpenAiEmbeddingSettings;
}

/**
 * Reads the embedding settings. `local` (the default) runs the model in EMBEDDING_MODEL_DIR
 * (default: the stack's copy of the default model, `<STACK_DIR or repo/.stack>/models/<id>`);
 * `openai` calls OPENAI_BASE_URL with OPENAI_API_KEY, as the summarizer does.
 */
export function readEmbeddingSettings(read: EnvReader): EmbeddingSettings {
  const backend = read.oneOf('EMBEDDING_BACKEND', ['local', 'openai'] as const, 'local');
  const batchSize = read.int('EMBEDDING_BATCH_SIZE', 32, 1, 2048);
  if (backend === 'local') {
    const stackDir = read.optionalString('STACK_DIR');
    const modelsDir = join(
      stackDir ? resolve(stackDir) : join(repositoryRoot(), '.stack'),
      'models',
    );
    return {
      backend,
      batchSize,
      local: {
        modelDir: resolve(
          read.string(
            'EMBEDDING_MODEL_DIR',
            join(modelsDir, read.oneOf('EMBEDDING_MODEL', LOCAL_MODELS, DEFAULT_LOCAL_MODEL)),
          ),
        ),
        threads: read.int('EMBEDDING_THREADS', 1, 0, 256),
        runTokens: read.int('EMBEDDING_RUN_TOKENS', DEFAULT_RUN_TOKENS, 64, 1_048_576),
        documentTokens: read.int('EMBEDDING_DOCUMENT_TOKENS', DEFAULT_DOCUMENT_TOKENS, 8, 8192),
      },
    };
  }
  return {
    backend,
    batchSize,
    openai: {
      baseUrl: read.url('OPENAI_BASE_URL', 'https://api.openai.com/v1', ['http', 'https']),
      apiKey: read.optionalString('OPENAI_API_KEY'),
      model: read.string('OPENAI_EMBEDDING_MODEL', 'text-embedding-3-small'),
      dimensions: read.int('EMBEDDING_DIMENSIONS', 1536, 1, 65_536),
      timeoutMs: read.int('OPENAI_TIMEOUT_MS', 30_000, 100, 600_000),
      maxRetries: read.int('OPENAI_MAX_RETRIES', 4, 0, 20),
    },
  };
}
