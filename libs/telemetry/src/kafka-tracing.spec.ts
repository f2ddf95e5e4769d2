import { context, propagation, Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  inBatchSpan,
  inRecordSpan,
  inSpan,
  MAX_BATCH_LINKS,
  setRecordSpans,
  startRecordSpan,
  traceHeaders,
  wantsRecordSpan,
} from './kafka-tracing';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

const producerSpan = (): Span => trace.getTracer('test').startSpan('producer send');
const finished = (name: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((span) => span.name === name);
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('tracing across Kafka', () => {
  it('links a batch span to its records and continues each record trace in a record span', async () => {
    const producer = producerSpan();
    producer.end();
    const headers = traceHeaders(producer);
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    await inBatchSpan(
      'topic process',
      { 'messaging.system': 'kafka' },
      [headers, headers, undefined],
      async (batch) => {
        startRecordSpan('record', headers, {}, { batch }).end();
        startRecordSpan('record without context', undefined, {}, { batch }).end();
        return Promise.resolve();
      },
    );

    const [batch] = finished('topic process');
    expect(batch.links.map((link) => link.context.spanId)).toEqual([producer.spanContext().spanId]);
    expect(batch.spanContext().traceId).not.toBe(producer.spanContext().traceId);
    expect(batch.attributes['messaging.batch.message_count']).toBe(3);

    const [record] = finished('record');
    expect(record.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(parentOf(record)).toBe(producer.spanContext().spanId);
    expect(record.links.map((link) => link.context.spanId)).toEqual([batch.spanContext().spanId]);

    const [orphan] = finished('record without context');
    expect(orphan.spanContext().traceId).toBe(batch.spanContext().traceId);
    expect(parentOf(orphan)).toBe(batch.spanContext().spanId);
  });

  it('keeps one trace over hops: a record span’s headers continue it on the next topic', async () => {
    const producer = producerSpan();
    producer.end();
    let next: Record<string, string> = {};
    await inBatchSpan('first hop', {}, [traceHeaders(producer)], async (batch) => {
      const span = startRecordSpan('ingest message', traceHeaders(producer), {}, { batch });
      next = traceHeaders(span);
      span.end();
      return Promise.resolve();
    });
    await inBatchSpan('second hop', {}, [next], async (batch) =>
      inRecordSpan('summarizer fold', next, {}, { batch }, () =>
        inSpan('summarizer backend', {}, () => Promise.resolve()),
      ),
    );
    const traceId = producer.spanContext().traceId;
    for (const name of ['ingest message', 'summarizer fold', 'summarizer backend'])
      expect(finished(name)[0]?.spanContext().traceId).toBe(traceId);
    expect(parentOf(finished('summarizer backend')[0])).toBe(
      finished('summarizer fold')[0].spanContext().spanId,
    );
    expect(parentOf(finished('summarizer fold')[0])).toBe(
      finished('ingest message')[0].spanContext().spanId,
    );
  });

  it('marks a failed batch as an error and rethrows', async () => {
    await expect(
      inBatchSpan('failing', {}, [], () => Promise.reject(new Error('database down'))),
    ).rejects.toThrow('database down');
    const [span] = finished('failing');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'database down' });
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('wants a record span only for a sampled record while spans are exported', () => {
    const producer = producerSpan();
    producer.end();
    const sampled = traceHeaders(producer);
    const unsampled = { traceparent: sampled.traceparent.replace(/-01$/, '-00') };
    expect(wantsRecordSpan(sampled)).toBe(true);
    expect(wantsRecordSpan(unsampled)).toBe(false);
    expect(wantsRecordSpan(undefined)).toBe(false);
    expect(wantsRecordSpan({ traceparent: 'garbage' })).toBe(false);
    setRecordSpans(false);
    try {
      expect(wantsRecordSpan(sampled)).toBe(false);
    } finally {
      setRecordSpans(true);
    }
  });

  it('caps the links of a large batch and counts the rest', async () => {
    const records = Array.from({ length: MAX_BATCH_LINKS + 5 }, () => {
      const span = producerSpan();
      span.end();
      return traceHeaders(span);
    });
    await inBatchSpan('large', {}, records, () => Promise.resolve());
    const [span] = finished('large');
    expect(span.links).toHaveLength(MAX_BATCH_LINKS);
    expect(span.attributes['memory.links_dropped']).toBe(5);
  });
});
