import { metrics } from '@opentelemetry/api';
import type { ToolCall } from './memory-tools';

const meter = metrics.getMeter('memory-mcp');

const calls = meter.createCounter('mcp.tool.calls', {
  description: 'MCP tool calls by tool and outcome (ok, error: refused input or a service error)',
});
const duration = meter.createHistogram('mcp.tool.duration', {
  description: 'Time to answer an MCP tool call, by tool',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
});
const refused = meter.createCounter('mcp.requests.refused', {
  description: 'MCP HTTP requests refused before MCP, by code (API_KEY_MISSING, …)',
});

/** Counts a tool call (the `onCall` of the tools). */
export function recordToolCall(call: ToolCall): void {
  const attributes = { tool: call.tool, outcome: call.error ? 'error' : 'ok' };
  calls.add(1, attributes);
  duration.record(call.ms / 1000, attributes);
}

/** Counts an HTTP request refused before it reached MCP. */
export function recordRefused(code: string): void {
  refused.add(1, { code });
}
