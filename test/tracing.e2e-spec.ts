import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { eventually } from './support/eventually';
import { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';
import { SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';

/*
 * One trace from the upstream producer to the index: the test produces a chat message inside a
 * span of its own (a real tracer, as an upstream service would have) and finds, among the
 * spans the services export by OTLP to a receiver inside the test, the ingest, summarizer and
 * indexer spans of that message in the same trace, each the child of the one before, with the
 * batch spans linked to it.
 */
/** Span kinds as OTLP numbers them (one more than the API's enum). */
const OTLP_KIND = { server: 2, client: 3 } as const;

describe('one trace from producer to search', () => {
  const harness = new SearchHarness();
  const receiver = new OtlpReceiver();
  let mcp: ServiceProcess;
  const upstream = new InMemorySpanExporter();
  let provider: BasicTracerProvider;

  beforeAll(async () => {
    await receiver.start();
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    await harness.setUp();
    await harness.start(otel);
    // Every message is a trigger point: the message's own trace goes through its fold.
    await harness.startSummarizer({ ...otel, SUMMARY_EVERY_MESSAGES: '1' });
    await harness.startSearch(otel);
    mcp = new ServiceProcess('mcp', { ...otel, MCP_KEY_CACHE_MS: '0' });
    mcp.start();
    await mcp.waitReady(120_000);
    provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(upstream)] });
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }, 240_000);

  afterAll(async () => {
    await provider?.shutdown();
    propagation.disable();
    await mcp?.stop();
    await harness.tearDown();
    await receiver.stop();
  });

  it('spans the producer, ingest, the summarizer and the indexer for one message', async () => {
    const tracer = provider.getTracer('e2e-upstream');
    const producer = tracer.startSpan('chat.messages.v1 send', { kind: SpanKind.PRODUCER });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), producer), headers);
    await harness.produce([
      {
        ...harness.record(
          harness.message(
            'traced',
            'traced-m1',
            'Ana booked the Elm Park meeting room for Friday.',
            {
              createdAt: new Date().toISOString(),
            },
          ),
        ),
        headers,
      },
    ]);
    producer.end();
    const traceId = producer.spanContext().traceId;
    const send = { spanId: producer.spanContext().spanId };
    expect(upstream.getFinishedSpans().map((span) => span.spanContext().traceId)).toEqual([
      traceId,
    ]);

    const inTrace = (name: string): ReceivedSpan | undefined =>
      receiver.spans.find((span) => span.traceId === traceId && span.name === name);
    const names = ['ingest message', 'summarizer fold', 'summarizer backend', 'search index'];
    await eventually(
      () => Promise.resolve(names.every((name) => inTrace(name)) ? true : undefined),
      90_000,
    ).catch((error: unknown) => {
      const seen = receiver.spans.filter((span) => span.traceId === traceId).map((s) => s.name);
      throw new Error(`spans of the trace: ${JSON.stringify(seen)}`, { cause: error });
    });

    const [ingest, fold, backend, index] = names.map((name) => inTrace(name)!);
    expect(ingest).toMatchObject({ service: 'memory-ingest', parentSpanId: send.spanId });
    expect(fold).toMatchObject({ service: 'memory-summarizer', parentSpanId: ingest.spanId });
    expect(backend).toMatchObject({ service: 'memory-summarizer', parentSpanId: fold.spanId });
    expect(backend.attributes['memory.summary.backend']).toBe('local');
    expect(index).toMatchObject({ service: 'memory-search', parentSpanId: fold.spanId });
    expect(ingest.attributes).toMatchObject({
      'memory.conversation_id': 'traced',
      'memory.seq': 1,
    });

    // Each service's batch span is its own trace, linked to the record it carried.
    for (const [service, topic, linked] of [
      ['memory-ingest', 'chat.messages.v1', send],
      ['memory-summarizer', 'memory.messages.v1', ingest],
      ['memory-search', 'memory.summaries.v1', fold],
    ] as const) {
      const batch = receiver.spans.find(
        (span) =>
          span.service === service &&
          span.name === `${topic} process` &&
          span.links.some((link) => link.spanId === linked.spanId),
      );
      expect({ service, traceId: batch?.traceId === traceId }).toEqual({ service, traceId: false });
    }
    // No message content in span attributes.
    const traced = receiver.spans.filter((span) => span.traceId === traceId);
    expect(JSON.stringify(traced.map((span) => span.attributes))).not.toContain('Elm Park');
  }, 150_000);

  it("continues an agent's trace through an MCP tool call into the search service", async () => {
    const tracer = provider.getTracer('e2e-agent');
    const agent = tracer.startSpan('agent turn', { kind: SpanKind.CLIENT });
    const headers: Record<string, string> = {
      authorization: `Bearer ${harness.createKey(harness.tenantId, 'search')}`,
    };
    propagation.inject(trace.setSpan(context.active(), agent), headers);
    const client = new Client({ name: 'e2e-traced-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${mcp.baseUrl}/mcp`), {
        requestInit: { headers },
      }),
    );
    try {
      const result = (await client.callTool({
        name: 'search_memory',
        arguments: { query: 'meeting room' },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    agent.end();
    const traceId = agent.spanContext().traceId;
    const inTrace = (service: string, name: string): ReceivedSpan | undefined =>
      receiver.spans.find(
        (span) => span.traceId === traceId && span.service === service && span.name === name,
      );
    const wanted = [
      ['memory-mcp', 'mcp tool search_memory'],
      ['memory-mcp', 'POST /v1/search'],
    ] as const;
    const served = (): ReceivedSpan | undefined =>
      receiver.spans.find(
        (span) =>
          span.traceId === traceId &&
          span.service === 'memory-search' &&
          span.name === 'POST /v1/search' &&
          span.kind === OTLP_KIND.server,
      );
    await eventually(
      () =>
        Promise.resolve(
          wanted.every(([service, name]) => inTrace(service, name)) && served() ? true : undefined,
        ),
      30_000,
    ).catch((error: unknown) => {
      const seen = receiver.spans
        .filter((span) => span.traceId === traceId)
        .map((span) => `${span.service}: ${span.name}`);
      throw new Error(`spans of the trace: ${JSON.stringify(seen)}`, { cause: error });
    });
    const tool = inTrace('memory-mcp', 'mcp tool search_memory')!;
    const call = inTrace('memory-mcp', 'POST /v1/search')!;
    expect(call.parentSpanId).toBe(tool.spanId);
    expect(call.kind).toBe(OTLP_KIND.client);
    expect(served()?.parentSpanId).toBe(call.spanId);
    expect(tool.attributes['mcp.tool']).toBe('search_memory');
    // The MCP server's own request spans continue the agent's trace.
    const posts = receiver.spans.filter(
      (span) =>
        span.traceId === traceId && span.service === 'memory-mcp' && span.name === 'POST /mcp',
    );
    expect(posts.map((span) => span.parentSpanId)).toContain(agent.spanContext().spanId);
  }, 90_000);
});
