import { randomUUID } from 'node:crypto';
import { createOpenSearchClient } from '@memory/opensearch';
import {
  BulkIndexError,
  IndexMismatchError,
  PassageIndex,
  passagesAlias,
  PassageMessage,
  toPassage,
} from '@memory/search-index';

const OPENSEARCH_URL = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
const DIMENSIONS = 384;

/** A unit vector of 384 dimensions, mostly along `axis`. */
function unit(axis: number): number[] {
  const vector = Array.from({ length: DIMENSIONS }, (_, i) => (i === axis ? 1 : 0.01));
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return vector.map((x) => x / norm);
}

function messages(ids: string[]): PassageMessage[] {
  return ids.map((messageId, i) => ({
    messageId,
    seq: i + 1,
    userId: 'u1',
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `message number ${i + 1} about the garden`,
    createdAt: `2026-05-01T10:0${i}:00.000Z`,
  }));
}

/*
 * How the indices keep vectors, on the real OpenSearch: scored by inner product, kept through a
 * partial update, and a document the index refuses still refused as a 4xx (what makes it a
 * poison record to dead-letter, not a failure to retry). Its own index prefix; the index is
 * deleted afterwards.
 */
describe('vector storage', () => {
  const prefix = `e2e-vectors-${randomUUID().slice(0, 8)}`;
  const client = createOpenSearchClient({ url: OPENSEARCH_URL, indexPrefix: prefix });
  const index = new PassageIndex(client, prefix, DIMENSIONS);
  let physical = '';

  beforeAll(async () => {
    physical = await index.ensure();
  });

  afterAll(async () => {
    if (physical) await client.indices.delete({ index: physical }).catch(() => undefined);
    await client.close();
  });

  it('creates the index with inner-product vectors, kept out of the stored source', async () => {
    const settings = await client.indices.getSettings({ index: physical, flat_settings: true });
    const flat = Object.values(settings.body)[0]?.settings as Record<string, unknown>;
    expect(flat['index.knn']).toBe('true');
    // Derived source: the vector is rebuilt from the vector field, not stored as JSON.
    expect(flat['index.knn.derived_source.enabled']).toBe('true');
    const mapping = await client.indices.getMapping({ index: physical });
    const properties = Object.values(mapping.body)[0]?.mappings?.properties as Record<
      string,
      { method?: { space_type?: string } }
    >;
    expect(properties.embedding?.method?.space_type).toBe('innerproduct');
  });

  it('keeps a vector through a partial update of the passage, and finds it by inner product', async () => {
    const first = toPassage('t1', 'garden', 1, messages(['m1', 'm2', 'm3', 'm4']));
    if (!first) throw new Error('no passage');
    expect(await index.write([first], true)).toMatchObject({ written: 1 });
    const [pending] = await index.needingVectors(10);
    if (!pending) throw new Error('the passage should wait for its vector');
    expect(await index.setVectors([{ pending, embedding: unit(7) }])).toMatchObject({
      updated: 1,
    });
    // Same text, other message ids: the index changes the passage in place (a partial update,
    // which rebuilds the document from its source) and the vector must survive it.
    const renamed = toPassage('t1', 'garden', 1, messages(['n1', 'n2', 'n3', 'n4']));
    if (!renamed) throw new Error('no passage');
    expect(await index.write([renamed], true)).toMatchObject({ refreshed: 1 });
    await client.indices.refresh({ index: passagesAlias(prefix) });

    const stored = await client.get({ index: passagesAlias(prefix), id: 't1/garden/1' });
    const source = stored.body._source as { messageIds: string[]; embedding?: number[] };
    expect(source.messageIds).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(source.embedding).toHaveLength(DIMENSIONS);
    const expected = unit(7);
    source.embedding?.forEach((x, i) => expect(x).toBeCloseTo(expected[i] ?? NaN, 6));

    const found = await client.search({
      index: passagesAlias(prefix),
      body: { size: 1, query: { knn: { embedding: { vector: unit(7), k: 1 } } } },
    });
    const hit = found.body.hits.hits[0];
    expect(hit?._id).toBe('t1/garden/1');
    // Inner product of unit vectors: OpenSearch scores it 1 + dot, so 2 for the same vector.
    expect(hit?._score).toBeCloseTo(2, 4);
    expect(await index.pendingVectors()).toBe(0);
  });

  it('refuses a document the index cannot hold with a 4xx, so that it is dead-lettered', async () => {
    const passage = toPassage('t1', 'immense', 1, messages(['m1', 'm2']));
    if (!passage) throw new Error('no passage');
    // Lucene refuses a keyword term over 32,766 bytes.
    const immense = { ...passage, messageIds: ['m'.repeat(40_000), 'm2'] };
    const failure = await index.write([immense]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(BulkIndexError);
    const { failures, refused } = failure as BulkIndexError;
    expect(failures[0]?.status).toBe(400);
    expect(failures[0]?.reason).toMatch(/immense term/);
    expect(refused).toEqual(['t1/immense/1']);
  });

  it('tells the last message each conversation’s passages reach, per tenant', async () => {
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
    const written = [
      toPassage('t1', 'seqs', 1, messages(ids.slice(0, 4))),
      toPassage('t1', 'seqs', 3, messages(ids).slice(2, 6)),
      toPassage('t2', 'seqs', 1, messages(ids.slice(0, 2))),
    ];
    await index.write(written.flatMap((passage) => (passage ? [passage] : [])));
    await client.indices.refresh({ index: physical });
    const last = await index.lastSeqs([
      { tenantId: 't1', conversationId: 'seqs' },
      { tenantId: 't2', conversationId: 'seqs' },
      { tenantId: 't1', conversationId: 'none' },
    ]);
    expect(Object.fromEntries(last)).toEqual({ 't1/seqs': 6, 't2/seqs': 2 });
    expect(await index.lastSeqs([])).toEqual(new Map());
  });

  it('records the model that makes the vectors, and refuses another model of the same dimension', async () => {
    const made: string[] = [];
    const open = async (suffix: string, model?: string) => {
      const other = new PassageIndex(client, `${prefix}-${suffix}`, DIMENSIONS, model);
      made.push(await other.ensure());
      return other;
    };
    const modelOf = async (name: string) => {
      const mapping = await client.indices.getMapping({ index: name });
      return (Object.values(mapping.body)[0]?.mappings?._meta as Record<string, unknown>)
        .embeddingModel;
    };
    try {
      await open('a', 'bge-small-en-v1.5-q');
      expect(await modelOf(made[0] ?? '')).toBe('bge-small-en-v1.5-q');
      // fp32 and int8 bge-small both make 384 numbers, which do not compare.
      const refused = await open('a', 'bge-small-en-v1.5').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(IndexMismatchError);
      expect(String(refused)).toMatch(/bge-small-en-v1\.5-q.*search reindex.*EMBEDDING_MODEL/);

      // An index made before the model was recorded takes the model it is opened with, says so,
      // and is held to it from then on.
      await open('b');
      expect(await modelOf(made[1] ?? '')).toBeUndefined();
      const adopted = await open('b', 'bge-small-en-v1.5-q');
      expect(adopted.adoptedModel).toBe(true);
      expect(await modelOf(made[1] ?? '')).toBe('bge-small-en-v1.5-q');
      expect((await open('b', 'bge-small-en-v1.5-q')).adoptedModel).toBe(false);
      await expect(open('b', 'bge-small-en-v1.5')).rejects.toBeInstanceOf(IndexMismatchError);
    } finally {
      for (const name of new Set(made))
        await client.indices.delete({ index: name }).catch(() => undefined);
    }
  });
});
