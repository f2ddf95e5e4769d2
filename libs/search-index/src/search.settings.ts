import { EnvReader } from '@memory/config';
import { EmbeddingSettings, readEmbeddingSettings } from '@memory/embeddings';

/** The search service's own settings. */
export interface SearchSettings {
  embeddings: EmbeddingSettings;
  /** Requests per second allowed per API key (a token bucket of `rateLimitBurst`). */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
}

export function readSearchSettings(read: EnvReader): SearchSettings {
  return {
    embeddings: readEmbeddingSettings(read),
    rateLimitPerSecond: read.int('SEARCH_RATE_LIMIT_PER_SECOND', 20, 1, 100_000),
    rateLimitBurst: read.int('SEARCH_RATE_LIMIT_BURST', 40, 1, 1_000_000),
  };
}
