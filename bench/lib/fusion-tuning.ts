// The fusion weights chosen by leave-one-conversation-out. For every question, the four lists
// hybrid search fuses (BM25 and k-NN over the summaries and over the passages) are fetched once,
// straight from OpenSearch with the search service's own query builders on the run's indexes;
// the fusion is then re-run offline (`fuseConversationLists`, the service's function) with the
// weights of a small grid, and with each share of a conversation's second-best passage
// (`SECOND_PASSAGE_SHARE` of the passage aggregation). For each LoCoMo file held out in turn,
// the weights and share with the best
// hybrid recall@5 over the questions of the other files are chosen and scored on the held-out
// file's questions; the held-out file never takes part in its own choice.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocomoConversation } from '@memory/datasets';
import { LocalEmbedder } from '@memory/embeddings';
import {
  CONVERSATION_LISTS,
  ConversationList,
  conversationListQueries,
  conversationLists,
  DEFAULT_KNN_EF_SEARCH,
  FIRST_PAGES_DEPTH,
  FUSION_WEIGHTS,
  FusionWeights,
  fuseConversationLists,
  keywordText,
  ListHit,
  passagesAlias,
  ScoredId,
  SECOND_PASSAGE_SHARE,
  summariesAlias,
} from '@memory/search-index';
import { EvalTools } from './eval-tools';
import { Question, sessionNumberOf, tenantOf } from './locomo-evidence';
import { average, Metrics, metricsOf, round, summarize } from './retrieval-metrics';

/** Each list's weight is one of these; weightings that are multiples of another are dropped. */
export const WEIGHT_STEPS = [0, 0.5, 1, 2] as const;

/** The shares of a conversation's second-best passage tried with every weighting. */
export const SHARE_STEPS = [0, 0.1, 0.3, 0.5, 1] as const;

type Lists = Partial<Record<ConversationList, ScoredId[]>>;
/** The four lists of a question as OpenSearch returned them (passages not yet aggregated). */
type Hits = Partial<Record<ConversationList, ListHit[]>>;

export interface TuningFold {
  heldOut: string;
  questions: number;
  weights: FusionWeights;
  /** The share of the second-best passage chosen with them. */
  share: number;
  /** Hybrid recall@5 of the chosen weights on the other files' questions. */
  trainRecallAt5: number;
  /** Hybrid recall@5 on the held-out file: with the chosen weights, and with the defaults. */
  heldOutRecallAt5: number;
  defaultRecallAt5: number;
}

export interface TuningReport {
  grid: number;
  /** Every question scored with the weights chosen without its file. */
  loco: Metrics;
  /** Every question scored with FUSION_WEIGHTS (the same offline fusion). */
  defaults: Metrics;
  defaultWeights: FusionWeights;
  defaultShare: number;
  folds: TuningFold[];
}

/** The grid: every weighting of WEIGHT_STEPS, none all zero, one per ratio. */
export function weightGrid(): FusionWeights[] {
  const grid: FusionWeights[] = [];
  const seen = new Set<string>();
  const steps = [...WEIGHT_STEPS];
  const combos = steps.flatMap((a) =>
    steps.flatMap((b) => steps.flatMap((c) => steps.map((d) => [a, b, c, d]))),
  );
  for (const values of combos) {
    const top = Math.max(...values);
    if (top === 0) continue;
    const key = values.map((value) => (value / top).toFixed(4)).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    grid.push(
      Object.fromEntries(CONVERSATION_LISTS.map((name, i) => [name, values[i]])) as FusionWeights,
    );
  }
  return grid;
}

/** The four hybrid lists of every question, as OpenSearch returned them. */
export async function fetchLists(
  tools: EvalTools,
  embedder: LocalEmbedder,
  questions: readonly Question[],
  opensearch: string,
  prefix: string,
): Promise<Hits[]> {
  const vectors = await embedder.embed(
    questions.map((q) => q.question.slice(0, 1000)),
    'query',
  );
  const bar = tools.progress(questions.length, 'questions listed (--tune)');
  const all: Hits[] = [];
  for (const [i, q] of questions.entries()) {
    // The lists of a first page, as the service ranks it (recall is read to rank 10).
    const queries = conversationListQueries(
      'hybrid',
      { tenantId: tenantOf(q.conversation) },
      keywordText(q.question.slice(0, 1000)),
      vectors[i],
      DEFAULT_KNN_EF_SEARCH,
      FIRST_PAGES_DEPTH,
    );
    const hits: Partial<Record<ConversationList, ListHit[]>> = {};
    for (const [name, query] of Object.entries(queries) as Array<
      [ConversationList, { target: 'summaries' | 'passages'; body: unknown }]
    >) {
      const index = query.target === 'summaries' ? summariesAlias(prefix) : passagesAlias(prefix);
      const response = await fetch(`${opensearch}/${index}/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(query.body),
      });
      // An index that does not exist (no passages in this run) is an empty list.
      if (response.status === 404) hits[name] = [];
      else if (!response.ok)
        throw new Error(`${name} list: HTTP ${response.status} ${await response.text()}`);
      else hits[name] = ((await response.json()) as { hits: { hits: ListHit[] } }).hits.hits;
    }
    all.push(hits);
    bar.update(i + 1);
  }
  bar.end(all.length);
  return all;
}

/**
 * The lists `fetchLists` gave, with each question's file, text and relevant sessions, as JSON
 * (`--lists-out`): for studying other fusions offline without running the services again.
 */
export function writeLists(file: string, questions: readonly Question[], hits: readonly Hits[]) {
  const rows = questions.map((q, i) => ({
    conversation: q.conversation.id,
    question: q.question,
    relevant: [...q.relevant],
    evidence: [...q.evidence],
    hits: hits[i],
  }));
  writeFileSync(resolve(process.cwd(), file), `${JSON.stringify(rows)}\n`);
}

/** Leave-one-conversation-out over `conversations`, from the lists `fetchLists` gave. */
export function leaveOneConversationOut(
  conversations: readonly LocomoConversation[],
  questions: readonly Question[],
  hits: readonly Hits[],
): TuningReport {
  const grid = SHARE_STEPS.flatMap((share) => weightGrid().map((weights) => ({ weights, share })));
  const listsOf = new Map<number, Lists[]>(
    SHARE_STEPS.map((share) => [share, hits.map((h) => conversationLists(h, share))]),
  );
  const score = (i: number, { weights, share }: { weights: FusionWeights; share: number }) =>
    metricsOf(
      fuseConversationLists(listsOf.get(share)?.[i] ?? {}, weights).map((hit) =>
        sessionNumberOf(hit.id),
      ),
      questions[i].relevant,
    );
  const defaults = { weights: FUSION_WEIGHTS, share: SECOND_PASSAGE_SHARE };
  if (!listsOf.has(SECOND_PASSAGE_SHARE))
    listsOf.set(
      SECOND_PASSAGE_SHARE,
      hits.map((h) => conversationLists(h, SECOND_PASSAGE_SHARE)),
    );
  // recall@5 of every grid point on every question, computed once.
  const recallAt5 = grid.map((point) => questions.map((_, i) => score(i, point)['recall@5']));
  const distance = ({ weights, share }: { weights: FusionWeights; share: number }): number =>
    CONVERSATION_LISTS.reduce(
      (sum, name) => sum + Math.abs(weights[name] - FUSION_WEIGHTS[name]),
      Math.abs(share - SECOND_PASSAGE_SHARE),
    );

  const folds: TuningFold[] = [];
  const loco: Metrics[] = [];
  for (const heldOut of conversations) {
    const test = questions.flatMap((q, i) => (q.conversation === heldOut ? [i] : []));
    const train = questions.flatMap((q, i) => (q.conversation === heldOut ? [] : [i]));
    if (test.length === 0 || train.length === 0) continue;
    // Best train recall@5; ties go to the weighting nearest the defaults, then grid order.
    let best = 0;
    let bestRecall = -1;
    grid.forEach((point, g) => {
      const recall = average(train.map((i) => recallAt5[g][i]));
      if (
        recall > bestRecall + 1e-12 ||
        (Math.abs(recall - bestRecall) <= 1e-12 && distance(point) < distance(grid[best]))
      ) {
        best = g;
        bestRecall = recall;
      }
    });
    const chosen = test.map((i) => score(i, grid[best]));
    loco.push(...chosen);
    folds.push({
      heldOut: heldOut.id,
      questions: test.length,
      weights: grid[best].weights,
      share: grid[best].share,
      trainRecallAt5: round(bestRecall),
      heldOutRecallAt5: round(average(chosen.map((m) => m['recall@5']))),
      defaultRecallAt5: round(average(test.map((i) => score(i, defaults)['recall@5']))),
    });
  }
  return {
    grid: grid.length,
    loco: summarize(loco),
    defaults: summarize(questions.map((_, i) => score(i, defaults))),
    defaultWeights: FUSION_WEIGHTS,
    defaultShare: SECOND_PASSAGE_SHARE,
    folds,
  };
}
