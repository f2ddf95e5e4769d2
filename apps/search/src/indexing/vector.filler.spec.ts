import { EmbeddingBackend } from '@memory/embeddings';
import { PassageIndex, PendingPassage, SearchSettings, VectorTarget } from '@memory/search-index';
import { Logger } from '@nestjs/common';
import { IndexingMetrics } from './indexing.metrics';
import { stubTarget } from './vector-target.fixture';
import { TextBacklog } from './text-backlog';
import { FILLER_PACE, PassageVectorFiller, SummaryVectorFiller } from './vector.filler';

describe(PassageVectorFiller.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  const pending = (n: number, from = 0): PendingPassage[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `acme/c/${from + i}`,
      text: `text ${from + i}`,
      seqNo: i,
      primaryTerm: 1,
    }));

  const setup = (
    waiting: PendingPassage[],
    summaries?: { backlogged: boolean },
    text?: { behind: boolean },
  ) => {
    const embedded: string[][] = [];
    const set: string[][] = [];
    const embedder: EmbeddingBackend = {
      name: 'local',
      model: 'stub',
      dimensions: 2,
      embed: (texts, kind) => {
        expect(kind).toBe('document');
        embedded.push([...texts]);
        return Promise.resolve(texts.map(() => [1, 0]));
      },
    };
    const index = stubTarget(waiting, set);
    const filler = new PassageVectorFiller(
      index as PassageIndex,
      embedder,
      { passageVectors: true } as SearchSettings,
      new IndexingMetrics(),
      summaries as SummaryVectorFiller | undefined,
      text as TextBacklog | undefined,
    );
    return { filler, index, embedder, embedded, set };
  };

  it('embeds a small batch in one model run, the newest passages first, then the oldest', async () => {
    const { filler, index, embedded, set } = setup(pending(40));
    expect(await filler.fillOnce(index, 1_000_000)).toBe(FILLER_PACE.batch);
    const newest = pending(FILLER_PACE.newest, 40 - FILLER_PACE.newest).reverse();
    const oldest = pending(FILLER_PACE.batch - FILLER_PACE.newest);
    expect(embedded).toEqual([[...newest, ...oldest].map((p) => p.text)]);
    expect(set[0]).toEqual([...newest, ...oldest].map((p) => p.id));
  });

  it('says when more wait than a round took', async () => {
    const { filler, index } = setup(pending(40));
    await filler.fillOnce(index, 1_000_000);
    expect(filler.backlogged).toBe(true);
    const few = setup(pending(5));
    await few.filler.fillOnce(few.index, 1_000_000);
    expect(few.filler.backlogged).toBe(false);
  });

  it('takes small rounds while the summaries are behind, newest first all the same', async () => {
    const summaries = { backlogged: true };
    const { filler, index, set } = setup(pending(40), summaries);
    expect(await filler.fillOnce(index, 1_000_000)).toBe(FILLER_PACE.yieldingBatch);
    expect(set[0]).toEqual(['acme/c/39', 'acme/c/38', 'acme/c/37', 'acme/c/0']);
    summaries.backlogged = false;
    expect(await filler.fillOnce(index, 1_000_000 + FILLER_PACE.recentMs + 1)).toBe(
      FILLER_PACE.batch,
    );
  });

  it('takes each passage once when fewer than a round wait', async () => {
    const { filler, index, set } = setup(pending(5));
    expect(await filler.fillOnce(index, 1_000_000)).toBe(5);
    expect([...set[0]].sort()).toEqual(
      pending(5)
        .map((p) => p.id)
        .sort(),
    );
  });

  it('does not embed again a passage it just filled that the index still shows as pending', async () => {
    const { filler, index, set } = setup(pending(20));
    await filler.fillOnce(index, 1_000_000);
    await filler.fillOnce(index, 1_000_500);
    expect([...set[1]].sort()).toEqual(
      pending(4, 4)
        .map((p) => p.id)
        .sort(),
    );
    // Later, after a refresh would have shown the change, it is no longer left out.
    await filler.fillOnce(index, 1_000_000 + FILLER_PACE.recentMs + 1);
    expect(set[2]?.[0]).toBe('acme/c/19');
  });

  it('does nothing when no passage waits', async () => {
    const { filler, index, embedded } = setup([]);
    expect(await filler.fillOnce(index)).toBe(0);
    expect(embedded).toEqual([]);
  });

  it('fails the round when the model answers a different number of vectors', async () => {
    const { filler, index, embedder } = setup(pending(2));
    embedder.embed = () => Promise.resolve([[1, 0]]);
    await expect(filler.fillOnce(index)).rejects.toThrow('1 vectors for 2 texts');
  });

  it('puts rounds off while the text indexers are behind, and goes on once they are not', async () => {
    const text = { behind: true };
    const { filler, index } = setup(pending(200), undefined, text);
    let rounds = 0;
    const counting: VectorTarget<PendingPassage> = {
      ...index,
      needingVectors: (size, order) => {
        if (order === 'newest') rounds++;
        return index.needingVectors(size, order);
      },
    };
    const running = filler.run(counting);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // One round at once (none ran for yieldMaxMs before), then none while behind.
    expect(rounds).toBe(1);
    text.behind = false;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(rounds).toBeGreaterThan(2);
    await filler.beforeApplicationShutdown();
    await running;
  });

  it('keeps going after a failed round and stops when the service stops', async () => {
    const { filler, index } = setup(pending(1));
    let calls = 0;
    const failing: VectorTarget<PendingPassage> = {
      ...index,
      needingVectors: () => {
        calls++;
        return Promise.reject(new Error('opensearch down'));
      },
    };
    const running = filler.run(failing);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await filler.beforeApplicationShutdown();
    await running;
    expect(calls).toBeGreaterThanOrEqual(1);
  });
});
