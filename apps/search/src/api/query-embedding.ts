import { EmbeddingBackend } from '@memory/embeddings';
import { Inject, Injectable } from '@nestjs/common';
import { EMBEDDER } from '../core/tokens';
import { SearchMetrics } from './search.metrics';
import { SearchUnavailableError } from './search.errors';

/**
 * Query vectors kept, most recently asked first. A query is embedded again for every page of
 * its search and for every context answer, agents ask the same things over and over, and a
 * client polling for a new message repeats its query: each would run the model, on the core the
 * indexers need. 1,000 vectors of 384 numbers are about 4 MB.
 */
export const QUERY_VECTORS_KEPT = 1_000;

/** The query's vector; a failing or empty model answer is {@link SearchUnavailableError}. */
export async function embedQuery(embedder: EmbeddingBackend, query: string): Promise<number[]> {
  let vectors: number[][];
  try {
    vectors = await embedder.embed([query], 'query');
  } catch (error) {
    throw new SearchUnavailableError('embeddings', error);
  }
  const [vector] = vectors;
  if (!vector) throw new SearchUnavailableError('embeddings', 'no vector for the query');
  return vector;
}

/**
 * The vectors of search queries, each text embedded once per tenant while it stays among the
 * {@link QUERY_VECTORS_KEPT} most recently asked (a vector depends only on the text and the
 * model, which does not change while the service runs). Kept per tenant although the vector
 * would be the same: a shared entry would answer faster when another tenant had asked the same
 * words, and that time difference would tell one tenant what another asked. Concurrent asks of
 * one text share its model run; a failed run is not kept, so the next ask tries again.
 */
@Injectable()
export class QueryVectors {
  private readonly kept = new Map<string, Promise<number[]>>();

  constructor(
    @Inject(EMBEDDER) private readonly embedder: EmbeddingBackend,
    private readonly metrics: SearchMetrics,
  ) {}

  of(tenantId: string, query: string): Promise<number[]> {
    const key = `${tenantId}\u0000${query}`;
    const held = this.kept.get(key);
    if (held) {
      this.kept.delete(key);
      this.kept.set(key, held);
      this.metrics.queryVector('kept');
      return held;
    }
    this.metrics.queryVector('embedded');
    const vector = embedQuery(this.embedder, query);
    this.kept.set(key, vector);
    vector.catch(() => {
      if (this.kept.get(key) === vector) this.kept.delete(key);
    });
    while (this.kept.size > QUERY_VECTORS_KEPT) {
      const oldest = this.kept.keys().next().value as string;
      this.kept.delete(oldest);
    }
    return vector;
  }
}
