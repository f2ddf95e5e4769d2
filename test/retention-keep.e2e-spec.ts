import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli';
import { eventually } from './support/eventually';
import { OPENSEARCH_URL, SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';

const DAY = 86_400_000;

interface TenantReport {
  archive: { conversations: number; kept: { conversations: number; sample: string[] } };
  erase: { conversations: number; sample: string[]; kept: { conversations: number } };
}

interface PassReport {
  erased: number;
  archived: number;
  kept: { archive: number; erase: number };
  tenants: Record<string, TenantReport>;
}

/*
 * The keep policy on the real stack (ingest, summarizer and retention as processes; Kafka and
 * Postgres): three conversations 800 days old, past both the archive age (90 days) and the
 * erase age (700 here). The plain one is erased; the pinned one and the one whose importance
 * reaches the tenant's keep importance keep every raw message in Postgres, neither archived
 * nor erased, and the dry run says so. An erase request still erases a kept conversation. A
 * fourth, 200 days old and of 25 messages, is archived with its newest 20 left in Postgres
 * (the default), and its messages are all served, the archived ones marked.
 */
describe('retention: what matters is kept', () => {
  const harness = new SearchHarness();
  let root = '';
  let retention: ServiceProcess | undefined;
  let adminKey = '';
  let searchKey = '';

  const produce = async (conversationId: string, lines: string[], days = 800): Promise<void> => {
    const start = Date.now() - days * DAY;
    await harness.produce(
      lines.map((content, i) =>
        harness.record(
          harness.message(conversationId, `${conversationId}-m${i + 1}`, content, {
            role: i % 2 === 0 ? 'user' : 'assistant',
            createdAt: new Date(start + i * 60_000).toISOString(),
          }),
        ),
      ),
    );
  };
  const stored = async (conversationId: string): Promise<number> => {
    const [row] = await harness.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND conversation_id = $2`,
      [harness.tenantId, conversationId],
    );
    return row?.n ?? 0;
  };
  const importance = async (conversationId: string): Promise<number> => {
    const [row] = await harness.dataSource.query<Array<{ importance: number }>>(
      `SELECT importance FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = $2`,
      [harness.tenantId, conversationId],
    );
    return Number(row?.importance ?? NaN);
  };
  const startRetention = async (env: Record<string, string>): Promise<ServiceProcess> => {
    await retention?.stop();
    retention = new ServiceProcess('retention', {
      RETENTION_ARCHIVE_ROOT: root,
      RETENTION_INTERVAL_MS: '3600000',
      OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
      ...env,
    });
    retention.start();
    await retention.waitReady();
    return retention;
  };
  const request = (method: string, path: string, key: string, body?: unknown) =>
    fetch(`${retention!.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const run = async (dryRun: boolean): Promise<PassReport> => {
    const response = await request('POST', '/v1/retention/run', adminKey, { dryRun });
    expect(response.status).toBe(200);
    return (await response.json()) as PassReport;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'memory-keep-'));
    await harness.setUp();
    // Ingest serves archived messages from the archives retention writes here.
    await harness.start({ RETENTION_ARCHIVE_ROOT: root });
    // Profiles looked at again a second after a change (the default waits 10 minutes).
    await harness.startSummarizer({ SUMMARY_PROFILE_INTERVAL_MS: '1000' });
    await harness.startSearch();
    adminKey = harness.createKey(harness.tenantId, 'admin');
    searchKey = harness.createKey(harness.tenantId, 'search');
    await produce('plain', ['hi', 'hello there']);
    await produce('pinned', ['hi again', 'hello once more']);
    // Many turns, decisions and tasks: what importance is computed from.
    await produce(
      'valued',
      Array.from({ length: 6 }, (_, i) => [
        `We decided to move the launch of release ${i + 1} to the first Monday of the month.`,
        `Ana will send the contract for release ${i + 1} to the lawyers by Friday.`,
      ]).flat(),
    );
    // Past the archive age only: archived, its newest 20 messages left in Postgres (the default).
    await produce(
      'long',
      Array.from({ length: 25 }, (_, i) => `Line ${i + 1} of a long talk about the harbour.`),
      200,
    );
    for (const [conversationId, count] of Object.entries({
      plain: 2,
      pinned: 2,
      valued: 12,
      long: 25,
    }))
      await harness.waitForSummary(
        conversationId,
        (summary) => summary.throughSeq >= count,
        120_000,
      );
  }, 240_000);

  afterAll(async () => {
    await retention?.stop('SIGKILL');
    await harness.tearDown();
    await rm(root, { recursive: true, force: true });
  });

  it('keeps the pinned and the important conversation from archiving and erasing by age', async () => {
    // A service that archives and erases nothing yet scores importance.
    await startRetention({ RETENTION_ARCHIVE_AFTER_DAYS: '36500' });
    const pin = await request('POST', '/v1/conversations/pinned/pin', searchKey);
    expect(pin.status).toBe(200);
    expect(await run(false)).toMatchObject({ erased: 0, archived: 0 });
    await retention?.stop();
    const plain = await importance('plain');
    const valued = await importance('valued');
    expect(valued).toBeGreaterThan(Math.max(plain, await importance('long')));
    // The tenant keeps what reaches the importance of the valued one.
    const env = {
      RETENTION_ERASE_AFTER_DAYS: '700',
      KEEP_TENANT_POLICIES: JSON.stringify({
        [harness.tenantId]: { importance: valued },
      }),
    };

    // The dry run (CLI) says what the pass will erase and what it keeps, changing nothing.
    const dry = runCli(['archive', '--dry-run', '--tenant', harness.tenantId], {
      RETENTION_ARCHIVE_ROOT: root,
      ...env,
    });
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout.trim().split('\n').pop() ?? '{}') as PassReport;
    const tenant = report.tenants[harness.tenantId];
    expect(tenant?.erase).toMatchObject({ conversations: 1, sample: ['plain'] });
    expect(tenant?.erase.kept.conversations).toBe(2);
    expect(tenant?.archive.kept.sample.sort()).toEqual(['pinned', 'valued']);
    expect(dry.stderr).toMatch(/kept, pinned or important: 2 from archiving, 2 from erasing/);
    expect(await stored('plain')).toBe(2);

    // The service's passes (at start-up, then on request) erase the plain one only.
    await startRetention(env);
    await eventually(async () => ((await stored('plain')) === 0 ? true : undefined), 60_000);
    const live = await run(false);
    expect(live).toMatchObject({ erased: 0, archived: 0, kept: { erase: 2, archive: 2 } });
    expect(live.tenants[harness.tenantId]?.archive.kept.sample.sort()).toEqual([
      'pinned',
      'valued',
    ]);
    expect(await stored('pinned')).toBe(2);
    expect(await stored('valued')).toBe(12);
  }, 180_000);

  it('carries importance to search: each summary document holds its score, minImportance filters by it', async () => {
    const valued = await importance('valued');
    expect(await importance('pinned')).toBe(1);
    // The passes' importance_changed events (or the indexer's read of Postgres) reach the index.
    const indexed = async (): Promise<Map<string, number>> => {
      const response = await fetch(`${OPENSEARCH_URL}/${harness.indexPrefix}-summaries/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: { term: { tenantId: harness.tenantId } },
          _source: ['conversationId', 'importance'],
        }),
      });
      const body = (await response.json()) as {
        hits?: { hits: Array<{ _source: { conversationId: string; importance: number } }> };
      };
      return new Map(
        (body.hits?.hits ?? []).map((hit) => [hit._source.conversationId, hit._source.importance]),
      );
    };
    await eventually(async () => {
      const scores = await indexed();
      const close = (id: string, value: number) => Math.abs((scores.get(id) ?? -1) - value) < 1e-4;
      return close('valued', valued) && close('pinned', 1) ? true : undefined;
    }, 60_000);

    // Rewritten whole with its new importance, a document kept its vector (the greetings-only
    // ones have none to keep).
    const count = async (filter: unknown[]): Promise<number> => {
      const response = await fetch(`${OPENSEARCH_URL}/${harness.indexPrefix}-summaries/_count`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: { bool: { filter: [{ term: { tenantId: harness.tenantId } }, ...filter] } },
        }),
      });
      return ((await response.json()) as { count: number }).count;
    };
    await eventually(
      async () => ((await count([{ term: { vectorPending: true } }])) === 0 ? true : undefined),
      60_000,
    );
    expect(
      await count([{ term: { conversationId: 'valued' } }, { exists: { field: 'embedding' } }]),
    ).toBe(1);

    const search = async (body: Record<string, unknown>) => {
      const response = await harness.post('/v1/search', body, searchKey);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const ids = (body: Record<string, unknown>) =>
      ((body.results ?? []) as Array<{ conversationId: string }>).map((r) => r.conversationId);
    const query = { query: 'release contract lawyers hello harbour', mode: 'keyword', k: 10 };
    const everything = await search(query);
    expect(everything.status).toBe(200);
    expect(ids(everything.body)).toEqual(expect.arrayContaining(['valued', 'pinned', 'long']));
    const important = await search({ ...query, minImportance: valued });
    expect(important.status).toBe(200);
    expect(ids(important.body).sort()).toEqual(['pinned', 'valued']);

    const wrong = await search({ ...query, minImportance: 2 });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain('minImportance');
  }, 120_000);

  it('archives a conversation but keeps its newest 20 messages, and serves all 25', async () => {
    await eventually(async () => ((await stored('long')) === 20 ? true : undefined), 60_000);
    const ingestKey = harness.createKey(harness.tenantId, 'ingest');
    const response = await fetch(
      `${harness.ingest.baseUrl}/v1/conversations/long/messages?limit=100`,
      { headers: { authorization: `Bearer ${ingestKey}` } },
    );
    const page = (await response.json()) as {
      items: Array<{ seq: number; archived: boolean; content: string }>;
      archive: { messageCount: number; firstSeq: number; lastSeq: number };
    };
    expect(page.items.map((item) => item.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(page.items.filter((item) => item.archived).map((item) => item.seq)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(page.archive).toMatchObject({ messageCount: 5, firstSeq: 1, lastSeq: 5 });
    expect(page.items[0]?.content).toBe('Line 1 of a long talk about the harbour.');
  });

  it('still erases a kept conversation on request', async () => {
    const erase = await request('DELETE', '/v1/conversations/pinned', adminKey);
    expect(erase.status).toBe(200);
    expect(await stored('pinned')).toBe(0);
  }, 60_000);

  it('keeps a profile and monthly roll-ups of the user from their summaries, cites their sources, and forgets what is erased', async () => {
    interface Profile {
      sections: Record<string, Array<{ text: string; conversations: string[] }>>;
      conversations: string[];
    }
    const profile = async (): Promise<{ status: number; body?: Profile }> => {
      const response = await harness.get('/v1/users/user-1/profile', searchKey);
      return response.status === 200
        ? { status: 200, body: (await response.json()) as Profile }
        : { status: response.status };
    };
    // Built by the summarizer's sweep from the user's summaries: the valued conversation's
    // decisions and tasks, each citing it.
    const built = await eventually(async () => {
      const found = await profile();
      return found.body?.conversations.includes('valued') ? found.body : undefined;
    }, 60_000);
    const cited = [...built.sections.decisions, ...built.sections.openItems].filter((item) =>
      item.conversations.includes('valued'),
    );
    expect(cited.map((item) => item.text).join(' ')).toMatch(/release|contract/);
    // A fact the user stated, with the conversation it came from.
    expect(built.sections.facts).toContainEqual({
      text: expect.stringContaining('harbour') as string,
      conversations: ['long'],
    });
    expect((await harness.get('/v1/users/nobody/profile', searchKey)).status).toBe(404);

    // The context answer for the user carries the profile, cited as such.
    const context = await harness.post(
      '/v1/context',
      { query: 'what was decided about the release?', userId: 'user-1', tokenBudget: 2000 },
      searchKey,
    );
    expect(context.status).toBe(200);
    const answer = (await context.json()) as { items: Array<{ kind: string }>; text: string };
    expect(answer.items.map((item) => item.kind)).toContain('profile');
    expect(answer.text).toContain('[profile:user-1] profile');

    // Monthly roll-ups: the month of the 800-day-old conversations holds the valued one.
    interface Rollups {
      items: Array<{ month: string; text: string; conversations: string[] }>;
    }
    const rollups = async (query = ''): Promise<Rollups> => {
      const response = await harness.get(`/v1/users/user-1/rollups${query}`, searchKey);
      expect(response.status).toBe(200);
      return (await response.json()) as Rollups;
    };
    const oldMonth = new Date(Date.now() - 800 * DAY).toISOString().slice(0, 7);
    const longMonth = new Date(Date.now() - 200 * DAY).toISOString().slice(0, 7);
    const months = await eventually(async () => {
      const found = await rollups();
      return found.items.some((item) => item.conversations.includes('valued')) &&
        found.items.some((item) => item.month === longMonth)
        ? found
        : undefined;
    }, 60_000);
    const old = months.items.find((item) => item.month === oldMonth);
    expect(old?.conversations).toContain('valued');
    expect(old?.text).toMatch(/release/);
    expect((await rollups('?q=release launch')).items.map((item) => item.month)).toEqual([
      oldMonth,
    ]);
    expect((await rollups(`?from=${longMonth}`)).items.map((item) => item.month)).toEqual([
      longMonth,
    ]);
    const bad = await harness.get('/v1/users/user-1/rollups?from=2026-13', searchKey);
    expect(bad.status).toBe(400);

    // Erasing a conversation drops the profile citing it at once; the next one cites the rest.
    const erase = await request('DELETE', '/v1/conversations/valued', adminKey);
    expect(erase.status).toBe(200);
    const [left] = await harness.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM user_profiles
        WHERE tenant_id = $1 AND source_conversations @> ARRAY['valued']::text[]`,
      [harness.tenantId],
    );
    expect(left?.n).toBe(0);
    const rebuilt = await eventually(async () => {
      const found = await profile();
      return found.body ? found.body : undefined;
    }, 60_000);
    expect(rebuilt.conversations).not.toContain('valued');
    // Its month's roll-up went with it (no other conversation of that month is left).
    await eventually(async () => {
      const found = await rollups();
      return found.items.every((item) => !item.conversations.includes('valued')) &&
        found.items.some((item) => item.month === longMonth)
        ? true
        : undefined;
    }, 60_000);
    expect(JSON.stringify(rebuilt)).not.toMatch(/release \d|contract for release/);

    // Erasing the user leaves no profile.
    const gone = runCli(['erase', '--tenant', harness.tenantId, '--user', 'user-1', '--yes'], {
      RETENTION_ARCHIVE_ROOT: root,
      OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
    });
    expect(gone.code).toBe(0);
    expect((await profile()).status).toBe(404);
    expect((await rollups()).items).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect((await profile()).status).toBe(404);
    expect((await rollups()).items).toEqual([]);
  }, 180_000);
});
