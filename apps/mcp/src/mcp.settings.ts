import { EnvReader } from '@memory/config';

export const MCP_TRANSPORTS = ['http', 'stdio'] as const;
export type McpTransportKind = (typeof MCP_TRANSPORTS)[number];

/** Where the MCP server listens by default (beside the five services' 3001-3005). */
export const MCP_DEFAULT_PORT = 3006;

export interface McpSettings {
  transport: McpTransportKind;
  host: string;
  port: number;
  /** stdio: the API key every call is made with (HTTP: each request's bearer key). */
  apiKey: string | undefined;
  urls: { ingest: string; search: string; retention: string };
  /** How long a checked key is trusted before it is checked again (revocations show within it). */
  keyCacheMs: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

/**
 * The MCP server's settings. It holds no data of its own: every tool calls the services' HTTP
 * API with the caller's API key, so the services scope each call to the key's tenant and scopes.
 * A bad value stops the process naming the variable (exit 78), as the services do.
 */
export function readMcpSettings(env: NodeJS.ProcessEnv): McpSettings {
  const read = new EnvReader(env);
  const transport = read.oneOf('MCP_TRANSPORT', MCP_TRANSPORTS, 'http');
  const gateway = read.url('MEMORY_URL', '', ['http', 'https']);
  const url = (name: string, port: number) =>
    read.url(name, gateway || `http://127.0.0.1:${port}`, ['http', 'https']);
  const settings: McpSettings = {
    transport,
    host: read.string('MCP_HOST', '127.0.0.1'),
    port: read.int('MCP_PORT', MCP_DEFAULT_PORT, 1, 65535),
    apiKey: read.optionalString('MEMORY_API_KEY'),
    urls: {
      ingest: url('MEMORY_INGEST_URL', 3001),
      search: url('MEMORY_SEARCH_URL', 3005),
      retention: url('MEMORY_RETENTION_URL', 3004),
    },
    keyCacheMs: read.int('MCP_KEY_CACHE_MS', 5_000, 0, 300_000),
    logLevel: read.oneOf('LOG_LEVEL', ['error', 'warn', 'info', 'debug'] as const, 'info'),
  };
  if (transport === 'stdio' && settings.apiKey === undefined)
    read.reject('MEMORY_API_KEY', 'an API key (mk_...) when MCP_TRANSPORT=stdio');
  read.assertValid();
  return settings;
}
