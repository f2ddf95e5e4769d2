import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { chatMessageRecord } from './kafka';
import { MemoryApiError, MemoryNetworkError, retryAfterSeconds } from './errors';
import { MemoryClient } from './memory-client';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A plain HTTP server answering as the test says, recording every request. */
async function server(handler: Handler): Promise<{
  url: string;
  requests: { method: string; url: string; body: string; auth: string }[];
  close: () => Promise<void>;
}> {
  const requests: { method: string; url: string; body: string; auth: string }[] = [];
  const http: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        body,
        auth: request.headers.authorization ?? '',
      });
      handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

function json(response: ServerResponse, status: number, body: unknown, headers = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

const message = (n: number) => ({
  messageId: `m-${n}`,
  conversationId: 'conv-1',
  userId: 'user-1',
  role: 'user' as const,
  content: `message ${n}`,
  createdAt: '2026-05-01T10:00:00Z',
});

describe('MemoryClient', () => {
  it('sends the key, the body and the path, and reads the answer', async () => {
    const fake = await server((_request, _body, response) =>
      json(response, 200, { mode: 'hybrid', results: [] }),
    );
    try {
      const client = new MemoryClient({ apiKey: 'mk_test', baseUrl: fake.url });
      await expect(client.search({ query: 'car', k: 3 })).resolves.toEqual({
        mode: 'hybrid',
        results: [],
      });
      await client.summary('conv/1 x', { view: 'full' });
      expect(fake.requests[0]).toMatchObject({
        method: 'POST',
        url: '/v1/search',
        auth: 'Bearer mk_test',
      });
      expect(JSON.parse(fake.requests[0].body)).toEqual({ query: 'car', k: 3 });
      expect(fake.requests[1].url).toBe('/v1/conversations/conv%2F1%20x/summary?view=full');
    } finally {
      await fake.close();
    }
  });

  it('throws a typed error with the field errors of a 400, without retrying it', async () => {
    const fake = await server((_request, _body, response) =>
      json(response, 400, {
        statusCode: 400,
        code: 'TOO_BIG',
        message: 'invalid search request',
        errors: [{ field: 'k', code: 'TOO_BIG', message: 'must be at most 100' }],
      }),
    );
    try {
      const client = new MemoryClient({ apiKey: 'mk_test', baseUrl: fake.url });
      const error = await client.search({ query: 'x', k: 1000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MemoryApiError);
      const apiError = error as MemoryApiError;
      expect(apiError.status).toBe(400);
      expect(apiError.code).toBe('TOO_BIG');
      expect(apiError.fieldErrors('k')).toEqual([
        { field: 'k', code: 'TOO_BIG', message: 'must be at most 100' },
      ]);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('retries a 429 after its Retry-After and a 503 with backoff, then succeeds', async () => {
    let calls = 0;
    const fake = await server((_request, _body, response) => {
      calls += 1;
      if (calls === 1)
        return json(
          response,
          429,
          { code: 'RATE_LIMITED', message: 'slow' },
          { 'retry-after': '1' },
        );
      if (calls === 2) return json(response, 503, { code: 'UNAVAILABLE', message: 'down' });
      json(response, 200, { budget: 100, tokens: 0, items: [], text: '' });
    });
    try {
      const client = new MemoryClient({ apiKey: 'mk_test', baseUrl: fake.url, backoffMs: 10 });
      const started = Date.now();
      await expect(client.context({ query: 'q' })).resolves.toMatchObject({ budget: 100 });
      expect(calls).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    } finally {
      await fake.close();
    }
  });

  it('gives up after its retries, and at once on a Retry-After over the limit', async () => {
    const fake = await server((_request, _body, response) =>
      json(response, 503, { code: 'UNAVAILABLE', message: 'down' }, { 'retry-after': '120' }),
    );
    try {
      const client = new MemoryClient({ apiKey: 'mk_test', baseUrl: fake.url });
      await expect(client.profile('user-1')).rejects.toMatchObject({
        status: 503,
        code: 'UNAVAILABLE',
        retryAfterSeconds: 120,
      });
      expect(fake.requests).toHaveLength(1);
      const patient = new MemoryClient({
        apiKey: 'mk_test',
        baseUrl: fake.url,
        retries: 2,
        maxRetryAfterSeconds: 0,
        backoffMs: 1,
      });
      fake.requests.length = 0;
      await expect(patient.profile('user-1')).rejects.toBeInstanceOf(MemoryApiError);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('times out an attempt, and stops at once when the caller aborts', async () => {
    const fake = await server(() => undefined); // never answers
    try {
      const client = new MemoryClient({
        apiKey: 'mk_test',
        baseUrl: fake.url,
        timeoutMs: 100,
        retries: 1,
        backoffMs: 1,
      });
      const timedOut = await client.search({ query: 'q' }).catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(MemoryNetworkError);
      expect((timedOut as Error).message).toMatch(/no answer within 100 ms/);
      expect(fake.requests).toHaveLength(2);

      const controller = new AbortController();
      const patient = new MemoryClient({ apiKey: 'mk_test', baseUrl: fake.url });
      const call = patient.search({ query: 'q' }, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user left')), 50);
      await expect(call).rejects.toThrow('user left');
    } finally {
      await fake.close();
    }
  });

  it('retries a refused connection and reports it as a network error', async () => {
    const fake = await server(() => undefined);
    await fake.close();
    const client = new MemoryClient({ apiKey: 'mk_test', baseUrl: fake.url, backoffMs: 1 });
    await expect(client.messages('conv-1')).rejects.toBeInstanceOf(MemoryNetworkError);
  });

  it('sends messages in batches and adds up what was accepted', async () => {
    const fake = await server((_request, body, response) => {
      const { messages } = JSON.parse(body) as { messages: { messageId: string }[] };
      json(response, 202, {
        accepted: messages.length,
        messageIds: messages.map((m) => m.messageId),
      });
    });
    try {
      const client = new MemoryClient({ apiKey: 'mk_test', baseUrl: fake.url });
      const all = Array.from({ length: 450 }, (_, n) => message(n));
      const result = await client.ingest(all);
      expect(result.accepted).toBe(450);
      expect(result.messageIds).toEqual(all.map((m) => m.messageId));
      expect(
        fake.requests.map((r) => (JSON.parse(r.body) as { messages: [] }).messages.length),
      ).toEqual([200, 200, 50]);
      expect(JSON.parse(fake.requests[0].body).messages[0].schema).toBe('chat.message.v1');

      // Long messages: batches stay under the body limit.
      fake.requests.length = 0;
      const long = Array.from({ length: 40 }, (_, n) => ({
        ...message(n),
        content: 'x'.repeat(60_000),
      }));
      expect((await client.ingest(long)).accepted).toBe(40);
      expect(fake.requests.length).toBeGreaterThan(1);
      for (const request of fake.requests)
        expect(Buffer.byteLength(request.body)).toBeLessThan(1024 * 1024);
    } finally {
      await fake.close();
    }
  });

  it('pages through search results and messages', async () => {
    const fake = await server((request, _body, response) => {
      if (request.url === '/v1/search') {
        return json(response, 200, {
          mode: 'hybrid',
          results: [{ conversationId: 'a' }, { conversationId: 'b' }],
          nextCursor: 'next',
        });
      }
      const after = Number(new URL(request.url ?? '', 'http://x').searchParams.get('afterSeq'));
      json(response, 200, {
        conversationId: 'c',
        items: [{ seq: after + 1 }],
        nextAfterSeq: after + 1 < 3 ? after + 1 : null,
        archive: null,
      });
    });
    try {
      const client = new MemoryClient({ apiKey: 'mk_test', baseUrl: fake.url });
      const found: string[] = [];
      for await (const result of client.searchAll({ query: 'q' }, { limit: 5 }))
        found.push(result.conversationId);
      expect(found).toEqual(['a', 'b', 'a', 'b', 'a']);
      const seqs: number[] = [];
      for await (const item of client.allMessages('c')) seqs.push(item.seq);
      expect(seqs).toEqual([1, 2, 3]);
    } finally {
      await fake.close();
    }
  });

  it('refuses a missing key and a URL that is no URL', () => {
    expect(() => new MemoryClient({ apiKey: '' })).toThrow(/apiKey is required/);
    expect(() => new MemoryClient({ apiKey: 'k', urls: { search: 'nope' } })).toThrow(
      /search URL is not a URL/,
    );
  });
});

describe('chatMessageRecord', () => {
  it('keys the record by tenant and conversation and puts the tenant in the value', () => {
    const record = chatMessageRecord('acme', message(1), { traceparent: 'tp' });
    expect(record.key).toBe('acme:conv-1');
    expect(JSON.parse(record.value)).toMatchObject({
      schema: 'chat.message.v1',
      tenantId: 'acme',
      messageId: 'm-1',
    });
    expect(record.headers).toEqual({ traceparent: 'tp' });
  });

  it('refuses a tenant the key cannot carry, or a message of another tenant', () => {
    expect(() => chatMessageRecord('a:b', message(1))).toThrow(/tenantId/);
    expect(() => chatMessageRecord('acme', { ...message(1), tenantId: 'other' })).toThrow(
      /is not "acme"/,
    );
  });
});

describe('retryAfterSeconds', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterSeconds('3')).toBe(3);
    expect(retryAfterSeconds(null)).toBeUndefined();
    expect(retryAfterSeconds('Thu, 01 Jan 1970 00:00:10 GMT', 0)).toBe(10);
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });
});
