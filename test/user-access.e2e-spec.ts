import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signUserToken } from '@memory/auth';
import { MemoryApiError, MemoryClient } from '@memory/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { runCli } from './support/cli';
import { eventually } from './support/eventually';
import { GARDEN, RENT } from './fixtures/conversations/chats';
import { SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';

const SECRET = 'the-tenant-product-secret-of-32-bytes+';
const OTHER_SECRET = 'another-tenant-secret-of-32-bytes-or-more';

/*
 * Credentials of one end user on the real services: an API key bound to a user, and tokens
 * (JWT, HS256 and ES256) a tenant's product signs for its users with keys registered through
 * the CLI. Whatever the request names, such a credential never sees another user's
 * conversation: searches, context, summaries, versions, messages, profiles, pins, ingest and
 * the MCP server.
 */
describe('user-bound credentials', () => {
  const harness = new SearchHarness();
  const tenant = harness.tenantId;
  const otherTenant = `${tenant}-b`;
  const retention = new ServiceProcess('retention', {
    KAFKA_GROUP_PREFIX: harness.groupPrefix,
    OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
  });
  const mcp = new ServiceProcess('mcp', { MCP_KEY_CACHE_MS: '0' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = mkdtempSync(join(tmpdir(), 'memory-jwt-'));
  const credentials: Record<string, string> = {};
  let esKeyId = '';

  const now = () => Math.floor(Date.now() / 1000);
  const token = (claims: Record<string, unknown> = {}, secret = SECRET) =>
    signUserToken(
      { tenant, sub: 'ana', scope: 'search ingest', iat: now(), exp: now() + 600, ...claims },
      'HS256',
      secret,
    );
  const clientOf = (credential: string) =>
    new MemoryClient({
      apiKey: credential,
      urls: {
        ingest: harness.ingest.baseUrl,
        search: harness.search.baseUrl,
        retention: retention.baseUrl,
      },
      retries: 0,
    });
  const status = (call: Promise<unknown>) =>
    call.then(
      () => 200,
      (error: unknown) => (error instanceof MemoryApiError ? error.status : -1),
    );

  beforeAll(async () => {
    await harness.setUp();
    // The processes start side by side: each waits for its own readiness.
    retention.start();
    mcp.start();
    await Promise.all([
      harness.start(),
      harness.startSummarizer(),
      harness.startSearch(),
      retention.waitReady(),
      mcp.waitReady(120_000),
    ]);
    await harness.produce([
      ...RENT.map((content, i) =>
        harness.record(harness.message('ana-rent', `ana-${i}`, content, { userId: 'ana' })),
      ),
      ...GARDEN.map((content, i) =>
        harness.record(harness.message('bob-garden', `bob-${i}`, content, { userId: 'bob' })),
      ),
    ]);
    const created = runCli(
      [
        'api-keys',
        'create',
        '--tenant',
        tenant,
        '--name',
        'ana',
        '--scopes',
        'search,ingest',
      ].concat(['--user', 'ana']),
    );
    credentials.anaKey = /key: (\S+)/.exec(created.stdout)?.[1] ?? '';
    const hs = runCli(
      ['jwt-keys', 'add', '--tenant', tenant, '--name', 'product', '--alg', 'HS256'].concat([
        '--secret-env',
        'PRODUCT_JWT_SECRET',
      ]),
      { PRODUCT_JWT_SECRET: SECRET },
    );
    expect(hs.code).toBe(0);
    writeFileSync(join(dir, 'es.pem'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
    const es = runCli([
      'jwt-keys',
      'add',
      '--tenant',
      tenant,
      '--name',
      'mobile',
      '--alg',
      'ES256',
      '--key-file',
      join(dir, 'es.pem'),
    ]);
    esKeyId = /id: (\S+)/.exec(es.stdout)?.[1] ?? '';
    runCli(
      ['jwt-keys', 'add', '--tenant', otherTenant, '--name', 'b', '--alg', 'HS256'].concat([
        '--secret-env',
        'B_SECRET',
      ]),
      { B_SECRET: OTHER_SECRET },
    );
    credentials.hsToken = token();
    credentials.esToken = signUserToken(
      { tenant, sub: 'ana', scope: 'search ingest', exp: now() + 600 },
      'ES256',
      ec.privateKey,
      esKeyId,
    );
    credentials.tenantKey = harness.createKey(tenant, 'search,ingest');
    await eventually(
      async () =>
        ((await harness.vectorsFilled()) &&
          (await harness.summary('ana-rent')) &&
          (await harness.summary('bob-garden'))) ||
        undefined,
      120_000,
    );
  }, 300_000);

  afterAll(async () => {
    await mcp.stop('SIGKILL');
    await retention.stop('SIGKILL');
    await harness.tearDown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a tenant key sees both users (the baseline)', async () => {
    const found = await clientOf(credentials.tenantKey ?? '').search({
      query: 'landlord rent tomato garden',
    });
    expect(found.results.map((r) => r.conversationId).sort()).toEqual(['ana-rent', 'bob-garden']);
  });

  it.each(['anaKey', 'hsToken', 'esToken'])(
    "%s sees only ana's conversations, whatever the request names",
    async (name) => {
      const ana = clientOf(credentials[name] ?? '');
      expect(await ana.whoami()).toMatchObject({ tenantId: tenant, userId: 'ana' });
      const found = await ana.search({ query: 'landlord rent tomato garden' });
      expect(found.results.map((r) => r.conversationId)).toEqual(['ana-rent']);
      const named = await ana.search({ query: 'tomato', userId: 'bob' }).catch((e: unknown) => e);
      expect(named).toMatchObject({ status: 403, code: 'USER_MISMATCH' });
      expect((named as MemoryApiError).fieldErrors('userId')).toHaveLength(1);

      const context = await ana.context({ query: 'tomato plants and rent', tokenBudget: 2000 });
      expect(context.items.length).toBeGreaterThan(0);
      expect(context.items.every((item) => item.conversationId !== 'bob-garden')).toBe(true);
      expect(context.text).not.toContain('tomato');

      expect(await status(ana.summary('ana-rent'))).toBe(200);
      expect(await status(ana.summary('bob-garden'))).toBe(404);
      expect(await status(ana.summaryVersions('bob-garden'))).toBe(404);
      expect(await status(ana.messages('bob-garden'))).toBe(404);
      expect(await status(ana.messages('ana-rent'))).toBe(200);
      expect(await status(ana.context({ query: 'x', conversationId: 'bob-garden' }))).toBe(404);
      expect(await status(ana.profile('bob'))).toBe(403);
      expect(await status(ana.rollups('bob'))).toBe(403);
      expect(await status(ana.pin('bob-garden'))).toBe(404);

      const asBob = await ana
        .ingest({ ...message('bob'), messageId: `${name}-1` })
        .catch((e: unknown) => e);
      expect((asBob as MemoryApiError).errors[0]).toMatchObject({
        field: 'userId',
        code: 'USER_MISMATCH',
      });
      const intoBobs = await ana
        .ingest({ ...message('ana'), conversationId: 'bob-garden', messageId: `${name}-2` })
        .catch((e: unknown) => e);
      expect((intoBobs as MemoryApiError).errors[0]).toMatchObject({
        field: 'conversationId',
        code: 'USER_MISMATCH',
      });
      expect(await ana.ingest({ ...message('ana'), messageId: `${name}-3` })).toMatchObject({
        accepted: 1,
      });
    },
  );

  it('refuses expired, wrongly signed and other tenants’ tokens with 401', async () => {
    const refused = async (credential: string) =>
      clientOf(credential)
        .search({ query: 'rent' })
        .catch((e: unknown) => e as MemoryApiError);
    expect(await refused(token({ exp: now() - 120 }))).toMatchObject({
      status: 401,
      code: 'TOKEN_EXPIRED',
    });
    expect(await refused(token({}, `${SECRET}-not`))).toMatchObject({
      status: 401,
      code: 'TOKEN_INVALID',
    });
    // Signed with the other tenant's key but claiming this tenant, and the other way round.
    expect(await refused(token({}, OTHER_SECRET))).toMatchObject({ status: 401 });
    expect(await refused(token({ tenant: otherTenant }))).toMatchObject({ status: 401 });
    expect(await refused(token({ scope: 'admin' }))).toMatchObject({ status: 401 });
    // A valid token of the other tenant sees none of this tenant's conversations.
    const other = clientOf(token({ tenant: otherTenant }, OTHER_SECRET));
    expect((await other.search({ query: 'landlord rent tomato garden' })).results).toEqual([]);
    expect(await status(other.summary('ana-rent'))).toBe(404);
    // A revoked key stops verifying (within the 5 s key cache).
    expect(runCli(['jwt-keys', 'revoke', esKeyId]).stdout).toContain(`revoked ${esKeyId}`);
    await eventually(
      async () => (await status(clientOf(credentials.esToken ?? '').whoami())) === 401 || undefined,
      15_000,
      500,
    );
  });

  it('limits the MCP tools of a user token to that user', async () => {
    const client = new Client({ name: 'e2e-user', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${mcp.baseUrl}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${credentials.hsToken}` } },
      }),
    );
    try {
      const text = (result: unknown) =>
        ((result as CallToolResult).content[0] as { text: string }).text;
      const found = await client.callTool({
        name: 'search_memory',
        arguments: { query: 'landlord rent tomato garden' },
      });
      expect(text(found)).toContain('conversation ana-rent');
      expect(text(found)).not.toContain('bob-garden');
      const theirs = await client.callTool({
        name: 'get_conversation_summary',
        arguments: { conversationId: 'bob-garden' },
      });
      expect(theirs.isError).toBe(true);
      expect(text(theirs)).toMatch(/404/);
      const remembered = await client.callTool({
        name: 'remember',
        arguments: { conversationId: 'ana-notes', content: 'Ana keeps her notes here.' },
      });
      expect(remembered.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('erasing the user revokes the keys bound to them, and the keys forget them', async () => {
    const admin = clientOf(harness.createKey(tenant, 'admin'));
    // Her messages sent above are stored and indexed first (one arriving during the erasure is
    // another case).
    await eventually(async () => {
      const rows = await harness.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1 AND user_id = 'ana'`,
        [tenant],
      );
      return (rows[0]?.n === 2 && (await harness.vectorsFilled())) || undefined;
    }, 30_000);
    await admin.admin.eraseUser('ana');
    await eventually(
      async () => (await status(clientOf(credentials.anaKey ?? '').whoami())) === 401 || undefined,
      15_000,
      250,
    );
    const [row] = await harness.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1 AND user_id = $2',
      [tenant, 'ana'],
    );
    expect(row?.n).toBe(0);
    // A token of hers stays valid until it expires, and finds nothing.
    await eventually(async () => {
      const found = await clientOf(credentials.hsToken ?? '').search({ query: 'rent landlord' });
      return found.results.length === 0 || undefined;
    }, 30_000);
  });
});

function message(userId: string) {
  return {
    conversationId: 'ana-rent',
    userId,
    role: 'user' as const,
    content: 'one more thing about the rent',
    createdAt: '2026-03-02T10:00:00Z',
  };
}
