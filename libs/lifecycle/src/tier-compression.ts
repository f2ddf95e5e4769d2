import { renderSummaryText, SummarySections, SummaryTier } from '@memory/contracts';
import { contentTerms } from '@memory/summarization';

/**
 * How a tier cuts a conversation's full summary. Every list of a summary is ordered most
 * important first, so a tier keeps the head of each list (at least one item of a non-empty
 * list):
 *
 * | tier         | context        | key points, decisions, action items, open questions | entities, dates, numbers | mood |
 * | ------------ | -------------- | --------------------------------------------------- | ------------------------ | ---- |
 * | `full`       | all            | all                                                 | all                      | kept |
 * | `key_points` | all            | 70%                                                 | all                      | kept |
 * | `brief`      | first sentence | 40%                                                 | 70%                      | —    |
 * | `metadata`   | first sentence | none                                                | entities, dates          | —    |
 *
 * The first sentence of the context is the title: who talked, when, about what. Counts
 * (messages, first and last message) stay in the summary's stats whatever the tier.
 */
export const TIER_SHARES = {
  key_points: { sentences: 0.7, facts: 1 },
  brief: { sentences: 0.4, facts: 0.7 },
} as const;

export interface Compression {
  sections: SummarySections;
  text: string;
  /** Rendered length of the compressed summary / rendered length of the full one (1 if empty). */
  ratio: number;
  /** See {@link retentionScore}. */
  retention: number;
}

/**
 * The sections a tier keeps of the full summary's sections. `title` stands in for the first
 * sentence of the context at `metadata` when the summary has no context (a summary squeezed
 * into a small budget can lack one): a metadata summary always says what it is about.
 */
export function compressSections(
  full: SummarySections,
  tier: SummaryTier,
  title = '',
): SummarySections {
  switch (tier) {
    case 'full':
      return structuredClone(full);
    case 'key_points':
    case 'brief': {
      const { sentences, facts } = TIER_SHARES[tier];
      return {
        context: tier === 'brief' ? firstSentence(full.context) : full.context,
        keyPoints: head(full.keyPoints, sentences),
        decisions: head(full.decisions, sentences),
        actionItems: head(full.actionItems, sentences),
        openQuestions: head(full.openQuestions, sentences),
        entities: head(full.entities, facts),
        dates: head(full.dates, facts),
        numbers: head(full.numbers, facts),
        mood: tier === 'brief' ? null : full.mood,
      };
    }
    case 'metadata':
      return {
        context: firstSentence(full.context) || title,
        keyPoints: [],
        decisions: [],
        actionItems: [],
        openQuestions: [],
        entities: [...full.entities],
        dates: [...full.dates],
        numbers: [],
        mood: null,
      };
  }
}

/**
 * Information-retention score of a compressed summary: the share of the full summary's
 * distinct content terms (stemmed words that are not function words or chit-chat, as the local
 * summarizer counts them) that the compressed sections still contain. 1 keeps every term, 0 none;
 * a full summary without content terms scores 1. It measures what a keyword search can still
 * find, the same way for every backend, and needs no model.
 */
export function retentionScore(full: SummarySections, compressed: SummarySections): number {
  const original = new Set(termsOf(full));
  if (original.size === 0) return 1;
  const kept = new Set(termsOf(compressed));
  let found = 0;
  for (const term of original) if (kept.has(term)) found++;
  return found / original.size;
}

/** Compresses a full summary to `tier`, with its ratio and retention score. */
export function compressSummary(full: SummarySections, tier: SummaryTier, title = ''): Compression {
  const sections = compressSections(full, tier, title);
  const text = renderSummaryText(sections);
  const fullLength = renderSummaryText(full).length;
  return {
    sections,
    text,
    ratio: fullLength === 0 ? 1 : text.length / fullLength,
    retention: retentionScore(full, sections),
  };
}

/** Content terms of what the sections say (not of the rendered headings such as "Key points"). */
function termsOf(sections: SummarySections): string[] {
  const { context, mood, ...lists } = sections;
  return [context, mood ?? '', ...Object.values(lists).flat()].flatMap((text) =>
    contentTerms(text),
  );
}

/** What a metadata summary says when the summary has no context: who, how much, when. */
export function metadataTitle(facts: {
  userId: string;
  messageCount: number;
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
}): string {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  const { firstMessageAt: first, lastMessageAt: last } = facts;
  const span =
    first && last
      ? day(first) === day(last)
        ? ` on ${day(first)}`
        : ` from ${day(first)} to ${day(last)}`
      : '';
  const messages = `${facts.messageCount} message${facts.messageCount === 1 ? '' : 's'}`;
  return `Conversation of ${facts.userId}, ${messages}${span}.`;
}

function head(items: readonly string[], share: number): string[] {
  if (items.length === 0) return [];
  return items.slice(0, Math.max(1, Math.ceil(items.length * share)));
}

/** Up to the first sentence end (. ! ? followed by a space), or the whole text. */
export function firstSentence(text: string): string {
  const match = /^.*?[.!?](?=\s|$)/su.exec(text.trim());
  return match ? match[0] : text.trim();
}
