import { parseContextRequest } from './context-request.dto';

describe(parseContextRequest.name, () => {
  it('fills the default budget and trims the query', () => {
    expect(parseContextRequest({ query: '  dentist  ' })).toEqual({
      ok: true,
      request: { query: 'dentist', tokenBudget: 1000, readDates: true },
    });
  });

  it('takes every field', () => {
    const body = {
      query: 'dentist',
      tokenBudget: 8000,
      conversationId: 'conv-42',
      userId: 'user-7',
      from: '2026-05-01',
      to: '2026-05-02T10:00:00Z',
      readDates: false,
    };
    expect(parseContextRequest(body)).toEqual({ ok: true, request: body });
  });

  it.each([
    [{}, 'query', 'INVALID_TYPE'],
    [{ query: 'x', tokenBudget: 99 }, 'tokenBudget', 'TOO_SMALL'],
    [{ query: 'x', tokenBudget: 8001 }, 'tokenBudget', 'TOO_BIG'],
    [{ query: 'x', tokenBudget: 100.5 }, 'tokenBudget', 'INVALID_TYPE'],
    [{ query: 'x', conversationId: 'has space' }, 'conversationId', 'INVALID_IDENTIFIER'],
    [{ query: 'x', from: 'yesterday' }, 'from', 'INVALID_DATE'],
    [{ query: 'x', from: '2026-05-02', to: '2026-05-01' }, 'to', 'INVALID_RANGE'],
    [{ query: 'x', tenantId: 't' }, 'tenantId', 'UNKNOWN_FIELD'],
    [{ query: 'x', budget: 3 }, 'budget', 'UNKNOWN_FIELD'],
  ])('refuses %j: %s %s', (body, field, code) => {
    const parsed = parseContextRequest(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors).toContainEqual(expect.objectContaining({ field, code }));
  });

  it('names the request in the message of an unknown field', () => {
    const parsed = parseContextRequest({ query: 'x', budget: 3 });
    expect(parsed).toMatchObject({
      ok: false,
      errors: [{ message: 'is not a field of a context request' }],
    });
  });
});
