import { EnvReader } from './env-reader';

export const SERVICE_NAMES = ['ingest', 'summarizer', 'compressor', 'retention', 'search'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Default HTTP port of each service; `<SERVICE>_PORT` overrides it. */
export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = {
  ingest: 3001,
  summarizer: 3002,
  compressor: 3003,
  retention: 3004,
  search: 3005,
};

export abstract class HttpConfig {
  readonly host!: string;
  readonly port!: number;
}

export abstract class LogConfig {
  readonly level!: LogLevel;
  readonly format!: 'json' | 'pretty';
}

export abstract class KafkaConfig {
  readonly brokers!: string[];
  readonly clientId!: string;
  readonly groupPrefix!: string;
  readonly ssl!: boolean;
  readonly sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
  /** Partitions and replication factor used when the service creates its topics. */
  readonly topicPartitions!: number;
  readonly replicationFactor!: number;
}

export abstract class DatabaseConfig {
  readonly url!: string;
  readonly poolSize!: number;
  readonly ssl!: boolean;
}

export abstract class OpenSearchConfig {
  readonly url!: string;
  readonly username?: string;
  readonly password?: string;
  readonly indexPrefix!: string;
}

/** Requests per second allowed per API key, with bursts of up to `burst`. */
export interface RateLimitConfig {
  perSecond: number;
  burst: number;
}

/**
 * API-key authentication and per-key limits of one process. Every replica counts on its own:
 * N replicas allow N times these rates.
 */
export abstract class AuthConfig {
  /** `<SERVICE>_RATE_LIMIT_PER_SECOND` and `<SERVICE>_RATE_LIMIT_BURST`. */
  readonly rateLimit!: RateLimitConfig;
  /** Most API keys with a rate-limit bucket; the least recently used are dropped first. */
  readonly rateLimitMaxKeys!: number;
  /** Most presented keys (found or unknown) remembered. */
  readonly keyCacheSize!: number;
  /** How long an unknown key is remembered: it costs at most one query per this interval. */
  readonly unknownKeyTtlMs!: number;
  /** How often the process checks for revoked keys; a revocation holds within twice this. */
  readonly revocationPollMs!: number;
  /** Database look-ups of keys not in the cache, per second (bursts of twice as many). */
  readonly keyLookupsPerSecond!: number;
}

/** Default per-key rate of each service; the summarizer has no API and uses none. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<ServiceName, RateLimitConfig>> = {
  ingest: { perSecond: 100, burst: 200 },
  summarizer: { perSecond: 20, burst: 40 },
  compressor: { perSecond: 2, burst: 10 },
  retention: { perSecond: 10, burst: 20 },
  search: { perSecond: 20, burst: 40 },
};

export abstract class AppConfig {
  readonly service!: ServiceName;
  readonly environment!: 'development' | 'test' | 'production';
  readonly shutdownTimeoutMs!: number;
  readonly http!: HttpConfig;
  readonly log!: LogConfig;
  readonly kafka!: KafkaConfig;
  readonly database!: DatabaseConfig;
  readonly opensearch!: OpenSearchConfig;
  readonly auth!: AuthConfig;
}

/** Reads the Kafka section; every service that talks to Kafka uses it. */
export function readKafkaConfig(read: EnvReader, service: string): KafkaConfig {
  const mechanism = read.oneOf(
    'KAFKA_SASL_MECHANISM',
    ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const,
    'none',
  );
  return {
    brokers: read.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
    clientId: read.string('KAFKA_CLIENT_ID', `memory-${service}`),
    groupPrefix: read.string('KAFKA_GROUP_PREFIX', 'memory'),
    ssl: read.bool('KAFKA_SSL', false),
    sasl:
      mechanism === 'none'
        ? undefined
        : {
            mechanism,
            username: read.requiredString(
              'KAFKA_SASL_USERNAME',
              'a user name when KAFKA_SASL_MECHANISM is set',
            ),
            password: read.requiredString(
              'KAFKA_SASL_PASSWORD',
              'a password when KAFKA_SASL_MECHANISM is set',
            ),
          },
    topicPartitions: read.int('KAFKA_TOPIC_PARTITIONS', 3, 1, 1024),
    replicationFactor: read.int('KAFKA_REPLICATION_FACTOR', 1, 1, 16),
  };
}

/** Reads the PostgreSQL section. */
export function readDatabaseConfig(read: EnvReader): DatabaseConfig {
  return {
    url: read.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/memory', [
      'postgres',
      'postgresql',
    ]),
    poolSize: read.int('DATABASE_POOL_SIZE', 10, 1, 200),
    ssl: read.bool('DATABASE_SSL', false),
  };
}

/** Reads the OpenSearch section. */
export function readOpenSearchConfig(read: EnvReader): OpenSearchConfig {
  return {
    url: read.url('OPENSEARCH_URL', 'http://127.0.0.1:9200', ['http', 'https']),
    username: read.optionalString('OPENSEARCH_USERNAME'),
    password: read.optionalString('OPENSEARCH_PASSWORD'),
    indexPrefix: read.string('OPENSEARCH_INDEX_PREFIX', 'memory'),
  };
}

/** Reads the authentication section; the rate limit is the service's own. */
export function readAuthConfig(read: EnvReader, service: ServiceName): AuthConfig {
  const defaults = DEFAULT_RATE_LIMITS[service];
  const prefix = service.toUpperCase();
  const rateLimit =
    service === 'summarizer'
      ? defaults
      : {
          perSecond: read.int(`${prefix}_RATE_LIMIT_PER_SECOND`, defaults.perSecond, 1, 100_000),
          burst: read.int(`${prefix}_RATE_LIMIT_BURST`, defaults.burst, 1, 1_000_000),
        };
  return {
    rateLimit,
    rateLimitMaxKeys: read.int('RATE_LIMIT_MAX_KEYS', 100_000, 100, 10_000_000),
    keyCacheSize: read.int('AUTH_KEY_CACHE_SIZE', 10_000, 100, 1_000_000),
    unknownKeyTtlMs: read.int('AUTH_UNKNOWN_KEY_TTL_MS', 60_000, 1_000, 3_600_000),
    revocationPollMs: read.int('AUTH_REVOCATION_POLL_MS', 1_000, 100, 60_000),
    keyLookupsPerSecond: read.int('AUTH_KEY_LOOKUPS_PER_SECOND', 50, 1, 100_000),
  };
}

/**
 * Builds the whole typed configuration of one service from the environment.
 * Throws a ConfigError listing every variable that is wrong.
 */
export function loadConfig(service: ServiceName, env: NodeJS.ProcessEnv = process.env): AppConfig {
  return loadServiceConfig(service, () => undefined, env).config;
}

/**
 * Like {@link loadConfig}, plus the service's own settings read by `readSettings`; every bad
 * variable, shared or service-specific, is reported in one ConfigError.
 */
export function loadServiceConfig<S>(
  service: ServiceName,
  readSettings: (read: EnvReader) => S,
  env: NodeJS.ProcessEnv = process.env,
): { config: AppConfig; settings: S } {
  const read = new EnvReader(env);
  const config = readAppConfig(read, service);
  const settings = readSettings(read);
  read.assertValid();
  return { config, settings };
}

function readAppConfig(read: EnvReader, service: ServiceName): AppConfig {
  return {
    service,
    environment: read.oneOf(
      'NODE_ENV',
      ['development', 'test', 'production'] as const,
      'development',
    ),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, 1_000, 120_000),
    http: {
      host: read.string('HTTP_HOST', '127.0.0.1'),
      port: read.int(`${service.toUpperCase()}_PORT`, DEFAULT_PORTS[service], 1, 65535),
    },
    log: {
      level: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
      format: read.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, 'json'),
    },
    kafka: readKafkaConfig(read, service),
    database: readDatabaseConfig(read),
    opensearch: readOpenSearchConfig(read),
    auth: readAuthConfig(read, service),
  };
}
