import { Logger } from '@nestjs/common';
import { FIRST_PAGES_DEPTH, FULL_DEPTH } from '@memory/search-index';
import { KeptRankings } from './kept-rankings';
import { decodeCursor, queryHash } from './search-cursor';
import { SearchService } from './search.service';
import { ids, setup } from './search.service.fixture';

const dentist = { query: 'dentist', mode: 'keyword', k: 10 } as const;

/** The conversation ids of a page, or a thrown error for a refused request. */
async function page(
  service: SearchService,
  body: Record<string, unknown>,
  tenantId = 't',
): Promise<{ conversations: string[]; nextCursor?: string }> {
  const outcome = await service.search(tenantId, body);
  if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome.errors)}`);
  return {
    conversations: outcome.response.results.map((result) => result.conversationId),
    ...(outcome.response.nextCursor ? { nextCursor: outcome.response.nextCursor } : {}),
  };
}

const plain = (list: readonly string[]) => list.map((id) => id.slice(2));

describe(`${SearchService.name}: rankings kept per cursor`, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('slices the first page’s ranking on later pages, whatever changed in the index', async () => {
    const rankings = { keyword: ids('k', 30) };
    const { service, bodies, metrics } = setup(rankings, 0, new KeptRankings(2 ** 20, 60_000));
    const first = await page(service, dentist);
    expect(first.conversations).toEqual(plain(ids('k', 10)));
    expect(metrics.cursorRanking).toHaveBeenCalledWith('kept');

    // A new conversation now ranks first, and k0 is gone from the lists.
    rankings.keyword = ['t/new', ...ids('k', 30).slice(1)];
    bodies.length = 0;
    const second = await page(service, { ...dentist, cursor: first.nextCursor });
    expect(second.conversations).toEqual(plain(ids('k', 20).slice(10)));
    expect(metrics.cursorRanking).toHaveBeenCalledWith('found');
    // No list was asked again: only the page's summaries (and its evidence top-up).
    expect(bodies.map((entry) => entry.kind)).not.toContain('keyword');
    expect(bodies.map((entry) => entry.kind)).not.toContain('passageKeyword');

    const third = await page(service, { ...dentist, cursor: second.nextCursor });
    expect(third.conversations).toEqual(plain(ids('k', 30).slice(20)));
    expect(third.nextCursor).toBeUndefined();
    // A new search sees the change.
    expect((await page(service, dentist)).conversations[0]).toBe('new');
  });

  it('ranks again, as before, when the kept ranking is gone: expired, made room for, or never kept', async () => {
    let now = 1_000;
    const rankings = { keyword: ids('k', 30) };
    // Room for one ranking of 30 conversations (16 KB), not two.
    const kept = new KeptRankings(20_000, 5_000, () => now);
    const { service, metrics } = setup(rankings, 0, kept);
    const first = await page(service, dentist);
    rankings.keyword = ['t/new', ...ids('k', 30)];
    now += 5_001;
    const second = await page(service, { ...dentist, cursor: first.nextCursor });
    // The lists are asked again: the page starts at offset 10 of the new ranking.
    expect(second.conversations).toEqual(['k9', ...plain(ids('k', 19).slice(10))]);
    expect(metrics.cursorRanking).toHaveBeenCalledWith('missing');

    // Made room for: a second search takes the only place.
    rankings.keyword = ids('k', 30);
    const a = await page(service, dentist);
    await page(service, { ...dentist, query: 'cavity' });
    rankings.keyword = ['t/new', ...ids('k', 30)];
    expect((await page(service, { ...dentist, cursor: a.nextCursor })).conversations[0]).toBe('k9');

    // Kept none (capacity 0): the cursor carries no key and paging works as before.
    const none = setup({ keyword: ids('k', 30) });
    const firstOfNone = await page(none.service, dentist);
    const decoded = decodeCursor(firstOfNone.nextCursor ?? '', {
      mode: 'keyword',
      queryHash: queryHash({ ...dentist, readDates: true }),
    });
    expect(decoded).toEqual({ ok: true, offset: 10 });
    expect(none.metrics.cursorRanking).not.toHaveBeenCalledWith('kept');
  });

  it('serves a kept ranking to its own tenant and query only', async () => {
    const { service, bodies } = setup(
      { keyword: ids('k', 30) },
      0,
      new KeptRankings(2 ** 20, 60_000),
    );
    const first = await page(service, dentist);
    // The same cursor from another tenant: same query, but the key finds nothing of its own.
    bodies.length = 0;
    await page(service, { ...dentist, cursor: first.nextCursor }, 'u');
    expect(bodies.map((entry) => entry.kind)).toContain('keyword');
    for (const { body } of bodies)
      expect(body.query?.bool?.filter).toContainEqual({ term: { tenantId: 'u' } });
  });

  it('goes past the first pages with the shown ranking first, then keeps the full one', async () => {
    const shallow = ids('k', 120);
    const rankings = { keyword: shallow, deepKeyword: [...shallow].reverse() };
    const { service, bodies } = setup(rankings, 0, new KeptRankings(2 ** 20, 60_000));
    const body = { ...dentist, k: 20 };
    const seen: string[] = [];
    const sizes: number[][] = [];
    let cursor: string | undefined;
    do {
      bodies.length = 0;
      const shown = await page(service, { ...body, cursor });
      seen.push(...shown.conversations);
      sizes.push(
        bodies.filter((entry) => entry.kind === 'keyword').map((entry) => entry.body.size ?? 0),
      );
      cursor = shown.nextCursor;
    } while (cursor);
    // Page 1 ranks the first pages' lists; page 2 slices them; page 3 goes past them at full
    // depth once (not both depths: the first pages' ranking is kept); later pages slice it.
    expect(sizes.slice(0, 4)).toEqual([
      [FIRST_PAGES_DEPTH.summaries],
      [],
      [FULL_DEPTH.summaries],
      [],
    ]);
    expect(seen.slice(0, FIRST_PAGES_DEPTH.summaries)).toEqual(
      plain(shallow.slice(0, FIRST_PAGES_DEPTH.summaries)),
    );
    // Then the full-depth order of what the first pages' ranking did not hold.
    expect(seen.slice(FIRST_PAGES_DEPTH.summaries)).toEqual(
      plain([...shallow].reverse().slice(0, 120 - FIRST_PAGES_DEPTH.summaries)),
    );
    expect(new Set(seen).size).toBe(120);
  });

  it('keeps of the passages only the evidence of the later pages, and shows it there', async () => {
    const withPassages = ids('k', 20).map((id) => id.slice(2));
    const rankings = {
      keyword: ids('k', 30),
      // Two windows each that do not overlap (messages 1-4 and 5-8).
      passageKeyword: withPassages.flatMap((id) => [`t/${id}/1`, `t/${id}/5`, `t/${id}/3`]),
    };
    const kept = new KeptRankings(2 ** 20, 60_000);
    const { service, bodies } = setup(rankings, 0, kept);
    const first = await service.search('t', { ...dentist, evidence: 2 });
    if (!first.ok) throw new Error('expected results');
    const shown = first.response.results.map((result) => result.conversationId);
    // The ranking (30) and two passages of each of the 10 later conversations with passages.
    expect(kept.bytes).toBe(1_024 + 512 * (30 + 2 * 10));

    rankings.passageKeyword = [];
    bodies.length = 0;
    const second = await service.search('t', {
      ...dentist,
      evidence: 2,
      cursor: first.response.nextCursor,
    });
    if (!second.ok) throw new Error('expected results');
    expect(bodies.map((entry) => entry.kind)).not.toContain('passageKeyword');
    for (const result of second.response.results) {
      expect(shown).not.toContain(result.conversationId);
      expect(result.evidence.map((item) => item.seqFrom)).toEqual(
        withPassages.includes(result.conversationId) ? [1, 5] : [],
      );
    }
  });
});
