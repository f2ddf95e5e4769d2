import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@memory/config';
import { parse } from 'yaml';
import { MCP_DEFAULT_PORT, readMcpSettings } from './mcp.settings';

describe('readMcpSettings', () => {
  it('defaults to Streamable HTTP on 127.0.0.1:3006 in front of the local services', () => {
    expect(readMcpSettings({})).toEqual({
      transport: 'http',
      host: '127.0.0.1',
      port: MCP_DEFAULT_PORT,
      apiKey: undefined,
      urls: {
        ingest: 'http://127.0.0.1:3001',
        search: 'http://127.0.0.1:3005',
        retention: 'http://127.0.0.1:3004',
      },
      keyCacheMs: 5000,
      logLevel: 'info',
    });
  });

  it('takes one gateway URL for every service, each overridable', () => {
    const settings = readMcpSettings({
      MEMORY_URL: 'https://memory.example.com',
      MEMORY_SEARCH_URL: 'http://search:3005',
    });
    expect(settings.urls).toEqual({
      ingest: 'https://memory.example.com',
      search: 'http://search:3005',
      retention: 'https://memory.example.com',
    });
  });

  it('stops naming every bad variable, and stdio without a key', () => {
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        readMcpSettings(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
      }
      return 'no error';
    };
    const message = problems({
      MCP_TRANSPORT: 'websocket',
      MCP_PORT: '99999',
      MEMORY_SEARCH_URL: 'search:3005',
    });
    expect(message).toContain('MCP_TRANSPORT');
    expect(message).toContain('MCP_PORT');
    expect(message).toContain('MEMORY_SEARCH_URL');
    expect(problems({ MCP_TRANSPORT: 'stdio' })).toContain('MEMORY_API_KEY');
    expect(readMcpSettings({ MCP_TRANSPORT: 'stdio', MEMORY_API_KEY: 'mk_x' }).apiKey).toBe('mk_x');
  });

  it('is run by docker-compose.yml with every variable it reads', () => {
    const compose = parse(readFileSync(resolve(__dirname, '../../../docker-compose.yml'), 'utf8'), {
      merge: true,
    }) as {
      services: Record<string, { command?: string[]; ports?: string[]; environment?: object }>;
    };
    const service = compose.services.mcp;
    expect(service?.command).toEqual(['node', 'dist/apps/mcp/src/main.js']);
    expect(service?.ports).toContain(`${MCP_DEFAULT_PORT}:${MCP_DEFAULT_PORT}`);
    const read = new Set<string>();
    readMcpSettings(
      new Proxy(
        {},
        {
          get: (_target, name) => {
            if (typeof name === 'string') read.add(name);
            return undefined;
          },
        },
      ),
    );
    // MEMORY_API_KEY is for stdio only; MEMORY_URL is the one-gateway alternative to the three.
    const missing = [...read].filter(
      (name) =>
        !['MEMORY_API_KEY', 'MEMORY_URL'].includes(name) && !(name in (service?.environment ?? {})),
    );
    expect(missing).toEqual([]);
  });

  it('is scraped by deploy/prometheus at its default port', () => {
    const config = parse(
      readFileSync(resolve(__dirname, '../../../deploy/prometheus/prometheus.yaml'), 'utf8'),
    ) as {
      scrape_configs: Array<{
        static_configs: Array<{ targets: string[]; labels?: { service?: string } }>;
      }>;
    };
    const mcp = config.scrape_configs
      .flatMap((job) => job.static_configs)
      .filter((group) => group.labels?.service === 'mcp');
    expect(mcp.flatMap((group) => group.targets)).toEqual([`localhost:${MCP_DEFAULT_PORT}`]);
  });
});
