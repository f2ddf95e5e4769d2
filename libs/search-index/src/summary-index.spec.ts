import { Client } from '@opensearch-project/opensearch';
import { PendingSummary, SummaryIndex, VECTOR_WRITE_WITHIN_MS } from './summary-index';

/** A client stub: the alias points at `current`; bulk answers every item 201. */
function clientStub(current: string) {
  const bulks: Array<Array<Record<string, unknown>>> = [];
  const client = {
    indices: {
      existsAlias: () => Promise.resolve({ body: true }),
      getAlias: () => Promise.resolve({ body: { [current]: { aliases: {} } } }),
    },
    bulk: ({ body }: { body: Array<Record<string, unknown>> }) => {
      bulks.push(body);
      const items = body
        .filter((_, i) => i % 2 === 0)
        .map((action) => ({
          index: { status: 201, _id: (action.index as { _id: string })._id },
        }));
      return Promise.resolve({ body: { items } });
    },
  } as unknown as Client;
  return { client, bulks };
}

const pending = (id: string, index: string, readAt: number): PendingSummary =>
  ({
    id,
    index,
    readAt,
    text: 'what it said',
    version: 7,
    source: { tenantId: 'acme', conversationId: id, vectorPending: true },
  }) as unknown as PendingSummary;

describe('SummaryIndex.setVectors', () => {
  it('writes each document again at its version, with the vector, through the alias', async () => {
    const { client, bulks } = clientStub('mem-summaries-v4-1');
    const index = new SummaryIndex(client, 'mem', 2);
    const outcome = await index.setVectors(
      [{ pending: pending('a', 'mem-summaries-v4-1', 1_000), embedding: [0.6, 0.8] }],
      1_000,
    );
    expect(outcome).toEqual({ updated: 1, stale: 0 });
    expect(bulks[0]).toEqual([
      {
        index: {
          _index: 'mem-summaries',
          _id: 'a',
          version: 7,
          version_type: 'external_gte',
        },
      },
      { tenantId: 'acme', conversationId: 'a', vectorPending: false, embedding: [0.6, 0.8] },
    ]);
  });

  it('leaves documents read too long ago or from an index a rebuild replaced (stale)', async () => {
    const { client, bulks } = clientStub('mem-summaries-v4-2');
    const index = new SummaryIndex(client, 'mem', 2);
    const now = 100_000;
    const outcome = await index.setVectors(
      [
        {
          pending: pending('old', 'mem-summaries-v4-2', now - VECTOR_WRITE_WITHIN_MS - 1),
          embedding: [1, 0],
        },
        { pending: pending('moved', 'mem-summaries-v4-1', now), embedding: [1, 0] },
        { pending: pending('fine', 'mem-summaries-v4-2', now - 1_000), embedding: [1, 0] },
      ],
      now,
    );
    expect(outcome).toEqual({ updated: 1, stale: 2 });
    expect(bulks).toHaveLength(1);
    expect((bulks[0]?.[0]?.index as { _id: string })._id).toBe('fine');
  });
});
