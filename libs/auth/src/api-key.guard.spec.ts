import type { Server } from 'node:http';
import { AuthConfig, loadConfig } from '@memory/config';
import { Controller, Get, Global, Module, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ApiKeyGuard, Caller, RequireScope } from './api-key.guard';
import { ApiKeyIdentity, ApiKeyStore, KeyLookupsThrottledError } from './api-key.store';
import { AuthModule } from './auth.module';

@Controller('v1')
@UseGuards(ApiKeyGuard)
class ProbeController {
  @Get('ingest')
  @RequireScope('ingest')
  ingest(@Caller() caller: ApiKeyIdentity): { tenantId: string } {
    return { tenantId: caller.tenantId };
  }
}

@Global()
@Module({
  providers: [
    {
      provide: AuthConfig,
      useValue: loadConfig('ingest', {
        INGEST_RATE_LIMIT_PER_SECOND: '1',
        INGEST_RATE_LIMIT_BURST: '2',
      }).auth,
    },
    { provide: DataSource, useValue: {} },
  ],
  exports: [AuthConfig, DataSource],
})
class FakeInfrastructure {}

const KEYS: Record<string, ApiKeyIdentity> = {
  mk_a: { keyId: 'a', tenantId: 'acme', scopes: ['ingest'] },
  mk_b: { keyId: 'b', tenantId: 'acme', scopes: ['ingest'] },
  mk_search: { keyId: 's', tenantId: 'acme', scopes: ['search'] },
};

async function setup() {
  const verify = jest.fn((key: string) => Promise.resolve(KEYS[key] ?? null));
  const moduleRef = await Test.createTestingModule({
    imports: [FakeInfrastructure, AuthModule],
    controllers: [ProbeController],
  })
    .overrideProvider(ApiKeyStore)
    .useValue({ verify, checkRevocations: () => Promise.resolve(0) })
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const get = (key?: string) => {
    const test = request(app.getHttpServer() as Server).get('/v1/ingest');
    return key ? test.set('Authorization', `Bearer ${key}`) : test;
  };
  return { app, get, verify };
}

describe(ApiKeyGuard.name, () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  it('answers every refusal with a code', async () => {
    const { app, get } = await setup();
    close = () => app.close();
    expect((await get().expect(401)).body).toMatchObject({ code: 'API_KEY_MISSING' });
    expect((await get('mk_nobody').expect(401)).body).toEqual({
      message: 'unknown or revoked API key',
      code: 'API_KEY_INVALID',
    });
    expect((await get('mk_search').expect(403)).body).toMatchObject({
      code: 'API_KEY_SCOPE_MISSING',
    });
    expect((await get('mk_a').expect(200)).body).toEqual({ tenantId: 'acme' });
  });

  it('limits each key to its burst, then 429 with Retry-After, other keys unaffected', async () => {
    const { app, get } = await setup();
    close = () => app.close();
    await get('mk_a').expect(200);
    await get('mk_a').expect(200);
    const refused = await get('mk_a').expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toEqual({
      message: expect.stringContaining('at most 1 per second (bursts of 2)'),
      code: 'RATE_LIMITED',
      retryAfterSeconds: 1,
    });
    await get('mk_b').expect(200);
  });

  it('answers 429 KEY_LOOKUPS_THROTTLED when unknown keys spent the look-up budget', async () => {
    const { app, get, verify } = await setup();
    close = () => app.close();
    verify.mockRejectedValueOnce(new KeyLookupsThrottledError(1));
    const refused = await get('mk_new').expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ code: 'KEY_LOOKUPS_THROTTLED' });
  });

  it('answers 503 AUTH_UNAVAILABLE, without the cause, when the look-up fails', async () => {
    const { app, get, verify } = await setup();
    close = () => app.close();
    verify.mockRejectedValueOnce(new Error('connect ECONNREFUSED 10.0.0.5:5432'));
    const failed = await get('mk_a').expect(503);
    expect(failed.body).toEqual({
      message: 'authentication is unavailable, try again',
      code: 'AUTH_UNAVAILABLE',
    });
  });
});
