import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { assertDimensions } from './embedding-backend';
import { LocalEmbedder } from './local-embedder';
import { DEFAULT_LOCAL_MODEL, defaultModelDir, readManifest } from './model-manifest';
import { WordPieceTokenizer } from './wordpiece-tokenizer';

const root = resolve(__dirname, '../../..');
const modelDir = defaultModelDir();

function cosine(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, value, index) => sum + value * b[index], 0);
}

function norm(vector: readonly number[]): number {
  return Math.sqrt(cosine(vector, vector));
}

// The real model, provisioned (or found cached in .stack/models) by the stack's own script.
beforeAll(async () => {
  await promisify(execFile)(process.execPath, ['deploy/stack/models.mjs', DEFAULT_LOCAL_MODEL], {
    cwd: root,
    env: { ...process.env, STACK_DIR: join(root, '.stack') },
    timeout: 600_000,
  });
}, 660_000);

describe('the default model', () => {
  let embedder: LocalEmbedder;

  beforeAll(async () => {
    embedder = await LocalEmbedder.load(modelDir, { batchSize: 4 });
  });

  afterAll(async () => {
    await embedder.close();
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

  it('gives a text the same vector alone as in a batch of texts of other lengths', async () => {
    const texts = [
      'Can you move the meeting with the Berlin team to Thursday afternoon?',
      'ok',
      'The invoice for order 4,500 euros has not arrived yet, please check the billing address.',
      'Deploy failed because the database backup job locked the tables.',
      'thanks!',
      'Where did we book the hotel for the conference in Tokyo next month?',
    ];
    const batched = await embedder.embed(texts, 'document');
    for (const [index, text] of texts.entries()) {
      const [alone] = await embedder.embed([text], 'document');
      const largest = Math.max(...alone.map((value, i) => Math.abs(value - batched[index][i])));
      expect(largest).toBeLessThan(1e-5);
    }
  });

  it('runs concurrent calls of one kind together, each getting its own vectors', async () => {
    const queries = ['dentist appointment', 'rent increase', 'tomato plants', 'flight to Oslo'];
    const alone: number[][] = [];
    for (const query of queries) alone.push((await embedder.embed([query], 'query'))[0]);
    const batchesBefore = embedder.stats().batches;
    const together = await Promise.all([
      ...queries.map((query) => embedder.embed([query], 'query')),
      embedder.embed(['a document waits for its own run'], 'document'),
    ]);
    // Four queries fit one run of batchSize 4; the document goes in a run of its own.
    expect(embedder.stats().batches - batchesBefore).toBe(2);
    for (const [index, [vector]] of together.slice(0, 4).entries()) {
      const largest = Math.max(...vector.map((value, i) => Math.abs(value - alone[index][i])));
      expect(largest).toBeLessThan(1e-5);
    }
    expect(together[4]).toHaveLength(1);
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

  it('cuts texts longer than the model takes', async () => {
    const long = 'conversation memory '.repeat(600);
    expect(embedder.tokenIds(long, 'document')).toHaveLength(512);
    const [vector] = await embedder.embed([long], 'document');
    expect(norm(vector)).toBeCloseTo(1, 5);
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

describe("the tokenizer, with the model's vocabulary", () => {
  let tokenizer: WordPieceTokenizer;

  beforeAll(() => {
    const manifest = readManifest(modelDir);
    const json: unknown = JSON.parse(readFileSync(join(modelDir, manifest.tokenizer.file), 'utf8'));
    tokenizer = WordPieceTokenizer.fromJson(json);
  });

  // The ids Hugging Face's tokenizer (@huggingface/tokenizers 0.2.0) gives for this vocabulary.
  it.each([
    ['How do I reset my password?', [101, 2129, 2079, 1045, 25141, 2026, 20786, 1029, 102]],
    ['I forgot my login credentials', [101, 1045, 9471, 2026, 8833, 2378, 22496, 102]],
    ['The weather is sunny', [101, 1996, 4633, 2003, 11559, 102]],
    ['Héllo, Wörld! naïve café résumé', [101, 7592, 1010, 2088, 999, 15743, 7668, 13746, 102]],
    ['unaffable', [101, 14477, 20961, 3468, 102]],
  ])('encodes %j', (text, ids) => {
    expect(tokenizer.encode(text, 512)).toEqual(ids);
  });

  it('splits words it knows only in pieces', () => {
    expect(tokenizer.tokenize('I forgot my login')).toEqual(['i', 'forgot', 'my', 'log', '##in']);
    expect(tokenizer.tokenize("it's 3:45pm")).toEqual(['it', "'", 's', '3', ':', '45', '##pm']);
  });
});

describe('a model that is not there', () => {
  let scratch: string;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'embeddings-'));
  });

  afterEach(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('is refused with the missing file and the command that fetches it', async () => {
    const missing = join(scratch, 'no-such-model');
    await expect(LocalEmbedder.load(missing)).rejects.toThrow(
      `embeddings: no model at ${missing} (manifest.json is missing); run \`npm run stack:up\` or \`node deploy/stack/models.mjs\``,
    );
  });

  it('is refused when its ONNX file is missing or damaged', async () => {
    copyFileSync(join(modelDir, 'manifest.json'), join(scratch, 'manifest.json'));
    copyFileSync(join(modelDir, 'tokenizer.json'), join(scratch, 'tokenizer.json'));
    await expect(LocalEmbedder.load(scratch)).rejects.toThrow(
      `model file ${join(scratch, 'model.onnx')} is missing; run \`npm run stack:up\``,
    );
    writeFileSync(join(scratch, 'model.onnx'), 'not a model');
    await expect(LocalEmbedder.load(scratch)).rejects.toThrow(/model\.onnx is damaged \(sha256/);
  });

  it('is refused when the manifest is not one', async () => {
    writeFileSync(join(scratch, 'manifest.json'), JSON.stringify({ id: 'x', dimensions: -1 }));
    await expect(LocalEmbedder.load(scratch)).rejects.toThrow(
      /is not a model manifest \(dimensions/,
    );
  });
});
