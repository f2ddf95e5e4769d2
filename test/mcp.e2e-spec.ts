import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { spawnSync } from 'node:child_process';
import { eventually } from './support/eventually';
import { GARDEN, RENT } from './fixtures/conversations/chats';
import { SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';
import { testEnv } from './support/test-env';

const MAIN = resolve(__dirname, '../dist/apps/mcp/src/main.js');
const ALL_TOOLS = [
  'search_memory',
  'get_context',
  'get_conversation_summary',
  'get_messages',
  'get_user_profile',
  'pin_conversation',
  'remember',
];

/*
 * The MCP server (apps/mcp) on the real stack, driven by the MCP SDK's own client over both
 * transports: Streamable HTTP (each request with its bearer key) and stdio (the key in the
 * environment). Behind it ingest, summarizer, search and retention run as processes; every
 * tool goes through their HTTP API with the caller's key.
 */
describe('mcp', () => {
  const harness = new SearchHarness();
  const tenantB = `${harness.tenantId}-b`;
  const retention = new ServiceProcess('retention', { KAFKA_GROUP_PREFIX: harness.groupPrefix });
  const mcp = new ServiceProcess('mcp', { MCP_KEY_CACHE_MS: '0' });
  const keys = { a: '', b: '', searchOnly: '' };
  const clients: Client[] = [];

  const text = (result: unknown) =>
    ((result as CallToolResult).content[0] as { text: string }).text;

  async function overHttp(key: string): Promise<Client> {
    const client = new Client({ name: 'e2e-http', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${mcp.baseUrl}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  async function overStdio(key: string): Promise<Client> {
    const client = new Client({ name: 'e2e-stdio', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [MAIN],
        env: testEnv({ MCP_TRANSPORT: 'stdio', MEMORY_API_KEY: key }) as Record<string, string>,
        stderr: 'pipe',
      }),
    );
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    await harness.setUp();
    // The processes start side by side: each waits for its own readiness.
    retention.start();
    mcp.start();
    await Promise.all([
      harness.start(),
      harness.startSummarizer({ SUMMARY_PROFILE_INTERVAL_MS: '1000' }),
      harness.startSearch(),
      retention.waitReady(),
      mcp.waitReady(120_000),
    ]);
    keys.a = harness.createKey(harness.tenantId, 'search,ingest');
    keys.b = harness.createKey(tenantB, 'search,ingest');
    keys.searchOnly = harness.createKey(harness.tenantId, 'search');
    await harness.say('rent', RENT);
    await harness.say('garden', GARDEN);
    await eventually(
      async () =>
        ((await harness.vectorsFilled()) && (await harness.summary('garden'))) || undefined,
      120_000,
    );
  });

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await mcp.stop('SIGKILL');
    await retention.stop('SIGKILL');
    await harness.tearDown();
  });

  it('lists the tools over both transports, as the key’s scopes allow', async () => {
    for (const client of [await overHttp(keys.a), await overStdio(keys.a)]) {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(ALL_TOOLS);
      for (const tool of tools) {
        expect(tool.description?.length).toBeGreaterThan(40);
        expect(tool.inputSchema.type).toBe('object');
      }
      const search = tools.find((tool) => tool.name === 'search_memory');
      expect(search?.inputSchema.required).toEqual(['query']);
      expect(search?.annotations?.readOnlyHint).toBe(true);
    }
    const limited = await overHttp(keys.searchOnly);
    expect((await limited.listTools()).tools.map((tool) => tool.name)).toEqual(
      ALL_TOOLS.filter((name) => name !== 'get_messages' && name !== 'remember'),
    );
  });

  it('searches, reads and builds context with citations of conversation and seq range', async () => {
    const client = await overHttp(keys.a);
    const found = await client.callTool({
      name: 'search_memory',
      arguments: { query: 'tomato seedlings in the garden', limit: 3 },
    });
    expect(found.isError).toBeFalsy();
    expect(text(found)).toMatch(/^1\. conversation garden /m);
    expect(text(found)).toMatch(/\[garden, seq \d+(-\d+)?, /);
    const results = (found.structuredContent as { results: Array<{ conversationId: string }> })
      .results;
    expect(results[0]?.conversationId).toBe('garden');

    const context = await client.callTool({
      name: 'get_context',
      arguments: { query: 'garden tomatoes', tokenBudget: 400 },
    });
    expect(context.isError).toBeFalsy();
    expect(text(context)).toContain('garden');
    expect((context.structuredContent as { tokens: number }).tokens).toBeLessThanOrEqual(400);

    const summary = await client.callTool({
      name: 'get_conversation_summary',
      arguments: { conversationId: 'garden' },
    });
    expect(summary.isError).toBeFalsy();
    expect(text(summary)).toMatch(/^Conversation garden \(user user-1\), summary version \d+/);

    const messages = await client.callTool({
      name: 'get_messages',
      arguments: { conversationId: 'rent', afterSeq: 2, limit: 3 },
    });
    expect(messages.isError).toBeFalsy();
    const lines = text(messages).split('\n');
    expect(lines[0]).toMatch(/^\[rent, seq 3, .*\] user-1: /);
    expect(lines[0]).toContain(RENT[2]);
    expect(lines[3]).toBe('(more: afterSeq 5)');
  });

  it('reads the user profile and pins a conversation', async () => {
    const client = await overStdio(keys.a);
    await eventually(
      async () => {
        const profile = await client.callTool({
          name: 'get_user_profile',
          arguments: { userId: 'user-1' },
        });
        return (
          (!profile.isError && text(profile).startsWith('Profile of user user-1')) || undefined
        );
      },
      60_000,
      500,
    );
    const pinned = await client.callTool({
      name: 'pin_conversation',
      arguments: { conversationId: 'garden' },
    });
    expect(text(pinned)).toBe('Conversation garden is pinned.');
    const [row] = await harness.dataSource.query<Array<{ pinned: boolean }>>(
      'SELECT pinned FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = $2',
      [harness.tenantId, 'garden'],
    );
    expect(row?.pinned).toBe(true);
    const unpinned = await client.callTool({
      name: 'pin_conversation',
      arguments: { conversationId: 'garden', pinned: false },
    });
    expect(text(unpinned)).toBe('Conversation garden is no longer pinned.');
  });

  it('remembers a message through the pipeline: found by search soon after', async () => {
    const writer = await overHttp(keys.a);
    const stored = await writer.callTool({
      name: 'remember',
      arguments: {
        conversationId: 'notes',
        userId: 'user-1',
        content: 'My passport number ends in 4471 and it expires in March.',
        messageId: 'note-1',
      },
    });
    expect(stored.isError).toBeFalsy();
    expect(stored.structuredContent).toMatchObject({ accepted: 1, messageId: 'note-1' });
    // The same id again is stored once.
    await writer.callTool({
      name: 'remember',
      arguments: { conversationId: 'notes', userId: 'user-1', content: 'x', messageId: 'note-1' },
    });
    const reader = await overStdio(keys.a);
    await eventually(
      async () => {
        const found = await reader.callTool({
          name: 'search_memory',
          arguments: { query: 'passport expires', mode: 'keyword' },
        });
        return text(found).includes('conversation notes') || undefined;
      },
      60_000,
      500,
    );
    const [row] = await harness.dataSource.query<Array<{ count: string }>>(
      'SELECT count(*)::text AS count FROM messages WHERE tenant_id = $1 AND conversation_id = $2',
      [harness.tenantId, 'notes'],
    );
    expect(row?.count).toBe('1');
  });

  it('keeps each key in its tenant', async () => {
    const other = await overHttp(keys.b);
    const found = await other.callTool({
      name: 'search_memory',
      arguments: { query: 'tomato seedlings garden rent landlord' },
    });
    expect(text(found)).toMatch(/^No conversation found/);
    const summary = await other.callTool({
      name: 'get_conversation_summary',
      arguments: { conversationId: 'garden' },
    });
    expect(summary.isError).toBe(true);
    expect(text(summary)).toMatch(/404 NOT_FOUND/);
    const messages = await other.callTool({
      name: 'get_messages',
      arguments: { conversationId: 'rent' },
    });
    expect(messages.isError).toBe(true);
  });

  it('answers bad input with a tool error naming the field, never a crash', async () => {
    const client = await overHttp(keys.a);
    const tooMany = await client.callTool({
      name: 'search_memory',
      arguments: { query: 'garden', limit: 1000 },
    });
    expect(tooMany.isError).toBe(true);
    expect(text(tooMany)).toMatch(/limit/);
    const badId = await client.callTool({
      name: 'get_messages',
      arguments: { conversationId: 'no such id!' },
    });
    expect(badId.isError).toBe(true);
    expect(text(badId)).toMatch(/conversationId/);
    const badDate = await client.callTool({
      name: 'search_memory',
      arguments: { query: 'garden', from: 'last tuesday!' },
    });
    expect(badDate.isError).toBe(true);
    expect(text(badDate)).toMatch(/from: must be an ISO 8601 date .*\(INVALID_DATE\)/);
    // The server still answers.
    expect((await client.listTools()).tools).toHaveLength(ALL_TOOLS.length);
  });

  it('refuses a missing or unknown key on both transports', async () => {
    const call = (headers: Record<string, string>) =>
      fetch(`${mcp.baseUrl}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    const missing = await call({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await missing.json()).toMatchObject({ error: { data: { code: 'API_KEY_MISSING' } } });
    const unknown = await call({ authorization: `Bearer mk_${'x'.repeat(43)}` });
    expect(unknown.status).toBe(401);
    await expect(overHttp(`mk_${'y'.repeat(43)}`)).rejects.toThrow();

    const stdio = (env: Record<string, string>) =>
      spawnSync(process.execPath, [MAIN], {
        env: testEnv({ MCP_TRANSPORT: 'stdio', ...env }),
        input: '',
        encoding: 'utf8',
        timeout: 30_000,
      });
    const noKey = stdio({});
    expect(noKey.status).toBe(78);
    expect(noKey.stderr).toContain('MEMORY_API_KEY');
    const badKey = stdio({ MEMORY_API_KEY: `mk_${'z'.repeat(43)}` });
    expect(badKey.status).toBe(78);
    expect(badKey.stderr).toMatch(/MEMORY_API_KEY is not a valid API key/);
  });

  it('serves its metrics to Prometheus: tool calls by tool and outcome, refusals by code', async () => {
    // The tests before called tools over HTTP, bad input among them, and were refused.
    const response = await fetch(`${mcp.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    const metrics = await response.text();
    expect(metrics).toMatch(
      /mcp_tool_calls_total\{[^}]*tool="search_memory"[^}]*outcome="ok"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(/mcp_tool_calls_total\{[^}]*outcome="error"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/mcp_tool_duration_count\{[^}]*tool="get_context"/);
    expect(metrics).toMatch(/mcp_requests_refused_total\{[^}]*code="API_KEY_MISSING"[^}]*\} [1-9]/);
  });
});
