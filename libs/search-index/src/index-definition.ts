/**
 * The summaries and passages indices: mappings and settings. `MAPPING_VERSION` is part of every
 * physical index name; a change to either mapping bumps it, and `search reindex` builds both
 * indices anew from Postgres and moves their aliases. Version 2: passages, and the summaries'
 * `fullText`; version 3: the summaries' `held` sections (what keyword search ranks by); version 4:
 * the summaries' `vectorPending` (two-phase indexing: the vector follows the text); version 5:
 * vectors scored by inner product.
 */
export const MAPPING_VERSION = 5;

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
 * Settings of both indices: one shard (a tenant's search is one shard's), k-NN on. The vector
 * stays in the stored `_source`. k-NN 2.19's derived source (`index.knn.derived_source.enabled`)
 * would keep it out (stores a third of the size, loading faster), but with it a document
 * OpenSearch refuses (an immense term) fails as a 500 `not_x_content_exception` instead of its
 * 400, so a poison record would be retried forever instead of dead-lettered
 * (test/adversarial.e2e-spec.ts caught it; docs/benchmarks.md).
 */
const INDEX_SETTINGS = {
  index: { number_of_shards: 1, number_of_replicas: 0, knn: true, refresh_interval: '1s' },
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
        text: englishText,
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
        keyPoints: englishText,
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
        text: englishText,
        textHash: { type: 'keyword' },
        embedded: { type: 'boolean' },
        indexedAt: { type: 'date' },
        embedding: vectorField(dimensions),
      },
    },
  };
}
