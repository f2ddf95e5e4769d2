import { EmbeddingBackend } from '@memory/embeddings';
import { PassageIndex, PendingSummary, SummaryIndex } from '@memory/search-index';
import { Logger } from '@nestjs/common';
import { IndexingMetrics } from './indexing.metrics';
import { stubTarget } from './vector-target.fixture';
import { FILLER_PACE, SummaryVectorFiller } from './vector.filler';

/** Summary `c<i>` through seq `throughSeq`, written in order (the last is the newest). */
function pending(throughSeqs: number[]): PendingSummary[] {
  return throughSeqs.map((throughSeq, i) => ({
    id: `acme/c${i}`,
    index: 'summaries-v1',
    readAt: 0,
    text: `summary ${i}`,
    version: 1,
    source: { tenantId: 'acme', conversationId: `c${i}`, throughSeq } as PendingSummary['source'],
  }));
}

describe(SummaryVectorFiller.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  const setup = (waiting: PendingSummary[], lastSeqs: PassageIndex['lastSeqs'] | undefined) => {
    const set: string[][] = [];
    const embedder: EmbeddingBackend = {
      name: 'local',
      model: 'stub',
      dimensions: 2,
      embed: (texts) => Promise.resolve(texts.map(() => [1, 0])),
    };
    const index = stubTarget(waiting, set);
    const filler = new SummaryVectorFiller(
      index as SummaryIndex,
      embedder,
      new IndexingMetrics(),
      undefined,
      lastSeqs ? ({ lastSeqs } as PassageIndex) : undefined,
    );
    return { filler, index, set };
  };

  it('takes first the summaries that reach their conversation’s last message', async () => {
    // 40 waiting; the even ones are a first version through 25 of a conversation now at 50.
    const waiting = pending(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 25 : 50)));
    const asked: string[][] = [];
    const { filler, index, set } = setup(waiting, (conversations) => {
      asked.push(conversations.map((c) => c.conversationId));
      return Promise.resolve(new Map(conversations.map((c) => [`acme/${c.conversationId}`, 50])));
    });
    expect(await filler.fillOnce(index, 1_000)).toBe(FILLER_PACE.batch);
    // Every candidate of the round was looked up, in one request.
    expect(asked).toHaveLength(1);
    expect(asked[0]?.length).toBeGreaterThan(FILLER_PACE.batch);
    const taken = set[0] ?? [];
    expect(taken).toHaveLength(FILLER_PACE.batch);
    const caughtUp = taken.filter((id) => Number(id.slice('acme/c'.length)) % 2 === 1);
    // All the candidates that reach their last message (14 of the 28), then the others.
    expect(caughtUp).toHaveLength(14);
    expect(taken.slice(0, 14)).toEqual(caughtUp);
  });

  it('keeps the order as found when the lookup fails or nothing is known', async () => {
    const waiting = pending(Array.from({ length: 40 }, () => 25));
    const failing = setup(waiting, () => Promise.reject(new Error('opensearch down')));
    expect(await failing.filler.fillOnce(failing.index, 1_000)).toBe(FILLER_PACE.batch);
    const unknown = setup(waiting, () => Promise.resolve(new Map()));
    await unknown.filler.fillOnce(unknown.index, 1_000);
    const plain = setup(waiting, undefined);
    await plain.filler.fillOnce(plain.index, 1_000);
    expect(failing.set[0]).toEqual(plain.set[0]);
    expect(unknown.set[0]).toEqual(plain.set[0]);
  });
});
