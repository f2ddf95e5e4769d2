import { MemorySummary } from '@memory/contracts';
import {
  CONTEXT_CONVERSATION_SHARE,
  ConversationList,
  foundWithoutPassages,
  fuseConversationLists,
  FUSION_WEIGHTS,
  fusePassageLists,
} from './conversation-fusion';
import {
  conversationListQueries,
  conversationLists,
  conversationSpans,
  FIRST_PAGES_DEPTH,
  ListHit,
  ListQuery,
  passageList,
  passageScopeOf,
  passageSpans,
  withSpanFields,
} from './conversation-query.builder';
import {
  ContextCandidate,
  countContextTokens,
  packContext,
  PackedContext,
  TokenCounter,
} from './context-packing';
import { PassageDocument } from './passage-document';
import { boostByPeriods, idsInPeriods, PERIOD_BOOST, periodsOf } from './query-periods';
import { passageHydrateBody } from './passage-query.builder';
import { DEFAULT_KNN_EF_SEARCH } from './search.settings';
import { hydrateBody, keywordText, SearchScope } from './search-query.builder';
import { SummaryDocument } from './summary-document';

/** What a context request asks for (validated by the caller). */
export interface ContextQuery {
  tenantId: string;
  query: string;
  tokenBudget: number;
  /** The live conversation: its current summary comes first. */
  conversationId?: string;
  userId?: string;
  from?: string;
  to?: string;
  /** Read the periods the query names ({@link periodsOf}); default true. */
  readDates?: boolean;
}

/** A conversation's current summary as the context shows it. */
export interface ContextSummary {
  conversationId: string;
  userId: string;
  text: string;
  throughSeq: number;
  firstMessageAt: string | null;
  lastMessageAt: string | null;
}

/** What the context shows of a `memory.summary.v1`. */
export function contextSummaryOf(summary: MemorySummary): ContextSummary {
  return {
    conversationId: summary.conversationId,
    userId: summary.userId,
    text: summary.text || summary.sections.context,
    throughSeq: summary.throughSeq,
    firstMessageAt: summary.stats.firstMessageAt,
    lastMessageAt: summary.stats.lastMessageAt,
  };
}

/** A hit with the `_source` of the bodies the assembler sends. */
export interface SourceHit<T> extends ListHit {
  _source?: Partial<T> & { conversationId?: string };
}

/** What the assembler needs from outside: the index, the embedding model and Postgres. */
export interface ContextSources {
  search(query: ListQuery): Promise<Array<SourceHit<PassageDocument & SummaryDocument>>>;
  /**
   * Several searches at once (one `_msearch` in the search service), answers in order; without
   * it, the lists are searched side by side with `search`.
   */
  searchAll?(
    queries: readonly ListQuery[],
  ): Promise<Array<Array<SourceHit<PassageDocument & SummaryDocument>>>>;
  /** The query's vector; `tenantId` is the caller's (a cache of vectors is kept per tenant). */
  embed(query: string, tenantId: string): Promise<number[]>;
  /** The live conversation's current summary (Postgres), undefined when it has none yet. */
  currentSummary(tenantId: string, conversationId: string): Promise<ContextSummary | undefined>;
  /** Of these conversations, those whose raw messages are archived (not restored). */
  archived(tenantId: string, conversationIds: readonly string[]): Promise<Set<string>>;
  /** The user's profile (Postgres), undefined when there is none; without it, none is shown. */
  profile?(tenantId: string, userId: string): Promise<ContextProfile | undefined>;
}

/** A user's profile as the context shows it: its lines, best first, and when it was built. */
export interface ContextProfile {
  userId: string;
  builtAt: string;
  /** One line per item, e.g. `Preference: I prefer mornings (conv-42)`. */
  lines: string[];
}

/** Passages fetched for packing: more than any budget up to 8,000 tokens can hold. */
export const CONTEXT_PASSAGES = 80;
/** Top conversations of the fused ranking whose summary may stand in for archived messages. */
export const CONTEXT_ARCHIVE_CANDIDATES = 20;

/**
 * The context answer: the live conversation's summary, the user's profile (with `userId`), then
 * evidence across the tenant's
 * conversations best first, packed into the token budget. Passages are ranked by their fused
 * passage score (passage BM25 and k-NN lists, {@link fusePassageLists}) blended with their
 * conversation's fused score over all four lists ({@link CONTEXT_CONVERSATION_SHARE}); a
 * conversation high in that ranking whose messages are archived (no passages) contributes its
 * summary, at its conversation score. Every query is the tenant's.
 */
export class ContextAssembler {
  constructor(
    private readonly sources: ContextSources,
    private readonly efSearch: number = DEFAULT_KNN_EF_SEARCH,
    private readonly count: TokenCounter = countContextTokens,
  ) {}

  private searchAll(
    queries: readonly ListQuery[],
  ): Promise<Array<Array<SourceHit<PassageDocument & SummaryDocument>>>> {
    if (queries.length === 0) return Promise.resolve([]);
    if (this.sources.searchAll) return this.sources.searchAll(queries);
    return Promise.all(queries.map((query) => this.sources.search(query)));
  }

  async assemble(request: ContextQuery): Promise<PackedContext> {
    const scope: SearchScope = {
      tenantId: request.tenantId,
      userId: request.userId,
      from: request.from,
      to: request.to,
    };
    const text = keywordText(request.query);
    const [live, vector, profile] = await Promise.all([
      request.conversationId === undefined
        ? undefined
        : this.sources.currentSummary(request.tenantId, request.conversationId),
      this.sources.embed(request.query, request.tenantId),
      request.userId === undefined || !this.sources.profile
        ? undefined
        : this.sources.profile(request.tenantId, request.userId),
    ]);
    const periods = request.readDates === false ? [] : periodsOf(request.query);
    // The first pages' depth: the 80 passages and 20 summaries the answer can hold are near the
    // top of lists that deep (on LoCoMo its evidence recall did not move: docs/benchmarks.md).
    const lists = conversationListQueries(
      'hybrid',
      scope,
      text,
      vector,
      this.efSearch,
      FIRST_PAGES_DEPTH,
    );
    const queries = periods.length > 0 ? withSpanFields(lists) : lists;
    const names = Object.keys(queries) as ConversationList[];
    const answers = await this.searchAll(names.flatMap((name) => queries[name] ?? []));
    const hits = Object.fromEntries(names.map((name, index) => [name, answers[index] ?? []]));
    const fusable = conversationLists(hits);
    const silent = foundWithoutPassages(fusable, CONTEXT_ARCHIVE_CANDIDATES).filter(
      (id) => id !== request.conversationId,
    );
    const archived =
      silent.length > 0 ? await this.sources.archived(request.tenantId, silent) : new Set<string>();
    const conversations = boostByPeriods(
      fuseConversationLists(fusable, FUSION_WEIGHTS, archived),
      idsInPeriods(conversationSpans(hits), periods),
    );
    const conversationScore = new Map(conversations.map((hit) => [hit.id, hit.score]));
    const keyword = passageList(hits.passageKeyword ?? []);
    const semantic = passageList(hits.passageSemantic ?? []);
    const conversationOf = new Map(
      [...keyword, ...semantic].map((hit) => [hit.id, hit.conversationId]),
    );
    const share = CONTEXT_CONVERSATION_SHARE;
    // A passage from a period the query names goes up as its conversation does.
    const during = idsInPeriods(passageSpans(hits), periods);
    const ranked: Array<{
      id: string;
      conversationId: string;
      score: number;
      kind: 'evidence' | 'summary';
    }> = fusePassageLists({ keyword, semantic }).map((hit) => {
      const conversationId = conversationOf.get(hit.id) ?? '';
      return {
        id: hit.id,
        conversationId,
        kind: 'evidence',
        // The conversation's share carries its own period boost; the passage's, the passage's.
        score:
          (1 - share) * hit.score * (during.has(hit.id) ? 1 + PERIOD_BOOST : 1) +
          share * (conversationScore.get(conversationId) ?? 0),
      };
    });

    for (const conversationId of silent)
      if (archived.has(conversationId))
        ranked.push({
          id: conversationId,
          conversationId,
          kind: 'summary',
          score: conversationScore.get(conversationId) ?? 0,
        });
    ranked.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const chosen = ranked.slice(0, CONTEXT_PASSAGES);

    const passageIds = chosen.filter((entry) => entry.kind === 'evidence').map((entry) => entry.id);
    const summaryIds = chosen.filter((entry) => entry.kind === 'summary').map((entry) => entry.id);
    const hydrations: ListQuery[] = [];
    if (passageIds.length > 0)
      hydrations.push({
        target: 'passages',
        body: passageHydrateBody(passageScopeOf(scope), passageIds, ''),
      });
    if (summaryIds.length > 0)
      hydrations.push({
        target: 'summaries',
        body: hydrateBody(
          scope,
          summaryIds.map((id) => `${request.tenantId}/${id}`),
          '',
        ),
      });
    const hydrated = await this.searchAll(hydrations);
    const passages = passageIds.length > 0 ? (hydrated[0] ?? []) : [];
    const summaries = summaryIds.length > 0 ? (hydrated[hydrated.length - 1] ?? []) : [];
    const passageById = new Map(passages.map((hit) => [hit._id, hit._source]));
    const summaryById = new Map(summaries.map((hit) => [hit._source?.conversationId, hit._source]));
    const candidates: ContextCandidate[] = [];
    if (live) candidates.push(summaryCandidate(live));
    if (profile && profile.lines.length > 0) candidates.push(profileCandidate(profile));
    for (const entry of chosen) {
      if (entry.kind === 'evidence') {
        const source = passageById.get(entry.id);
        if (source) candidates.push(evidenceCandidate(entry.conversationId, source));
      } else {
        const source = summaryById.get(entry.id);
        if (source)
          candidates.push(
            summaryCandidate({
              conversationId: entry.id,
              userId: source.userId ?? '',
              text: source.text ?? '',
              throughSeq: source.throughSeq ?? 0,
              firstMessageAt: source.firstMessageAt ?? null,
              lastMessageAt: source.lastMessageAt ?? null,
            }),
          );
      }
    }
    return packContext(candidates, request.tokenBudget, this.count);
  }
}

function summaryCandidate(summary: ContextSummary): ContextCandidate {
  return {
    kind: 'summary',
    conversationId: summary.conversationId,
    seqFrom: 1,
    seqTo: summary.throughSeq,
    messageIds: [],
    speakers: summary.userId ? [summary.userId] : [],
    firstAt: summary.firstMessageAt,
    lastAt: summary.lastMessageAt,
    lines: [summary.text],
  };
}

function profileCandidate(profile: ContextProfile): ContextCandidate {
  return {
    kind: 'profile',
    conversationId: '',
    seqFrom: 0,
    seqTo: 0,
    messageIds: [],
    speakers: [profile.userId],
    firstAt: null,
    lastAt: profile.builtAt,
    lines: profile.lines,
  };
}

function evidenceCandidate(
  conversationId: string,
  source: Partial<PassageDocument>,
): ContextCandidate {
  return {
    kind: 'evidence',
    conversationId,
    seqFrom: source.seqFrom ?? 0,
    seqTo: source.seqTo ?? 0,
    messageIds: source.messageIds ?? [],
    speakers: source.speakers ?? [],
    firstAt: source.firstAt ?? null,
    lastAt: source.lastAt ?? null,
    lines: (source.text ?? '').split('\n'),
  };
}
