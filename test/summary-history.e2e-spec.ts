import { SearchHarness } from './support/search-harness';

interface VersionView {
  version: number;
  fromSeq: number;
  throughSeq: number;
  trigger: string;
  backend: string;
  tier: string | null;
  sections: Record<string, unknown> | null;
  changes: {
    added: Record<string, string[]>;
    removed: Record<string, string[]>;
    context?: { from: string; to: string };
  } | null;
}

interface HistoryPage {
  conversationId: string;
  items: VersionView[];
  nextBefore: number | null;
}

/*
 * Summary history on the real stack (ingest, summarizer and search as processes): three folds
 * of one conversation make three versions; the versions endpoint shows each with its trigger
 * and seq range, and what each fold added. The summarizer keeps the sections of the newest two
 * (SUMMARY_HISTORY_VERSIONS=2), so the first keeps its counts only.
 */
describe('summary history', () => {
  const harness = new SearchHarness();
  let searchKey = '';
  const BATCHES = [
    ['Lena', 'Oslo', 'the garden shed'],
    ['Marek', 'Lisbon', 'the rooftop terrace'],
    ['Priya', 'Nairobi', 'the bicycle workshop'],
  ];
  const lines = (batch: string[]): string[] =>
    Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0
        ? `${batch[0]} decided we will build ${batch[2]} in ${batch[1]} by June, part ${i + 1}.`
        : `Agreed: ${batch[0]} will order the wood for ${batch[2]} in ${batch[1]}, step ${i + 1}.`,
    );

  const get = async (query: string, conversationId = 'plans') => {
    const response = await fetch(
      `${harness.search.baseUrl}/v1/conversations/${conversationId}/summary/versions${query}`,
      { headers: { authorization: `Bearer ${searchKey}` } },
    );
    return { status: response.status, body: (await response.json()) as HistoryPage };
  };

  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
    await harness.startSummarizer({ SUMMARY_EVERY_MESSAGES: '10', SUMMARY_HISTORY_VERSIONS: '2' });
    await harness.startSearch();
    searchKey = harness.createKey(harness.tenantId, 'search');
    for (const [i, batch] of BATCHES.entries()) {
      await harness.say('plans', lines(batch), i * 10 + 1);
      await harness.waitForSummary('plans', (summary) => summary.throughSeq >= (i + 1) * 10);
    }
  }, 240_000);

  afterAll(async () => {
    await harness.tearDown();
  });

  it('lists every version, newest first, with what each fold added', async () => {
    const { status, body } = await get('');
    expect(status).toBe(200);
    expect(body.conversationId).toBe('plans');
    const versions = body.items.map((item) => item.version);
    expect(versions.length).toBeGreaterThanOrEqual(3);
    expect(versions).toEqual([...versions].sort((a, b) => b - a));
    expect(body.nextBefore).toBeNull();

    const [newest] = body.items;
    expect(newest).toMatchObject({ backend: 'local', tier: 'full', throughSeq: 30 });
    expect(newest?.fromSeq).toBeGreaterThan(20);
    const added = JSON.stringify(newest?.changes?.added ?? {});
    expect(added).toMatch(/Nairobi|Priya|bicycle/);
    expect(added).not.toMatch(/Oslo|Lena/);

    // The newest two keep their sections; older ones their counts only.
    const kept = body.items.filter((item) => item.sections !== null);
    expect(kept.map((item) => item.version)).toEqual(versions.slice(0, 2));
    const oldest = body.items[body.items.length - 1];
    expect(oldest).toMatchObject({ version: 1, sections: null, changes: null, fromSeq: 1 });
    // The second-newest is kept, but its base is not: what it changed is unknown.
    expect(body.items[1]?.changes).toBeNull();
  });

  it('pages with before and limit, and refuses what it cannot serve', async () => {
    const first = await get('?limit=1');
    expect(first.body.items).toHaveLength(1);
    const newest = first.body.items[0]?.version ?? 0;
    expect(first.body.nextBefore).toBe(newest);
    const second = await get(`?limit=1&before=${newest}`);
    expect(second.body.items.map((item) => item.version)).toEqual([newest - 1]);

    expect((await get('', 'no-such-conversation')).status).toBe(404);
    const bad = await get('?limit=0&extra=1');
    expect(bad.status).toBe(400);
    const fields = (bad.body as unknown as { errors: Array<{ field: string }> }).errors
      .map((error) => error.field)
      .sort();
    expect(fields).toEqual(['extra', 'limit']);
  });
});
