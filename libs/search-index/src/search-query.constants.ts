/**
 * How deep a query can page: every list is ranked to this depth, and `offset + k` never goes
 * past it. A fixed depth keeps the pages of one query consistent: fused over deeper lists,
 * hybrid search would normalize scores over other lists and reorder what earlier pages showed.
 */
export const MAX_RESULTS = 200;

/**
 * At most this many words of the query go into the BM25 query. Each word becomes a clause per
 * searched field (ten of them), and OpenSearch refuses a query of more than 1,024 clauses
 * (`indices.query.bool.max_clause_count`); a 1,000-character query can hold 300 words.
 */
export const MAX_KEYWORD_TERMS = 64;
