import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalEmbedder } from './local-embedder';

// Hermetic: a manifest and a tokenizer the test writes or ships, never the downloaded model
// (the real model's behaviour is checked in test/local-embedder.e2e-spec.ts).
const fixtureTokenizer = resolve(__dirname, '../fixtures/wordpiece/tokenizer.json');
const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

function writeManifest(dir: string, onnxSha: string): void {
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      id: 'fixture-model',
      dimensions: 4,
      pooling: 'cls',
      normalize: true,
      maxTokens: 16,
      queryPrefix: '',
      documentPrefix: '',
      onnx: { file: 'model.onnx', sha256: onnxSha },
      tokenizer: { file: 'tokenizer.json', sha256: sha256(readFileSync(fixtureTokenizer)) },
    }),
  );
}

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
      `embeddings: no model at ${missing} (manifest.json is missing); run \`npm run stack:up\` (with the same EMBEDDING_MODEL) or \`node deploy/stack/models.mjs <model>\``,
    );
  });

  it('is refused when its ONNX file is missing or damaged', async () => {
    writeManifest(scratch, sha256('the model this manifest describes'));
    copyFileSync(fixtureTokenizer, join(scratch, 'tokenizer.json'));
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
