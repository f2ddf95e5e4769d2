/** What a request depends on failed (OpenSearch, the embedding model, Postgres): worth a retry. */
export class SearchUnavailableError extends Error {
  constructor(
    readonly dependency: 'opensearch' | 'embeddings' | 'database',
    cause: unknown,
  ) {
    super(`${dependency} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'SearchUnavailableError';
  }
}

/** OpenSearch refused the query as too large (more clauses than it allows): the client's to fix. */
export class QueryTooComplexError extends Error {
  constructor() {
    super('the query expands to more clauses than OpenSearch allows');
    this.name = 'QueryTooComplexError';
  }
}

/** The field error a {@link QueryTooComplexError} is answered with. */
export const QUERY_TOO_COMPLEX_FIELD_ERROR = {
  field: 'query',
  code: 'QUERY_TOO_COMPLEX',
  message: 'has more terms than the index can match at once: use fewer words',
} as const;
