import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { hashApiKey } from '@memory/auth';
import { ServiceName } from '@memory/config';
import { TOPICS } from '@memory/contracts';
import { createApiKey, runCli } from './support/cli';
import { IngestHarness } from './support/ingest-harness';
import { endOffsets, setGroupOffsets } from './support/kafka';
import { ServiceProcess } from './support/service-process';
import { counter } from './support/metrics';

const OPENSEARCH_URL = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
const KiB = 1024;
const MiB = 1024 * KiB;

/** Small limits, so that a test reaches them with a handful of requests. */
const LIMITS = {
  INGEST_RATE_LIMIT_PER_SECOND: '2',
  INGEST_RATE_LIMIT_BURST: '5',
  SEARCH_RATE_LIMIT_PER_SECOND: '2',
  SEARCH_RATE_LIMIT_BURST: '5',
  AUTH_KEY_LOOKUPS_PER_SECOND: '10', // bursts of 20
};
const LOOKUPS_PER_SECOND = 10;
const LOOKUP_BURST = 20;
/** The promise: a revoked key is refused everywhere within 2 s. */
const REVOCATION_PROMISE_MS = 2_000;

/**
 * A service on a port of its own: other suites (and other checkouts on this machine) use the
 * fixed test ports at the same time, and a request to their process would test their code.
 */
class OwnPortProcess extends ServiceProcess {
  private readonly port: number;

  constructor(service: ServiceName, env: Record<string, string>) {
    const port = randomInt(20_000, 30_000);
    super(service, { ...env, [`${service.toUpperCase()}_PORT`]: String(port) });
    this.port = port;
  }

  override get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

/** A key of the right shape that no tenant has. */
const strangerKey = (): string => `mk_${randomBytes(32).toString('base64url')}`;

interface Answer {
  status: number;
  body: { code?: string; limitBytes?: number };
  retryAfter: string | null;
}

async function call(
  url: string,
  init: { method?: string; key?: string; body?: string | ReadableStream<Uint8Array> } = {},
): Promise<Answer> {
  const request: RequestInit & { duplex?: 'half' } = {
    method: init.method ?? 'GET',
    headers: {
      ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body,
    // A stream is sent chunked, without Content-Length.
    ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
  };
  const response = await fetch(url, request);
  const text = await response.text();
  let body: Answer['body'] = {};
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    // not JSON: left empty, and the assertions on codes say so
  }
  return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
}

/**
 * A request with a valid key, retried as a client should when the server is busy with unknown
 * keys (429 KEY_LOOKUPS_THROTTLED, after Retry-After): a key the process has not cached yet
 * needs a look-up from the budget the flood test spends.
 */
async function asKnownClient(url: string, key: string): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const answer = await call(url, { key });
    if (answer.body.code !== 'KEY_LOOKUPS_THROTTLED' || attempt === 10) return answer;
    await new Promise((resolve) => setTimeout(resolve, Number(answer.retryAfter ?? 1) * 1000));
  }
}

/** Polls until `url` answers 401 for `key`; the time it took from `since`. */
async function msUntilRefused(url: string, key: string, since: number): Promise<number> {
  for (;;) {
    const { status } = await call(url, { key });
    if (status === 401) return Date.now() - since;
    if (Date.now() - since > 30_000) throw new Error(`${url} still accepts the revoked key`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('HTTP abuse: strangers and one tenant cannot starve the others', () => {
  const harness = new IngestHarness();
  const tenantId = harness.tenantId;
  const indexPrefix = `e2e-${randomUUID().slice(0, 8)}`;
  const search = new OwnPortProcess('search', {
    KAFKA_GROUP_PREFIX: harness.groupPrefix,
    OPENSEARCH_INDEX_PREFIX: indexPrefix,
    ...LIMITS,
  });
  const keys: Record<
    'known' | 'body' | 'rate' | 'other' | 'revokedBySql' | 'revokedByCli',
    string
  > = { known: '', body: '', rate: '', other: '', revokedBySql: '', revokedByCli: '' };
  const ingestUrl = (path: string): string => `${harness.ingest.baseUrl}${path}`;
  const searchUrl = (path: string): string => `${search.baseUrl}${path}`;

  beforeAll(async () => {
    await harness.setUp();
    // The indexer starts at the end of the summaries topic: this suite indexes nothing.
    await setGroupOffsets(
      harness.kafka,
      `${harness.groupPrefix}.search-indexer`,
      TOPICS.memorySummaries,
      await endOffsets(harness.kafka, TOPICS.memorySummaries),
    );
    for (const name of Object.keys(keys) as Array<keyof typeof keys>)
      keys[name] = createApiKey(tenantId, 'ingest,search');
    harness.ingest = new OwnPortProcess('ingest', {
      KAFKA_GROUP_PREFIX: harness.groupPrefix,
      ...LIMITS,
    }).start();
    search.start();
    await Promise.all([harness.ingest.waitReady(), search.waitReady(120_000)]);
    // Every key is cached by both processes before the flood test spends the look-up budget.
    for (const url of [
      ingestUrl('/v1/conversations/nothing-here/messages'),
      searchUrl('/v1/conversations/nothing-here/summary'),
    ])
      for (const key of Object.values(keys)) expect((await call(url, { key })).status).toBe(404);
  });

  afterAll(async () => {
    await search.stop('SIGKILL');
    await fetch(`${OPENSEARCH_URL}/${indexPrefix}-summaries*`, { method: 'DELETE' }).catch(
      () => undefined,
    );
    await harness.dataSource.query('DELETE FROM api_keys WHERE tenant_id = $1', [tenantId]);
    await harness.tearDown();
  });

  it('costs the database one look-up per unknown key, and a bounded number under a flood of them', async () => {
    const lookups = () => counter(harness.ingest.baseUrl, 'auth_key_lookups_total');
    const messages = ingestUrl('/v1/conversations/nothing-here/messages');
    // The known key is cached before the flood, and keeps working through it.
    expect((await call(messages, { key: keys.known })).status).toBe(404);

    const before = await lookups();
    const repeated = Array.from({ length: 10 }, strangerKey);
    const answers = await Promise.all(
      repeated.flatMap((key) => Array.from({ length: 30 }, () => call(messages, { key }))),
    );
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([401]));
    expect(answers[0]?.body.code).toBe('API_KEY_INVALID');
    const afterRepeated = await lookups();
    // 300 requests with 10 keys: at most one query each (concurrent ones share it).
    expect(afterRepeated - before).toBeGreaterThanOrEqual(1);
    expect(afterRepeated - before).toBeLessThanOrEqual(repeated.length);

    const started = Date.now();
    const flood: Answer[] = [];
    const knownDuringFlood: number[] = [];
    for (let wave = 0; wave < 8; wave++) {
      // Every other wave, so that the known key stays within its own burst of 5.
      const [strangers, known] = await Promise.all([
        Promise.all(Array.from({ length: 50 }, () => call(messages, { key: strangerKey() }))),
        wave % 2 === 0 ? call(messages, { key: keys.known }) : undefined,
      ]);
      flood.push(...strangers);
      if (known) knownDuringFlood.push(known.status);
    }
    const seconds = (Date.now() - started) / 1000;
    const queries = (await lookups()) - afterRepeated;
    const throttled = flood.filter((answer) => answer.status === 429);
    process.stdout.write(
      `[http-abuse] ${flood.length} random keys in ${seconds.toFixed(1)} s: ${queries} database look-ups, ` +
        `${throttled.length} answered 429 KEY_LOOKUPS_THROTTLED\n`,
    );
    expect(flood.every((answer) => answer.status === 401 || answer.status === 429)).toBe(true);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.every((answer) => answer.body.code === 'KEY_LOOKUPS_THROTTLED')).toBe(true);
    expect(throttled.every((answer) => Number(answer.retryAfter) >= 1)).toBe(true);
    expect(queries).toBeLessThanOrEqual(LOOKUP_BURST + Math.ceil(LOOKUPS_PER_SECOND * seconds) + 1);
    expect(knownDuringFlood).toEqual([404, 404, 404, 404]);
  });

  it('refuses oversize bodies with 413 and a code before parsing them, never with a 5xx', async () => {
    const messages = ingestUrl('/v1/messages');
    const message = (n: number, content: string) => ({
      schema: 'chat.message.v1',
      messageId: `big-${n}`,
      conversationId: 'big-conv',
      userId: 'user-1',
      role: 'user',
      content,
      createdAt: '2026-03-01T10:00:00Z',
    });
    // Ten messages of 60 KiB: 600 KiB, under the batch limit.
    const fits = JSON.stringify({
      messages: Array.from({ length: 10 }, (_, n) => message(n, 'a'.repeat(60 * KiB))),
    });
    expect((await call(messages, { method: 'POST', key: keys.body, body: fits })).status).toBe(202);

    const overBatch = JSON.stringify({ messages: [message(99, 'b'.repeat(MiB))] });
    const refused = await call(messages, { method: 'POST', key: keys.body, body: overBatch });
    expect(refused).toMatchObject({
      status: 413,
      body: { code: 'BODY_TOO_LARGE', limitBytes: MiB },
    });

    // Sent chunked, without a length: refused once 1 MiB has come in.
    const chunk = new TextEncoder().encode(' '.repeat(64 * KiB));
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"messages": ['));
        sent += chunk.length;
        if (sent > 2 * MiB) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const chunked = await call(messages, { method: 'POST', key: keys.body, body: endless });
    expect(chunked).toMatchObject({ status: 413, body: { code: 'BODY_TOO_LARGE' } });

    const searchRequest = JSON.stringify({ query: 'x'.repeat(16 * KiB) });
    const overSearch = await call(searchUrl('/v1/search'), {
      method: 'POST',
      key: keys.body,
      body: searchRequest,
    });
    expect(overSearch).toMatchObject({
      status: 413,
      body: { code: 'BODY_TOO_LARGE', limitBytes: 16 * KiB },
    });
    // Without a key too: the limit comes before anything else.
    expect(
      (await call(searchUrl('/v1/search'), { method: 'POST', body: searchRequest })).status,
    ).toBe(413);
    const malformed = await call(messages, {
      method: 'POST',
      key: keys.body,
      body: '{"messages": [',
    });
    expect(malformed).toMatchObject({ status: 400, body: { code: 'MALFORMED_JSON' } });
  });

  it('limits each API key to its rate with 429 and Retry-After, on ingest and on search', async () => {
    for (const url of [
      ingestUrl('/v1/conversations/nothing-here/messages'),
      searchUrl('/v1/conversations/nothing-here/summary'),
    ]) {
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => call(url, { key: keys.rate })),
      );
      const limited = answers.filter((answer) => answer.status === 429);
      // A burst of 5, plus what 2 per second refills while the 12 are answered.
      expect(limited.length).toBeGreaterThanOrEqual(4);
      expect(answers.filter((answer) => answer.status === 404).length).toBe(12 - limited.length);
      for (const answer of limited) {
        expect(answer.body.code).toBe('RATE_LIMITED');
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      // Another key of the same tenant is not held back by this one.
      expect((await call(url, { key: keys.other })).status).toBe(404);
    }
  });

  it('refuses a key revoked elsewhere within 2 s in every running process', async () => {
    const urls = [
      ingestUrl('/v1/conversations/nothing-here/messages'),
      searchUrl('/v1/conversations/nothing-here/summary'),
    ];
    // Both processes have the keys cached as valid (looked up again if the suite took long).
    for (const url of urls)
      for (const key of [keys.revokedBySql, keys.revokedByCli])
        expect((await asKnownClient(url, key)).status).toBe(404);

    await harness.dataSource.query('UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1', [
      hashApiKey(keys.revokedBySql),
    ]);
    const bySql = Date.now();
    const sqlElapsed = await Promise.all(
      urls.map((url) => msUntilRefused(url, keys.revokedBySql, bySql)),
    );

    const [row] = await harness.dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM api_keys WHERE key_hash = $1',
      [hashApiKey(keys.revokedByCli)],
    );
    expect(runCli(['api-keys', 'revoke', row?.id ?? '']).stdout).toContain('revoked');
    const byCli = Date.now();
    const cliElapsed = await Promise.all(
      urls.map((url) => msUntilRefused(url, keys.revokedByCli, byCli)),
    );
    process.stdout.write(
      `[http-abuse] revoked key refused after: SQL ingest ${sqlElapsed[0]} ms, search ${sqlElapsed[1]} ms; ` +
        `CLI ingest ${cliElapsed[0]} ms, search ${cliElapsed[1]} ms\n`,
    );
    // The documented promise, with a margin for polling and a shared machine.
    for (const elapsed of [...sqlElapsed, ...cliElapsed])
      expect(elapsed).toBeLessThanOrEqual(REVOCATION_PROMISE_MS + 500);
    // Keys not revoked are unaffected.
    for (const url of urls) expect((await asKnownClient(url, keys.other)).status).toBe(404);
  });

  it('never prints a password from a bad DATABASE_URL or OPENSEARCH_URL', async () => {
    const broken = new OwnPortProcess('retention', {
      DATABASE_URL: 'mysql://memory:e2e-db-s3cret@db/memory',
      OPENSEARCH_URL: 'http://admin:e2e-os-s3cret@search:not-a-port',
    }).start();
    expect(await broken.waitExit()).toBe(78);
    const output = broken.output.join('\n');
    expect(output).toContain('DATABASE_URL');
    expect(output).toContain('mysql://memory:***@db/memory');
    expect(output).toContain('OPENSEARCH_URL');
    expect(output).not.toMatch(/s3cret/);
  });
});
