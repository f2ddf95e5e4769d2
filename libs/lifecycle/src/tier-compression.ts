import {
  emptySummaryLists,
  listOf,
  renderSummaryText,
  sectionsAsVersion,
  SUMMARY_ALL_LIST_KEYS,
  SummaryAnyListKey,
  SummarySections,
  SummaryTier,
} from '@memory/contracts';
import { contentTerms } from '@memory/summarization';

/**
 * How much of the full summary's information each tier keeps, as the retention score measures
 * it (see {@link retentionScore}): `key_points` about 70%, `brief` about 40%.
 *
 * A tier is cut by information, not by item counts: it keeps the title (the first sentence of
 * the context: who talked, when, about what), then takes items in order of importance until
 * the share of the full summary's content terms it holds reaches the tier's target. Items are
 * taken by rank across the lists (the first key point, decision, action item, open question,
 * entity, date, number and lesson, then the second of each, …; every list is ordered most
 * important first), then the rest of the context. The last item taken may overshoot the target
 * a little; a summary whose title alone holds more keeps just the title. `key_points` keeps the
 * mood and the rationale of each decision it keeps (counted with the decision).
 * `metadata` keeps the title, entities and dates only. Counts (messages, first and last
 * message) stay in the summary's stats whatever the tier.
 */
export const TIER_RETENTION_TARGETS = {
  key_points: 0.7,
  brief: 0.4,
} as const;

/** The order lists are visited in, within one rank: the schema's. */
const LIST_ORDER: readonly SummaryAnyListKey[] = SUMMARY_ALL_LIST_KEYS;

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
    case 'brief':
      return cutToTarget(full, TIER_RETENTION_TARGETS[tier], tier === 'key_points');
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
  return [
    sections.context,
    sections.mood ?? '',
    ...SUMMARY_ALL_LIST_KEYS.flatMap((key) => listOf(sections, key)),
    ...Object.values(sections.rationales ?? {}),
  ].flatMap((text) => contentTerms(text));
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

/**
 * Keeps the title, then items by rank across the lists, then the rest of the context, until
 * the kept share of the full summary's distinct content terms reaches `target`.
 */
function cutToTarget(full: SummarySections, target: number, keepMood: boolean): SummarySections {
  const original = new Set(termsOf(full));
  const cut: SummarySections = {
    ...emptySummaryLists(),
    context: '',
    mood: keepMood ? full.mood : null,
    lessons: [],
    rationales: {},
  };
  const kept = new Set<string>();
  const keep = (text: string): void => {
    for (const term of contentTerms(text)) if (original.has(term)) kept.add(term);
  };
  const reached = (): boolean => original.size === 0 || kept.size / original.size >= target;
  if (keepMood && full.mood) keep(full.mood);

  const [title, ...restOfContext] = contextSentences(full.context);
  if (title) {
    cut.context = title;
    keep(title);
  }
  const longest = Math.max(0, ...LIST_ORDER.map((name) => listOf(full, name).length));
  for (let rank = 0; rank < longest && !reached(); rank++)
    for (const name of LIST_ORDER) {
      if (reached()) break;
      const item = listOf(full, name)[rank];
      if (item === undefined) continue;
      (cut[name] ??= []).push(item);
      keep(item);
      const why = name === 'decisions' && keepMood ? full.rationales?.[item] : undefined;
      if (why && cut.rationales) {
        cut.rationales[item] = why;
        keep(why);
      }
    }
  for (const sentence of restOfContext) {
    if (reached()) break;
    cut.context = `${cut.context} ${sentence}`.trim();
    keep(sentence);
  }
  return sectionsAsVersion(cut, '1.1');
}

/** The context's sentences, in order (the first is the title). */
function contextSentences(context: string): string[] {
  const sentences: string[] = [];
  let rest = context.trim();
  while (rest) {
    const sentence = firstSentence(rest);
    sentences.push(sentence);
    rest = rest.slice(sentence.length).trim();
  }
  return sentences;
}

/** Up to the first sentence end (. ! ? followed by a space), or the whole text. */
export function firstSentence(text: string): string {
  const match = /^.*?[.!?](?=\s|$)/su.exec(text.trim());
  return match ? match[0] : text.trim();
}
