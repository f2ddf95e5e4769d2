import { FusedHit, ScoredId, weightedMinMaxFusion } from './score-fusion';

/**
 * The four rankings a conversation search fuses: BM25 and k-NN over the summary documents
 * (one per conversation), and BM25 and k-NN over the passages (windows of raw messages),
 * aggregated to conversations by {@link aggregatePassages}.
 */
export const CONVERSATION_LISTS = [
  'summaryKeyword',
  'summarySemantic',
  'passageKeyword',
  'passageSemantic',
] as const;
export type ConversationList = (typeof CONVERSATION_LISTS)[number];

export type FusionWeights = Readonly<Record<ConversationList, number>>;

/**
 * Weight of each list in {@link fuseConversationLists}. A mode fuses only its lists, so only
 * their ratios matter. Chosen by leave-one-conversation-out on the LoCoMo sample
 * (`npm run eval:locomo -- --tune`, 175 weightings of 0, 0.5, 1 and 2): each fold picks the
 * weighting best on the other two conversations; two of the three folds picked this one, and the
 * third the same direction (passages above summaries). Held out, the folds' picks score hybrid
 * recall@5 0.876 against 0.857 for equal weights (docs/benchmarks.md). The passages say what
 * was said; a summary keeps a fifth of it, so it decides less, but it still lifts a
 * conversation that answers as a whole, and it is all an archived conversation has.
 */
export const FUSION_WEIGHTS: FusionWeights = {
  summaryKeyword: 0.5,
  summarySemantic: 0.5,
  passageKeyword: 2,
  passageSemantic: 2,
};

/**
 * How much of a conversation's second-best passage adds to its best in a passage list
 * ({@link aggregatePassages}): a conversation that answers in two places edges out one that
 * matched once, but a long conversation does not win by having many middling passages.
 */
export const SECOND_PASSAGE_SHARE = 0.1;

/**
 * In the context answer, the share of a passage's rank that comes from its conversation's fused
 * rank (the rest from the passage's own fused score): evidence from a conversation that matches
 * as a whole goes first among passages that match alike.
 */
export const CONTEXT_CONVERSATION_SHARE = 0.3;

/** The lists a search mode fuses. */
export const MODE_LISTS = {
  keyword: ['summaryKeyword', 'passageKeyword'],
  semantic: ['summarySemantic', 'passageSemantic'],
  hybrid: CONVERSATION_LISTS,
} as const satisfies Record<string, readonly ConversationList[]>;
export type RankingMode = keyof typeof MODE_LISTS;

/** One passage of a passage list: its document id, its conversation and its score there. */
export interface PassageListHit {
  id: string;
  conversationId: string;
  score: number;
}

/**
 * A passage list as a conversation list: each conversation scores its best passage's score plus
 * `secondShare` of its second best's, best first (ties by conversation id). Scores are the
 * list's own (BM25 or k-NN), so normalization afterwards works as for the summary lists.
 */
export function aggregatePassages(
  hits: readonly PassageListHit[],
  secondShare: number = SECOND_PASSAGE_SHARE,
): ScoredId[] {
  const best = new Map<string, [number, number?]>();
  for (const hit of hits) {
    const scores = best.get(hit.conversationId);
    if (!scores) best.set(hit.conversationId, [hit.score]);
    else if (hit.score > scores[0]) best.set(hit.conversationId, [hit.score, scores[0]]);
    else if (scores[1] === undefined || hit.score > scores[1]) scores[1] = hit.score;
  }
  return [...best]
    .map(([id, [first, second]]) => ({ id, score: first + secondShare * (second ?? 0) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A conversation of the fused ranking. */
export interface FusedConversation {
  /** The conversation id. */
  id: string;
  /** Weighted mean of its min-max normalized scores over the lists fused, in [0, 1]. */
  score: number;
  /** Its 1-based rank in each list fused, null where absent. */
  ranks: Partial<Record<ConversationList, number | null>>;
}

/**
 * The conversation ranking of a search: the lists given (ids are conversation ids; passage lists
 * through {@link aggregatePassages}), each min-max normalized, then their weighted mean
 * ({@link weightedMinMaxFusion}). A list given but empty still counts in the weights' sum: a
 * mode's lists are always all given, so a conversation found by one of them only scores less.
 * Except for `withoutPassages`: conversations whose raw messages are archived have no passages,
 * so the passage lists cannot speak for them and they are fused over the summary lists alone
 * (their weights renormalized). Counted as misses, they could never score more than the
 * summary lists' share, however well their summary matches: an old conversation would lose to
 * any live one that shares a word with the question.
 * Pure and deterministic (ties by best rank, then id): the evaluation calls it offline.
 */
export function fuseConversationLists(
  lists: Partial<Record<ConversationList, readonly ScoredId[]>>,
  weights: FusionWeights = FUSION_WEIGHTS,
  withoutPassages: ReadonlySet<string> = new Set(),
): FusedConversation[] {
  const names = CONVERSATION_LISTS.filter((name) => lists[name] !== undefined);
  const passageList = names.map((name) => name.startsWith('passage'));
  const fused = weightedMinMaxFusion(
    names.map((name) => lists[name] ?? []),
    names.map((name) => weights[name]),
    withoutPassages.size > 0
      ? (id, index) => !(passageList[index] && withoutPassages.has(id))
      : undefined,
  );
  return fused.map((hit) => ({
    id: hit.id,
    score: hit.score,
    ranks: Object.fromEntries(names.map((name, index) => [name, hit.ranks[index] ?? null])),
  }));
}

/**
 * Default of `SEARCH_IMPORTANCE_BOOST`: how much a conversation's importance (0..1, retention's
 * score) raises its fused score, as `score × (1 + boost × importance)`: a pinned conversation
 * (importance 1) gains a tenth of its score. Small on purpose: importance says what matters to
 * the user, not what answers this query, so it reorders near-ties and never lifts a poor match
 * over a good one. On the LoCoMo sample it leaves recall as it is (docs/benchmarks.md).
 */
export const DEFAULT_IMPORTANCE_BOOST = 0.1;

/**
 * The ranking with each conversation's score raised by its importance (see
 * {@link DEFAULT_IMPORTANCE_BOOST}; absent: 0), best first, ties in their previous order.
 */
export function boostByImportance(
  ranking: readonly FusedConversation[],
  importance: ReadonlyMap<string, number>,
  boost: number,
): FusedConversation[] {
  if (boost <= 0) return [...ranking];
  return ranking
    .map((hit, index) => ({
      hit: { ...hit, score: hit.score * (1 + boost * (importance.get(hit.id) ?? 0)) },
      index,
    }))
    .sort((a, b) => b.hit.score - a.hit.score || a.index - b.index)
    .map(({ hit }) => hit);
}

/**
 * The passage ranking (ids are passage ids): the passage lists given fused with their weights in
 * {@link FUSION_WEIGHTS}. Ranks are `[keyword, semantic]`, null where absent or not given.
 */
export function fusePassageLists(
  lists: { keyword?: readonly PassageListHit[]; semantic?: readonly PassageListHit[] },
  weights: FusionWeights = FUSION_WEIGHTS,
): FusedHit[] {
  const given = (['keyword', 'semantic'] as const).filter((name) => lists[name] !== undefined);
  const weight = { keyword: weights.passageKeyword, semantic: weights.passageSemantic };
  const fused = weightedMinMaxFusion(
    given.map((name) => lists[name] ?? []),
    given.map((name) => weight[name]),
  );
  return fused.map((hit) => ({
    ...hit,
    ranks: [
      given.includes('keyword') ? (hit.ranks[given.indexOf('keyword')] ?? null) : null,
      given.includes('semantic') ? (hit.ranks[given.indexOf('semantic')] ?? null) : null,
    ],
  }));
}

/**
 * Conversations the summary lists found (the first `limit` of each) that no passage list holds:
 * the only ones whose raw messages can be archived. A search asks Postgres which of them are,
 * and fuses those without the passage lists ({@link fuseConversationLists}).
 */
export function foundWithoutPassages(
  lists: Partial<Record<ConversationList, readonly ScoredId[]>>,
  limit: number,
): string[] {
  const withPassages = new Set(
    [...(lists.passageKeyword ?? []), ...(lists.passageSemantic ?? [])].map((hit) => hit.id),
  );
  const found = new Set<string>();
  for (const list of [lists.summaryKeyword ?? [], lists.summarySemantic ?? []])
    for (const hit of list.slice(0, limit)) if (!withPassages.has(hit.id)) found.add(hit.id);
  return [...found];
}
