import { randomUUID } from 'node:crypto';
import { EnvReader, readDatabaseConfig } from '@memory/config';
import { dataSourceOptions } from '@memory/persistence';
import { DataSource } from 'typeorm';
import { createApiKey } from './support/cli';
import { ServiceProcess } from './support/service-process';
import { TEST_DATABASE_URL } from './support/test-database';

/*
 * Pins through the retention service on the real stack: a user pins a conversation of the
 * key's tenant (the compressor and retention then keep it, see compressor.e2e-spec.ts and
 * retention-keep.e2e-spec.ts), and
 * nothing of another tenant can be pinned.
 */
describe('retention: pins', () => {
  const tenantId = `e2e-${randomUUID().slice(0, 8)}`;
  const otherTenant = `${tenantId}-b`;
  const retention = new ServiceProcess('retention');
  const dataSource = new DataSource(
    dataSourceOptions(readDatabaseConfig(new EnvReader({ DATABASE_URL: TEST_DATABASE_URL }))),
  );
  const keys: Record<string, string> = {};

  const insert = (tenant: string, conversationId: string) =>
    dataSource.query(
      `INSERT INTO conversation_summaries (tenant_id, conversation_id, user_id, version,
         through_seq, seen_seq, text, sections, last_message_at)
       VALUES ($1, $2, 'ana', 1, 10, 10, 'x', '{}', now())`,
      [tenant, conversationId],
    );
  const pinned = async (tenant: string, conversationId: string) => {
    const [row] = await dataSource.query<Array<{ pinned: boolean }>>(
      'SELECT pinned FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = $2',
      [tenant, conversationId],
    );
    return row?.pinned;
  };
  const call = (method: 'POST' | 'DELETE', conversationId: string, key: string) =>
    fetch(`${retention.baseUrl}/v1/conversations/${encodeURIComponent(conversationId)}/pin`, {
      method,
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });

  beforeAll(async () => {
    await dataSource.initialize();
    await insert(tenantId, 'plan');
    await insert(otherTenant, 'secret');
    keys.search = createApiKey(tenantId, 'search');
    keys.ingest = createApiKey(tenantId, 'ingest');
    retention.start();
    await retention.waitReady();
  });

  afterAll(async () => {
    await retention.stop('SIGKILL');
    await dataSource.query('DELETE FROM conversation_summaries WHERE tenant_id IN ($1, $2)', [
      tenantId,
      otherTenant,
    ]);
    await dataSource.destroy();
  });

  it('pins and unpins a conversation of the key’s tenant', async () => {
    const pin = await call('POST', 'plan', keys.search ?? '');
    expect(pin.status).toBe(200);
    expect(await pin.json()).toEqual({ conversationId: 'plan', pinned: true });
    expect(await pinned(tenantId, 'plan')).toBe(true);

    const unpin = await call('DELETE', 'plan', keys.search ?? '');
    expect(unpin.status).toBe(200);
    expect(await unpin.json()).toEqual({ conversationId: 'plan', pinned: false });
    expect(await pinned(tenantId, 'plan')).toBe(false);
  });

  it('finds nothing of another tenant, and refuses keys without the scope', async () => {
    expect((await call('POST', 'secret', keys.search ?? '')).status).toBe(404);
    expect(await pinned(otherTenant, 'secret')).toBe(false);
    expect((await call('POST', 'never-seen', keys.search ?? '')).status).toBe(404);
    expect((await call('POST', 'plan', keys.ingest ?? '')).status).toBe(403);
    expect((await call('POST', 'plan', '')).status).toBe(401);
  });
});
