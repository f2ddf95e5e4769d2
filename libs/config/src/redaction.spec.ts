import { loadConfig } from './app-config';
import { ConfigError } from './config.error';
import {
  configSecrets,
  MASK,
  redactCredentials,
  redactUrl,
  SecretRedactor,
  urlPassword,
} from './redaction';

describe(redactUrl.name, () => {
  it.each([
    ['postgres://memory:s3cret@db:5432/memory', 'postgres://memory:***@db:5432/memory'],
    ['http://admin:p%40ss@search:9200', 'http://admin:***@search:9200'],
    ['https://:only-password@search', 'https://:***@search'],
    ['postgres://u:p@ss@db/memory', 'postgres://u:***@db/memory'],
    // not valid URLs: everything up to the last @ is taken for credentials
    ['postgres://u:pa/ss@db:port/memory', 'postgres://u:***@db:port/memory'],
    ['u:s3cret@db:5432/memory', '***@db:5432/memory'],
  ])('masks the password of %s', (value, expected) => {
    expect(redactUrl(value)).toBe(expected);
  });

  it.each([
    'postgres://postgres@127.0.0.1:5432/memory',
    'http://127.0.0.1:9200',
    'http://127.0.0.1:9200/path?email=a@b',
    'not a url',
  ])('leaves %s alone', (value) => {
    expect(redactUrl(value)).toBe(value);
  });
});

describe(redactCredentials.name, () => {
  it('masks every URL password in free text, keeping user names and hosts', () => {
    const text =
      'connect to "postgres://memory:s3cret@db:5432/memory" failed; tried http://a:b@x:1 and http://c@y';
    expect(redactCredentials(text)).toBe(
      `connect to "postgres://memory:${MASK}@db:5432/memory" failed; tried http://a:${MASK}@x:1 and http://c@y`,
    );
  });
});

describe(SecretRedactor.name, () => {
  it('masks known secrets in raw and URL-encoded form, longest first', () => {
    const redactor = new SecretRedactor(['p@ss word', 'word', 'ab', undefined]);
    expect(redactor.redact('auth p@ss word / p%40ss%20word / a word / ab')).toBe(
      `auth ${MASK} / ${MASK} / a ${MASK} / ab`,
    );
  });

  it('redacts the strings of a JSON value and keeps the object when nothing changed', () => {
    const redactor = new SecretRedactor(['hunter22']);
    const clean = { status: 'ok' };
    expect(redactor.redactValue(clean)).toBe(clean);
    expect(redactor.redactValue({ error: { db: { message: 'bad password hunter22' } } })).toEqual({
      error: { db: { message: `bad password ${MASK}` } },
    });
  });
});

describe(configSecrets.name, () => {
  it('collects the passwords of the configuration and of secret variables', () => {
    const env = {
      DATABASE_URL: 'postgres://memory:db%2Fpass@db:5432/memory',
      OPENSEARCH_URL: 'https://admin:os-url-pass@search:9200',
      OPENSEARCH_PASSWORD: 'os-pass',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'kafka-pass',
      OPENAI_API_KEY: 'sk-test-key',
    };
    expect(configSecrets(loadConfig('search', env), env).sort()).toEqual(
      [
        'db/pass',
        'os-url-pass',
        'os-pass',
        'kafka-pass',
        'kafka-pass',
        'os-pass',
        'sk-test-key',
      ].sort(),
    );
    expect(urlPassword('postgres://u@db/x')).toBeUndefined();
  });
});

describe('configuration errors', () => {
  const problemOf = (env: Record<string, string>): string => {
    try {
      loadConfig('ingest', env);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
    }
    throw new Error('expected a ConfigError');
  };

  it('names a bad DATABASE_URL with its password masked', () => {
    const message = problemOf({ DATABASE_URL: 'mysql://memory:s3cret-pw@db/memory' });
    expect(message).toContain('DATABASE_URL: expected');
    expect(message).toContain(`"mysql://memory:${MASK}@db/memory"`);
    expect(message).not.toContain('s3cret-pw');
  });

  it('masks the password of an OPENSEARCH_URL that does not even parse', () => {
    const message = problemOf({ OPENSEARCH_URL: 'http://admin:se/cret@search:port' });
    expect(message).toContain('OPENSEARCH_URL');
    expect(message).not.toContain('se/cret');
  });

  it('never shows the value of a secret variable', () => {
    const message = problemOf({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'kafka-s3cret',
      KAFKA_BROKERS: 'svc:kafka-s3cret@kafka:9092',
    });
    expect(message).toContain('KAFKA_BROKERS');
    expect(message).not.toContain('kafka-s3cret');
  });
});
