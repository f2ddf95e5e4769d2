import type { IncomingMessage, ServerResponse } from 'node:http';
import { Context } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { setRecordSpans } from './kafka-tracing';

/** Keeps a tracer provider (so every span has ids for logs and propagation) while exporting nothing. */
class DiscardingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const EXPORT_VARIABLES = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
];

/** True when the standard OTEL_* variables ask for telemetry to be exported somewhere. */
export function telemetryExportRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return EXPORT_VARIABLES.some((name) => Boolean(env[name]) && env[name] !== 'none');
}

let sdk: NodeSDK | undefined;
let prometheus: PrometheusExporter | undefined;

/**
 * Answers `GET /metrics`: the metrics in the Prometheus text format, collected at this scrape;
 * 503 when telemetry is off (OTEL_SDK_DISABLED=true). Every service and the MCP server use it.
 */
export function serveMetrics(request: IncomingMessage, response: ServerResponse): void {
  if (!prometheus) {
    response.statusCode = 503;
    response.setHeader('content-type', 'text/plain; charset=utf-8');
    response.end('# metrics are off: OTEL_SDK_DISABLED=true\n');
    return;
  }
  prometheus.getMetricsRequestHandler(request, response);
}

/** Whether metrics go out by OTLP too: OTEL_METRICS_EXPORTER has otlp, or is unset while an endpoint is. */
function otlpMetricsRequested(env: NodeJS.ProcessEnv): boolean {
  const exporters = (env.OTEL_METRICS_EXPORTER ?? '').split(',').map((name) => name.trim());
  if (exporters.includes('none')) return false;
  if (exporters.includes('otlp')) return true;
  return (
    exporters.every((name) => name === '') &&
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)
  );
}

/**
 * Every service serves its metrics on `GET /metrics` (Prometheus text, read on scrape); they
 * also go out by OTLP (JSON over HTTP, every OTEL_METRIC_EXPORT_INTERVAL ms, 60 s by default)
 * when the OTEL_* variables ask for it.
 */
function metricReaders(env: NodeJS.ProcessEnv): MetricReader[] {
  prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers: MetricReader[] = [prometheus];
  if (otlpMetricsRequested(env))
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000) || 60_000,
      }),
    );
  return readers;
}

/**
 * Starts the OpenTelemetry SDK. Call it on the first line of a service's `main.ts`, before
 * Nest, pg or express are loaded, so their instrumentations can hook in.
 *
 * Exporters come from the standard OTEL_* variables; with none of them set nothing is exported,
 * but spans still carry trace ids for log correlation and `traceparent` propagation.
 * `OTEL_SDK_DISABLED=true` turns the SDK off entirely.
 */
export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): void {
  if (sdk || env.OTEL_SDK_DISABLED === 'true') return;
  const exporting = telemetryExportRequested(env);
  setRecordSpans(exporting);
  if (!exporting) {
    env.OTEL_TRACES_EXPORTER = 'none';
    env.OTEL_METRICS_EXPORTER = 'none';
    env.OTEL_LOGS_EXPORTER = 'none';
  }
  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? `memory-${serviceName}`,
      [ATTR_SERVICE_VERSION]: env.npm_package_version ?? '0.1.0',
    }),
    spanProcessors: exporting ? undefined : [new DiscardingSpanProcessor()],
    metricReaders: metricReaders(env),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) =>
          (request.url ?? '').startsWith('/health') || (request.url ?? '').startsWith('/metrics'),
        requestHook: (span, request) => {
          const url = 'url' in request ? request.url : undefined;
          if (url === undefined || redactUserPath(url) === url) return;
          // An erasable user id must not outlive an erasure in the trace store either.
          const path = redactUserPath(url);
          const host = 'headers' in request ? request.headers.host : undefined;
          span.setAttribute('http.target', path);
          span.setAttribute('url.path', path.split('?')[0] ?? path);
          if (host) {
            span.setAttribute('http.url', `http://${host}${path}`);
            span.setAttribute('url.full', `http://${host}${path}`);
          }
        },
      }),
      new ExpressInstrumentation(),
      new NestInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
}

/** A request path with the user id of `/v1/users/<id>` replaced by `:userId` (for spans). */
export function redactUserPath(url: string): string {
  return url.replace(/(\/v1\/users\/)[^/?#]+/g, '$1:userId');
}

/** Flushes and stops the SDK; safe to call when it never started. */
export async function stopTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  prometheus = undefined;
  await running?.shutdown();
}
