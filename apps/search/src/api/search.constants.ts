/** Length of the snippet taken from the start of the text when no fragment matched. */
export const SNIPPET_LENGTH = 200;

/** Key points shown with each result (the full summary is one GET away). */
export const RESULT_KEY_POINTS = 3;

/** Per-request limits on the OpenSearch client (its defaults suit the indexer, not a user waiting). */
export const SEARCH_REQUEST_OPTIONS = { requestTimeout: 10_000, maxRetries: 1 } as const;

export const SEARCH_MODES = ['hybrid', 'semantic', 'keyword'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** Evidence passages per result by default, and at most (request field `evidence`). */
export const DEFAULT_EVIDENCE = 3;
export const MAX_EVIDENCE = 10;
