import { decodeCursor, encodeCursor, queryHash } from './search-cursor';

type Criteria = Parameters<typeof queryHash>[0];

function criteria(overrides: Partial<Criteria> = {}): Criteria {
  return { query: 'dentist friday', mode: 'hybrid', k: 10, ...overrides };
}

describe('search cursor', () => {
  it('round-trips the offset of the query it was made for', () => {
    const hash = queryHash(criteria());
    const cursor = encodeCursor({ offset: 20, mode: 'hybrid', queryHash: hash });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, { mode: 'hybrid', queryHash: hash })).toEqual({
      ok: true,
      offset: 20,
    });
  });

  it('carries the time the dates of the query were read at', () => {
    const hash = queryHash(criteria());
    const cursor = encodeCursor({ offset: 10, mode: 'hybrid', queryHash: hash, datesAsOf: 1 });
    expect(decodeCursor(cursor, { mode: 'hybrid', queryHash: hash })).toEqual({
      ok: true,
      offset: 10,
      datesAsOf: 1,
    });
  });

  it('carries how many results of the first pages were kept, never more than its offset', () => {
    const hash = queryHash(criteria());
    const expected = { mode: 'hybrid' as const, queryHash: hash };
    const deep = encodeCursor({ offset: 60, mode: 'hybrid', queryHash: hash, kept: 50 });
    expect(decodeCursor(deep, expected)).toEqual({ ok: true, offset: 60, kept: 50 });
    // Kept beyond where the page starts: not a cursor this API makes.
    const forged = encodeCursor({ offset: 20, mode: 'hybrid', queryHash: hash, kept: 30 });
    expect(decodeCursor(forged, expected)).toMatchObject({ ok: false, code: 'INVALID_CURSOR' });
    const negative = encodeCursor({ offset: 20, mode: 'hybrid', queryHash: hash, kept: -1 });
    expect(decodeCursor(negative, expected)).toMatchObject({ ok: false, code: 'INVALID_CURSOR' });
  });

  it('hashes every part that decides the ranking', () => {
    const base = queryHash(criteria());
    expect(queryHash(criteria())).toBe(base);
    for (const change of [
      { query: 'dentist monday' },
      { mode: 'keyword' as const },
      { userId: 'user-7' },
      { tier: 'brief' as const },
      { from: '2026-05-01' },
      { to: '2026-05-01' },
      { k: 11 },
      { readDates: false },
    ])
      expect(queryHash(criteria(change))).not.toBe(base);
    // Reading dates is the default: saying so is the same query.
    expect(queryHash(criteria({ readDates: true }))).toBe(base);
    // The same value under another field is another query.
    expect(queryHash(criteria({ from: '2026-05-01' }))).not.toBe(
      queryHash(criteria({ to: '2026-05-01' })),
    );
  });

  it('refuses a cursor of another query or mode', () => {
    const cursor = encodeCursor({ offset: 10, mode: 'hybrid', queryHash: queryHash(criteria()) });
    const other = queryHash(criteria({ query: 'something else' }));
    expect(decodeCursor(cursor, { mode: 'hybrid', queryHash: other })).toMatchObject({
      ok: false,
      code: 'CURSOR_MISMATCH',
    });
    expect(
      decodeCursor(cursor, { mode: 'keyword', queryHash: queryHash(criteria()) }),
    ).toMatchObject({ ok: false, code: 'CURSOR_MISMATCH' });
  });

  it.each([
    ['not base64 JSON', 'not a cursor!'],
    ['JSON of another shape', Buffer.from('{"page":2}').toString('base64url')],
    ['an offset past the limit', encodeCursor({ offset: 200, mode: 'hybrid', queryHash: 'h' })],
    ['a negative offset', encodeCursor({ offset: -10, mode: 'hybrid', queryHash: 'h' })],
    ['a fractional offset', encodeCursor({ offset: 1.5, mode: 'hybrid', queryHash: 'h' })],
    [
      'an unknown mode',
      Buffer.from('{"offset":10,"mode":"fuzzy","queryHash":"h"}').toString('base64url'),
    ],
  ])('refuses %s', (_what, cursor) => {
    expect(decodeCursor(cursor, { mode: 'hybrid', queryHash: 'h' })).toMatchObject({
      ok: false,
      code: 'INVALID_CURSOR',
    });
  });
});
