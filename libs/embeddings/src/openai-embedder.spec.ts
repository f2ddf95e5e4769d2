import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { OpenAiEmbedder, OpenAiEmbedderOptions } from './openai-embedder';

interface EmbeddingRequest {
  model: string;
  input: string[];
  encoding_format?: string;
}

/** An /embeddings endpoint answering from a script: one handler per call, the last repeating. */
class FakeEmbeddingsServer {
  readonly requests: EmbeddingRequest[] = [];
  private server!: Server;
  private script: ((request: EmbeddingRequest, response: ServerResponse) => void)[] = [];

  async start(): Promise<string> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const parsed = JSON.parse(body) as EmbeddingRequest;
        this.requests.push(parsed);
        const handler = this.script.length > 1 ? this.script.shift()! : this.script[0];
        handler(parsed, response);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  answer(...handlers: ((request: EmbeddingRequest, response: ServerResponse) => void)[]): void {
    this.script = handlers;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Vector i is 2 in dimension i, 0 elsewhere; listed in reverse (the client must sort by index). */
const vectors =
  (dimensions: number) =>
  (request: EmbeddingRequest, response: ServerResponse): void => {
    const data = request.input.map((_, index) => ({
      object: 'embedding',
      index,
      embedding: Array.from({ length: dimensions }, (_, d) => (d === index ? 2 : 0)),
    }));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ object: 'list', data: data.reverse(), model: request.model }));
  };

const status =
  (code: number, headers: Record<string, string> = {}) =>
  (_: EmbeddingRequest, response: ServerResponse): void => {
    response.writeHead(code, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify({ error: { message: `status ${code}` } }));
  };

describe('OpenAiEmbedder', () => {
  const server = new FakeEmbeddingsServer();
  let baseUrl: string;
  const sleeps: number[] = [];

  beforeAll(async () => {
    baseUrl = await server.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  beforeEach(() => {
    server.requests.length = 0;
    sleeps.length = 0;
  });

  function embedder(options: Partial<OpenAiEmbedderOptions> = {}): OpenAiEmbedder {
    return new OpenAiEmbedder({
      baseUrl,
      model: 'text-embedding-3-small',
      dimensions: 4,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      ...options,
    });
  }

  it('embeds in batches, in order, as unit vectors', async () => {
    server.answer(vectors(4));
    const result = await embedder({ batchSize: 2 }).embed(['a', 'b', 'c'], 'document');
    expect(result).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [1, 0, 0, 0],
    ]);
    expect(server.requests.map((request) => request.input)).toEqual([['a', 'b'], ['c']]);
    expect(server.requests[0]).toMatchObject({
      model: 'text-embedding-3-small',
      encoding_format: 'float',
    });
  });

  it('retries rate limits and server errors with backoff, honouring retry-after', async () => {
    server.answer(status(429, { 'retry-after': '2' }), status(503), vectors(4));
    const retries: string[] = [];
    const result = await embedder({ onRetry: (detail) => retries.push(detail) }).embed(
      ['a'],
      'query',
    );
    expect(result).toHaveLength(1);
    expect(server.requests).toHaveLength(3);
    expect(retries).toEqual([
      expect.stringMatching(/^HTTP 429/),
      expect.stringMatching(/^HTTP 503/),
    ]);
    expect(sleeps[0]).toBe(2000);
    expect(sleeps[1]).toBeLessThanOrEqual(1000);
  });

  it('gives up after the retries', async () => {
    server.answer(status(500));
    await expect(embedder({ maxRetries: 2 }).embed(['a'], 'document')).rejects.toThrow(/500/);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a refused request', async () => {
    server.answer(status(401));
    await expect(embedder().embed(['a'], 'document')).rejects.toThrow(/401/);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses vectors of another dimension than configured, saying which', async () => {
    server.answer(vectors(8));
    await expect(embedder().embed(['a'], 'document')).rejects.toThrow(
      'embeddings: text-embedding-3-small returns 8-dimensional vectors, but 4 are configured (EMBEDDING_DIMENSIONS)',
    );
  });
});
