import {
  AppConfig,
  configSecrets,
  ConfigError,
  EnvReader,
  loadServiceConfig,
  SecretRedactor,
  ServiceName,
} from '@memory/config';
import { TOPIC_DEFINITIONS } from '@memory/contracts';
import { BatchConsumerFactory, KafkaAdminService, whileBrokerAway } from '@memory/kafka';
import { JsonLogger, stopTelemetry } from '@memory/telemetry';
import { DynamicModule, INestApplication, Logger } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { BodyLimits, DEFAULT_BODY_LIMIT_BYTES, formatBytes, jsonBodyParser } from './body-limits';
import { RedactingExceptionFilter } from './redacting-exception.filter';

export interface ServiceDefinition<S = undefined> {
  name: ServiceName;
  /** Reads the service's own settings; validated together with the shared configuration. */
  settings?: (read: EnvReader) => S;
  /** Builds the root module from the validated configuration. */
  module: (config: AppConfig, settings: S) => DynamicModule;
  /**
   * Largest request body per route, enforced before parsing; every other route takes
   * {@link DEFAULT_BODY_LIMIT_BYTES}. Listed in the OpenAPI description.
   */
  bodyLimits?: BodyLimits;
  /** Extra set-up on the HTTP application before it listens (OpenAPI, pipes, ...). */
  configure?: (app: INestApplication, config: AppConfig) => void | Promise<void>;
}

/**
 * Starts one service: validates configuration (a bad value stops the process at once, naming
 * the variable), boots Nest, makes sure the topics exist, listens for HTTP, and only then
 * starts consuming. SIGTERM/SIGINT shut it down in order, within the configured timeout.
 */
export async function runService<S>(definition: ServiceDefinition<S>): Promise<INestApplication> {
  let config: AppConfig;
  let settings: S;
  try {
    ({ config, settings } = loadServiceConfig(
      definition.name,
      definition.settings ?? (() => undefined as S),
    ));
  } catch (error) {
    if (error instanceof ConfigError) {
      // The error masks passwords itself; a bad value of a secret variable is not shown at all.
      process.stderr.write(`${definition.name}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }

  // Connection errors may quote a URL with its password: no log line or error answer shows one.
  const redactor = new SecretRedactor(configSecrets(config));
  const logger = redactingLogger(config, redactor);
  const log = new Logger('Bootstrap');
  const app = await NestFactory.create<NestExpressApplication>(
    definition.module(config, settings),
    {
      logger,
      bufferLogs: true,
      bodyParser: false,
    },
  );
  const bodyLimits = definition.bodyLimits ?? { defaultBytes: DEFAULT_BODY_LIMIT_BYTES };
  app.use(jsonBodyParser(bodyLimits));
  app.useGlobalFilters(new RedactingExceptionFilter(app.get(HttpAdapterHost), redactor));
  installShutdown(app, config, log);
  await definition.configure?.(app, config);
  serveOpenApi(app, definition.name, apiLimitsDescription(config, bodyLimits));
  await app.init();

  // A broker restarting while the service starts is waited for, as a consumer would.
  const admin = app.get(KafkaAdminService);
  const created = await whileBrokerAway(() => admin.ensureTopics(TOPIC_DEFINITIONS), {
    onRetry: (error, retry, delayMs) =>
      log.warn({ msg: 'Kafka not reachable; trying again', error: String(error), retry, delayMs }),
  });
  if (created.length > 0) log.log({ msg: 'topics created', topics: created });

  await app.listen(config.http.port, config.http.host);
  log.log({
    msg: `${definition.name} listening`,
    url: `http://${config.http.host}:${config.http.port}`,
  });

  const consumers = app.get(BatchConsumerFactory);
  for (const consumer of consumers.all) await consumer.start();
  return app;
}

/**
 * The service's logger: JSON lines on stdout with every password of the configuration (and any
 * URL credentials) masked, whoever logs them (TypeORM's connection retries, kafkajs, terminus).
 */
export function redactingLogger(
  config: AppConfig,
  redactor: SecretRedactor,
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): JsonLogger {
  return new JsonLogger({
    service: config.service,
    level: config.log.level,
    format: config.log.format,
    write: (line) => write(redactor.redact(line)),
  });
}

/** The limits every client meets, for the OpenAPI description: bodies and the per-key rate. */
export function apiLimitsDescription(config: AppConfig, limits: BodyLimits): string {
  const routes = (limits.routes ?? []).map(
    (route) => `\`${route.method} ${route.path}\` ${formatBytes(route.limitBytes)}`,
  );
  return [
    'Every error answer has one shape: `{"statusCode", "code", "message", "errors": [{"field", ' +
      '"code", "message"}]}`; `code` is the first field error\'s code when there are field ' +
      "errors, else the refusal's own or the status's (`NOT_FOUND`, ...).",
    `Request bodies are limited before they are parsed: ${[
      ...routes,
      `any other route ${formatBytes(limits.defaultBytes)}`,
    ].join(
      ', ',
    )}. A larger body is answered 413 with \`{"code": "BODY_TOO_LARGE", "limitBytes": n}\`; ` +
      'a body that is not JSON 400 with `{"code": "MALFORMED_JSON"}`.',
    `Each API key may make ${config.auth.rateLimit.perSecond} requests per second to this service ` +
      `(bursts of ${config.auth.rateLimit.burst}, counted per server process); beyond that, 429 with ` +
      'a `Retry-After` header (seconds) and `{"code": "RATE_LIMITED"}`. 401 answers carry ' +
      '`API_KEY_MISSING` or `API_KEY_INVALID`, 403 `API_KEY_SCOPE_MISSING`; a server flooded ' +
      'with unknown keys answers keys it has not seen yet 429 `KEY_LOOKUPS_THROTTLED`.',
  ].join('\n\n');
}

/** OpenAPI document at /docs-json and Swagger UI at /docs. */
function serveOpenApi(app: INestApplication, name: ServiceName, description: string): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`Conversation memory: ${name}`)
      .setDescription(description)
      .setVersion(process.env.npm_package_version ?? '0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key of a tenant' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}

function installShutdown(app: INestApplication, config: AppConfig, log: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.log({ msg: 'shutting down', signal });
    // What the timeout interrupted: the application's hooks (consumers, pools) or the export.
    let stage = 'closing the application';
    const timer = setTimeout(() => {
      log.error({ msg: 'shutdown timed out, exiting', timeoutMs: config.shutdownTimeoutMs, stage });
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app
      .close()
      .then(() => {
        stage = 'flushing telemetry';
        return stopTelemetry();
      })
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log.error({ msg: 'shutdown failed', error: String(error) });
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Entry point helper for `main.ts`: runs the service and exits non-zero if start-up fails. */
export function main<S>(definition: ServiceDefinition<S>): void {
  runService(definition).catch((error: unknown) => {
    new Logger('Bootstrap').fatal({ msg: 'start-up failed', error: String(error) });
    void stopTelemetry().finally(() => process.exit(1));
  });
}
