import { AppConfig, ConfigError, EnvReader, loadServiceConfig, ServiceName } from '@memory/config';
import { TOPIC_DEFINITIONS } from '@memory/contracts';
import { BatchConsumerFactory, KafkaAdminService } from '@memory/kafka';
import { JsonLogger, stopTelemetry } from '@memory/telemetry';
import { DynamicModule, INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Largest JSON request body; a batch of chat messages at their size limits fits. */
const JSON_BODY_LIMIT = '8mb';

export interface ServiceDefinition<S = undefined> {
  name: ServiceName;
  /** Reads the service's own settings; validated together with the shared configuration. */
  settings?: (read: EnvReader) => S;
  /** Builds the root module from the validated configuration. */
  module: (config: AppConfig, settings: S) => DynamicModule;
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
      process.stderr.write(`${definition.name}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }

  const logger = new JsonLogger({
    service: definition.name,
    level: config.log.level,
    format: config.log.format,
  });
  const log = new Logger('Bootstrap');
  const app = await NestFactory.create<NestExpressApplication>(
    definition.module(config, settings),
    {
      logger,
      bufferLogs: true,
      bodyParser: false,
    },
  );
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  installShutdown(app, config, log);
  await definition.configure?.(app, config);
  serveOpenApi(app, definition.name);
  await app.init();

  const created = await app.get(KafkaAdminService).ensureTopics(TOPIC_DEFINITIONS);
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

/** OpenAPI document at /docs-json and Swagger UI at /docs. */
function serveOpenApi(app: INestApplication, name: ServiceName): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`Conversation memory: ${name}`)
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
    const timer = setTimeout(() => {
      log.error({ msg: 'shutdown timed out, exiting', timeoutMs: config.shutdownTimeoutMs });
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app
      .close()
      .then(() => stopTelemetry())
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
