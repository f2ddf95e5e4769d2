// Synthetic passages for the search benchmark: for each synthetic conversation summary
// (synthetic-summaries.ts), the first few windows of its raw messages, as the passage indexer
// would cut them (`toPassage`, PASSAGE_WINDOW), with vectors made like the summaries' ones.
//
// A conversation's messages alternate between its user and the assistant; each is a sentence of
// the pool, half of them among the summary's own sentences (a summary restates what was said),
// the rest among the other sentences of the summary's topics, never the same twice in a row (a
// metadata-tier summary keeps no sentence: its conversation gets a topic drawn at random). Dates
// run evenly from the summary's first to its last message. Deterministic: one seeded generator,
// consumed in summary order.
import type { MemorySummary } from '@memory/contracts';
import { prng } from '@memory/datasets';
import type { EmbeddingBackend } from '@memory/embeddings';
import { PASSAGE_WINDOW, PassageDocument, PassageMessage, toPassage } from '@memory/search-index';
import { fragmentsOf, Sentence, SentencePool } from './synthetic-summaries';

/**
 * Makes the passages (without vectors) of a conversation from its summary: up to
 * `perConversation` windows from the first message on, each a new window every
 * PASSAGE_WINDOW.stride messages (consecutive windows overlap, as in the index).
 */
export function passageMaker({
  pool,
  perConversation,
  seed,
}: {
  pool: SentencePool;
  perConversation: number;
  seed: number;
}): (summary: MemorySummary) => PassageDocument[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const topicOf = new Map<string, number>();
  pool.byTopic.forEach((kinds, topic) => {
    for (const sentence of Object.values(kinds).flat()) topicOf.set(sentence.text, topic);
  });
  const { size, stride } = PASSAGE_WINDOW;

  return (summary) => {
    const { sections, stats } = summary;
    const own = [
      ...fragmentsOf(sections.context),
      ...sections.keyPoints,
      ...sections.decisions,
      ...sections.actionItems,
      ...sections.openQuestions,
    ].filter((text) => topicOf.has(text));
    const topics = new Set(own.map((text) => topicOf.get(text) ?? 0));
    if (topics.size === 0) topics.add(Math.floor(random() * pool.byTopic.length));
    const others = [...topics].flatMap((topic) =>
      Object.values(pool.byTopic[topic])
        .flat()
        .map((sentence: Sentence) => sentence.text),
    );
    const count = Math.min(stats.messageCount, stride * perConversation + (size - stride));
    const first = Date.parse(stats.firstMessageAt ?? stats.updatedAt);
    const span = Date.parse(stats.lastMessageAt ?? stats.updatedAt) - first;
    const messages: PassageMessage[] = [];
    for (let seq = 1; seq <= count; seq++) {
      let content = own.length > 0 && random() < 0.5 ? pick(own) : pick(others);
      // Nobody says the same sentence twice in a row.
      if (content === messages[messages.length - 1]?.content) content = pick(others);
      messages.push({
        messageId: `${summary.conversationId}-m${seq}`,
        seq,
        userId: summary.userId,
        role: seq % 2 === 1 ? 'user' : 'assistant',
        content,
        createdAt: new Date(
          first + (span * (seq - 1)) / Math.max(1, stats.messageCount - 1),
        ).toISOString(),
      });
    }
    const indexedAt = new Date(stats.updatedAt);
    const passages: PassageDocument[] = [];
    for (
      let start = 1;
      start + size - 1 <= count && passages.length < perConversation;
      start += stride
    ) {
      const passage = toPassage(
        summary.tenantId,
        summary.conversationId,
        start,
        messages,
        indexedAt,
      );
      if (passage) passages.push(passage);
    }
    return passages;
  };
}

/**
 * The passages with their vectors, `embedded` true: the pooled embedder's vector of each
 * passage's message contents, one line each (the `speaker: ` of each line left out, so that
 * every line is a sentence of the pool, embedded once; a real model would see the speakers too).
 */
export async function withVectors(
  embedder: EmbeddingBackend,
  passages: readonly PassageDocument[],
): Promise<PassageDocument[]> {
  const contents = passages.map((passage) =>
    passage.text
      .split('\n')
      .map((line) => line.slice(line.indexOf(': ') + 2))
      .join('\n'),
  );
  const vectors = await embedder.embed(contents, 'document');
  return passages.map((passage, i) => ({ ...passage, embedding: vectors[i], embedded: true }));
}
