import { EnvReader } from '@memory/config';
import { EmbeddingSettings, readEmbeddingSettings } from '@memory/embeddings';

/** The search service's own settings. */
export interface SearchSettings {
  embeddings: EmbeddingSettings;
  /** Requests per second allowed per API key (a token bucket of `rateLimitBurst`). */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /**
   * Candidates the k-NN graph walk keeps (HNSW ef_search; the lucene engine takes the larger
   * of this and k). More finds more of the true nearest neighbours and costs more per query.
   */
  knnEfSearch: number;
}

/** Default of `SEARCH_KNN_EF_SEARCH`: recall@10 against exact search about 0.95 at 100,000 summaries (docs/benchmarks.md). */
export const DEFAULT_KNN_EF_SEARCH = 600;

export function readSearchSettings(read: EnvReader): SearchSettings {
  return {
    embeddings: readEmbeddingSettings(read),
    rateLimitPerSecond: read.int('SEARCH_RATE_LIMIT_PER_SECOND', 20, 1, 100_000),
    rateLimitBurst: read.int('SEARCH_RATE_LIMIT_BURST', 40, 1, 1_000_000),
    knnEfSearch: read.int('SEARCH_KNN_EF_SEARCH', DEFAULT_KNN_EF_SEARCH, 1, 10_000),
  };
}
