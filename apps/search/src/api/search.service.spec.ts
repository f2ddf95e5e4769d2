import { Logger } from '@nestjs/common';
import { FIRST_PAGES_DEPTH, FULL_DEPTH, FUSION_WEIGHTS } from '@memory/search-index';
import { decodeCursor, queryHash } from './search-cursor';
import { QueryTooComplexError, SearchUnavailableError } from './search.errors';
import { SearchService } from './search.service';
import { ids, Rankings, setup } from './search.service.fixture';

describe(SearchService.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('runs a keyword search over summaries and passages for the tenant and pages with a cursor', async () => {
    const { service, bodies, embedder, metrics } = setup({ keyword: ids('k', 25) });
    const first = await service.search('t', { query: 'dentist', mode: 'keyword', k: 10 });
    if (!first.ok) throw new Error('expected results');
    expect(first.response.results.map((result) => result.conversationId)).toEqual(
      ids('k', 10).map((id) => id.slice(2)),
    );
    // Normalized 1 in the summary list, absent from the (empty) passage list: its weight's share.
    const { summaryKeyword, passageKeyword } = FUSION_WEIGHTS;
    expect(first.response.results[0]).toMatchObject({
      score: summaryKeyword / (summaryKeyword + passageKeyword),
      snippet: 'summary of k0',
      summary: { keyPoints: ['one', 'two', 'three'] },
      freshness: { throughSeq: 4, indexedAt: '2026-05-01T11:00:02.000Z' },
      evidenceSource: 'messages',
      evidence: [],
    });
    expect(
      bodies
        .map((entry) => entry.kind)
        .slice(0, 2)
        .sort(),
    ).toEqual(['keyword', 'passageKeyword']);
    // A first page is ranked over lists of the first pages' depth, not the full one.
    expect(bodies.find((entry) => entry.kind === 'keyword')?.body).toMatchObject({
      from: 0,
      size: FIRST_PAGES_DEPTH.summaries,
    });
    expect(bodies.find((entry) => entry.kind === 'passageKeyword')?.body).toMatchObject({
      size: FIRST_PAGES_DEPTH.passages,
    });
    for (const { body } of bodies)
      expect(body.query?.bool?.filter).toContainEqual({ term: { tenantId: 't' } });
    expect(embedder.embed).not.toHaveBeenCalled();
    expect(metrics.request).toHaveBeenCalledWith('keyword', 'ok', expect.any(Number));

    const cursor = first.response.nextCursor ?? '';
    const second = await service.search('t', { query: 'dentist', mode: 'keyword', k: 10, cursor });
    const third = second.ok
      ? await service.search('t', {
          query: 'dentist',
          mode: 'keyword',
          k: 10,
          cursor: second.response.nextCursor,
        })
      : second;
    if (!third.ok) throw new Error('expected results');
    expect(third.response.results.map((result) => result.conversationId)).toEqual(
      ids('k', 25)
        .slice(20)
        .map((id) => id.slice(2)),
    );
    expect(third.response.nextCursor).toBeUndefined();
  });

  it('raises conversations from a date the query names, and reads it alike on every page', async () => {
    const { service, bodies } = setup({ keyword: ids('k', 25) });
    // Every fixture conversation was on 1 May 2026; "yesterday" asked on 2 May is that day.
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-05-02T12:00:00Z'));
    try {
      const body = { query: 'dentist yesterday', mode: 'keyword', k: 10 };
      const first = await service.search('t', body);
      if (!first.ok) throw new Error('expected results');
      expect(first.response.periods?.map((period) => period.text)).toEqual(['yesterday']);
      expect(first.response.results[0]?.matchedBy).toEqual(['keyword', 'period']);
      // Only then do the lists read their hits' dates.
      expect(bodies.find((entry) => entry.kind === 'keyword')?.body.docvalue_fields).toContain(
        'firstMessageAt',
      );
      // A week later, the next page still reads "yesterday" as 1 May.
      now.mockReturnValue(Date.parse('2026-05-09T12:00:00Z'));
      const second = await service.search('t', { ...body, cursor: first.response.nextCursor });
      if (!second.ok) throw new Error('expected results');
      expect(second.response.periods).toEqual(first.response.periods);
      expect(second.response.results[0]?.matchedBy).toEqual(['keyword', 'period']);
      // Without the cursor it is 8 May, and nothing was said then.
      const fresh = await service.search('t', body);
      if (!fresh.ok) throw new Error('expected results');
      expect(fresh.response.results[0]?.matchedBy).toEqual(['keyword']);
      const off = await service.search('t', { ...body, readDates: false });
      if (!off.ok) throw new Error('expected results');
      expect(off.response.periods).toBeUndefined();
    } finally {
      now.mockRestore();
    }
  });

  it('pages past the first pages at full depth, keeping what the first pages showed first', async () => {
    const shallow = ids('k', 120);
    // The full-depth list orders some conversations otherwise (k45 before k40, k1 last).
    const deep = [
      'k0',
      ...ids('k', 40)
        .slice(2)
        .map((id) => id.slice(2)),
      'k45',
      ...ids('k', 120)
        .slice(40)
        .map((id) => id.slice(2))
        .filter((id) => id !== 'k45'),
      'k1',
    ].map((id) => `t/${id}`);
    const { service, bodies } = setup({ keyword: shallow, deepKeyword: deep });
    const seen: string[] = [];
    let cursor: string | undefined;
    const sizes: number[][] = [];
    do {
      bodies.length = 0;
      const outcome = await service.search('t', {
        query: 'dentist',
        mode: 'keyword',
        k: 20,
        cursor,
      });
      if (!outcome.ok) throw new Error('expected results');
      seen.push(...outcome.response.results.map((result) => result.conversationId));
      sizes.push(
        bodies.filter((entry) => entry.kind === 'keyword').map((entry) => entry.body.size ?? 0),
      );
      cursor = outcome.response.nextCursor;
    } while (cursor);
    // Pages 1 and 2 end within the first pages (40 <= 50): the shallow lists alone. Page 3 on:
    // full depth, with the 40 shown first (both depths ranked).
    expect(sizes.slice(0, 3)).toEqual([
      [FIRST_PAGES_DEPTH.summaries],
      [FIRST_PAGES_DEPTH.summaries],
      expect.arrayContaining([FIRST_PAGES_DEPTH.summaries, FULL_DEPTH.summaries]),
    ]);
    expect(seen.slice(0, 40)).toEqual(shallow.slice(0, 40).map((id) => id.slice(2)));
    expect(seen[40]).toBe('k45');
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(shallow.map((id) => id.slice(2)).sort());
  });

  it('goes to full depth at once for a first page past the first pages, and says when a shallow list was cut', async () => {
    const { service, bodies } = setup({ keyword: ids('k', 60) });
    const wide = await service.search('t', { query: 'dentist', mode: 'keyword', k: 60 });
    if (!wide.ok) throw new Error('expected results');
    expect(wide.response.results).toHaveLength(60);
    expect(wide.response.nextCursor).toBeUndefined();
    expect(
      bodies.filter((entry) => entry.kind === 'keyword').map((entry) => entry.body.size),
    ).toEqual([FULL_DEPTH.summaries]);
    // 50 results in the shallow list: there may be more below it, so a cursor is given.
    const exactly = setup({ keyword: ids('k', 50) });
    const first = await exactly.service.search('t', { query: 'dentist', mode: 'keyword', k: 50 });
    if (!first.ok) throw new Error('expected results');
    expect(first.response.nextCursor).toBeDefined();
    const next = await exactly.service.search('t', {
      query: 'dentist',
      mode: 'keyword',
      k: 50,
      cursor: first.response.nextCursor,
    });
    if (!next.ok) throw new Error('expected results');
    expect(next.response.results).toEqual([]);
  });

  it('embeds the query as a query for a semantic search over both k-NN lists', async () => {
    const { service, embedder, bodies } = setup({ semantic: ids('s', 3) });
    const outcome = await service.search('t', { query: 'dentist', mode: 'semantic' });
    expect(embedder.embed).toHaveBeenCalledWith(['dentist'], 'query');
    expect(
      bodies
        .map((entry) => entry.kind)
        .slice(0, 2)
        .sort(),
    ).toEqual(['passageSemantic', 'semantic']);
    expect(outcome).toMatchObject({ ok: true, response: { mode: 'semantic' } });
    if (outcome.ok) expect(outcome.response.nextCursor).toBeUndefined();
  });

  it('fuses the four lists by their normalized scores and fetches the page in fused order', async () => {
    const { service, bodies } = setup({
      keyword: ['t/a', 't/b', 't/c'],
      semantic: ['t/c', 't/d', 't/a'],
      passageKeyword: ['t/a/1', 't/e/3', 't/a/5'],
      passageSemantic: ['t/e/3', 't/a/1', 't/c/7'],
    });
    const outcome = await service.search('t', { query: 'dentist', k: 2 });
    if (!outcome.ok) throw new Error('expected results');
    // Summary lists 10, 9, 8 -> 1, 0.5, 0. Passage keyword by conversation: a 10 + 0.1 * 8 =
    // 10.8 -> 1, e 9 -> 0; passage semantic: e 10 -> 1, a 9 -> 0.5, c 8 -> 0.
    // Weighted (summaries 0.5 each, passages 2 each, of 5): a (0.5 + 0 + 2 + 1) / 5 = 0.7,
    // e (0 + 2) / 5 = 0.4, c (0 + 0.5 + 0 + 0) / 5 = 0.1.
    expect(FUSION_WEIGHTS).toEqual({
      summaryKeyword: 0.5,
      summarySemantic: 0.5,
      passageKeyword: 2,
      passageSemantic: 2,
    });
    expect(outcome.response.results.map((result) => result.conversationId)).toEqual(['a', 'e']);
    expect(outcome.response.results[0]?.score).toBeCloseTo(0.7, 12);
    // b is in the summary BM25 list only: found by keyword, not (yet) by meaning.
    expect(outcome.response.results.map((result) => result.matchedBy)).toEqual([
      ['keyword', 'semantic'],
      ['keyword', 'semantic'],
    ]);
    expect(
      bodies
        .map((entry) => entry.kind)
        .slice(0, 4)
        .sort(),
    ).toEqual(['keyword', 'passageKeyword', 'passageSemantic', 'semantic']);
    const cursor = outcome.response.nextCursor ?? '';
    expect(
      decodeCursor(cursor, {
        mode: 'hybrid',
        queryHash: queryHash({ query: 'dentist', mode: 'hybrid', k: 2 }),
      }),
    ).toEqual({ ok: true, offset: 2 });

    const next = await service.search('t', { query: 'dentist', k: 2, cursor });
    if (!next.ok) throw new Error('expected results');
    expect(next.response.results.map((result) => result.conversationId)).toEqual(['c', 'b']);
    expect(next.response.results.map((result) => result.matchedBy)).toEqual([
      ['keyword', 'semantic'],
      ['keyword'],
    ]);
  });

  it('keeps a conversation found by passages alone, its summary fields null', async () => {
    const { service } = setup({
      keyword: ['t/a'],
      passageKeyword: ['t/n/1', 't/a/1'],
      summaries: { 't/a': 'full' },
    });
    const outcome = await service.search('t', { query: 'dentist', mode: 'keyword' });
    if (!outcome.ok) throw new Error('expected results');
    const fresh = outcome.response.results.find((result) => result.conversationId === 'n');
    expect(fresh).toMatchObject({
      userId: 'user-9',
      tier: null,
      summary: null,
      freshness: null,
      version: null,
      messageCount: null,
      snippet: 'about <em>n</em>',
      evidenceSource: 'messages',
      evidence: [{ seqFrom: 1, seqTo: 4, messageIds: ['n-m1', 'n-m2', 'n-m3', 'n-m4'] }],
    });
  });

  it('with a tier, keeps a passage-only conversation only when its summary is of that tier', async () => {
    const { service } = setup({
      keyword: ['t/a'],
      passageKeyword: ['t/n/1', 't/b/1', 't/c/1'],
      summaries: { 't/a': 'brief', 't/b': 'brief', 't/c': 'full' },
    });
    const outcome = await service.search('t', {
      query: 'dentist',
      mode: 'keyword',
      tier: 'brief',
    });
    if (!outcome.ok) throw new Error('expected results');
    expect(outcome.response.results.map((result) => result.conversationId).sort()).toEqual([
      'a',
      'b',
    ]);
  });

  it('with minImportance, filters the summary lists and keeps a passage-only conversation only when its summary is that important', async () => {
    const { service, bodies } = setup({
      keyword: ['t/a'],
      passageKeyword: ['t/n/1', 't/b/1', 't/c/1'],
      summaries: { 't/a': 'full', 't/b': 'full', 't/c': 'full' },
      importance: { 't/a': 0.9, 't/b': 0.6, 't/c': 0.2 },
    });
    const outcome = await service.search('t', {
      query: 'dentist',
      mode: 'keyword',
      minImportance: 0.5,
    });
    if (!outcome.ok) throw new Error('expected results');
    expect(outcome.response.results.map((result) => result.conversationId).sort()).toEqual([
      'a',
      'b',
    ]);
    const list = bodies.find((body) => body.kind === 'keyword')?.body;
    expect(JSON.stringify(list?.query)).toContain('{"range":{"importance":{"gte":0.5}}}');
  });

  it('raises each conversation by its importance, passage-only ones too, and keeps ties in order', async () => {
    const rankings = {
      keyword: ['t/a', 't/b', 't/c', 't/d'],
      passageKeyword: [] as string[],
      importance: { 't/c': 1 },
    };
    const order = async (boost: number, extra: Partial<Rankings> = {}) => {
      const { service } = setup({ ...rankings, ...extra }, boost);
      const outcome = await service.search('t', { query: 'dentist', mode: 'keyword' });
      if (!outcome.ok) throw new Error('expected results');
      return outcome.response.results.map((result) => result.conversationId);
    };
    // Normalized 1, 2/3, 1/3, 0: c at 1/3 × (1 + boost).
    expect(await order(0)).toEqual(['a', 'b', 'c', 'd']);
    expect(await order(0.5)).toEqual(['a', 'b', 'c', 'd']);
    expect(await order(1)).toEqual(['a', 'b', 'c', 'd']);
    expect(
      await order(1, { importance: { 't/c': 1, 't/b': 0 }, keyword: ['t/a', 't/c', 't/b', 't/d'] }),
    ).toEqual(['c', 'a', 'b', 'd']);
    // Found by its passages alone, n's importance is read from its summary document.
    const scores = async (boost: number) => {
      const { service } = setup(
        {
          keyword: ['t/a', 't/b'],
          passageKeyword: ['t/a/1', 't/n/1', 't/x/1'],
          importance: { 't/n': 1 },
        },
        boost,
      );
      const outcome = await service.search('t', { query: 'dentist', mode: 'keyword' });
      if (!outcome.ok) throw new Error('expected results');
      return new Map(
        outcome.response.results.map((result) => [result.conversationId, result.score]),
      );
    };
    const [plain, boosted] = [await scores(0), await scores(1)];
    expect(plain.get('n')).toBeGreaterThan(0);
    expect(boosted.get('n')).toBeCloseTo(2 * (plain.get('n') ?? 0), 3);
    expect(boosted.get('a')).toBeCloseTo(plain.get('a') ?? 0, 3);
  });

  it('gives each result its best passages, says how they matched, tops up the short ones', async () => {
    const { service, bodies } = setup({
      keyword: ['t/a', 't/b'],
      passageKeyword: ['t/a/5', 't/a/1', 't/a/99', 't/a/9'],
      passageSemantic: ['t/a/99', 't/a/1'],
      topUp: { b: ['t/b/1', 't/b/3'] },
    });
    const outcome = await service.search('t', { query: 'dentist', evidence: 3 });
    if (!outcome.ok) throw new Error('expected results');
    const [a, b] = outcome.response.results;
    // Keyword 10, 9, 8, 7 -> 1, 2/3, 1/3, 0; semantic 10, 9 -> 1, 0. a/99 (1/3 + 1) / 2 first,
    // a/5 1 / 2, a/1 (2/3 + 0) / 2. Window 99 has no vector: not counted as a semantic match.
    expect(a?.evidence.map((item) => [item.seqFrom, item.matchedBy])).toEqual([
      [99, ['keyword']],
      [5, ['keyword']],
      [1, ['keyword', 'semantic']],
    ]);
    expect(a?.evidence[0]?.highlights).toEqual(['about <em>a</em>']);
    expect(b?.evidence.map((item) => [item.seqFrom, item.score])).toEqual([
      [1, 0],
      [3, 0],
    ]);
    const topUp = bodies.find((entry) => entry.kind === 'topUp')?.body;
    expect(JSON.stringify(topUp)).toContain('"conversationId":["b"]');
    expect(topUp?.query?.bool?.filter).toContainEqual({ term: { tenantId: 't' } });
  });

  it('shows an archived conversation with summary evidence', async () => {
    const { service, archives } = setup({ keyword: ['t/z'], archived: ['z'] });
    const outcome = await service.search('t', { query: 'dentist', mode: 'keyword' });
    if (!outcome.ok) throw new Error('expected results');
    expect(archives.archivedAmong).toHaveBeenCalledWith('t', ['z']);
    expect(outcome.response.results[0]).toMatchObject({
      evidenceSource: 'summary',
      evidence: [
        { seqFrom: 1, seqTo: 4, messageIds: [], text: 'one', matchedBy: [] },
        { text: 'two' },
        { text: 'three' },
      ],
    });
  });

  it('answers an empty page without fetching documents', async () => {
    const { service, bodies } = setup();
    expect(await service.search('t', { query: 'nothing' })).toEqual({
      ok: true,
      response: { mode: 'hybrid', results: [] },
    });
    expect(bodies.map((entry) => entry.kind)).not.toContain('hydrate');
  });

  it('returns field errors and counts an invalid request', async () => {
    const { service, metrics, searcher } = setup();
    const outcome = await service.search('t', { query: 'x', tenantId: 'other' });
    expect(outcome).toMatchObject({ ok: false, errors: [{ field: 'tenantId' }] });
    expect(searcher.search).not.toHaveBeenCalled();
    expect(metrics.request).toHaveBeenCalledWith('hybrid', 'invalid');
  });

  it('turns a query OpenSearch finds too large into a field error', async () => {
    const { service, searcher } = setup();
    searcher.search.mockRejectedValueOnce(new QueryTooComplexError());
    expect(await service.search('t', { query: 'x', mode: 'keyword' })).toMatchObject({
      ok: false,
      errors: [{ field: 'query', code: 'QUERY_TOO_COMPLEX' }],
    });
  });

  it('reports an unavailable embedding model or index as such', async () => {
    const { service, embedder, searcher, metrics } = setup();
    embedder.embed.mockRejectedValueOnce(new Error('onnx died'));
    await expect(service.search('t', { query: 'x', mode: 'semantic' })).rejects.toBeInstanceOf(
      SearchUnavailableError,
    );
    searcher.search.mockRejectedValueOnce(new SearchUnavailableError('opensearch', 'down'));
    await expect(service.search('t', { query: 'x', mode: 'keyword' })).rejects.toBeInstanceOf(
      SearchUnavailableError,
    );
    expect(metrics.request).toHaveBeenCalledWith('semantic', 'unavailable', expect.any(Number));
  });
});
