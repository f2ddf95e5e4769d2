// Ranking metrics of the LoCoMo evaluation: recall@k, hit@k and reciprocal rank of one question
// against the sessions its evidence names, and their means over a set of questions.

export const CUTOFFS = [1, 5, 10] as const;

/** Recall@k and hit@k per cutoff, and the reciprocal rank (`mrr`), of one question. */
export type Metrics = Record<string, number>;

export function average(values: readonly number[]): number {
  return values.length > 0 ? values.reduce((sum, v) => sum + v, 0) / values.length : 0;
}

/** Recall@k (share of the relevant items in the top k), hit@k and reciprocal rank. */
export function metricsOf<T>(ranked: readonly T[], relevant: ReadonlySet<T>): Metrics {
  const result: Metrics = {};
  for (const k of CUTOFFS) {
    const found = new Set(ranked.slice(0, k).filter((item) => relevant.has(item))).size;
    result[`recall@${k}`] = relevant.size > 0 ? found / relevant.size : 0;
    result[`hit@${k}`] = found > 0 ? 1 : 0;
  }
  const first = ranked.findIndex((item) => relevant.has(item));
  result.mrr = first >= 0 ? 1 / (first + 1) : 0;
  return result;
}

/** The mean of each metric over `rows`, to 4 decimals. */
export function summarize(rows: readonly Metrics[]): Metrics {
  const keys = [...CUTOFFS.map((k) => `recall@${k}`), ...CUTOFFS.map((k) => `hit@${k}`), 'mrr'];
  return Object.fromEntries(keys.map((key) => [key, round(average(rows.map((row) => row[key])))]));
}

export function round(value: number, digits = 4): number {
  return Number(value.toFixed(digits));
}
