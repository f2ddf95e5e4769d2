import { join, resolve } from 'node:path';
import { ConfigError, EnvReader } from '@memory/config';
import { readEmbeddingSettings } from './embedding.settings';

const root = resolve(__dirname, '../../..');

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  const settings = readEmbeddingSettings(reader);
  reader.assertValid();
  return settings;
}

describe('readEmbeddingSettings', () => {
  it('defaults to the local model the stack provisions', () => {
    expect(read({})).toEqual({
      backend: 'local',
      batchSize: 32,
      local: {
        modelDir: join(root, '.stack', 'models', 'bge-small-en-v1.5-q'),
        threads: 1,
        runTokens: 1024,
        documentTokens: 256,
      },
    });
  });

  it('follows STACK_DIR, and EMBEDDING_MODEL_DIR over it', () => {
    expect(read({ STACK_DIR: '/srv/stack' }).local?.modelDir).toBe(
      '/srv/stack/models/bge-small-en-v1.5-q',
    );
    expect(
      read({ STACK_DIR: '/srv/stack', EMBEDDING_MODEL_DIR: '/models/minilm' }).local?.modelDir,
    ).toBe('/models/minilm');
  });

  it('takes EMBEDDING_MODEL from the models the stack can fetch, and names a wrong one', () => {
    expect(read({ EMBEDDING_MODEL: 'bge-small-en-v1.5-q' }).local?.modelDir).toBe(
      join(root, '.stack', 'models', 'bge-small-en-v1.5-q'),
    );
    const reader = new EnvReader({ EMBEDDING_MODEL: 'bge-large' });
    readEmbeddingSettings(reader);
    expect(() => reader.assertValid()).toThrow(
      /EMBEDDING_MODEL: expected one of bge-small-en-v1.5, /,
    );
  });

  it('reads the OpenAI-compatible endpoint with the names the summarizer uses', () => {
    expect(
      read({
        EMBEDDING_BACKEND: 'openai',
        EMBEDDING_BATCH_SIZE: '100',
        OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
        OPENAI_API_KEY: 'sk-test',
        OPENAI_EMBEDDING_MODEL: 'nomic-embed-text',
        EMBEDDING_DIMENSIONS: '768',
      }),
    ).toEqual({
      backend: 'openai',
      batchSize: 100,
      openai: {
        baseUrl: 'http://127.0.0.1:11434/v1',
        apiKey: 'sk-test',
        model: 'nomic-embed-text',
        dimensions: 768,
        timeoutMs: 30_000,
        maxRetries: 4,
      },
    });
  });

  it('reports every bad variable at once', () => {
    const problems = (env: Record<string, string>) => {
      const reader = new EnvReader(env);
      readEmbeddingSettings(reader);
      try {
        reader.assertValid();
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((problem) => problem.variable);
      }
    };
    expect(
      problems({
        EMBEDDING_BACKEND: 'onnx',
        EMBEDDING_BATCH_SIZE: '0',
        EMBEDDING_THREADS: 'many',
        EMBEDDING_RUN_TOKENS: '10',
        EMBEDDING_DOCUMENT_TOKENS: '4',
      }),
    ).toEqual([
      'EMBEDDING_BACKEND',
      'EMBEDDING_BATCH_SIZE',
      'EMBEDDING_THREADS',
      'EMBEDDING_RUN_TOKENS',
      'EMBEDDING_DOCUMENT_TOKENS',
    ]);
    expect(
      problems({
        EMBEDDING_BACKEND: 'openai',
        EMBEDDING_DIMENSIONS: '-3',
        OPENAI_BASE_URL: 'nope',
      }),
    ).toEqual(['OPENAI_BASE_URL', 'EMBEDDING_DIMENSIONS']);
  });
});
