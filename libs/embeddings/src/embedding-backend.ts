/** Whether a text is a search query or a document to be found: some models embed them differently. */
export type EmbeddingKind = 'query' | 'document';

/** Turns texts into vectors of a fixed dimension, one per text, in the order given. */
export interface EmbeddingBackend {
  readonly name: 'local' | 'openai';
  /** The model's id, e.g. `bge-small-en-v1.5-q` or `text-embedding-3-small`. */
  readonly model: string;
  readonly dimensions: number;
  embed(texts: readonly string[], kind: EmbeddingKind): Promise<number[][]>;
  /** Releases what the backend holds (the ONNX session); it cannot embed afterwards. */
  close?(): Promise<void>;
}

/** Throughput since the backend was created. */
export interface EmbeddingStats {
  texts: number;
  batches: number;
  /** Time spent embedding (tokenizing and running the model), in milliseconds. */
  busyMs: number;
  /** texts / busy seconds; 0 before the first text. */
  perSecond: number;
}

/** Refuses, with a message, a backend whose vectors do not fit an index of `expected` dimensions. */
export function assertDimensions(backend: EmbeddingBackend, expected: number, what: string): void {
  if (backend.dimensions !== expected) {
    throw new Error(
      `embeddings: ${backend.name} model ${backend.model} makes ${backend.dimensions}-dimensional vectors, ` +
        `but ${what} holds ${expected}-dimensional ones; use a model of ${expected} dimensions or rebuild ${what}`,
    );
  }
}
