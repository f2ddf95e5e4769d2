import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { tracedFetch } from './traced-fetch';

describe(tracedFetch.name, () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const manager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    manager.enable();
    context.setGlobalContextManager(manager);
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  afterEach(() => exporter.reset());

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  const answering = (status: number) => {
    const seen: Headers[] = [];
    const inner = jest.fn((_input: unknown, init?: RequestInit) => {
      seen.push(new Headers(init?.headers));
      return Promise.resolve(new Response('{}', { status }));
    });
    return { inner: inner as unknown as typeof fetch, seen };
  };

  it('sends its span as traceparent, a child of the active span', async () => {
    const { inner, seen } = answering(200);
    const parent = provider.getTracer('test').startSpan('mcp tool search_memory');
    const response = await context.with(trace.setSpan(context.active(), parent), () =>
      tracedFetch(inner)('http://127.0.0.1:3003/v1/search', {
        method: 'post',
        headers: { authorization: 'Bearer k' },
        body: '{}',
      }),
    );
    parent.end();
    expect(response.status).toBe(200);
    const [client] = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(client.name).toBe('POST /v1/search');
    expect(client.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(client.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'server.port': 3003,
    });
    const { traceId, spanId } = client.spanContext();
    expect(seen[0].get('traceparent')).toBe(`00-${traceId}-${spanId}-01`);
    expect(seen[0].get('authorization')).toBe('Bearer k');
  });

  it('keeps a user id out of the span name', async () => {
    const { inner } = answering(200);
    await tracedFetch(inner)(new URL('http://svc/v1/users/alice%40example.com/profile'));
    expect(exporter.getFinishedSpans()[0].name).toBe('GET /v1/users/:userId/profile');
  });

  it('marks a 5xx and a network failure as failed, and gives them to the caller', async () => {
    const { inner } = answering(503);
    expect((await tracedFetch(inner)('http://svc/v1/context')).status).toBe(503);
    const down = jest.fn(() => Promise.reject(new TypeError('fetch failed')));
    await expect(
      tracedFetch(down as unknown as typeof fetch)('http://svc/v1/search'),
    ).rejects.toThrow('fetch failed');
    expect(exporter.getFinishedSpans().map((span) => span.status.code)).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
    ]);
  });
});
