import { EmbeddingBackend } from '@memory/embeddings';
import { QUERY_VECTORS_KEPT, QueryVectors } from './query-embedding';
import { SearchUnavailableError } from './search.errors';
import { SearchMetrics } from './search.metrics';

function setup(fail: (text: string) => boolean = () => false) {
  const embedded: string[] = [];
  const embedder = {
    embed: jest.fn((texts: readonly string[]) => {
      embedded.push(...texts);
      return fail(texts[0])
        ? Promise.reject(new Error('model down'))
        : Promise.resolve(texts.map((text) => [text.length, embedded.length]));
    }),
  };
  const metrics = { queryVector: jest.fn() };
  const vectors = new QueryVectors(
    embedder as unknown as EmbeddingBackend,
    metrics as unknown as SearchMetrics,
  );
  return { vectors, embedded, metrics };
}

describe(QueryVectors.name, () => {
  it('embeds a text once while it is kept, and counts both outcomes', async () => {
    const { vectors, embedded, metrics } = setup();
    const first = await vectors.of('t1', 'dentist in June');
    expect(await vectors.of('t1', 'dentist in June')).toBe(first);
    expect(await vectors.of('t1', 'dentist in july')).not.toBe(first);
    expect(embedded).toEqual(['dentist in June', 'dentist in july']);
    expect(metrics.queryVector.mock.calls).toEqual([['embedded'], ['kept'], ['embedded']]);
  });

  it('keeps a vector per tenant: another tenant asking the same words runs the model', async () => {
    const { vectors, embedded } = setup();
    await vectors.of('t1', 'car');
    await vectors.of('t2', 'car');
    await vectors.of('t1', 'car');
    expect(embedded).toEqual(['car', 'car']);
  });

  it('shares one model run between concurrent asks of a text', async () => {
    const { vectors, embedded } = setup();
    const [a, b] = await Promise.all([vectors.of('t1', 'car'), vectors.of('t1', 'car')]);
    expect(a).toBe(b);
    expect(embedded).toEqual(['car']);
  });

  it('forgets the least recently asked text beyond its capacity', async () => {
    const { vectors, embedded } = setup();
    await vectors.of('t1', 'q0');
    for (let i = 1; i <= QUERY_VECTORS_KEPT; i += 1) {
      await vectors.of('t1', `q${i}`);
      if (i === QUERY_VECTORS_KEPT - 1) await vectors.of('t1', 'q0'); // asked again: kept longer
    }
    embedded.length = 0;
    await vectors.of('t1', 'q0');
    await vectors.of('t1', 'q1');
    expect(embedded).toEqual(['q1']);
  });

  it('does not keep a failure: the next ask runs the model again', async () => {
    let down = true;
    const { vectors, embedded } = setup(() => down);
    await expect(vectors.of('t1', 'car')).rejects.toBeInstanceOf(SearchUnavailableError);
    down = false;
    await expect(vectors.of('t1', 'car')).resolves.toEqual([3, 2]);
    expect(embedded).toEqual(['car', 'car']);
  });
});
