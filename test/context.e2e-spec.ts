import { countTokens } from 'gpt-tokenizer';
import { runCli } from './support/cli';
import { eventually } from './support/eventually';
import { GARDEN, RENT } from './fixtures/conversations/chats';
import { SearchHarness } from './support/search-harness';

interface Evidence {
  seqFrom: number;
  seqTo: number;
  messageIds: string[];
  highlights: string[];
  matchedBy: string[];
}

interface SearchResult {
  conversationId: string;
  evidenceSource: string;
  evidence: Evidence[];
}

interface ContextAnswer {
  budget: number;
  tokens: number;
  items: Array<{ kind: string; conversationId: string; messageIds: string[]; tokens: number }>;
  text: string;
}

/*
 * Evidence memory on the real stack: chat messages in on chat.messages.v1; ingest, summarizer
 * and search (summaries and passages indexed) as processes; search results carry the passages
 * that matched, and POST /v1/context packs summaries and passages into a token budget.
 */
describe('context', () => {
  const harness = new SearchHarness();
  const tenantB = `${harness.tenantId}-b`;
  let keyA = '';
  let keyB = '';

  const LIVE = [
    'I am preparing for the meeting with my landlord next week.',
    'What would you like to get out of the meeting?',
    'A smaller rent increase, or a longer lease at the same price.',
    'Bring the prices of the cheaper flats you found as arguments.',
    'Good, I will print the listings before the meeting.',
    'Also prepare a figure you would accept as a compromise.',
    'I could accept 100 dollars more a month, not 300.',
    'That is a reasonable position to start the negotiation from.',
    'Thanks, I feel ready for the landlord meeting now.',
    'Good luck with the negotiation.',
  ];

  // Three visits on three dates: May's speaks of the dentist appointment the most.
  const VISITS: Array<[string, string, string[]]> = [
    [
      'dentist-may',
      '2025-05-14T09:00:00Z',
      [
        'My dentist appointment is on Thursday, the dentist wants an x-ray.',
        'Remember to ask the dentist about the appointment for the crown.',
      ],
    ],
    ['dentist-june', '2025-06-20T09:00:00Z', ['The dentist appointment went well today.']],
    ['haircut', '2025-07-02T09:00:00Z', ['I booked a haircut appointment for Friday.']],
  ];

  const post = async <T>(path: string, body: unknown, key = keyA) => {
    const response = await harness.post(path, body, key);
    return { status: response.status, json: (await response.json()) as T };
  };
  const search = (body: Record<string, unknown>, key = keyA) =>
    post<{ results?: SearchResult[] }>('/v1/search', body, key);
  const context = (body: Record<string, unknown>, key = keyA) =>
    post<ContextAnswer>('/v1/context', body, key);

  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
    await harness.startSummarizer();
    await harness.startSearch();
    keyA = harness.createKey(harness.tenantId, 'search');
    keyB = harness.createKey(tenantB, 'search');
    await harness.say('rent', RENT);
    await harness.say('garden', GARDEN);
    await harness.say('live', LIVE);
    await harness.produce(
      VISITS.flatMap(([conversationId, createdAt, contents]) =>
        contents.map((content, i) =>
          harness.record(
            harness.message(conversationId, `${conversationId}-m${i + 1}`, content, { createdAt }),
          ),
        ),
      ),
    );
    await harness.produce(
      RENT.map((content, i) =>
        harness.record(
          harness.message('rent-b', `rent-b-m${i + 1}`, content, { tenantId: tenantB }),
        ),
      ),
    );
    // Ready once the summaries (at message 10) and the passages are indexed in both tenants,
    // with their vectors.
    await eventually(async () => {
      const rent = await search({ query: 'landlord', mode: 'keyword' });
      const garden = await search({ query: 'tomato', mode: 'keyword' });
      const other = await search({ query: 'landlord', mode: 'keyword' }, keyB);
      const visits = await search({ query: 'appointment', mode: 'keyword' });
      const live = await harness.get('/v1/conversations/live/summary', keyA);
      const found = (results: SearchResult[] | undefined, id: string) =>
        (results ?? []).some((r) => r.conversationId === id && r.evidence.length > 0);
      return found(rent.json.results, 'rent') &&
        found(garden.json.results, 'garden') &&
        found(other.json.results, 'rent-b') &&
        VISITS.every(([id]) => found(visits.json.results, id)) &&
        live.status === 200 &&
        (await harness.vectorsFilled())
        ? true
        : undefined;
    }, 120_000);
  }, 240_000);

  afterAll(() => harness.tearDown());

  it('gives each search result the passages that matched, citing their messages', async () => {
    for (const mode of ['keyword', 'hybrid']) {
      const { status, json } = await search({ query: 'landlord negotiate', mode, evidence: 2 });
      expect(status).toBe(200);
      const rent = json.results?.find((result) => result.conversationId === 'rent');
      expect(rent?.evidenceSource).toBe('messages');
      expect(rent?.evidence.length).toBeGreaterThan(0);
      expect(rent?.evidence.length).toBeLessThanOrEqual(2);
      for (const item of rent?.evidence ?? []) {
        expect(item.messageIds.length).toBeGreaterThan(0);
        for (const id of item.messageIds) expect(id).toMatch(/^rent-m\d+$/);
        expect(item.seqTo).toBeGreaterThanOrEqual(item.seqFrom);
      }
      expect(rent?.evidence[0]?.matchedBy).toContain('keyword');
      expect(rent?.evidence[0]?.highlights.join(' ')).toMatch(/<em>(landlord|negotiate)<\/em>/i);
    }
    const none = await search({ query: 'landlord', mode: 'keyword', evidence: 0 });
    expect(none.json.results?.[0]?.evidence).toEqual([]);
  });

  it('never exceeds the budget and cites only the caller’s tenant', async () => {
    for (const tokenBudget of [100, 250, 600, 2000]) {
      const { status, json } = await context({ query: 'landlord rent increase', tokenBudget });
      expect(status).toBe(200);
      expect(json.budget).toBe(tokenBudget);
      expect(json.tokens).toBeLessThanOrEqual(tokenBudget);
      expect(countTokens(json.text)).toBe(json.tokens);
      expect(json.items.length).toBeGreaterThan(0);
      for (const item of json.items)
        expect(['rent', 'garden', 'live', ...VISITS.map(([id]) => id)]).toContain(
          item.conversationId,
        );
      expect(json.text).not.toContain('rent-b');
      const quoted = json.items.flatMap((item) => item.messageIds);
      expect(new Set(quoted).size).toBe(quoted.length);
    }
    const large = await context({ query: 'landlord rent increase', tokenBudget: 2000 });
    expect(large.json.items[0]?.conversationId).not.toBe('garden');
    expect(large.json.text).toMatch(/\[rent#\d+-\d+\] messages · 2026-03-01/);

    const other = await context({ query: 'landlord rent increase', tokenBudget: 2000 }, keyB);
    expect(other.json.items.length).toBeGreaterThan(0);
    for (const item of other.json.items) expect(item.conversationId).toBe('rent-b');
  });

  it('ranks conversations and evidence from a date the query names first, and says what it read', async () => {
    type Dated = { periods?: Array<{ text: string; from: string; to: string }> };
    const dated = (body: Record<string, unknown>) =>
      post<{ results?: Array<SearchResult & { matchedBy: string[] }> } & Dated>('/v1/search', body);
    for (const mode of ['keyword', 'hybrid']) {
      // Without a date, the visit that says the most about it comes first.
      const plain = await dated({ query: 'dentist appointment', mode });
      expect(plain.json.results?.[0]?.conversationId).toBe('dentist-may');
      expect(plain.json.periods).toBeUndefined();
      for (const query of [
        'dentist appointment in June 2025',
        'the dentist appointment on 20 June',
        'dentist appointment 2025-06-20',
      ]) {
        const { status, json } = await dated({ query, mode });
        expect(status).toBe(200);
        expect(json.periods?.length).toBe(1);
        expect(json.results?.[0]?.conversationId).toBe('dentist-june');
        expect(json.results?.[0]?.matchedBy).toContain('period');
        expect(
          json.results?.find((r) => r.conversationId === 'dentist-may')?.matchedBy,
        ).not.toContain('period');
        // readDates false: the date's words are only words, and May is first again.
        const off = await dated({ query, mode, readDates: false });
        expect(off.json.periods).toBeUndefined();
        expect(off.json.results?.[0]?.conversationId).toBe('dentist-may');
      }
    }
    expect(
      (await dated({ query: 'dentist in June 2025' })).json.periods?.map((p) => [p.from, p.to]),
    ).toEqual([['2025-06-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z']]);

    const answer = await context({ query: 'dentist appointment in June 2025', tokenBudget: 300 });
    expect(answer.json.items[0]?.conversationId).toBe('dentist-june');
    const plain = await context({ query: 'dentist appointment', tokenBudget: 300 });
    expect(plain.json.items[0]?.conversationId).toBe('dentist-may');
    const invalid = await dated({ query: 'dentist', readDates: 'yes' });
    expect(invalid.status).toBe(400);
  });

  it('puts the live conversation’s summary first', async () => {
    const { json } = await context({
      query: 'tomato fertilizer',
      conversationId: 'live',
      tokenBudget: 800,
    });
    expect(json.items[0]).toMatchObject({ kind: 'summary', conversationId: 'live' });
    expect(json.text.startsWith('[live#1-')).toBe(true);
    expect(json.items.some((item) => item.conversationId === 'garden')).toBe(true);
    expect(json.tokens).toBeLessThanOrEqual(800);

    const invalid = await context({ query: 'x', tokenBudget: 99999, tenantId: tenantB });
    expect(invalid.status).toBe(400);
  });

  it('prints the same answer from the CLI', async () => {
    const body = { query: 'landlord rent increase', tokenBudget: 300, conversationId: 'live' };
    const api = await context(body);
    const run = runCli(
      [
        'context',
        '--tenant',
        harness.tenantId,
        '--query',
        body.query,
        '--budget',
        '300',
        '--conversation',
        'live',
        '--json',
      ],
      { OPENSEARCH_INDEX_PREFIX: harness.indexPrefix },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout) as ContextAnswer).toEqual(api.json);
  });
});
