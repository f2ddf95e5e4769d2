import { EnvReader } from '@memory/config';
import { EmbeddingSettings, readEmbeddingSettings } from '@memory/embeddings';
import { DEFAULT_IMPORTANCE_BOOST } from './conversation-fusion';

/**
 * The search service's own settings. Its per-API-key rate (`SEARCH_RATE_LIMIT_PER_SECOND`,
 * `SEARCH_RATE_LIMIT_BURST`) is read with every service's, by `readAuthConfig` in libs/config.
 */
export interface SearchSettings {
  embeddings: EmbeddingSettings;
  /**
   * Candidates the k-NN graph walk keeps (HNSW ef_search; the lucene engine takes the larger
   * of this and k). More finds more of the true nearest neighbours and costs more per query.
   */
  knnEfSearch: number;
  /**
   * Whether the search service embeds passages (`SEARCH_PASSAGE_VECTORS`). Off, passages are
   * still written and found by keyword, never by meaning; the embedding model's time goes to
   * summaries only.
   */
  passageVectors: boolean;
  /** How much importance raises a conversation's score (`SEARCH_IMPORTANCE_BOOST`, 0..1). */
  importanceBoost: number;
  /**
   * Memory for the rankings kept for cursors, in MB (`SEARCH_CURSOR_RANKINGS_MB`, 0 keeps none):
   * a later page slices the ranking its first page showed instead of ranking the query again.
   */
  cursorRankingsMb: number;
  /** How long a kept ranking serves its cursor after its last page (`SEARCH_CURSOR_TTL_SECONDS`). */
  cursorTtlSeconds: number;
}

/** Default of `SEARCH_CURSOR_RANKINGS_MB`: over a thousand first pages' rankings. */
export const DEFAULT_CURSOR_RANKINGS_MB = 64;
/** Default of `SEARCH_CURSOR_TTL_SECONDS`. */
export const DEFAULT_CURSOR_TTL_SECONDS = 600;

/**
 * Default of `SEARCH_KNN_EF_SEARCH`. At 100,000 summaries (a tenant of 33,752), summary k-NN
 * recall@10 against exact search over 300 queries: 0.954 at 600, 0.960 at 800, 0.967 at 1000;
 * a walk's p50 4.8, 5.3 and 6.1 ms (bench:search `BENCH_EF_SWEEP`, docs/benchmarks.md). 600 sat
 * on the 0.95 line (0.947 on another run's 100 queries); 800 keeps a margin over a sample's
 * noise for half a millisecond a walk.
 */
export const DEFAULT_KNN_EF_SEARCH = 800;

export function readSearchSettings(read: EnvReader): SearchSettings {
  return {
    embeddings: readEmbeddingSettings(read),
    knnEfSearch: read.int('SEARCH_KNN_EF_SEARCH', DEFAULT_KNN_EF_SEARCH, 1, 10_000),
    passageVectors: read.bool('SEARCH_PASSAGE_VECTORS', true),
    cursorRankingsMb: read.int('SEARCH_CURSOR_RANKINGS_MB', DEFAULT_CURSOR_RANKINGS_MB, 0, 65_536),
    cursorTtlSeconds: read.int('SEARCH_CURSOR_TTL_SECONDS', DEFAULT_CURSOR_TTL_SECONDS, 1, 86_400),
    importanceBoost: read.custom(
      'SEARCH_IMPORTANCE_BOOST',
      DEFAULT_IMPORTANCE_BOOST,
      'a number from 0 to 1',
      (raw) => {
        const value = Number(raw);
        return /^\d*\.?\d+$/.test(raw.trim()) && value >= 0 && value <= 1 ? value : undefined;
      },
    ),
  };
}
