/** What a conversation's importance is computed from. */
export interface ImportanceFacts {
  pinned: boolean;
  messageCount: number;
  /** Changes of speaker between consecutive messages (back-and-forth). */
  speakerChanges: number;
  decisions: number;
  actionItems: number;
  entities: number;
  /** Reads of the conversation (its summary or messages) in the last 30 days. */
  recentReads: number;
}

/**
 * Weights of the importance components; they add up to 1. Each component saturates at 1:
 * - length: log-scaled message count, 1 from 200 messages on;
 * - exchange: share of messages that answer another speaker, times the length factor (a long
 *   monologue is not a discussion);
 * - substance: decisions and action items, 1 from 5 on;
 * - entities: people, places and things named, 1 from 10 on;
 * - reads: reads in the last 30 days, 1 from 5 on.
 */
export const IMPORTANCE_WEIGHTS = {
  length: 0.15,
  exchange: 0.15,
  substance: 0.3,
  entities: 0.1,
  reads: 0.3,
} as const;

/**
 * Importance of a conversation in 0..1: 1 when pinned, otherwise the weighted sum of the
 * components above. Used by the compressor to stretch the tier thresholds (an importance of 1
 * keeps a conversation twice as long in each tier by default).
 */
export function importanceScore(facts: ImportanceFacts): number {
  if (facts.pinned) return 1;
  const messages = Math.max(0, facts.messageCount);
  const length = Math.min(1, Math.log10(messages + 1) / Math.log10(201));
  const exchange =
    messages > 1 ? Math.min(1, Math.max(0, facts.speakerChanges) / (messages - 1)) * length : 0;
  const substance = Math.min(
    1,
    (Math.max(0, facts.decisions) + Math.max(0, facts.actionItems)) / 5,
  );
  const entities = Math.min(1, Math.max(0, facts.entities) / 10);
  const reads = Math.min(1, Math.max(0, facts.recentReads) / 5);
  const score =
    IMPORTANCE_WEIGHTS.length * length +
    IMPORTANCE_WEIGHTS.exchange * exchange +
    IMPORTANCE_WEIGHTS.substance * substance +
    IMPORTANCE_WEIGHTS.entities * entities +
    IMPORTANCE_WEIGHTS.reads * reads;
  return Math.round(score * 1000) / 1000;
}
