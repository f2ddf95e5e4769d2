import { TOPICS, tierChangedEventSchema, TierChangedEvent } from '@memory/contracts';
import { runCli } from './support/cli';
import { eventually } from './support/eventually';
import { consumeUntil, endOffsets } from './support/kafka';
import { SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';
import { counter } from './support/metrics';

interface Result {
  conversationId: string;
  tier: string;
  version: number;
}

const DAY = 86_400_000;

/*
 * The compressor on the real stack: conversations back-dated by their messages (ingest,
 * summarizer and search as processes), then the compressor service's first scheduled pass
 * moves each to its tier, publishes the new summary versions (search shows the tier) and
 * memory.lifecycle.v1 events, and records ratio and retention.
 */
describe('compressor', () => {
  const harness = new SearchHarness();
  const compressor = new ServiceProcess('compressor', {
    KAFKA_GROUP_PREFIX: harness.groupPrefix,
    COMPRESSOR_INTERVAL_MS: '3600000',
  });
  const AGES: Record<string, number> = { fresh: 2, week: 12, month: 60, year: 400, pinned: 400 };
  const EXPECTED: Record<string, string> = {
    fresh: 'full',
    week: 'key_points',
    month: 'brief',
    year: 'metadata',
    // Pinned: kept (KEEP_IMPORTANCE, KEEP_TIER), so at 400 days still full, with its detail.
    pinned: 'full',
  };
  const LINES = [
    'We need to plan the office move to the Elm Park building before June.',
    'The Elm Park building has room for forty desks and a bike room.',
    'Movers quoted 12,000 euros for the whole office, packing included.',
    'Ben will book the movers for the last weekend of May.',
    'The landlord of Harbour Street wants the keys back on the first of June.',
    'Ana will tell the staff about the move on Monday.',
    'We still have to decide who pays for the new kitchen appliances.',
    'The parking garage at Elm Park closes at nine in the evening.',
    'Fibre internet is already installed in the new building.',
    'Cleaning is included in the rent at Elm Park.',
  ];
  let adminKey = '';
  let searchKey = '';
  let lifecycleFrom: Array<{ partition: number; offset: string }> = [];

  const results = async (): Promise<Result[]> => {
    const response = await harness.post(
      '/v1/search',
      { query: 'office move', mode: 'semantic', k: 100 },
      searchKey,
    );
    return ((await response.json()) as { results?: Result[] }).results ?? [];
  };

  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
    await harness.startSummarizer();
    await harness.startSearch();
    adminKey = harness.createKey(harness.tenantId, 'admin');
    searchKey = harness.createKey(harness.tenantId, 'search');
    const now = Date.now();
    for (const [conversationId, days] of Object.entries(AGES))
      await harness.produce(
        LINES.map((content, i) =>
          harness.record(
            harness.message(conversationId, `${conversationId}-m${i + 1}`, content, {
              createdAt: new Date(now - days * DAY + i * 60_000).toISOString(),
            }),
          ),
        ),
      );
    // Every conversation found, and its summary (and passages) given its vector.
    await eventually(async () => {
      const found = await results();
      return found.length === Object.keys(AGES).length && (await harness.vectorsFilled())
        ? true
        : undefined;
    }, 120_000);
    await harness.dataSource.query(
      `UPDATE conversation_summaries SET pinned = true
        WHERE tenant_id = $1 AND conversation_id = 'pinned'`,
      [harness.tenantId],
    );
    lifecycleFrom = await endOffsets(harness.kafka, TOPICS.memoryLifecycle);
  }, 240_000);

  afterAll(async () => {
    await compressor.stop('SIGKILL');
    await harness.tearDown();
  });

  it('moves every conversation to its tier on its first pass, and search shows it', async () => {
    const summaryTexts = () =>
      counter(harness.search.baseUrl, 'search_embedding_texts_total', 'index="summaries"');
    const embeddedBefore = await summaryTexts();
    compressor.start();
    await compressor.waitReady();
    let tiers: Record<string, string> = {};
    await eventually(async () => {
      tiers = Object.fromEntries((await results()).map((r) => [r.conversationId, r.tier]));
      return Object.entries(EXPECTED).every(([id, tier]) => tiers[id] === tier) ? true : undefined;
    }, 60_000).catch((error: unknown) => {
      throw new Error(
        `tiers ${JSON.stringify(tiers)}; compressor said:\n${compressor.output.slice(-20).join('')}`,
        { cause: error },
      );
    });

    // A compressed conversation whose row still holds its full sections is embedded from them,
    // which is the text its full-tier version was embedded from: the four new versions keep
    // the indexed vectors, and nothing is embedded again.
    expect(await counter(harness.search.baseUrl, 'search_embedding_vectors_kept_total')).toBe(3);
    expect((await summaryTexts()) - embeddedBefore).toBe(0);

    const recorded = await harness.dataSource.query<
      Array<{ conversation_id: string; to_tier: string; ratio: number; retention: number }>
    >(
      `SELECT conversation_id, to_tier, ratio, retention FROM summary_compressions
        WHERE tenant_id = $1 ORDER BY conversation_id`,
      [harness.tenantId],
    );
    expect(recorded.map((r) => [r.conversation_id, r.to_tier])).toEqual([
      ['month', 'brief'],
      ['week', 'key_points'],
      ['year', 'metadata'],
    ]);
    for (const r of recorded) {
      // A summary of two key points keeps both at key_points: nothing to cut, ratio 1.
      expect(r.ratio).toBeGreaterThan(0);
      expect(r.ratio).toBeLessThanOrEqual(1);
      expect(r.retention).toBeGreaterThanOrEqual(0);
      expect(r.retention).toBeLessThanOrEqual(1);
    }

    const events = await consumeUntil(harness.kafka, TOPICS.memoryLifecycle, {
      from: lifecycleFrom,
      keep: (record) => String(record.value).includes(`"tenantId":"${harness.tenantId}"`),
      done: (kept) => kept.length >= 3,
    });
    const changes = events
      .map((record) => tierChangedEventSchema.parse(JSON.parse(String(record.value))))
      .sort((a: TierChangedEvent, b: TierChangedEvent) =>
        a.conversationId.localeCompare(b.conversationId),
      );
    expect(changes.map((e) => [e.conversationId, e.fromTier, e.toTier])).toEqual([
      ['month', 'full', 'brief'],
      ['week', 'full', 'key_points'],
      ['year', 'full', 'metadata'],
    ]);
  });

  it('serves the full sections of a compressed conversation with view=full', async () => {
    const read = async (query: string) => {
      const response = await fetch(
        `${harness.search.baseUrl}/v1/conversations/year/summary${query}`,
        { headers: { authorization: `Bearer ${searchKey}` } },
      );
      return { status: response.status, body: (await response.json()) as Record<string, never> };
    };
    const tier = await read('');
    const full = await read('?view=full');
    expect(tier.status).toBe(200);
    expect(full.status).toBe(200);
    expect(tier.body).toMatchObject({ tier: 'metadata', version: full.body.version });
    // At metadata the tier view keeps a title; the full view keeps what was said.
    expect(full.body).toMatchObject({ tier: 'metadata' });
    const fullSections = full.body.sections as { keyPoints: string[] };
    const tierSections = tier.body.sections as { keyPoints: string[] };
    expect(tierSections.keyPoints).toEqual([]);
    expect(fullSections.keyPoints.length).toBeGreaterThan(0);
    expect(String(full.body.text)).toMatch(/Elm Park/);
    expect(await read('?view=tier')).toEqual(tier);

    const bad = await read('?view=everything&extra=1');
    expect(bad.status).toBe(400);
    const fields = (bad.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['extra', 'view']);
  });

  it('answers POST /v1/compress for the admin key, refuses others and bad bodies', async () => {
    const post = (body: unknown, key: string) =>
      fetch(`${compressor.baseUrl}/v1/compress`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const again = await post({ dryRun: true }, adminKey);
    expect(again.status).toBe(200);
    // week, month and pinned are looked at again (year is at metadata, fresh too young): none
    // due, the pinned one least of all.
    expect(await again.json()).toMatchObject({ dryRun: true, compressed: 0, examined: 3 });
    expect((await post({}, searchKey)).status).toBe(403);
    expect((await post({}, '')).status).toBe(401);
    const bad = await post({ dryRun: 'yes', tenantId: 'other' }, adminKey);
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { errors: Array<{ field: string }> }).errors
      .map((e) => e.field)
      .sort();
    expect(fields).toEqual(['dryRun', 'tenantId']);
  });

  it('reports with the CLI what a later date would move, changing nothing', () => {
    const later = new Date(Date.now() + 400 * DAY).toISOString();
    const run = runCli(['compress', '--tenant', harness.tenantId, '--as-of', later, '--dry-run']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
      compressed: number;
      byTier: Record<string, number>;
    };
    // fresh, week and month reach metadata; the pinned one stays full at 800 days.
    expect(report.compressed).toBe(3);
    expect(report.byTier.metadata).toBe(3);
    expect(run.stderr).toMatch(/compress \(dry run\): 4 examined, 3 due/);

    // A tenant whose kept conversations may go as far as key points: the pinned one stops there.
    const keyPoints = runCli(
      ['compress', '--tenant', harness.tenantId, '--as-of', later, '--dry-run'],
      { KEEP_TENANT_POLICIES: JSON.stringify({ [harness.tenantId]: { tier: 'key_points' } }) },
    );
    expect(keyPoints.code).toBe(0);
    const held = JSON.parse(keyPoints.stdout.trim().split('\n').pop() ?? '{}') as {
      byTier: Record<string, number>;
    };
    expect(held.byTier).toMatchObject({ key_points: 1, metadata: 3 });
  });
});
