import { EmbeddingBackend } from '@memory/embeddings';
import { SearchUnavailableError } from './search.errors';

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
