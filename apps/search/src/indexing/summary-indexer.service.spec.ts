import { emptySections } from '@memory/contracts';
import { indexedEmbeddingText, SummaryDocument, SummaryIndex } from '@memory/search-index';
import { SummaryRow, SummaryStore } from '@memory/summarization';
import { IndexingMetrics } from './indexing.metrics';
import { summaryFixture, summaryRowFixture } from './summary.fixture';
import { SummaryIndexer } from './summary-indexer.service';

const row = (conversationId: string, version: number): SummaryRow =>
  summaryRowFixture('acme', conversationId, version);

/** The indexer over stubs of its collaborators: Postgres rows and what the index holds. */
function setup(
  rows: SummaryRow[],
  indexed: Record<string, number | { version: number; embeddedText: string; embedding: number[] }>,
) {
  const written: SummaryDocument[] = [];
  const index = {
    indexedSummaries: () =>
      Promise.resolve(
        new Map(
          Object.entries(indexed).map(([id, held]) => [
            id,
            typeof held === 'number' ? { version: held, embeddedText: '' } : held,
          ]),
        ),
      ),
    write: (documents: SummaryDocument[]) => {
      written.push(...documents);
      return Promise.resolve({ indexed: documents.length, stale: 0, deleted: 0 });
    },
  } as unknown as SummaryIndex;
  const store = {
    loadMany: () => Promise.resolve(rows),
    importanceOf: () => Promise.resolve(new Map<string, number>()),
  } as unknown as SummaryStore;
  const indexer = new SummaryIndexer(index, new IndexingMetrics(), store);
  return { indexer, written };
}

describe(SummaryIndexer.name, () => {
  it('indexes the newer version Postgres holds instead of a superseded record', async () => {
    const { indexer, written } = setup([row('conv-1', 4)], {});
    const outcome = await indexer.put([summaryFixture({ conversationId: 'conv-1', version: 2 })]);
    expect(written.map((d) => [d.conversationId, d.version])).toEqual([['conv-1', 4]]);
    expect(outcome.indexed).toBe(1);
  });

  it('does not write a version the index already holds, and counts it as stale', async () => {
    const { indexer, written } = setup([row('conv-1', 3)], { 'acme/conv-1': 3 });
    const outcome = await indexer.put([summaryFixture({ conversationId: 'conv-1', version: 3 })]);
    expect(written).toEqual([]);
    expect(outcome).toEqual({ indexed: 0, stale: 1, deleted: 0 });
  });

  it('keeps the indexed vector when the text to embed did not change; a changed one owes its vector', async () => {
    const same = summaryFixture({ conversationId: 'conv-1', version: 5 });
    const changed = summaryFixture({ conversationId: 'conv-2', version: 3 });
    const { indexer, written } = setup([row('conv-1', 5), row('conv-2', 3)], {
      'acme/conv-1': { version: 4, embeddedText: same.text, embedding: [0.6, 0.8] },
      'acme/conv-2': { version: 2, embeddedText: 'what version 2 said', embedding: [0.6, 0.8] },
    });
    await indexer.put([same, changed]);
    expect(written.map((d) => [d.conversationId, d.version, d.embedding, d.vectorPending])).toEqual(
      [
        ['conv-1', 5, [0.6, 0.8], false],
        ['conv-2', 3, undefined, true],
      ],
    );
  });

  it('indexes the record itself when it is the newest', async () => {
    const { indexer, written } = setup([row('conv-1', 5)], { 'acme/conv-1': 4 });
    await indexer.put([summaryFixture({ conversationId: 'conv-1', version: 5 })]);
    expect(written.map((d) => [d.conversationId, d.version])).toEqual([['conv-1', 5]]);
  });

  it('never indexes a summary whose row is gone (an erased conversation replayed)', async () => {
    const { indexer, written } = setup([row('conv-1', 5)], {});
    const outcome = await indexer.put([
      summaryFixture({ conversationId: 'erased', version: 2 }),
      summaryFixture({ conversationId: 'conv-1', version: 5 }),
      summaryFixture({ conversationId: 'erased', version: 3 }),
    ]);
    expect(written.map((d) => [d.conversationId, d.version])).toEqual([['conv-1', 5]]);
    expect(outcome.stale).toBe(2);
  });

  it('indexes the full text of a compressed summary while its row holds it, and owes its vector', async () => {
    const compressed: SummaryRow = {
      ...row('conv-1', 6),
      tier: 'brief',
      text: 'Rent talk.',
      fullSections: { ...emptySections(), context: 'The landlord raises the rent in March.' },
    };
    const { indexer, written } = setup([compressed, row('conv-2', 2)], {});
    await indexer.put([
      summaryFixture({ conversationId: 'conv-1', version: 6, tier: 'brief', text: 'Rent talk.' }),
      summaryFixture({ conversationId: 'conv-2', version: 2 }),
    ]);
    expect(indexedEmbeddingText(written[0])).toBe('The landlord raises the rent in March.');
    expect(written.map((d) => d.vectorPending)).toEqual([true, true]);
    expect(written.map((d) => [d.conversationId, d.fullText])).toEqual([
      ['conv-1', 'The landlord raises the rent in March.'],
      ['conv-2', ''],
    ]);
  });
});
