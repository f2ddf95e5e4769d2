import {
  Attributes,
  context,
  Context,
  Link,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  TextMapGetter,
  TimeInput,
  trace,
  TraceFlags,
} from '@opentelemetry/api';

/** Kafka record headers as kafkajs gives them. */
export type RecordHeaders =
  Record<string, Buffer | string | Array<Buffer | string> | undefined> | undefined;

/** The most links a batch span carries; more would bloat every exported batch span. */
export const MAX_BATCH_LINKS = 128;

const tracer = trace.getTracer('memory');

const headerGetter: TextMapGetter<NonNullable<RecordHeaders>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** The trace context a record was produced in (W3C `traceparent`/`tracestate` headers). */
export function contextOfRecord(headers: RecordHeaders): Context {
  if (!headers) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** `traceparent` (and `tracestate`) headers that continue `span`'s trace in a record. */
export function traceHeaders(span: Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier;
}

/** W3C trace context headers carried on from a consumed record, with their size limits. */
const CARRIED_HEADERS: ReadonlyArray<{ name: string; maxBytes: number; pattern?: RegExp }> = [
  {
    name: 'traceparent',
    maxBytes: 55,
    pattern: /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/,
  },
  // The W3C limit for tracestate is 32 members; 512 bytes is what propagators must keep.
  { name: 'tracestate', maxBytes: 512 },
];

/**
 * The headers of a consumed record worth carrying on to the records it causes: only its trace
 * context, each header within its W3C size (a well-formed `traceparent` is 55 bytes). Anything
 * else a producer attached, of whatever size, stays behind, so a record with megabytes of
 * headers cannot make what follows it too large for the broker.
 */
export function carriedHeaders(headers: RecordHeaders): Record<string, string> | undefined {
  if (!headers) return undefined;
  let carried: Record<string, string> | undefined;
  for (const { name, maxBytes, pattern } of CARRIED_HEADERS) {
    const value = headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined || first.length > maxBytes) continue;
    const text = first.toString();
    if (pattern && !pattern.test(text)) continue;
    (carried ??= {})[name] = text;
  }
  return carried;
}

let recordSpansOn = true;

/**
 * Whether per-record spans are worth making: off when no span is exported (the record's own
 * trace context is then carried on as it came, which costs nothing). `startTelemetry` sets it.
 */
export function setRecordSpans(on: boolean): void {
  recordSpansOn = on;
}

/**
 * True when a record's processing should get a span of its own: spans are exported and the
 * record carries a sampled trace context. At tens of thousands of messages a second a span per
 * message is a measurable cost (about 15 µs each here); a record nobody traces gets none.
 */
export function wantsRecordSpan(headers: RecordHeaders): boolean {
  if (!recordSpansOn) return false;
  const spanContext = spanContextOf(headers);
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** Whether a record carried a valid trace context. */
function spanContextOf(headers: RecordHeaders): ReturnType<typeof trace.getSpanContext> {
  const spanContext = trace.getSpanContext(contextOfRecord(headers));
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * Runs `work` in a CONSUMER span of its own trace for one batch, linked to the traces of the
 * records it carries (distinct ones, at most {@link MAX_BATCH_LINKS}): the batch is not an
 * opaque span, and each record's trace continues in the record spans made inside. A failure
 * marks the span as an error and is rethrown.
 */
export async function inBatchSpan<T>(
  name: string,
  attributes: Attributes,
  records: readonly RecordHeaders[],
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const links: Link[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  // Links are only worth reading every record's headers for when spans are exported.
  for (const headers of recordSpansOn ? records : []) {
    const spanContext = spanContextOf(headers);
    if (!spanContext) continue;
    const id = `${spanContext.traceId}/${spanContext.spanId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (links.length < MAX_BATCH_LINKS) links.push({ context: spanContext });
    else dropped++;
  }
  const span = tracer.startSpan(
    name,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...attributes,
        'messaging.batch.message_count': records.length,
        ...(dropped > 0 ? { 'memory.links_dropped': dropped } : {}),
      },
      links,
    },
    ROOT_CONTEXT,
  );
  return runIn(span, trace.setSpan(ROOT_CONTEXT, span), work);
}

/** What {@link inConsumerBatchSpan} needs of a consumed batch. */
export interface TracedBatch {
  topic: string;
  partition: number;
  messages: ReadonlyArray<{ headers?: RecordHeaders }>;
}

/** {@link inBatchSpan} for a consumed Kafka batch: `<topic> process`, messaging attributes. */
export function inConsumerBatchSpan<T>(
  batch: TracedBatch,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return inBatchSpan(
    `${batch.topic} process`,
    {
      'messaging.system': 'kafka',
      'messaging.destination.name': batch.topic,
      'messaging.destination.partition.id': String(batch.partition),
    },
    batch.messages.map((record) => record.headers),
    work,
  );
}

/**
 * Starts the span of one record's processing: a child of the span that produced the record
 * (its trace goes on), linked to the batch span; without a trace context in the record, a
 * child of the batch span. The caller ends it (after what the record caused is durable).
 */
export function startRecordSpan(
  name: string,
  headers: RecordHeaders,
  attributes: Attributes,
  options: { batch?: Span; startTime?: TimeInput; kind?: SpanKind } = {},
): Span {
  const producer = spanContextOf(headers);
  const batchContext = options.batch?.spanContext();
  const parent = producer
    ? contextOfRecord(headers)
    : options.batch
      ? trace.setSpan(ROOT_CONTEXT, options.batch)
      : ROOT_CONTEXT;
  return tracer.startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.CONSUMER,
      attributes,
      startTime: options.startTime,
      links: producer && batchContext ? [{ context: batchContext }] : [],
    },
    parent,
  );
}

/** Runs `work` in a record span (see {@link startRecordSpan}), active meanwhile, then ends it. */
export function inRecordSpan<T>(
  name: string,
  headers: RecordHeaders,
  attributes: Attributes,
  options: { batch?: Span },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const span = startRecordSpan(name, headers, attributes, options);
  return runIn(span, trace.setSpan(context.active(), span), work);
}

/** Runs `work` in a child span of the active one (a transaction, a backend call, a bulk write). */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, { attributes });
  return runIn(span, trace.setSpan(context.active(), span), work);
}

/** Runs `work` in a child span of `parent` (a record span), active meanwhile. */
export function inChildSpan<T>(
  parent: Span,
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, { attributes }, trace.setSpan(context.active(), parent));
  return runIn(span, trace.setSpan(context.active(), span), work);
}

/** Ends `span` as failed with `error`. */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : new Error(String(error)));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  span.end();
}

async function runIn<T>(span: Span, active: Context, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    const result = await context.with(active, () => work(span));
    span.end();
    return result;
  } catch (error) {
    failSpan(span, error);
    throw error;
  }
}
