import './instrument';
import { ConfigError } from '@memory/config';
import { MemoryApiError } from '@memory/client';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { JsonLogger } from '@memory/telemetry/json-logger';
import { serveHttp } from './http-transport';
import { recordToolCall } from './mcp.metrics';
import { McpSettings, readMcpSettings } from './mcp.settings';
import { memoryClient, memoryServer } from './mcp-server';

/**
 * The MCP server of conversation memory. MCP_TRANSPORT=http (default): Streamable HTTP on
 * MCP_HOST:MCP_PORT, each request with its own bearer API key. MCP_TRANSPORT=stdio: for a
 * local agent that starts it, with MEMORY_API_KEY; logs go to stderr, stdout is the protocol.
 */
async function start(): Promise<void> {
  let settings: McpSettings;
  try {
    settings = readMcpSettings(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mcp: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const stdio = settings.transport === 'stdio';
  const logger = new JsonLogger({
    service: 'mcp',
    level: settings.logLevel,
    format: 'json',
    write: (line) => (stdio ? process.stderr : process.stdout).write(line + '\n'),
  });

  if (!stdio) {
    const server = await serveHttp(settings, logger);
    logger.log({ msg: 'mcp listening', url: `http://${settings.host}:${settings.port}/mcp` });
    const stop = (signal: string) => {
      logger.log({ msg: 'shutting down', signal });
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 5_000).unref();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    return;
  }

  const apiKey = settings.apiKey ?? '';
  const client = memoryClient(settings, apiKey);
  let identity;
  try {
    identity = await client.whoami();
  } catch (error) {
    const invalid = error instanceof MemoryApiError && error.status === 401;
    process.stderr.write(
      invalid
        ? 'mcp: MEMORY_API_KEY is not a valid API key (unknown or revoked)\n'
        : `mcp: the search service at ${settings.urls.search} did not answer: ${String(error)}\n`,
    );
    process.exit(invalid ? 78 : 1);
  }
  const server = memoryServer(client, identity, (call) => {
    recordToolCall(call);
    logger.log({ msg: 'tool call', ...call });
  });
  await server.connect(new StdioServerTransport());
  logger.log({ msg: 'mcp on stdio', tenantId: identity.tenantId, scopes: identity.scopes });
}

start().catch((error: unknown) => {
  process.stderr.write(`mcp: start-up failed: ${String(error)}\n`);
  process.exit(1);
});
