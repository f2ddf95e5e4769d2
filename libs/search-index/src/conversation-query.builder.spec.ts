import {
  conversationListQueries,
  conversationSpans,
  ListHit,
  passageSpans,
  withSpanFields,
} from './conversation-query.builder';

const at = (iso: string): number => Date.parse(iso);

describe(withSpanFields.name, () => {
  it('adds the date doc values of each list to those it reads, and nothing else', () => {
    const queries = conversationListQueries(
      'hybrid',
      { tenantId: 't1' },
      'car',
      Array.from({ length: 4 }, () => 0.5),
    );
    const spanned = withSpanFields(queries);
    for (const name of ['summaryKeyword', 'summarySemantic'] as const)
      expect(spanned[name]?.body.docvalue_fields).toEqual([
        ...((queries[name]?.body.docvalue_fields as string[]) ?? []),
        'firstMessageAt',
        'lastMessageAt',
      ]);
    for (const name of ['passageKeyword', 'passageSemantic'] as const)
      expect(spanned[name]?.body.docvalue_fields).toEqual([
        ...((queries[name]?.body.docvalue_fields as string[]) ?? []),
        'firstAt',
        'lastAt',
      ]);
    expect({ ...spanned.passageKeyword?.body, docvalue_fields: undefined }).toEqual({
      ...queries.passageKeyword?.body,
      docvalue_fields: undefined,
    });
  });
});

describe(conversationSpans.name, () => {
  const passage = (conversationId: string, firstAt: string, lastAt: string): ListHit => ({
    fields: { conversationId: [conversationId], firstAt: [firstAt], lastAt: [lastAt] },
  });
  const summary = (conversationId: string, first: string, last: string): ListHit => ({
    fields: {
      conversationId: [conversationId],
      firstMessageAt: [first],
      lastMessageAt: [last],
    },
  });

  it("places a conversation by its listed passages, else by its summary's first to last message", () => {
    const spans = conversationSpans({
      passageKeyword: [passage('a', '2023-06-03T10:00:00Z', '2023-06-03T10:05:00Z')],
      passageSemantic: [passage('a', '2023-09-01T10:00:00Z', '2023-09-01T10:05:00Z')],
      summaryKeyword: [
        summary('a', '2023-01-01T00:00:00Z', '2023-12-31T00:00:00Z'),
        summary('b', '2023-02-01T00:00:00Z', '2023-02-02T00:00:00Z'),
      ],
      summarySemantic: [{ _id: 't1/c', fields: { conversationId: ['c'] } }],
    });
    expect(spans).toEqual(
      new Map([
        [
          'a',
          [
            [at('2023-06-03T10:00:00Z'), at('2023-06-03T10:05:00Z')],
            [at('2023-09-01T10:00:00Z'), at('2023-09-01T10:05:00Z')],
          ],
        ],
        ['b', [[at('2023-02-01T00:00:00Z'), at('2023-02-02T00:00:00Z')]]],
      ]),
    );
  });
});

describe(passageSpans.name, () => {
  it('places each listed passage by its first and last message', () => {
    const hit = (window: number, firstAt: string, lastAt?: string): ListHit => ({
      fields: {
        tenantId: ['t1'],
        conversationId: ['a'],
        window: [window],
        firstAt: [firstAt],
        ...(lastAt ? { lastAt: [lastAt] } : {}),
      },
    });
    expect(
      passageSpans({
        passageKeyword: [hit(1, '2023-06-03T10:00:00Z', '2023-06-03T10:05:00Z')],
        passageSemantic: [hit(3, '2023-06-04T10:00:00Z'), { fields: { conversationId: ['a'] } }],
      }),
    ).toEqual(
      new Map([
        ['t1/a/1', [[at('2023-06-03T10:00:00Z'), at('2023-06-03T10:05:00Z')]]],
        ['t1/a/3', [[at('2023-06-04T10:00:00Z'), at('2023-06-04T10:00:00Z')]]],
      ]),
    );
  });
});
