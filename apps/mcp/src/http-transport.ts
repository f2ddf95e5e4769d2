import { Server } from 'node:http';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { JsonLogger } from '@memory/telemetry/json-logger';
import { serveMetrics } from '@memory/telemetry/otel-sdk';
import type { Request, Response } from 'express';
import { KeyChecker } from './key-checker';
import { McpSettings } from './mcp.settings';
import { recordRefused, recordToolCall } from './mcp.metrics';
import { memoryClient, memoryServer } from './mcp-server';

/** JSON-RPC's "server error" range: the request was refused before it reached MCP. */
const REFUSED = -32001;

function refuse(response: Response, status: number, code: string, message: string): void {
  recordRefused(code);
  if (status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="conversation-memory"');
  response.status(status).json({
    jsonrpc: '2.0',
    error: { code: REFUSED, message, data: { code } },
    id: null,
  });
}

function bearer(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim() || undefined;
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : undefined;
}

/**
 * MCP over Streamable HTTP at `POST /mcp`, stateless: each request is authenticated by its
 * bearer API key (401 without a valid one), gets a server with the tools the key's scopes
 * allow, and is answered as JSON. `GET /health/live` and `/health/ready` (the search service
 * answers) are for orchestrators, `GET /metrics` for Prometheus.
 */
export async function serveHttp(settings: McpSettings, logger: JsonLogger): Promise<Server> {
  const keys = new KeyChecker(settings);
  const app = createMcpExpressApp({ host: settings.host });

  app.post('/mcp', async (request: Request, response: Response) => {
    const key = bearer(request);
    if (!key)
      return refuse(
        response,
        401,
        'API_KEY_MISSING',
        'an API key is required: Authorization: Bearer <key>',
      );
    const check = await keys.check(key);
    if (!check.ok) return refuse(response, check.status, check.code, check.message);
    const server = memoryServer(memoryClient(settings, key), check.identity, (call) => {
      recordToolCall(call);
      logger.log({ msg: 'tool call', ...call });
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(request, response, request.body);
    } catch (error) {
      logger.error({ msg: 'MCP request failed', error: String(error) });
      if (!response.headersSent) refuse(response, 500, 'INTERNAL_ERROR', 'internal error');
    }
  });
  const notAllowed = (_request: Request, response: Response) => {
    response.setHeader('Allow', 'POST');
    refuse(response, 405, 'METHOD_NOT_ALLOWED', 'this server is stateless: POST /mcp only');
  };
  app.get('/mcp', notAllowed);
  app.delete('/mcp', notAllowed);

  // Tool calls, refusals and the HTTP server's own, as every service serves them.
  app.get('/metrics', serveMetrics);

  app.get('/health/live', (_request: Request, response: Response) => {
    response.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_request: Request, response: Response) => {
    const ready = await fetch(new URL('/health/live', settings.urls.search), {
      signal: AbortSignal.timeout(3_000),
    })
      .then((answer) => answer.ok)
      .catch(() => false);
    response
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ok' : 'error', info: { search: ready ? 'up' : 'down' } });
  });

  return new Promise((resolve, reject) => {
    const server = app.listen(settings.port, settings.host, () => resolve(server));
    server.once('error', reject);
  });
}
