// From the working state to summary sections: salience of candidate sentences, greedy
// selection that covers many distinct content terms, the context line, the tone, and the fit
// into the character budget.
import { SummarySections, emptySections, renderSummaryText } from '@memory/contracts';
import { formatDay } from './extract';
import { NEGATIVE_MOODS, POSITIVE_MOODS } from './lexicon';
import { KeptSentence, LocalState } from './local-state';
import { MAX_ITEM_CHARS, NEAR_DUPLICATE, contentTerms, jaccard, truncate } from './text';

/** What a term still adds once a selected sentence has covered it (SumBasic-style). */
const COVERED_WEIGHT = 0.25;
/** Cost floor: a sentence shorter than this is scored as if it were this long. */
const MIN_SCORED_CHARS = 40;
/** Most sentences kept in the ranking before the budget is applied. */
const MAX_SENTENCES = 40;
/** Most items of a list section (entities, dates, numbers, questions) before the budget. */
const MAX_ITEMS = 24;

/**
 * Weight of a content term: 1 + ln(count), count being the (decayed) number of messages that
 * used it. Words the conversation keeps coming back to are its topics.
 */
export function termWeight(state: LocalState, stem: string): number {
  const count = state.terms.get(stem)?.count ?? 1;
  return 1 + Math.log(Math.max(1, count));
}

function score(state: LocalState, sentence: KeptSentence, mass: number): number {
  return (
    (mass * sentence.bonus * state.recency(sentence.index)) /
    Math.max(MIN_SCORED_CHARS, sentence.text.length)
  );
}

/**
 * Salience of a candidate sentence: the weight of its content terms per character (what it
 * tells for the room it takes), times its bonus and recency.
 */
export function salience(state: LocalState, sentence: KeptSentence): number {
  const mass = contentTerms(sentence.text).reduce((sum, term) => sum + termWeight(state, term), 0);
  return score(state, sentence, mass);
}

/** Which section a selected sentence goes to. */
export type SentenceSection = 'keyPoints' | 'decisions' | 'actionItems';

export interface RankedSentence {
  section: SentenceSection;
  sentence: KeptSentence;
}

/**
 * Greedy budgeted coverage (as in SumBasic and Lin & Bilmes' budgeted submodular
 * summarisation): each round takes the sentence with the most term weight per character,
 * terms already covered by a chosen sentence counting at COVERED_WEIGHT, and skips
 * near-duplicates of chosen ones. Favours many distinct facts over one topic said again.
 * Key points, decisions and action items compete in one ranking; the order is importance.
 */
export function rankSentences(
  state: LocalState,
  pools: ReadonlyArray<readonly [SentenceSection, readonly KeptSentence[]]>,
): RankedSentence[] {
  const pool = pools.flatMap(([section, sentences]) =>
    sentences.map((sentence) => ({ section, sentence, terms: contentTerms(sentence.text) })),
  );
  // Conversation order, so that ties go to the earlier sentence.
  pool.sort((a, b) => a.sentence.index - b.sentence.index);
  const covered = new Map<string, number>();
  const chosen: typeof pool = [];
  while (chosen.length < MAX_SENTENCES && pool.length > 0) {
    let best = -1;
    let bestScore = 0;
    for (let i = 0; i < pool.length; i++) {
      const { sentence, terms } = pool[i];
      const mass = terms.reduce(
        (sum, term) => sum + termWeight(state, term) * (covered.get(term) ?? 1),
        0,
      );
      const value = score(state, sentence, mass);
      if (value > bestScore) {
        best = i;
        bestScore = value;
      }
    }
    if (best < 0) break;
    const [picked] = pool.splice(best, 1);
    if (chosen.some((other) => jaccard(other.terms, picked.terms) >= NEAR_DUPLICATE)) continue;
    chosen.push(picked);
    for (const term of picked.terms) covered.set(term, (covered.get(term) ?? 1) * COVERED_WEIGHT);
  }
  return chosen.map(({ section, sentence }) => ({ section, sentence }));
}

/** Labels of the participants, most active first (ties: who spoke first). */
export function participantLabels(state: LocalState): string[] {
  return [...state.participants.values()]
    .sort((a, b) => b.count - a.count || a.first - b.first)
    .map((p) => p.label)
    .filter((label, i, all) => all.indexOf(label) === i);
}

function listPhrase(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Said in at least two messages; counts decay slowly, so "two" is anything from 1.5. */
const REPEATED = 1.5;

/**
 * "Conversation between A and B on 8 May 2023 about x, y and z.": the participants, the days,
 * then up to `topics` topics: entities and noun phrases the conversation came back to (at
 * least twice), none sharing a word with another.
 */
export function contextLine(state: LocalState, topics: number): string {
  const labels = participantLabels(state);
  const names = new Set(labels.map((label) => label.toLowerCase()));
  const picked: string[] = [];
  const pickedWords = new Set<string>();
  const pick = (text: string) => {
    const words = text.toLowerCase().split(' ');
    if (picked.length >= topics || words.some((word) => pickedWords.has(word))) return;
    picked.push(text);
    for (const word of words) pickedWords.add(word);
  };
  for (const entity of state.ranked(state.entities).slice(0, 2)) {
    if (entity.count >= REPEATED && !names.has(entity.text.toLowerCase())) pick(entity.text);
  }
  // Noun phrases the conversation came back to, longer ones (more specific) first on a tie.
  const phrases = [...state.phrases.values()]
    .filter((p) => p.count >= REPEATED && p.nounish >= 1)
    .map((p) => ({ text: p.text, score: p.count * (1 + 0.5 * (p.text.split(' ').length - 1)) }))
    .sort((a, b) => b.score - a.score || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  for (const phrase of phrases) {
    // A word said alone and inside a longer phrase ("dance", "dance studio"): the phrase.
    const longer = phrases.find(
      (other) => other.text.includes(' ') && other.text.split(' ').includes(phrase.text),
    );
    pick(longer?.text ?? phrase.text);
  }
  const who =
    labels.length === 0
      ? 'Conversation'
      : labels.length === 1
        ? `Conversation with ${labels[0]}`
        : labels.length <= 3
          ? `Conversation between ${listPhrase(labels)}`
          : `Conversation between ${labels.slice(0, 2).join(', ')} and ${labels.length - 2} others`;
  const when = daysPhrase(state.days);
  const about = picked.length > 0 ? ` about ${listPhrase(picked)}` : '';
  return `${who}${when ? ` ${when}` : ''}${about}.`;
}

/** "on 8 May 2023", or "from 8 May 2023 to 2 June 2023" for a conversation over several days. */
export function daysPhrase(days: readonly [string, string] | null): string {
  if (!days) return '';
  const format = (day: string) => formatDay(new Date(`${day}T00:00:00Z`));
  return days[0] === days[1]
    ? `on ${format(days[0])}`
    : `from ${format(days[0])} to ${format(days[1])}`;
}

/** Messages that must signal a tone before one is named. */
const MIN_MOOD_SIGNALS = 3;

/**
 * The overall tone when it is clear: at least MIN_MOOD_SIGNALS signals, two thirds of them on
 * one side (positive or negative); then the side's leading mood if it has half the side's
 * signals, else the side itself. Otherwise null.
 */
export function overallMood(state: LocalState): string | null {
  const count = (moods: readonly string[]) =>
    moods.reduce((sum, mood) => sum + (state.moods.get(mood) ?? 0), 0);
  const positive = count(POSITIVE_MOODS);
  const negative = count(NEGATIVE_MOODS);
  const total = positive + negative;
  if (total < MIN_MOOD_SIGNALS) return null;
  const side =
    positive >= (2 / 3) * total
      ? POSITIVE_MOODS
      : negative >= (2 / 3) * total
        ? NEGATIVE_MOODS
        : null;
  if (!side) return null;
  const sideTotal = side === POSITIVE_MOODS ? positive : negative;
  const [lead] = [...side].sort((a, b) => (state.moods.get(b) ?? 0) - (state.moods.get(a) ?? 0));
  if ((state.moods.get(lead) ?? 0) >= sideTotal / 2) return lead;
  return side === POSITIVE_MOODS ? 'positive' : 'negative';
}

/** Everything a summary could say, ranked, before the budget is applied. */
export interface RankedSummary {
  /** Context lines, best (longest) first: the first that fits the context's share is used. */
  contexts: string[];
  /** Key points, decisions and action items in one ranking, most important first. */
  sentences: Array<{ section: SentenceSection; text: string }>;
  openQuestions: string[];
  entities: string[];
  dates: string[];
  numbers: string[];
  mood: string | null;
}

type ListSection = 'openQuestions' | 'entities' | 'dates' | 'numbers';

/**
 * Share of the budget the short lists may take before the sentences are placed; what they
 * leave goes to the sentences, and what the sentences leave comes back to them.
 */
export const LIST_SHARES: Readonly<Record<ListSection, number>> = {
  entities: 0.1,
  dates: 0.05,
  numbers: 0.05,
  openQuestions: 0.05,
};
const LISTS: readonly ListSection[] = ['entities', 'dates', 'numbers', 'openQuestions'];
/** Share of the budget decisions and action items may take before key points are placed. */
const SENTENCE_CAPS: Readonly<Record<SentenceSection, number>> = {
  keyPoints: 1,
  decisions: 0.25,
  actionItems: 0.25,
};
/** Most of the budget the context line may take. */
const CONTEXT_SHARE = 0.2;

/**
 * The sections, cut to `budget` characters of rendered text: the context line (shrinking, or
 * gone, past CONTEXT_SHARE), the best entities, dates, numbers and open questions within
 * their LIST_SHARES, then sentences in rank order (decisions and action items within their
 * SENTENCE_CAPS, so key points take most of the budget), then whatever else still fits. The
 * lowest-ranked items of every section are the ones dropped.
 */
export function fitToBudget(ranked: RankedSummary, budget: number): SummarySections {
  const sections = emptySections();
  if (budget <= 0) return sections;
  sections.context = ranked.contexts.find((line) => line.length <= CONTEXT_SHARE * budget) ?? '';

  type Item = { section: keyof SummarySections & (SentenceSection | ListSection); text: string };
  const items: Item[] = [
    ...ranked.sentences.map((s) => ({
      section: s.section,
      text: truncate(s.text, MAX_ITEM_CHARS),
    })),
    ...LISTS.flatMap((section) =>
      ranked[section].slice(0, MAX_ITEMS).map((text) => ({
        section,
        text: section === 'openQuestions' ? truncate(text, MAX_ITEM_CHARS) : text,
      })),
    ),
  ];
  const chosen = new Set<number>();
  const apply = () => {
    for (const key of ['keyPoints', 'decisions', 'actionItems', ...LISTS] as const)
      sections[key] = [];
    items.forEach((item, i) => {
      if (chosen.has(i)) sections[item.section].push(item.text);
    });
  };
  const lineLength = (key: SentenceSection | ListSection) =>
    sections[key].length === 0
      ? 0
      : renderSummaryText({ ...emptySections(), [key]: sections[key] }).length;
  const tryAdd = (i: number, check: () => boolean): boolean => {
    chosen.add(i);
    apply();
    if (renderSummaryText(sections).length <= budget && check()) return true;
    chosen.delete(i);
    apply();
    return false;
  };
  const indexes = (section: string) =>
    items.flatMap((item, i) => (item.section === section ? [i] : []));

  for (const key of LISTS) {
    for (const i of indexes(key)) {
      if (!tryAdd(i, () => lineLength(key) <= LIST_SHARES[key] * budget)) break;
    }
  }
  // Sentences in rank order; decisions and action items only up to their cap at first, so
  // that key points keep most of the budget.
  const isSentence = (item: Item) => !LISTS.includes(item.section as ListSection);
  items.forEach((item, i) => {
    if (!isSentence(item)) return;
    const cap = SENTENCE_CAPS[item.section as SentenceSection];
    tryAdd(i, () => lineLength(item.section) <= cap * budget);
  });
  items.forEach((item, i) => {
    if (isSentence(item) && !chosen.has(i)) tryAdd(i, () => true);
  });
  for (const key of LISTS) {
    for (const i of indexes(key)) if (!chosen.has(i)) tryAdd(i, () => true);
  }
  sections.mood = ranked.mood;
  if (renderSummaryText(sections).length > budget) sections.mood = null;
  const kept = (['keyPoints', 'decisions', 'actionItems', ...LISTS] as const).some(
    (key) => sections[key].length > 0,
  );
  return kept ? sections : emptySections();
}
