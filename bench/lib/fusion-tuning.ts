// The fusion weights chosen by leave-one-conversation-out. For every question, the four lists
// hybrid search fuses (BM25 and k-NN over the summaries and over the passages) are fetched once,
// straight from OpenSearch with the search service's own query builders on the run's indexes;
// the fusion is then re-run offline (`fuseConversationLists`, the service's function) with the
// weights of a small grid. For each LoCoMo file held out in turn, the weights with the best
// hybrid recall@5 over the questions of the other files are chosen and scored on the held-out
// file's questions; the held-out file never takes part in its own choice.
import { LocomoConversation } from '@memory/datasets';
import { LocalEmbedder } from '@memory/embeddings';
import {
  CONVERSATION_LISTS,
  ConversationList,
  conversationListQueries,
  conversationLists,
  FUSION_WEIGHTS,
  FusionWeights,
  fuseConversationLists,
  keywordText,
  ListHit,
  passagesAlias,
  ScoredId,
  summariesAlias,
} from '@memory/search-index';
import { EvalTools } from './eval-tools';
import { Question, sessionNumberOf, tenantOf } from './locomo-evidence';
import { average, Metrics, metricsOf, round, summarize } from './retrieval-metrics';

/** Each list's weight is one of these; weightings that are multiples of another are dropped. */
export const WEIGHT_STEPS = [0, 0.5, 1, 2] as const;

type Lists = Partial<Record<ConversationList, ScoredId[]>>;

export interface TuningFold {
  heldOut: string;
  questions: number;
  weights: FusionWeights;
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

/** The four hybrid lists of every question, as conversation lists. */
export async function fetchLists(
  tools: EvalTools,
  embedder: LocalEmbedder,
  questions: readonly Question[],
  opensearch: string,
  prefix: string,
): Promise<Lists[]> {
  const vectors = await embedder.embed(
    questions.map((q) => q.question.slice(0, 1000)),
    'query',
  );
  const bar = tools.progress(questions.length, 'questions listed (--tune)');
  const all: Lists[] = [];
  for (const [i, q] of questions.entries()) {
    const queries = conversationListQueries(
      'hybrid',
      { tenantId: tenantOf(q.conversation) },
      keywordText(q.question.slice(0, 1000)),
      vectors[i],
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
    all.push(conversationLists(hits));
    bar.update(i + 1);
  }
  bar.end(all.length);
  return all;
}

/** Leave-one-conversation-out over `conversations`, from the lists `fetchLists` gave. */
export function leaveOneConversationOut(
  conversations: readonly LocomoConversation[],
  questions: readonly Question[],
  lists: readonly Lists[],
): TuningReport {
  const grid = weightGrid();
  const score = (i: number, weights: FusionWeights): Metrics =>
    metricsOf(
      fuseConversationLists(lists[i], weights).map((hit) => sessionNumberOf(hit.id)),
      questions[i].relevant,
    );
  // recall@5 of every grid point on every question, computed once.
  const recallAt5 = grid.map((weights) => questions.map((_, i) => score(i, weights)['recall@5']));
  const distance = (weights: FusionWeights): number =>
    CONVERSATION_LISTS.reduce(
      (sum, name) => sum + Math.abs(weights[name] - FUSION_WEIGHTS[name]),
      0,
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
    grid.forEach((weights, g) => {
      const recall = average(train.map((i) => recallAt5[g][i]));
      if (
        recall > bestRecall + 1e-12 ||
        (Math.abs(recall - bestRecall) <= 1e-12 && distance(weights) < distance(grid[best]))
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
      weights: grid[best],
      trainRecallAt5: round(bestRecall),
      heldOutRecallAt5: round(average(chosen.map((m) => m['recall@5']))),
      defaultRecallAt5: round(average(test.map((i) => score(i, FUSION_WEIGHTS)['recall@5']))),
    });
  }
  return {
    grid: grid.length,
    loco: summarize(loco),
    defaults: summarize(questions.map((_, i) => score(i, FUSION_WEIGHTS))),
    defaultWeights: FUSION_WEIGHTS,
    folds,
  };
}
