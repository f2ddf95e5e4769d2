import { ConfigError } from './config.error';
import { loadConfig } from './app-config';

describe(loadConfig.name, () => {
  const load = (env: Record<string, string>) => () => loadConfig('ingest', env);

  it('works with no configuration at all, pointing at the local engines', () => {
    const config = loadConfig('search', {});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/memory');
    expect(config.opensearch.url).toBe('http://127.0.0.1:9200');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3005 });
    expect(config.kafka.clientId).toBe('memory-search');
  });

  it('reads a service port from <SERVICE>_PORT', () => {
    expect(loadConfig('ingest', { INGEST_PORT: '4001', SEARCH_PORT: 'x' }).http.port).toBe(4001);
  });

  it.each([
    ['KAFKA_BROKERS', 'not a host'],
    ['KAFKA_BROKERS', '127.0.0.1'],
    ['KAFKA_BROKERS', 'kafka:99999'],
    ['INGEST_PORT', 'abc'],
    ['DATABASE_URL', 'mysql://db/x'],
    ['OPENSEARCH_URL', 'localhost:9200'],
    ['LOG_LEVEL', 'loud'],
    ['KAFKA_SSL', 'maybe'],
  ])('refuses %s=%j and names the variable', (variable, value) => {
    expect(load({ [variable]: value })).toThrow(ConfigError);
    expect(load({ [variable]: value })).toThrow(
      new RegExp(`${variable}: expected .*got "${value}"`),
    );
  });

  it('accepts several brokers, host names and IPv6 literals', () => {
    const config = loadConfig('ingest', {
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2.internal:9093,[::1]:9094',
    });
    expect(config.kafka.brokers).toEqual(['kafka-1:9092', 'kafka-2.internal:9093', '[::1]:9094']);
  });

  it('reports every bad variable at once', () => {
    const attempt = (): unknown =>
      loadConfig('ingest', {
        KAFKA_BROKERS: 'x',
        DATABASE_POOL_SIZE: '0',
        KAFKA_SASL_MECHANISM: 'plain',
      });
    expect(attempt).toThrow(ConfigError);
    const problems = (() => {
      try {
        attempt();
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((problem) => problem.variable);
      }
    })();
    expect(problems).toEqual([
      'KAFKA_BROKERS',
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
      'DATABASE_POOL_SIZE',
    ]);
  });
});
