import { emptySections } from '@memory/contracts';
import { EmbeddingBackend, EmbeddingKind } from '@memory/embeddings';
import { summaryDocuments } from '@memory/search-index';
import { summaryFixture } from './summary.fixture';

describe(summaryDocuments.name, () => {
  const setup = () => {
    const calls: Array<{ texts: readonly string[]; kind: EmbeddingKind }> = [];
    const embedder: EmbeddingBackend = {
      name: 'local',
      model: 'fake',
      dimensions: 2,
      embed: (texts, kind) => {
        calls.push({ texts, kind });
        return Promise.resolve(texts.map((text) => [text.length, 1]));
      },
    };
    return { embedder, calls };
  };

  it('embeds every text in one call, as documents, and keeps the order', async () => {
    const { embedder, calls } = setup();
    const at = new Date('2026-05-02T00:00:00.000Z');
    const { documents, embedded } = await summaryDocuments(
      embedder,
      [summaryFixture({ conversationId: 'a', text: 'abc' }), summaryFixture({ text: 'de' })],
      at,
    );
    expect(calls).toEqual([{ texts: ['abc', 'de'], kind: 'document' }]);
    expect(embedded).toBe(2);
    expect(documents.map((d) => [d.conversationId, d.embedding, d.indexedAt])).toEqual([
      ['a', [3, 1], at.toISOString()],
      ['conv-1', [2, 1], at.toISOString()],
    ]);
  });

  it('gives a summary without text no vector, and does not embed it', async () => {
    const { embedder, calls } = setup();
    const empty = summaryFixture({
      conversationId: 'quiet',
      text: '  ',
      sections: emptySections(),
    });
    const { documents, embedded } = await summaryDocuments(embedder, [
      empty,
      summaryFixture({ text: 'hello' }),
    ]);
    expect(calls).toEqual([{ texts: ['hello'], kind: 'document' }]);
    expect(embedded).toBe(1);
    expect(documents[0]).not.toHaveProperty('embedding');
    expect(documents[0]).toMatchObject({ conversationId: 'quiet', version: 1 });
    expect(documents[1]?.embedding).toEqual([5, 1]);
  });

  it('does not call the model when there is nothing to embed', async () => {
    const { embedder, calls } = setup();
    const { documents } = await summaryDocuments(embedder, [
      summaryFixture({ text: '', sections: emptySections() }),
    ]);
    expect(calls).toEqual([]);
    expect(documents).toHaveLength(1);
  });

  it('fails when the model answers a different number of vectors', async () => {
    const { embedder } = setup();
    embedder.embed = () => Promise.resolve([]);
    await expect(summaryDocuments(embedder, [summaryFixture()])).rejects.toThrow('0 vectors');
  });
});
