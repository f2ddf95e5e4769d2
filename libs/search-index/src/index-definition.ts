/**
 * The summaries and passages indices: mappings and settings. `MAPPING_VERSION` is part of every
 * physical index name; a change to either mapping bumps it, and `search reindex` builds both
 * indices anew from Postgres and moves their aliases. Version 2: passages, and the summaries'
 * `fullText`; version 3: the summaries' `held` sections (what keyword search ranks by); version 4:
 * the summaries' `vectorPending` (two-phase indexing: the vector follows the text); version 5:
 * vectors scored by inner product; version 6: offsets stored on the fields that show highlights.
 */
export const MAPPING_VERSION = 6;

/** Name of the alias search reads through and the indexer writes through. */
export function summariesAlias(prefix: string): string {
  return `${prefix}-summaries`;
}

/** A new physical index name behind `alias` for the current mapping version. */
export function newIndexName(alias: string, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 17);
  return `${alias}-v${MAPPING_VERSION}-${stamp}`;
}

const englishText = { type: 'text', analyzer: 'english' } as const;

/**
 * A text field whose highlights are shown (a summary's `text` and `keyPoints`, a passage's
 * `text`): its postings keep each term's character offsets, so the unified highlighter marks
 * the matched terms from the index instead of analyzing the stored text again for every hit.
 */
const highlightedText = { ...englishText, index_options: 'offsets' } as const;

/**
 * Settings of both indices: one shard (a tenant's search is one shard's), k-NN on, and the
 * vector kept out of the stored `_source` (k-NN's derived source: OpenSearch rebuilds it from
 * the vector field when a document is read, reindexed or partially updated). A stored float
 * array as JSON is most of a document's size (without it an index took 40% of the space, on 2.19), and every
 * hit's stored fields were loaded past it. k-NN 2.19 answered a refused document (an immense
 * term) with a 500 instead of its 400 under derived source, which would have retried a poison
 * record forever; 3.5 answers 400 (test/vector-storage.e2e-spec.ts holds it to that).
 */
const INDEX_SETTINGS = {
  index: {
    number_of_shards: 1,
    number_of_replicas: 0,
    knn: true,
    'knn.derived_source.enabled': true,
    refresh_interval: '1s',
  },
} as const;

/**
 * The vector field of both indices: HNSW on the lucene engine (filters while it walks the graph,
 * so a tenant's k nearest are found within the tenant). Scored by inner product: every vector
 * the embedders make is of unit length (libs/embeddings), so it ranks as cosine similarity does,
 * without computing two norms at each of the thousands of comparisons a graph walk makes.
 * OpenSearch scores it `1 + dot` (for dot ≥ 0) against cosine's `(1 + cos) / 2`: an affine
 * change that min-max fusion does not see.
 */
function vectorField(dimensions: number): Record<string, unknown> {
  return {
    type: 'knn_vector',
    dimension: dimensions,
    method: {
      name: 'hnsw',
      engine: 'lucene',
      space_type: 'innerproduct',
      parameters: { m: 16, ef_construction: 128 },
    },
  };
}

/** Index body for `indices.create`: settings plus the mapping, with vectors of `dimensions`. */
export function indexBody(dimensions: number): Record<string, unknown> {
  return {
    settings: INDEX_SETTINGS,
    mappings: {
      dynamic: 'strict',
      _meta: { mappingVersion: MAPPING_VERSION, dimensions },
      properties: {
        tenantId: { type: 'keyword' },
        userId: { type: 'keyword' },
        conversationId: { type: 'keyword' },
        tier: { type: 'keyword' },
        text: highlightedText,
        // A compressed summary's full sections, rendered, while Postgres still holds them.
        fullText: englishText,
        held: {
          properties: {
            context: englishText,
            keyPoints: englishText,
            decisions: englishText,
            actionItems: englishText,
            openQuestions: englishText,
            entities: englishText,
            dates: englishText,
            numbers: englishText,
          },
        },
        context: englishText,
        keyPoints: highlightedText,
        decisions: englishText,
        actionItems: englishText,
        openQuestions: englishText,
        entities: { ...englishText, fields: { raw: { type: 'keyword' } } },
        dates: englishText,
        numbers: englishText,
        mood: { type: 'keyword' },
        messageCount: { type: 'integer' },
        throughSeq: { type: 'long' },
        summaryUpdatedAt: { type: 'date' },
        firstMessageAt: { type: 'date' },
        lastMessageAt: { type: 'date' },
        version: { type: 'long' },
        backend: { type: 'keyword' },
        llmPending: { type: 'boolean' },
        importance: { type: 'float' },
        indexedAt: { type: 'date' },
        embedding: vectorField(dimensions),
        vectorPending: { type: 'boolean' },
      },
    },
  };
}

/** Name of the passages alias (windows of raw messages; see passage-document.ts). */
export function passagesAlias(prefix: string): string {
  return `${prefix}-passages`;
}

/**
 * Index body of the passages index. `MAPPING_VERSION` covers it too. Dynamic mapping is
 * strict, as for summaries: a field the code does not know is a bug, not a new column.
 */
export function passageIndexBody(dimensions: number): Record<string, unknown> {
  return {
    settings: INDEX_SETTINGS,
    mappings: {
      dynamic: 'strict',
      _meta: { mappingVersion: MAPPING_VERSION, dimensions },
      properties: {
        tenantId: { type: 'keyword' },
        conversationId: { type: 'keyword' },
        userIds: { type: 'keyword' },
        window: { type: 'long' },
        seqFrom: { type: 'long' },
        seqTo: { type: 'long' },
        messageIds: { type: 'keyword' },
        speakers: { type: 'keyword' },
        firstAt: { type: 'date' },
        lastAt: { type: 'date' },
        text: highlightedText,
        textHash: { type: 'keyword' },
        embedded: { type: 'boolean' },
        indexedAt: { type: 'date' },
        embedding: vectorField(dimensions),
      },
    },
  };
}
