/** The search service over a searcher that answers from fixed rankings (unit tests). */
import { EmbeddingBackend } from '@memory/embeddings';
import { FIRST_PAGES_DEPTH, ListQuery, SearchBody } from '@memory/search-index';
import { ArchiveStatus } from './archive-status.service';
import { EvidenceFinder } from './evidence.finder';
import { IndexedHit, PassageHit } from './search-hit.mapper';
import { QueryVectors } from './query-embedding';
import { KeptRankings } from './kept-rankings';
import { SearchMetrics } from './search.metrics';
import { SearchService } from './search.service';
import { SummarySearcher } from './summary.searcher';

export type Kind =
  | 'keyword'
  | 'semantic'
  | 'hydrate'
  | 'passageKeyword'
  | 'passageSemantic'
  | 'passageHydrate'
  | 'topUp';

export function kindOf(body: SearchBody, passages: boolean): Kind {
  if (body.aggs) return 'topUp';
  const must = body.query?.bool?.must as Array<Record<string, unknown>> | undefined;
  if (!must) return passages ? 'passageHydrate' : 'hydrate';
  const semantic = Boolean(must[0] && 'knn' in must[0]);
  if (passages) return semantic ? 'passageSemantic' : 'passageKeyword';
  return semantic ? 'semantic' : 'keyword';
}

export function hit(id: string, score = 1, tier = 'full', importance?: number): IndexedHit {
  const conversationId = id.split('/')[1] ?? id;
  return {
    _id: id,
    _score: score,
    ...(importance !== undefined
      ? { fields: { conversationId: [conversationId], importance: [importance] } }
      : {}),
    _source: {
      conversationId,
      userId: 'user-7',
      tier,
      text: `summary of ${conversationId}`,
      context: '',
      keyPoints: ['one', 'two', 'three', 'four'],
      firstMessageAt: '2026-05-01T10:00:00.000Z',
      lastMessageAt: '2026-05-01T11:00:00.000Z',
      messageCount: 4,
      throughSeq: 4,
      summaryUpdatedAt: '2026-05-01T11:00:01.000Z',
      indexedAt: '2026-05-01T11:00:02.000Z',
      version: 3,
    },
  };
}

/** A passage `t/<conversation>/<window>`, embedded unless its window is 99. */
export function passage(id: string, score = 1): PassageHit {
  const [, conversationId = '', window = '1'] = id.split('/');
  const seqFrom = Number(window);
  return {
    _id: id,
    _score: score,
    _source: {
      conversationId,
      userIds: ['user-9'],
      seqFrom,
      seqTo: seqFrom + 3,
      messageIds: [0, 1, 2, 3].map((step) => `${conversationId}-m${seqFrom + step}`),
      speakers: ['user-9', 'assistant'],
      lastAt: '2026-05-01T10:30:00.000Z',
      text: `user-9: about ${conversationId}`,
      embedded: window !== '99',
    },
    highlight: { text: [`about <em>${conversationId}</em>`] },
  };
}

export interface Rankings {
  keyword?: string[];
  semantic?: string[];
  passageKeyword?: string[];
  passageSemantic?: string[];
  /** Conversations whose passages the top-up finds: id to passage ids. */
  topUp?: Record<string, string[]>;
  /** The summary BM25 list as a full-depth query finds it, when it differs from `keyword`. */
  deepKeyword?: string[];
  /** Summary documents that exist (all ids asked for, when absent), and their tiers. */
  summaries?: Record<string, string>;
  /** Importance of summary documents (0 when absent). */
  importance?: Record<string, number>;
  archived?: string[];
}

export function setup(
  rankings: Rankings = {},
  importanceBoost = 0,
  kept: KeptRankings = new KeptRankings(0, 1),
) {
  const bodies: Array<{ kind: Kind; body: SearchBody }> = [];
  const idsOf = (body: SearchBody): string[] =>
    (body.query?.bool?.filter as Array<{ ids?: { values: string[] } }>).find((filter) => filter.ids)
      ?.ids?.values ?? [];
  const ranked = (kind: Kind, body: SearchBody): string[] => {
    const deep = kind === 'keyword' && (body.size ?? 0) > FIRST_PAGES_DEPTH.summaries;
    const list = (deep && rankings.deepKeyword) || (rankings[kind as keyof Rankings] as string[]);
    const from = body.from ?? 0;
    return (list ?? []).slice(from, from + (body.size ?? 10));
  };
  const search = jest.fn((body: SearchBody): Promise<IndexedHit[]> => {
    const kind = kindOf(body, false);
    bodies.push({ kind, body });
    if (kind === 'hydrate') {
      const known = rankings.summaries;
      const ids = idsOf(body).filter((id) => !known || known[id] !== undefined);
      const filters = body.query?.bool?.filter as Array<{
        term?: { tier?: string };
        range?: { importance?: { gte: number } };
      }>;
      const tier = filters.find((filter) => filter.term?.tier)?.term?.tier;
      const least = filters.find((filter) => filter.range?.importance)?.range?.importance?.gte;
      const importance = (id: string) => rankings.importance?.[id] ?? 0;
      // OpenSearch returns them in its own order.
      return Promise.resolve(
        [...ids]
          .reverse()
          .filter((id) => !tier || (known?.[id] ?? 'full') === tier)
          .filter((id) => least === undefined || importance(id) >= least)
          .map((id) => hit(id, 0, known?.[id] ?? 'full', importance(id))),
      );
    }
    return Promise.resolve(
      ranked(kind, body).map((id, index) =>
        hit(id, 10 - index, 'full', rankings.importance?.[id] ?? 0),
      ),
    );
  });
  const searchPassages = jest.fn((body: SearchBody): Promise<PassageHit[]> => {
    const kind = kindOf(body, true);
    bodies.push({ kind, body });
    if (kind === 'passageHydrate') return Promise.resolve(idsOf(body).map((id) => passage(id, 0)));
    return Promise.resolve(ranked(kind, body).map((id, index) => passage(id, 10 - index)));
  });
  const topPassages = jest.fn((body: SearchBody): Promise<Map<string, PassageHit[]>> => {
    bodies.push({ kind: 'topUp', body });
    return Promise.resolve(
      new Map(
        Object.entries(rankings.topUp ?? {}).map(([id, passages]) => [
          id,
          passages.map((passageId) => passage(passageId, 1)),
        ]),
      ),
    );
  });
  const searcher = {
    search,
    searchPassages,
    topPassages,
    list: jest.fn((query: ListQuery) =>
      query.target === 'summaries' ? search(query.body) : searchPassages(query.body),
    ),
    // One `_msearch`: each search answered as the separate requests are, top-ups as buckets.
    many: jest.fn((queries: readonly ListQuery[]) =>
      Promise.all(
        queries.map(async (query) => {
          if (!query.body.aggs)
            return {
              hits:
                query.target === 'summaries'
                  ? await search(query.body)
                  : await searchPassages(query.body),
            };
          const top = await topPassages(query.body);
          const buckets = [...top].map(([key, hits]) => ({ key, best: { hits: { hits } } }));
          return { hits: [], aggregations: { conversations: { buckets } } };
        }),
      ),
    ),
  };
  const archives = {
    archivedAmong: jest.fn((_tenantId: string, conversationIds: readonly string[]) =>
      Promise.resolve(
        new Set(conversationIds.filter((id) => (rankings.archived ?? []).includes(id))),
      ),
    ),
  };
  const embedder = {
    embed: jest.fn(() => Promise.resolve([[0.1, 0.2, 0.3]])),
  };
  const metrics = { request: jest.fn(), queryVector: jest.fn(), cursorRanking: jest.fn() };
  const service = new SearchService(
    searcher as unknown as SummarySearcher,
    new EvidenceFinder(archives as unknown as ArchiveStatus),
    archives as unknown as ArchiveStatus,
    new QueryVectors(embedder as unknown as EmbeddingBackend, metrics as unknown as SearchMetrics),
    kept,
    metrics as unknown as SearchMetrics,
    { knnEfSearch: 600, importanceBoost },
  );
  return { service, searcher, embedder, metrics, bodies, archives };
}

export const ids = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `t/${prefix}${index}`);
