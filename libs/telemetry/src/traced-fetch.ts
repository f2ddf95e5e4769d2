import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { failSpan } from './kafka-tracing';
import { redactUserPath } from './otel-sdk';

const tracer = trace.getTracer('memory-http-client');

/**
 * A fetch that carries the active trace into the service it calls: one CLIENT span per request,
 * named `METHOD /path` (a user id in `/v1/users/<id>` replaced, as the services' own spans do),
 * whose context goes in the request's `traceparent` header, so the called service's server span
 * is its child. Node's fetch is not instrumented by the HTTP instrumentation the services use;
 * a process that calls the services with fetch (the MCP server, through the client) makes its
 * calls with this one. A 5xx or a network failure marks the span as failed; the response or
 * the error is the caller's, as from `inner`.
 */
export function tracedFetch(inner: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : input instanceof URL ? input.href : input);
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const path = redactUserPath(url.pathname);
    const span = tracer.startSpan(`${method} ${path}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'server.address': url.hostname,
        'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        'url.path': path,
      },
    });
    const headers = new Headers(init?.headers ?? request?.headers);
    propagation.inject(trace.setSpan(context.active(), span), headers, {
      set: (carrier, key, value) => carrier.set(key, value),
    });
    let response: Response;
    try {
      response = await inner(input, { ...init, headers });
    } catch (error) {
      failSpan(span, error);
      throw error;
    }
    span.setAttribute('http.response.status_code', response.status);
    if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    return response;
  };
}
