import {
  assertDimensions,
  DEFAULT_DOCUMENT_TOKENS,
  DEFAULT_LOCAL_MODEL,
  defaultModelDir,
  LocalEmbedder,
  readManifest,
} from '@memory/embeddings';

// The real default model, which the e2e set-up provisions with the stack (`npm run stack:up`
// fetches it from Maven Central once and caches it in .stack/models). Unit tests never load it.
const modelDir = defaultModelDir();

function cosine(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, value, index) => sum + value * b[index], 0);
}

function norm(vector: readonly number[]): number {
  return Math.sqrt(cosine(vector, vector));
}

describe('the default model', () => {
  let embedder: LocalEmbedder;
  /**
   * The same model with texts run together (as an fp32 model runs): for the scheduling. The
   * default int8 model's vectors then shift a little with their neighbours, so this one's are
   * compared by cosine.
   */
  let batching: LocalEmbedder;

  beforeAll(async () => {
    embedder = await LocalEmbedder.load(modelDir, { batchSize: 4 });
    batching = await LocalEmbedder.load(modelDir, { batchSize: 4, oneTextPerRun: false });
  });

  afterAll(async () => {
    await embedder.close();
    await batching.close();
  });

  it('is described by its manifest', () => {
    expect(embedder.model).toBe(DEFAULT_LOCAL_MODEL);
    expect(embedder.name).toBe('local');
    expect(embedder.dimensions).toBe(384);
    expect(readManifest(modelDir)).toMatchObject({
      pooling: 'cls',
      normalize: true,
      maxTokens: 512,
    });
  });

  it('makes unit vectors of the manifest dimension, one per text, in order', async () => {
    const texts = ['hello', '', 'A much longer text about the quarterly budget meeting in Lisbon.'];
    const vectors = await embedder.embed(texts, 'document');
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toHaveLength(384);
      expect(norm(vector)).toBeCloseTo(1, 5);
      expect(vector.every(Number.isFinite)).toBe(true);
    }
    expect(await embedder.embed([], 'document')).toEqual([]);
  });

  it('places a question nearer to a paraphrase than to an unrelated sentence', async () => {
    const [question] = await embedder.embed(['How do I reset my password?'], 'query');
    const [credentials, weather] = await embedder.embed(
      ['I forgot my login credentials', 'The weather is sunny'],
      'document',
    );
    expect(cosine(question, credentials)).toBeGreaterThan(cosine(question, weather) + 0.2);
  });

  it('gives a text the same vector alone as in a call of texts of other lengths', async () => {
    const texts = [
      'Can you move the meeting with the Berlin team to Thursday afternoon?',
      'ok',
      'The invoice for order 4,500 euros has not arrived yet, please check the billing address.',
      'Deploy failed because the database backup job locked the tables.',
      'thanks!',
      'Where did we book the hotel for the conference in Tokyo next month?',
    ];
    const batched = await embedder.embed(texts, 'document');
    const reversed = (await embedder.embed([...texts].reverse(), 'document')).reverse();
    for (const [index, text] of texts.entries()) {
      const [alone] = await embedder.embed([text], 'document');
      for (const other of [batched[index], reversed[index]]) {
        const largest = Math.max(...alone.map((value, i) => Math.abs(value - other[i])));
        expect(largest).toBeLessThan(1e-5);
      }
    }
  });

  it('runs concurrent calls of one kind together, each getting its own vectors', async () => {
    const queries = ['dentist appointment', 'rent increase', 'tomato plants', 'flight to Oslo'];
    const alone: number[][] = [];
    for (const query of queries) alone.push((await embedder.embed([query], 'query'))[0]);
    const batchesBefore = batching.stats().batches;
    const together = await Promise.all([
      ...queries.map((query) => batching.embed([query], 'query')),
      batching.embed(['a document waits for its own run'], 'document'),
    ]);
    // Four queries fit one run of batchSize 4; the document goes in a run of its own.
    expect(batching.stats().batches - batchesBefore).toBe(2);
    for (const [index, [vector]] of together.slice(0, 4).entries())
      expect(cosine(vector, alone[index])).toBeGreaterThan(0.99);
    expect(together[4]).toHaveLength(1);
  });

  it('runs a query before the rest of a long call of documents, a run at a time', async () => {
    const documents = Array.from(
      { length: 12 },
      (_, i) => `Document ${i}: the quarterly report lists revenue, costs and the hiring plan.`,
    );
    const settled: string[] = [];
    const batchesBefore = batching.stats().batches;
    const documentsDone = batching
      .embed(documents, 'document')
      .then(() => settled.push('documents'));
    // Asked once the first run of documents is under way: it must not wait for the other two.
    await new Promise((resolveTick) => setImmediate(resolveTick));
    const queryDone = batching.embed(['revenue this quarter'], 'query').then(() => {
      settled.push('query');
    });
    await Promise.all([documentsDone, queryDone]);
    expect(settled).toEqual(['query', 'documents']);
    // Twelve documents in runs of four, and the query's run.
    expect(batching.stats().batches - batchesBefore).toBe(4);
  });

  it('caps a run in tokens, padding included, and gives each text its own vector', async () => {
    const capped = await LocalEmbedder.load(modelDir, {
      batchSize: 32,
      runTokens: 64,
      oneTextPerRun: false,
    });
    try {
      const texts = [
        'conversation memory '.repeat(20), // about 40 tokens: a run of its own
        'short one',
        'another short one',
        'and a third',
      ];
      const together = await capped.embed(texts, 'document');
      // The long text alone (40 + 40 > 64), then the three short ones together (3 x 5 <= 64).
      expect(capped.stats().batches).toBe(2);
      for (const [index, text] of texts.entries()) {
        const [alone] = await embedder.embed([text], 'document');
        expect(cosine(alone, together[index])).toBeGreaterThan(0.99);
      }
    } finally {
      await capped.close();
    }
  });

  it('embeds queries with the model instruction and documents without', async () => {
    const text = 'quarterly budget';
    const [asQuery] = await embedder.embed([text], 'query');
    const [asDocument] = await embedder.embed([text], 'document');
    expect(cosine(asQuery, asDocument)).toBeLessThan(0.999);
    expect(embedder.tokenIds(text, 'query').length).toBeGreaterThan(
      embedder.tokenIds(text, 'document').length,
    );
  });

  it('cuts a query at what the model takes, a document at DEFAULT_DOCUMENT_TOKENS', async () => {
    const long = 'conversation memory '.repeat(600);
    expect(embedder.tokenIds(long, 'query')).toHaveLength(512);
    expect(embedder.tokenIds(long, 'document')).toHaveLength(DEFAULT_DOCUMENT_TOKENS);
    const [vector] = await embedder.embed([long], 'document');
    expect(norm(vector)).toBeCloseTo(1, 5);
  });

  it('cuts documents at documentTokens: what follows the cut changes nothing', async () => {
    const start = 'The landlord raised the rent. '.repeat(40);
    const zebras = start + 'Zebras crossed the river. '.repeat(60);
    const penguins = start + 'A penguin colony lives on the ice. '.repeat(60);
    const capped = await LocalEmbedder.load(modelDir, { batchSize: 4, documentTokens: 64 });
    const whole = await LocalEmbedder.load(modelDir, { batchSize: 4, documentTokens: 4096 });
    try {
      expect(capped.tokenIds(zebras, 'document')).toHaveLength(64);
      expect(capped.tokenIds(zebras, 'query')).toHaveLength(512);
      // More than the model's own limit is the limit.
      expect(whole.tokenIds(zebras, 'document')).toHaveLength(512);
      expect(whole.tokenIds(zebras, 'document').slice(0, 63)).toEqual(
        capped.tokenIds(zebras, 'document').slice(0, 63),
      );
      const [a, b] = await capped.embed([zebras, penguins], 'document');
      expect(cosine(a, b)).toBeGreaterThan(0.9999);
      const [wholeA, wholeB] = await whole.embed([zebras, penguins], 'document');
      expect(cosine(wholeA, wholeB)).toBeLessThan(0.99);
    } finally {
      await capped.close();
      await whole.close();
    }
  });

  it('runs the model off the event loop', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    const started = Date.now();
    await embedder.embed(
      ['conversation memory '.repeat(200)].concat(Array(3).fill('ok')),
      'document',
    );
    clearInterval(timer);
    // Blocked, the loop would not have ticked until the (single) batch was done.
    expect(ticks).toBeGreaterThanOrEqual(Math.min(3, Math.floor((Date.now() - started) / 20)));
    expect(ticks).toBeGreaterThan(0);
  });

  it('is refused by an index of another dimension', () => {
    expect(() => assertDimensions(embedder, 384, 'index memory-vectors')).not.toThrow();
    expect(() => assertDimensions(embedder, 768, 'index memory-vectors')).toThrow(
      `embeddings: local model ${DEFAULT_LOCAL_MODEL} makes 384-dimensional vectors, but index memory-vectors holds 768-dimensional ones`,
    );
  });

  it('counts what it embedded', () => {
    const stats = embedder.stats();
    expect(stats.texts).toBeGreaterThan(10);
    expect(stats.perSecond).toBeGreaterThan(0);
  });
});
