import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_PORTS, EnvReader, loadServiceConfig, SERVICE_NAMES } from '@memory/config';
import { readCompressionSettings, readRetentionSettings } from '@memory/lifecycle';
import { readSearchSettings } from '@memory/search-index';
import { readSummarizationSettings } from '@memory/summarization';
import { parse } from 'yaml';

interface ComposeService {
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
}

/** Readers of the services' own settings, beyond the shared configuration. */
const SETTINGS: Partial<Record<(typeof SERVICE_NAMES)[number], (read: EnvReader) => unknown>> = {
  summarizer: readSummarizationSettings,
  compressor: readCompressionSettings,
  retention: (read) => ({
    retention: readRetentionSettings(read),
    summarization: readSummarizationSettings(read),
  }),
  search: readSearchSettings,
};

/** Names of every environment variable a service reads, found by loading its configuration. */
function variablesRead(service: (typeof SERVICE_NAMES)[number]): string[] {
  const read = new Set<string>();
  const env = new Proxy(
    {},
    {
      get: (_target, name) => {
        if (typeof name === 'string') read.add(name);
        // With the LLM backends on, the OPENAI_* variables are read too.
        return name === 'SUMMARY_BACKEND' || name === 'EMBEDDING_BACKEND' ? 'openai' : undefined;
      },
    },
  );
  loadServiceConfig(service, SETTINGS[service] ?? (() => undefined), env);
  // SASL is off in the compose stack; the client id defaults to memory-<service> on purpose.
  return [...read].filter((name) => !name.startsWith('KAFKA_SASL_') && name !== 'KAFKA_CLIENT_ID');
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(resolve(__dirname, '../docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as {
    services: Record<string, ComposeService>;
  };

  it('runs the engines, the collector with a trace UI and a migration step', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'kafka',
        'opensearch',
        'postgres',
        'otel-collector',
        'jaeger',
        'migrate',
      ]),
    );
  });

  it.each(SERVICE_NAMES)('runs %s with its port and every variable it reads', (name) => {
    const service = compose.services[name];
    expect(service?.command).toEqual(['node', `dist/apps/${name}/src/main.js`]);
    expect(service?.ports).toContain(`${DEFAULT_PORTS[name]}:${DEFAULT_PORTS[name]}`);
    const missing = variablesRead(name).filter(
      (variable) => !(variable in (service?.environment ?? {})),
    );
    expect(missing).toEqual([]);
  });
});
