import { ContextAssembler, ContextSources } from './context-assembler';
import { ListQuery } from './conversation-query.builder';

type Kind = 'keyword' | 'semantic' | 'hydrate';

function kindOf(query: ListQuery): Kind {
  const must = query.body.query?.bool?.must as Array<Record<string, unknown>> | undefined;
  if (!must) return 'hydrate';
  return must[0] && 'knn' in must[0] ? 'semantic' : 'keyword';
}

function passageSource(id: string) {
  const [, conversationId = '', window = '1'] = id.split('/');
  const seqFrom = Number(window);
  const seqs = [0, 1, 2, 3].map((step) => seqFrom + step);
  return {
    conversationId,
    seqFrom,
    seqTo: seqFrom + 3,
    messageIds: seqs.map((seq) => `${conversationId}-m${seq}`),
    speakers: ['u1'],
    firstAt: '2026-05-01T10:00:00.000Z',
    lastAt: '2026-05-01T10:05:00.000Z',
    text: seqs.map((seq) => `u1: message ${seq}`).join('\n'),
    embedded: true,
  };
}

function setup(lists: Record<string, string[]>, archived: string[] = []) {
  const queries: ListQuery[] = [];
  const sources: ContextSources = {
    search: (query) => {
      queries.push(query);
      const kind = kindOf(query);
      if (kind === 'hydrate') {
        const ids =
          (query.body.query?.bool?.filter as Array<{ ids?: { values: string[] } }>).find(
            (filter) => filter.ids,
          )?.ids?.values ?? [];
        return Promise.resolve(
          ids.map((id) =>
            query.target === 'passages'
              ? { _id: id, _source: passageSource(id) }
              : {
                  _id: id,
                  _source: {
                    conversationId: id.split('/')[1],
                    userId: 'u1',
                    text: `summary of ${id}`,
                    throughSeq: 30,
                    firstMessageAt: null,
                    lastMessageAt: '2026-04-01T00:00:00.000Z',
                  },
                },
          ),
        );
      }
      const ids = lists[`${query.target}.${kind}`] ?? [];
      return Promise.resolve(
        ids.map((id, index) => ({
          _id: id,
          _score: 10 - index,
          _source: query.target === 'passages' ? passageSource(id) : undefined,
        })),
      );
    },
    embed: () => Promise.resolve([0.1, 0.2]),
    currentSummary: (_tenantId, conversationId) =>
      Promise.resolve(
        conversationId === 'live'
          ? {
              conversationId,
              userId: 'u1',
              text: 'The live conversation so far.',
              throughSeq: 12,
              firstMessageAt: null,
              lastMessageAt: null,
            }
          : undefined,
      ),
    archived: jest.fn((_tenantId: string, ids: readonly string[]) =>
      Promise.resolve(new Set(ids.filter((id) => archived.includes(id)))),
    ),
  };
  return { assembler: new ContextAssembler(sources), queries, sources };
}

describe(ContextAssembler.name, () => {
  it('puts the live summary first, then passages best first, merged, and archived summaries', async () => {
    const { assembler, queries, sources } = setup(
      {
        'passages.keyword': ['t/a/3', 't/b/1', 't/a/1'],
        'passages.semantic': ['t/a/3', 't/a/1'],
        'summaries.keyword': ['t/z', 't/a'],
      },
      ['z'],
    );
    const packed = await assembler.assemble({
      tenantId: 't',
      query: 'dentist',
      tokenBudget: 2000,
      conversationId: 'live',
    });
    expect(
      packed.items.map(
        (item) => `${item.kind} ${item.conversationId}#${item.seqFrom}-${item.seqTo}`,
      ),
    ).toEqual(['summary live#1-12', 'evidence a#1-6', 'summary z#1-30', 'evidence b#1-4']);
    expect(packed.tokens).toBeLessThanOrEqual(2000);
    expect(sources.archived).toHaveBeenCalledWith('t', ['z']);
    for (const query of queries)
      expect(JSON.stringify(query.body)).toContain('{"term":{"tenantId":"t"}}');
  });

  it('sends the searches of each step together when the sources can (one _msearch in the service)', async () => {
    const lists = {
      'passages.keyword': ['t/a/3', 't/b/1'],
      'summaries.keyword': ['t/z', 't/a'],
    };
    const one = setup(lists, ['z']);
    const separate = await one.assembler.assemble({ tenantId: 't', query: 'q', tokenBudget: 2000 });
    const batched = setup(lists, ['z']);
    const steps: number[] = [];
    const search = jest.fn(batched.sources.search);
    const searchAll = jest.fn((queries: readonly ListQuery[]) => {
      steps.push(queries.length);
      return Promise.all(queries.map((query) => search(query)));
    });
    const assembler = new ContextAssembler({ ...batched.sources, search, searchAll });
    expect(await assembler.assemble({ tenantId: 't', query: 'q', tokenBudget: 2000 })).toEqual(
      separate,
    );
    // The four lists, then the passages and the archived summary by id.
    expect(steps).toEqual([4, 2]);
    expect(search).toHaveBeenCalledTimes(6);
  });

  it('answers with nothing found as an empty text', async () => {
    const { assembler } = setup({});
    expect(await assembler.assemble({ tenantId: 't', query: 'x', tokenBudget: 100 })).toEqual({
      budget: 100,
      tokens: 0,
      items: [],
      text: '',
    });
  });
});
