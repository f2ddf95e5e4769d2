import { MemorySummary, SummarySections } from '@memory/contracts';
import { EmbeddingBackend } from '@memory/embeddings';
import {
  documentId,
  embeddingText,
  fullTextOf,
  SummaryDocument,
  toDocument,
} from './summary-document';

/**
 * The index documents of some summaries, their texts embedded in one `embed` call (the backend
 * splits it into model runs or requests), or, with no `embedder` (two-phase indexing), written
 * without a vector and `vectorPending` for the vector filler. A summary with no text (a conversation of greetings)
 * gets no vector: an OpenAI-compatible endpoint refuses an empty input, and a vector of
 * nothing would only add noise to semantic search; keyword search and filters still find it.
 * `held` (by {@link documentId}) are the full sections compressed summaries still keep (see
 * `heldSectionsOf`): searched in place of their sections, and embedded instead of their text.
 * `indexed` (by {@link documentId}) are the documents the index holds: a summary whose text to
 * embed is the one an indexed document's vector was made from keeps that vector (a new version
 * that changed only its tier, counts or times is not embedded again).
 */
export async function summaryDocuments(
  embedder: EmbeddingBackend | undefined,
  summaries: readonly MemorySummary[],
  indexedAt: Date = new Date(),
  held: ReadonlyMap<string, SummarySections> = new Map(),
  indexed: ReadonlyMap<string, { embeddedText: string; embedding?: number[] }> = new Map(),
  importance: ReadonlyMap<string, number> = new Map(),
): Promise<{ documents: SummaryDocument[]; embedded: number; reused: number; deferred: number }> {
  const full = (summary: MemorySummary): SummarySections | undefined =>
    held.get(documentId(summary.tenantId, summary.conversationId));
  const texts: string[] = [];
  const positions: number[] = [];
  const byPosition = new Map<number, number[]>();
  summaries.forEach((summary, position) => {
    const text = embeddingText(summary, fullTextOf(full(summary)));
    if (text.trim() === '') return;
    const before = indexed.get(documentId(summary.tenantId, summary.conversationId));
    if (before?.embedding && before.embedding.length > 0 && before.embeddedText === text) {
      byPosition.set(position, before.embedding);
      return;
    }
    texts.push(text);
    positions.push(position);
  });
  const reused = byPosition.size;
  if (embedder && texts.length > 0) {
    const vectors = await embedder.embed(texts, 'document');
    if (vectors.length !== texts.length)
      throw new Error(`embeddings: ${vectors.length} vectors for ${texts.length} texts`);
    positions.forEach((position, i) => byPosition.set(position, vectors[i]));
  }
  const documents = summaries.map((summary, position) => {
    const id = documentId(summary.tenantId, summary.conversationId);
    return toDocument(
      summary,
      byPosition.get(position),
      indexedAt,
      full(summary),
      importance.get(id),
    );
  });
  const embedded = embedder ? texts.length : 0;
  return { documents, embedded, reused, deferred: texts.length - embedded };
}
