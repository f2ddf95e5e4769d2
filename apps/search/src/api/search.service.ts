import { performance } from 'node:perf_hooks';
import {
  ConversationList,
  conversationListQueries,
  conversationLists,
  documentId,
  FIRST_PAGES_DEPTH,
  FULL_DEPTH,
  FusedConversation,
  foundWithoutPassages,
  ListDepth,
  boostByImportance,
  fuseConversationLists,
  importanceOfHits,
  FUSION_WEIGHTS,
  listHitValue,
  fusePassageLists,
  hydrateBody,
  keywordText,
  MAX_RESULTS,
  passageHitId,
  passageList,
  passageScopeOf,
  boostByPeriods,
  conversationSpans,
  idsInPeriods,
  periodsOf,
  QueryPeriod,
  SearchScope,
  withSpanFields,
  SearchSettings,
  summaryList,
} from '@memory/search-index';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SEARCH_SETTINGS } from '../core/tokens';
import { encodeCursor, queryHash } from './search-cursor';
import { QueryVectors } from './query-embedding';
import { ArchiveStatus } from './archive-status.service';
import { EvidenceFinder, narrowRanking } from './evidence.finder';
import { KeptRanking, KeptRankings } from './kept-rankings';
import { IndexedHit, PassageHit, toPassageOnlyResult, toResult } from './search-hit.mapper';
import {
  parseSearchRequest,
  RequestFieldError,
  requestedMode,
  SearchRequest,
} from './search-request.dto';
import { SearchResponse, SearchResult } from './search-response.dto';
import {
  QUERY_TOO_COMPLEX_FIELD_ERROR,
  QueryTooComplexError,
  SearchUnavailableError,
} from './search.errors';
import { SearchMetrics } from './search.metrics';
import { SummarySearcher } from './summary.searcher';

export type SearchOutcome =
  { ok: true; response: SearchResponse } | { ok: false; errors: RequestFieldError[] };

interface Page {
  results: SearchResult[];
  /** The periods the query names (`readDates`), read as of `datesAsOf` (ms). */
  periods: QueryPeriod[];
  datesAsOf: number;
  /** Whether the ranking goes on after this page. */
  more: boolean;
  /** Set once the pages are past the first pages' ranking: how many of it were shown. */
  kept?: number;
  /** The key of the ranking kept for the next page, if one was kept. */
  ranking?: string;
}

/** A fused ranking, the list hits it came from, and whether a list was cut at its depth. */
interface Ranked {
  ranking: FusedConversation[];
  /** Conversations of the ranking raised by a period the query names. */
  inPeriod: Set<string>;
  hits: Partial<Record<ConversationList, Array<IndexedHit | PassageHit>>>;
  truncated: boolean;
}

/**
 * Searches one tenant's conversations by keywords (BM25), meaning (k-NN) or both, over their
 * summary documents and the passages of their raw messages, the lists' normalized scores
 * combined; each result carries its evidence. The tenant comes from the API key and is a filter
 * of every query OpenSearch runs.
 */
@Injectable()
export class SearchService {
  private readonly logger = new Logger(SearchService.name);

  constructor(
    private readonly searcher: SummarySearcher,
    private readonly evidence: EvidenceFinder,
    private readonly archives: ArchiveStatus,
    private readonly queryVectors: QueryVectors,
    private readonly rankings: KeptRankings,
    private readonly metrics: SearchMetrics,
    @Inject(SEARCH_SETTINGS)
    private readonly settings: Pick<SearchSettings, 'knnEfSearch' | 'importanceBoost'>,
  ) {}

  private get efSearch(): number {
    return this.settings.knnEfSearch;
  }

  /** Validates a request body and runs it; throws {@link SearchUnavailableError}. */
  async search(tenantId: string, body: unknown): Promise<SearchOutcome> {
    const parsed = parseSearchRequest(body);
    if (!parsed.ok) {
      this.metrics.request(requestedMode(body), 'invalid');
      return parsed;
    }
    const { request } = parsed;
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const page = await this.page(tenantId, request);
      this.metrics.request(request.mode, 'ok', seconds());
      return { ok: true, response: this.response(request, page) };
    } catch (error) {
      if (error instanceof QueryTooComplexError) {
        this.metrics.request(request.mode, 'invalid', seconds());
        return {
          ok: false,
          errors: [{ ...QUERY_TOO_COMPLEX_FIELD_ERROR }],
        };
      }
      const unavailable = error instanceof SearchUnavailableError;
      this.metrics.request(request.mode, unavailable ? 'unavailable' : 'error', seconds());
      this.logger.error({
        msg: 'search failed',
        tenantId,
        mode: request.mode,
        error: describe(error),
        cause:
          error instanceof Error && error.cause !== undefined ? describe(error.cause) : undefined,
      });
      throw error;
    }
  }

  /**
   * The conversation ranking of the request's mode at the depth its page needs, then the page's
   * summary documents and evidence (one `_msearch` each step). A page with a next page keeps its
   * ranking ({@link KeptRankings}, the key in the cursor), and the later pages slice it: what
   * changes in between moves no conversation across a page break. Pages that end within the
   * first pages' depth (`FIRST_PAGES_DEPTH`: most searches read one page) are fused over lists
   * that deep. A page past it is fused over full-depth lists, the first pages' ranking kept
   * first. A cursor whose ranking is gone (expired, made room for, kept by another replica)
   * ranks the query again, the results its earlier pages showed kept first (the cursor says how
   * many), so paging on neither repeats nor skips a conversation; such a page past the first
   * pages' depth ranks both depths.
   */
  private async page(tenantId: string, request: SearchRequest): Promise<Page> {
    const { userId, tier, from, to, minImportance, offset } = request;
    const scope: SearchScope = { tenantId, userId, tier, from, to, minImportance };
    const size = Math.min(request.k, MAX_RESULTS - offset);
    const end = offset + size;
    const text = keywordText(request.query);
    const hash = queryHash(request);
    const found =
      request.ranking !== undefined
        ? this.rankings.find(request.ranking, tenantId, hash)
        : undefined;
    if (request.ranking !== undefined) this.metrics.cursorRanking(found ? 'found' : 'missing');
    const vector =
      request.mode === 'keyword' || (found && !needsFullDepth(found, end))
        ? undefined
        : await this.queryVectors.of(tenantId, request.query);
    // The first page's time for every page: "yesterday" must not move at midnight.
    const datesAsOf = request.datesAsOf ?? Date.now();
    const periods = request.readDates ? periodsOf(request.query, new Date(datesAsOf)) : [];
    const rank = (depth: ListDepth) => this.rank(request.mode, scope, text, vector, depth, periods);
    const keep = (ranked: Ranked, depth: KeptRanking['depth'], ranking = ranked.ranking) => ({
      tenantId,
      queryHash: hash,
      ranking,
      inPeriod: ranked.inPeriod,
      passages: passageRanking(ranked.hits.passageKeyword, ranked.hits.passageSemantic),
      depth,
      truncated: ranked.truncated,
    });

    let kept: KeptRanking;
    let shownBefore: number | undefined;
    if (found && !needsFullDepth(found, end)) {
      kept = found;
    } else if (found) {
      // The first pages' ranking stays as it was shown; the full-depth ranking goes on after it.
      const full = await rank(FULL_DEPTH);
      kept = keep(full, 'full', after(found.ranking, full.ranking));
      kept.inPeriod = new Set([...found.inPeriod, ...full.inPeriod]);
      shownBefore = offset;
    } else if (request.kept === undefined && end <= FIRST_PAGES_DEPTH.summaries) {
      kept = keep(await rank(FIRST_PAGES_DEPTH), 'first');
    } else {
      shownBefore = request.kept ?? offset;
      const [first, full] = await Promise.all([
        shownBefore > 0 ? rank(FIRST_PAGES_DEPTH) : undefined,
        rank(FULL_DEPTH),
      ]);
      kept = keep(full, 'full', after(first?.ranking.slice(0, shownBefore) ?? [], full.ranking));
    }
    const { ranking, passages } = kept;
    const more = ranking.length > end || (kept.depth === 'first' && kept.truncated);
    const slice = ranking.slice(offset, end);
    if (slice.length === 0) return { results: [], periods, datesAsOf, more: false };
    const rankingKey =
      more && end < MAX_RESULTS
        ? this.keepRanking(request.ranking, found, kept, end, request.evidence)
        : undefined;

    // The page's summaries and its evidence in one request: the evidence needs only the passages.
    const plan = this.evidence.plan(
      passageScopeOf(scope),
      text,
      slice.map((hit) => hit.id),
      passages,
      request.evidence,
    );
    const [documents, ...evidenceAnswers] = await this.searcher.many([
      {
        target: 'summaries',
        body: hydrateBody(
          scope,
          slice.map((hit) => documentId(tenantId, hit.id)),
          text,
        ),
      },
      ...plan.queries,
    ]);
    const summaries = new Map(
      (documents?.hits ?? []).map((hit) => [hit._source?.conversationId, hit]),
    );
    const page = slice.map((hit) => ({
      conversationId: hit.id,
      summary: summaries.get(hit.id),
      score: hit.score,
      matchedBy: matchedBy(hit, kept.inPeriod),
    }));
    const evidence = await plan.finish(evidenceAnswers, page);
    const results = page.map(({ conversationId, summary, score, matchedBy: by }): SearchResult => {
      const shown = evidence.get(conversationId) ?? { evidenceSource: 'messages', evidence: [] };
      const result = summary
        ? toResult(summary, score, shown)
        : toPassageOnlyResult(
            conversationId,
            passages.userOf.get(conversationId) ?? '',
            score,
            shown,
          );
      return { ...result, matchedBy: by };
    });
    return {
      results,
      periods,
      datesAsOf,
      more,
      ...(shownBefore !== undefined ? { kept: shownBefore } : {}),
      ...(rankingKey !== undefined ? { ranking: rankingKey } : {}),
    };
  }

  /**
   * The key under which the next page finds this page's ranking: the cursor's own while it
   * still holds it (replaced when this page extended it), else a new one.
   */
  private keepRanking(
    key: string | undefined,
    found: KeptRanking | undefined,
    ranked: KeptRanking,
    next: number,
    evidence: number,
  ): string | undefined {
    if (key !== undefined && found === ranked) return key;
    // Of the passages, only the evidence the later pages' conversations would show.
    const later = ranked.ranking.slice(next).map((hit) => hit.id);
    const kept = {
      ...ranked,
      passages: narrowRanking(ranked.passages, later, Math.max(evidence, 1)),
    };
    if (key !== undefined && found) {
      this.rankings.replace(key, kept);
      return key;
    }
    const fresh = this.rankings.keep(kept);
    if (fresh !== undefined) this.metrics.cursorRanking('kept');
    return fresh;
  }

  /**
   * The lists of the mode (summary and passage BM25, k-NN, or all four) `depth` deep, in one
   * `_msearch`, fused into one conversation ranking by {@link fuseConversationLists}; the
   * conversations from a period the query names raised ({@link boostByPeriods}), then those
   * that matter to the user ({@link boostByImportance}).
   */
  private async rank(
    mode: SearchRequest['mode'],
    scope: SearchScope,
    text: string,
    vector: number[] | undefined,
    depth: ListDepth,
    periods: readonly QueryPeriod[],
  ): Promise<Ranked> {
    const lists = conversationListQueries(mode, scope, text, vector, this.efSearch, depth);
    // Their time spans are read only when the query names a period.
    const queries = periods.length > 0 ? withSpanFields(lists) : lists;
    const names = Object.keys(queries) as ConversationList[];
    const answers = await this.searcher.many(names.flatMap((name) => queries[name] ?? []));
    const hits: Partial<Record<ConversationList, Array<IndexedHit | PassageHit>>> =
      Object.fromEntries(names.map((name, index) => [name, answers[index]?.hits ?? []]));
    const truncated = names.some(
      (name) =>
        (hits[name]?.length ?? 0) >=
        (name.startsWith('passage') ? depth.passages : depth.summaries),
    );
    const summaryHits = [...(hits.summaryKeyword ?? []), ...(hits.summarySemantic ?? [])];
    const summarized = new Set(summaryList(summaryHits).map((hit) => hit.id));
    const fusable = conversationLists(hits);
    // Conversations whose raw messages are archived are fused over the summary lists alone.
    const silent =
      queries.passageKeyword || queries.passageSemantic
        ? foundWithoutPassages(fusable, depth.summaries)
        : [];
    const archived = await this.archives.archivedAmong(scope.tenantId, silent);
    let ranking = fuseConversationLists(fusable, FUSION_WEIGHTS, archived);
    // Spans are in the hits only when the query names a period (withSpanFields).
    const inPeriod = idsInPeriods(conversationSpans(hits), periods);
    ranking = boostByPeriods(ranking, inPeriod);
    const importance = importanceOfHits(summaryHits);
    const filtered = scope.tier !== undefined || scope.minImportance !== undefined;
    const boost = this.settings.importanceBoost;
    const unknown = ranking.filter((hit) => !summarized.has(hit.id)).map((hit) => hit.id);
    if (unknown.length > 0 && (filtered || boost > 0)) {
      const found = await this.summariesOf(
        filtered ? scope : { tenantId: scope.tenantId },
        unknown,
      );
      if (filtered) ranking = ranking.filter((hit) => summarized.has(hit.id) || found.has(hit.id));
      for (const [id, value] of found) importance.set(id, value);
    }
    ranking = boostByImportance(ranking, importance, boost);
    return { ranking: ranking.slice(0, MAX_RESULTS), inPeriod, hits, truncated };
  }

  /**
   * The importance of conversations found by their passages alone, read from their summary
   * documents within `scope`, by conversation id. With a tier or importance filter, the summary
   * lists hold only summaries that pass it, and a conversation found by its passages alone is
   * kept only when its summary document passes too: one with no summary yet has neither tier
   * nor importance, so it is left out (the filter asks about summaries). Without one, its
   * importance feeds the boost.
   */
  private async summariesOf(
    scope: SearchScope,
    ids: readonly string[],
  ): Promise<Map<string, number>> {
    const hits = await this.searcher.search({
      ...hydrateBody(
        scope,
        ids.map((id) => documentId(scope.tenantId, id)),
        '',
      ),
      _source: false,
      docvalue_fields: ['conversationId', 'importance'],
    });
    const found = new Map<string, number>();
    for (const hit of hits) {
      const id = hit._id?.slice(scope.tenantId.length + 1);
      const value = listHitValue(hit, 'importance');
      if (id) found.set(id, typeof value === 'number' ? value : 0);
    }
    return found;
  }

  private response(request: SearchRequest, page: Page): SearchResponse {
    const next = request.offset + request.k;
    const response: SearchResponse = {
      mode: request.mode,
      ...(page.periods.length > 0 ? { periods: page.periods } : {}),
      results: page.results,
    };
    if (page.more && next < MAX_RESULTS)
      response.nextCursor = encodeCursor({
        offset: next,
        mode: request.mode,
        queryHash: queryHash(request),
        ...(page.kept !== undefined ? { kept: page.kept } : {}),
        ...(page.periods.length > 0 ? { datesAsOf: page.datesAsOf } : {}),
        ...(page.ranking !== undefined ? { ranking: page.ranking } : {}),
      });
    return response;
  }
}

/** Whether a page ending at `end` goes past what a kept first pages' ranking holds. */
function needsFullDepth(kept: KeptRanking, end: number): boolean {
  return kept.depth === 'first' && kept.truncated && end > kept.ranking.length;
}

/** `first` as it is, then the conversations of `rest` it does not hold, at most MAX_RESULTS. */
function after(
  first: readonly FusedConversation[],
  rest: readonly FusedConversation[],
): FusedConversation[] {
  const ids = new Set(first.map((hit) => hit.id));
  return [...first, ...rest.filter((hit) => !ids.has(hit.id))].slice(0, MAX_RESULTS);
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The passage lists fused at passage level, and what the evidence needs to know of them. */
function passageRanking(
  keyword: ReadonlyArray<IndexedHit | PassageHit> | undefined,
  semantic: ReadonlyArray<IndexedHit | PassageHit> | undefined,
): KeptRanking['passages'] {
  const all = [...(keyword ?? []), ...(semantic ?? [])] as PassageHit[];
  const userOf = new Map<string, string>();
  const embedded = new Set<string>();
  for (const hit of all) {
    const conversationId = listHitValue(hit, 'conversationId');
    const user = listHitValue(hit, 'userIds');
    if (
      typeof conversationId === 'string' &&
      typeof user === 'string' &&
      !userOf.has(conversationId)
    )
      userOf.set(conversationId, user);
    const id = passageHitId(hit);
    if (id && listHitValue(hit, 'embedded') === true) embedded.add(id);
  }
  const keywordList = keyword ? passageList(keyword) : undefined;
  const semanticList = semantic ? passageList(semantic) : undefined;
  return {
    fused: fusePassageLists({ keyword: keywordList, semantic: semanticList }),
    conversationOf: new Map(
      [...(keywordList ?? []), ...(semanticList ?? [])].map((hit) => [hit.id, hit.conversationId]),
    ),
    embedded,
    userOf,
  };
}

/**
 * The kinds of list (keyword, semantic) a conversation of the fused ranking was found in, and
 * `period` when a period the query names raised it.
 */
export function matchedBy(
  hit: FusedConversation,
  inPeriod: ReadonlySet<string> = new Set(),
): SearchResult['matchedBy'] {
  const found = (lists: readonly ConversationList[]) =>
    lists.some((list) => typeof hit.ranks[list] === 'number');
  const by: SearchResult['matchedBy'] = [];
  if (found(['summaryKeyword', 'passageKeyword'])) by.push('keyword');
  if (found(['summarySemantic', 'passageSemantic'])) by.push('semantic');
  if (inPeriod.has(hit.id)) by.push('period');
  return by;
}
