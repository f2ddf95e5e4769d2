// A small Okapi BM25 index for the summary-quality report: lowercase word tokens, English
// stopwords removed, no stemming. Same scoring for every document set compared, so the
// figures compare what the documents keep, not the retrieval engine.

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before ' +
    'being below between both but by can could did do does doing down during each few for ' +
    'from further had has have having he her here hers herself him himself his how i if in ' +
    'into is it its itself just me more most my myself no nor not now of off on once only or ' +
    'other our ours ourselves out over own same she should so some such than that the their ' +
    'theirs them themselves then there these they this those through to too under until up ' +
    'very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves s t d ll m re ve don didn doesn isn wasn aren weren won can ' +
    'cannot couldn shouldn wouldn hasn haven hadn also'
  ).split(' '),
);

/** Lowercase alphanumeric tokens without stopwords ("Caroline's" gives "caroline"). */
export function tokenize(text: string): string[] {
  const tokens = String(text)
    .toLowerCase()
    .replace(/['’]s\b/g, '')
    .split(/[^a-z0-9]+/);
  return tokens.filter((token) => token.length > 0 && !STOPWORDS.has(token));
}

export interface Bm25Hit {
  /** The document's position in the list the index was built from. */
  index: number;
  score: number;
}

export interface Bm25Index {
  size: number;
  search(query: string, k?: number): Bm25Hit[];
}

/** Builds an index over `documents` (strings); search(query, k) returns [{ index, score }]. */
export function bm25Index(
  documents: readonly string[],
  { k1 = BM25_K1, b = BM25_B }: { k1?: number; b?: number } = {},
): Bm25Index {
  const docs = documents.map((text) => {
    const tf = new Map<string, number>();
    const tokens = tokenize(text);
    for (const token of tokens) tf.set(token, (tf.get(token) ?? 0) + 1);
    return { tf, length: tokens.length };
  });
  const n = docs.length;
  const avgLength = n > 0 ? docs.reduce((sum, doc) => sum + doc.length, 0) / n : 0;
  const df = new Map<string, number>();
  for (const doc of docs) for (const term of doc.tf.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  // The BM25+ style "+1" keeps the IDF positive for terms found in most documents.
  const idf = (term: string): number => {
    const count = df.get(term) ?? 0;
    return Math.log(1 + (n - count + 0.5) / (count + 0.5));
  };

  return {
    size: n,
    search(query, k = n) {
      const terms = [...new Set(tokenize(query))];
      const scored = docs.map((doc, index) => {
        let score = 0;
        for (const term of terms) {
          const freq = doc.tf.get(term);
          if (!freq) continue;
          const norm = freq + k1 * (1 - b + (b * doc.length) / (avgLength || 1));
          score += (idf(term) * (freq * (k1 + 1))) / norm;
        }
        return { index, score };
      });
      // Ties (documents with the same score, e.g. 0) keep document order: deterministic.
      scored.sort((x, y) => y.score - x.score || x.index - y.index);
      return scored.slice(0, k);
    },
  };
}

/**
 * Recall@k, hit@k and reciprocal rank of one query. `relevant` is a Set of document indexes.
 * Recall@k = |relevant ∩ top k| / |relevant|; hit@k = 1 when any relevant document is in the
 * top k; RR = 1 / rank of the first relevant document (0 when none scores above 0).
 */
export function rankMetrics(
  index: Bm25Index,
  query: string,
  relevant: ReadonlySet<number>,
  k: number,
): { recall: number; hit: number; reciprocalRank: number } {
  const ranked = index.search(query).filter((hit) => hit.score > 0);
  const top = ranked.slice(0, k);
  const found = top.filter((hit) => relevant.has(hit.index)).length;
  const firstRelevant = ranked.findIndex((hit) => relevant.has(hit.index));
  return {
    recall: relevant.size > 0 ? found / relevant.size : 0,
    hit: found > 0 ? 1 : 0,
    reciprocalRank: firstRelevant >= 0 ? 1 / (firstRelevant + 1) : 0,
  };
}
