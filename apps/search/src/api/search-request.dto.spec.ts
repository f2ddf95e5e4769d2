import { encodeCursor, queryHash } from './search-cursor';
import { parseSearchRequest, requestedMode } from './search-request.dto';

describe(parseSearchRequest.name, () => {
  it('fills the defaults and trims the query', () => {
    expect(parseSearchRequest({ query: '  dentist  ' })).toEqual({
      ok: true,
      request: { query: 'dentist', mode: 'hybrid', k: 10, evidence: 3, readDates: true, offset: 0 },
    });
  });

  it('takes every field', () => {
    const body = {
      query: 'dentist',
      mode: 'keyword',
      userId: 'user-7',
      tier: 'key_points',
      from: '2026-05-01',
      to: '2026-05-02T10:00:00+02:00',
      k: 100,
      evidence: 0,
      readDates: false,
    };
    expect(parseSearchRequest(body)).toEqual({ ok: true, request: { ...body, offset: 0 } });
  });

  it('refuses a tenantId and any other unknown field, by name', () => {
    const parsed = parseSearchRequest({ query: 'x', tenantId: 'other', size: 3 });
    expect(parsed).toEqual({
      ok: false,
      errors: [
        {
          field: 'tenantId',
          code: 'UNKNOWN_FIELD',
          message: "is not accepted: searches run in the API key's tenant",
        },
        { field: 'size', code: 'UNKNOWN_FIELD', message: 'is not a field of a search request' },
      ],
    });
  });

  it.each([
    [{}, 'query', 'INVALID_TYPE'],
    [{ query: '   ' }, 'query', 'TOO_SMALL'],
    [{ query: 'x'.repeat(1001) }, 'query', 'TOO_BIG'],
    [{ query: 'x', mode: 'fuzzy' }, 'mode', 'INVALID_VALUE'],
    [{ query: 'x', tier: 'gold' }, 'tier', 'INVALID_VALUE'],
    [{ query: 'x', k: 0 }, 'k', 'TOO_SMALL'],
    [{ query: 'x', k: 101 }, 'k', 'TOO_BIG'],
    [{ query: 'x', k: 2.5 }, 'k', 'INVALID_TYPE'],
    [{ query: 'x', k: '10' }, 'k', 'INVALID_TYPE'],
    [{ query: 'x', evidence: -1 }, 'evidence', 'TOO_SMALL'],
    [{ query: 'x', evidence: 11 }, 'evidence', 'TOO_BIG'],
    [{ query: 'x', evidence: 1.5 }, 'evidence', 'INVALID_TYPE'],
    [{ query: 'x', from: 'yesterday' }, 'from', 'INVALID_DATE'],
    [{ query: 'x', to: '2026-02-30' }, 'to', 'INVALID_DATE'],
    [{ query: 'x', to: '2026-05-01T10:00:00' }, 'to', 'INVALID_DATE'],
    [{ query: 'x', from: '2026-05-02', to: '2026-05-01' }, 'to', 'INVALID_RANGE'],
    [{ query: 'x', cursor: '' }, 'cursor', 'TOO_SMALL'],
    [{ query: 'x', cursor: '!!!' }, 'cursor', 'INVALID_CURSOR'],
  ])('refuses %j at %s with %s', (body, field, code) => {
    const parsed = parseSearchRequest(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors).toContainEqual(expect.objectContaining({ field, code }));
  });

  it('refuses a body that is not an object', () => {
    for (const body of [undefined, null, 'dentist', ['dentist']])
      expect(parseSearchRequest(body)).toMatchObject({
        ok: false,
        errors: [{ field: '(root)', code: 'INVALID_TYPE' }],
      });
  });

  it('lets a date-only `to` cover its whole day', () => {
    expect(
      parseSearchRequest({ query: 'x', from: '2026-05-01T18:00:00Z', to: '2026-05-01' }).ok,
    ).toBe(true);
  });

  it('continues from the offset of a cursor of the same query', () => {
    const criteria = { query: 'dentist', mode: 'semantic' as const, k: 5 };
    const cursor = encodeCursor({ offset: 5, mode: 'semantic', queryHash: queryHash(criteria) });
    expect(parseSearchRequest({ ...criteria, cursor })).toEqual({
      ok: true,
      request: { ...criteria, evidence: 3, readDates: true, offset: 5 },
    });
    expect(parseSearchRequest({ ...criteria, k: 6, cursor })).toMatchObject({
      ok: false,
      errors: [{ field: 'cursor', code: 'CURSOR_MISMATCH' }],
    });
  });
});

describe(requestedMode.name, () => {
  it('names the mode of a body for metrics', () => {
    expect(requestedMode({ mode: 'keyword' })).toBe('keyword');
    expect(requestedMode({ query: 'x' })).toBe('hybrid');
    expect(requestedMode({ mode: 'fuzzy' })).toBe('invalid');
    expect(requestedMode(undefined)).toBe('hybrid');
  });
});
