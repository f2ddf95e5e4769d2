import { backoffDelay } from '@memory/config';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import { EmbeddingBackend, EmbeddingKind } from './embedding-backend';

export interface OpenAiEmbedderOptions {
  /** Any OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1`; the SDK default otherwise. */
  baseUrl?: string;
  /** Many local endpoints need none; a placeholder is sent then. */
  apiKey?: string;
  model: string;
  /** What the model returns; checked against the first answer. */
  dimensions: number;
  /** Texts per request. Default 32. */
  batchSize?: number;
  /** Per attempt. Default 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt, on 408/429/5xx, timeouts and network errors. Default 4. */
  maxRetries?: number;
  /** Backoff: exponential with full jitter from `retryBaseMs` (500) up to `retryMaxMs` (20000). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  onRetry?: (detail: string) => void;
  /** For tests: waits between attempts. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Embeddings from an OpenAI-compatible `/embeddings` endpoint, in batches, with retries
 * (backoff with full jitter, honouring `retry-after`) when the endpoint is busy or failing.
 * Vectors are L2-normalized, as the local model's are.
 */
export class OpenAiEmbedder implements EmbeddingBackend {
  readonly name = 'openai' as const;
  readonly model: string;
  readonly dimensions: number;
  private readonly client: OpenAI;
  private readonly batchSize: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly onRetry?: (detail: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: OpenAiEmbedderOptions) {
    if (!options.model) throw new Error('OpenAiEmbedder: model is required');
    if (!Number.isInteger(options.dimensions) || options.dimensions < 1) {
      throw new Error(`OpenAiEmbedder: dimensions must be a positive integer`);
    }
    this.model = options.model;
    this.dimensions = options.dimensions;
    this.batchSize = options.batchSize ?? 32;
    this.maxRetries = options.maxRetries ?? 4;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 20_000;
    this.onRetry = options.onRetry;
    this.sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      apiKey: options.apiKey || 'not-needed',
      maxRetries: 0,
      timeout: options.timeoutMs ?? 30_000,
    });
  }

  async embed(texts: readonly string[], _kind: EmbeddingKind): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let from = 0; from < texts.length; from += this.batchSize) {
      vectors.push(...(await this.embedBatch(texts.slice(from, from + this.batchSize))));
    }
    return vectors;
  }

  private async embedBatch(input: string[]): Promise<number[][]> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await this.client.embeddings.create({
          model: this.model,
          input,
          encoding_format: 'float',
        });
        const data = [...response.data].sort((a, b) => a.index - b.index);
        if (data.length !== input.length) {
          throw new Error(
            `embeddings: ${this.model} answered ${data.length} vectors for ${input.length} texts`,
          );
        }
        return data.map(({ embedding }) => this.checked(embedding));
      } catch (error) {
        const retry = retryable(error);
        if (retry === null || attempt >= this.maxRetries) throw error;
        this.onRetry?.(retry.detail);
        await this.sleep(
          retry.afterMs !== undefined
            ? Math.min(retry.afterMs, this.retryMaxMs)
            : backoffDelay(attempt + 1, {
                baseMs: this.retryBaseMs,
                maxMs: this.retryMaxMs,
                jitter: 'full',
              }),
        );
      }
    }
  }

  private checked(embedding: number[]): number[] {
    if (embedding.length !== this.dimensions) {
      throw new Error(
        `embeddings: ${this.model} returns ${embedding.length}-dimensional vectors, but ` +
          `${this.dimensions} are configured (EMBEDDING_DIMENSIONS); set it to ${embedding.length} ` +
          'and use an index of that dimension',
      );
    }
    let norm = 0;
    for (const value of embedding) norm += value * value;
    norm = Math.sqrt(norm) || 1;
    return embedding.map((value) => value / norm);
  }
}

/** What makes a failed call worth another try (and how long to wait), or null. */
function retryable(error: unknown): { detail: string; afterMs?: number } | null {
  // Timeouts are connection errors too.
  if (error instanceof APIConnectionError) return { detail: error.message };
  if (!isApiError(error)) return null;
  const status = error.status;
  if (status !== undefined && status !== 408 && status !== 429 && status < 500) return null;
  const seconds = Number(error.headers?.get('retry-after') ?? NaN);
  return {
    detail: `HTTP ${status ?? '?'}: ${error.message}`,
    afterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined,
  };
}

// A guard rather than a bare `instanceof`, which widens the SDK's generic error to `any`s.
function isApiError(error: unknown): error is APIError {
  return error instanceof APIError;
}
