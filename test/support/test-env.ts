import { DEFAULT_PORTS, ServiceName } from '@memory/config';
import { TEST_DATABASE_URL } from './test-database';

export { TEST_DATABASE_URL };

/*
 * The environment the e2e tests and the service processes they start share. The test database
 * and the ports are kept apart from a development `npm start` on the same machine.
 */

export const TEST_PORT_OFFSET = 100;

/** The MCP server's port (apps/mcp, MCP_PORT): it is no service of libs/config. */
const MCP_PORT = 3006;

export function testPort(service: ServiceName | 'mcp'): number {
  return (service === 'mcp' ? MCP_PORT : DEFAULT_PORTS[service]) + TEST_PORT_OFFSET;
}

/** The environment of a service process started by a test. */
export function testEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    INGEST_PORT: String(testPort('ingest')),
    SUMMARIZER_PORT: String(testPort('summarizer')),
    COMPRESSOR_PORT: String(testPort('compressor')),
    RETENTION_PORT: String(testPort('retention')),
    SEARCH_PORT: String(testPort('search')),
    MCP_PORT: String(testPort('mcp')),
    MEMORY_INGEST_URL: `http://127.0.0.1:${testPort('ingest')}`,
    MEMORY_SEARCH_URL: `http://127.0.0.1:${testPort('search')}`,
    MEMORY_RETENTION_URL: `http://127.0.0.1:${testPort('retention')}`,
    ...overrides,
  };
}
