// Session-level baselines over the raw text of the LoCoMo sessions, in this process:
// - bm25Raw: BM25 over each session's text;
// - hybridRaw: what hybrid search would do if it indexed every message instead of summaries:
//   that BM25 ranking and a semantic one (a session scores the best cosine between the
//   question and any of its messages, same local model), fused by the search service's own
//   min-max fusion. It shows how far a ranking of sessions can be expected to go.
import { LocomoConversation } from '@memory/datasets';
import { LocalEmbedder } from '@memory/embeddings';
import { minMaxFusion, ScoredId } from '@memory/search-index';
import { bm25Index } from './bm25';
import { EvalTools } from './eval-tools';
import { Question } from './locomo-evidence';
import { Metrics, metricsOf } from './retrieval-metrics';

export async function rawTextBaselines(
  tools: EvalTools,
  embedder: LocalEmbedder,
  conversations: readonly LocomoConversation[],
  questions: readonly Question[],
  k: number,
): Promise<{ bm25Raw: Metrics[]; hybridRaw: Metrics[] }> {
  const bm25Raw: Metrics[] = [];
  const hybridRaw: Metrics[] = [];
  const turns = conversations.reduce(
    (n, c) => n + c.sessions.reduce((m, s) => m + s.messages.length, 0),
    0,
  );
  const embedded = tools.progress(turns, 'raw messages embedded (hybridRaw baseline)');
  let count = 0;
  for (const conversation of conversations) {
    const sessionOf = (hit: { id: string }): number => conversation.sessions[Number(hit.id)].number;
    const index = bm25Index(
      conversation.sessions.map((s) => s.messages.map((m) => m.content).join('\n')),
    );
    const vectors: number[][][] = [];
    for (const session of conversation.sessions) {
      vectors.push(
        await embedder.embed(
          session.messages.map((m) => m.content),
          'document',
        ),
      );
      embedded.update((count += session.messages.length));
    }
    const asked = questions.filter((item) => item.conversation === conversation);
    const queryVectors = await embedder.embed(
      asked.map((q) => q.question),
      'query',
    );
    asked.forEach((q, i) => {
      const keyword = index
        .search(q.question, conversation.sessions.length)
        .filter((hit) => hit.score > 0)
        .map((hit): ScoredId => ({ id: String(hit.index), score: hit.score }));
      bm25Raw.push(metricsOf(keyword.slice(0, k).map(sessionOf), q.relevant));
      const semantic = vectors
        .map((session, index) => ({
          id: String(index),
          score: Math.max(...session.map((vector) => dot(vector, queryVectors[i]))),
        }))
        .sort((a, b) => b.score - a.score);
      const fused = minMaxFusion([keyword, semantic]).slice(0, k);
      hybridRaw.push(metricsOf(fused.map(sessionOf), q.relevant));
    });
  }
  embedded.end(count);
  return { bm25Raw, hybridRaw };
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
