import type { Server } from 'node:http';
import { configSecrets, loadConfig, SecretRedactor } from '@memory/config';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { apiLimitsDescription, redactingLogger } from './run-service';
import { KiB, MiB } from './body-limits';
import { RedactingExceptionFilter } from './redacting-exception.filter';

@Controller()
class FailingController {
  @Get('ready')
  ready(): never {
    // What a readiness check can say when a client quotes its connection string.
    throw new ServiceUnavailableException({
      status: 'error',
      error: {
        opensearch: {
          status: 'down',
          message: 'connect to http://admin:os-s3cret@search:9200 failed',
        },
      },
      details: { postgres: { status: 'down', message: 'auth failed with db-s3cret' } },
    });
  }

  @Get('boom')
  boom(): never {
    throw new Error('internal: password db-s3cret');
  }
}

async function setup() {
  const moduleRef = await Test.createTestingModule({ controllers: [FailingController] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalFilters(
    new RedactingExceptionFilter(app.get(HttpAdapterHost), new SecretRedactor(['db-s3cret'])),
  );
  await app.init();
  return { app, http: () => request(app.getHttpServer() as Server) };
}

describe(RedactingExceptionFilter.name, () => {
  it('masks passwords in error answers such as a failed readiness check', async () => {
    const { app, http } = await setup();
    const answer = await http().get('/ready').expect(503);
    expect(JSON.stringify(answer.body)).not.toMatch(/s3cret/);
    expect(answer.body).toMatchObject({
      error: { opensearch: { message: 'connect to http://admin:***@search:9200 failed' } },
      details: { postgres: { message: 'auth failed with ***' } },
    });
    expect(answer.body).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE', errors: [] });
    // what is not an HttpException: a 500 in the same shape, its details only in the log
    expect((await http().get('/boom').expect(500)).body).toEqual({
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: 'internal server error',
      errors: [],
    });
    await app.close();
  });
});

describe(apiLimitsDescription.name, () => {
  it('lists the body limit of each route and the per-key rate', () => {
    const text = apiLimitsDescription(loadConfig('ingest', {}), {
      defaultBytes: 4 * KiB,
      routes: [{ method: 'POST', path: '/v1/messages', limitBytes: MiB }],
    });
    expect(text).toContain('`POST /v1/messages` 1 MiB, any other route 4 KiB');
    expect(text).toContain('100 requests per second to this service (bursts of 200');
    expect(text).toContain('Retry-After');
  });
});

describe(redactingLogger.name, () => {
  it('masks the configured passwords in connection-failure logs', () => {
    const env = {
      DATABASE_URL: 'postgres://memory:pg-s3cret@db:5432/memory',
      OPENSEARCH_URL: 'http://admin:os-s3cret@search:9200',
    };
    const config = loadConfig('ingest', env);
    const lines: string[] = [];
    const logger = redactingLogger(config, new SecretRedactor(configSecrets(config, env)), (line) =>
      lines.push(line),
    );
    logger.error(
      { msg: 'Unable to connect to the database', url: env.DATABASE_URL },
      new Error('password authentication failed: pg-s3cret'),
      'TypeOrmModule',
    );
    logger.warn({ msg: 'opensearch down', node: env.OPENSEARCH_URL });
    const output = lines.join('\n');
    expect(output).not.toMatch(/s3cret/);
    expect(output).toContain('postgres://memory:***@db:5432/memory');
    expect(output).toContain('http://admin:***@search:9200');
  });
});
