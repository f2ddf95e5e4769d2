/** Injection token of the search service's `SearchSettings`. */
export const SEARCH_SETTINGS = Symbol('SEARCH_SETTINGS');
/** Injection token of the configured `EmbeddingBackend`. */
export const EMBEDDER = Symbol('EMBEDDER');
