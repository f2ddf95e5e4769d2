// The local summarizer's working state between folds, and its bounded, JSON-serialisable form
// (`memo`). Every collection is capped, so the memo stays a few tens of KB however long the
// conversation gets; what is dropped is what ranks lowest (count and recency).
import { z } from 'zod';
import { NEAR_DUPLICATE, contentTerms, jaccard, stem } from './text';

export const LOCAL_MEMO_VERSION = 1;

/** Caps of the memo's collections. */
export const MEMO_LIMITS = {
  participants: 16,
  terms: 400,
  phrases: 150,
  capitalised: 200,
  entities: 60,
  dates: 30,
  numbers: 30,
  keyPoints: 40,
  decisions: 12,
  actions: 12,
  questions: 12,
} as const;

/**
 * Recency blending: an item `age` messages old weighs RECENCY_FLOOR + (1 - RECENCY_FLOOR) *
 * 2^(-age / RECENCY_HALF_LIFE), so old facts keep at least half their weight against new ones.
 */
export const RECENCY_FLOOR = 0.5;
export const RECENCY_HALF_LIFE = 100;
/** Term counts halve every TERM_HALF_LIFE messages: what a long conversation is about drifts. */
export const TERM_HALF_LIFE = 1_000;

const sentenceSchema = z.object({
  text: z.string(),
  speaker: z.string(),
  index: z.number(),
  bonus: z.number(),
});
const tallySchema = z.tuple([z.string(), z.number(), z.number()]);

const memoSchema = z.object({
  backend: z.literal('local'),
  version: z.literal(LOCAL_MEMO_VERSION),
  messages: z.number().int().nonnegative(),
  seenChars: z.number().nonnegative(),
  /** First and last day (YYYY-MM-DD, UTC) of the messages read, when their times parse. */
  days: z.tuple([z.string(), z.string()]).nullable(),
  participants: z.array(z.tuple([z.string(), z.string(), z.number(), z.number()])),
  terms: z.array(z.tuple([z.string(), z.string(), z.number()])),
  capitalised: z.array(z.tuple([z.string(), z.number()])),
  phrases: z.array(z.tuple([z.string(), z.number(), z.number()])),
  entities: z.array(tallySchema),
  dates: z.array(tallySchema),
  numbers: z.array(tallySchema),
  keyPoints: z.array(sentenceSchema),
  decisions: z.array(sentenceSchema),
  actions: z.array(sentenceSchema),
  questions: z.array(sentenceSchema.extend({ replies: z.number() })),
  moods: z.array(z.tuple([z.string(), z.number()])),
});

export type LocalMemo = z.infer<typeof memoSchema>;

/** A sentence kept as a candidate: its display text, who said it, when (message index). */
export interface KeptSentence {
  text: string;
  /** Display label of the speaker ('' when unknown, e.g. seeded from another backend). */
  speaker: string;
  /** 1-based index of the message in the conversation. */
  index: number;
  /** Multiplier for first-person facts, entities, numbers and dates. */
  bonus: number;
}

export interface PendingQuestion extends KeptSentence {
  /** Replies from other speakers since the question, none of which answered it. */
  replies: number;
}

export interface Tally {
  text: string;
  count: number;
  /** Message index of the latest mention. */
  last: number;
}

export interface Participant {
  label: string;
  count: number;
  first: number;
}

/** The working state of one conversation's summary. */
export class LocalState {
  messages = 0;
  seenChars = 0;
  /** First and last day (YYYY-MM-DD, UTC) of the messages read. */
  days: [string, string] | null = null;
  readonly participants = new Map<string, Participant>();
  /** Term stem -> surface form shown in the context line, and decayed message count. */
  readonly terms = new Map<string, { surface: string; count: number }>();
  /**
   * Candidate topics: runs of content words ("charity race"), keyed by their stems, with the
   * number of messages using them and how often one followed a determiner (a noun phrase).
   */
  readonly phrases = new Map<string, { text: string; count: number; nounish: number }>();
  /** Lowercase word -> times seen capitalised inside a sentence (for entity spotting). */
  readonly capitalised = new Map<string, number>();
  readonly entities = new Map<string, Tally>();
  readonly dates = new Map<string, Tally>();
  readonly numbers = new Map<string, Tally>();
  keyPoints: KeptSentence[] = [];
  decisions: KeptSentence[] = [];
  actions: KeptSentence[] = [];
  questions: PendingQuestion[] = [];
  readonly moods = new Map<string, number>();

  /** The state a memo holds, or null when the memo is not a valid local memo. */
  static fromMemo(memo: unknown): LocalState | null {
    const parsed = memoSchema.safeParse(memo);
    if (!parsed.success) return null;
    const data = parsed.data;
    const state = new LocalState();
    state.messages = data.messages;
    state.seenChars = data.seenChars;
    state.days = data.days;
    for (const [id, label, count, first] of data.participants) {
      state.participants.set(id, { label, count, first });
    }
    for (const [stem, surface, count] of data.terms) state.terms.set(stem, { surface, count });
    for (const [word, count] of data.capitalised) state.capitalised.set(word, count);
    for (const [text, count, nounish] of data.phrases) {
      state.phrases.set(phraseKey(text), { text, count, nounish });
    }
    const tallies = (target: Map<string, Tally>, rows: Array<[string, number, number]>) => {
      for (const [text, count, last] of rows) target.set(text.toLowerCase(), { text, count, last });
    };
    tallies(state.entities, data.entities);
    tallies(state.dates, data.dates);
    tallies(state.numbers, data.numbers);
    state.keyPoints = data.keyPoints;
    state.decisions = data.decisions;
    state.actions = data.actions;
    state.questions = data.questions;
    for (const [mood, count] of data.moods) state.moods.set(mood, count);
    return state;
  }

  /** Widens the conversation's span of days to include `createdAt` (ignored if unparsable). */
  noteDay(createdAt: string): void {
    const time = Date.parse(createdAt);
    if (Number.isNaN(time)) return;
    const day = new Date(time).toISOString().slice(0, 10);
    if (!this.days) this.days = [day, day];
    else
      this.days = [
        day < this.days[0] ? day : this.days[0],
        day > this.days[1] ? day : this.days[1],
      ];
  }

  /** Weight of an item last seen at message `index`, from RECENCY_FLOOR (old) to 1 (now). */
  recency(index: number): number {
    const age = Math.max(0, this.messages - index);
    return RECENCY_FLOOR + (1 - RECENCY_FLOOR) * Math.pow(2, -age / RECENCY_HALF_LIFE);
  }

  /** Ages term and phrase counts by `newMessages` (halving every TERM_HALF_LIFE messages). */
  decayTerms(newMessages: number): void {
    if (newMessages <= 0) return;
    const factor = Math.pow(2, -newMessages / TERM_HALF_LIFE);
    for (const entry of this.terms.values()) entry.count *= factor;
    for (const entry of this.phrases.values()) entry.count *= factor;
  }

  countPhrase(text: string, nounish: boolean): void {
    const key = phraseKey(text);
    const entry = this.phrases.get(key);
    if (entry) {
      entry.count += 1;
      entry.nounish += nounish ? 1 : 0;
    } else {
      this.phrases.set(key, { text, count: 1, nounish: nounish ? 1 : 0 });
    }
  }

  countTerm(stem: string, surface: string, weight = 1): void {
    const entry = this.terms.get(stem);
    if (entry) entry.count += weight;
    else this.terms.set(stem, { surface, count: weight });
  }

  tally(target: Map<string, Tally>, text: string, index: number, weight = 1): void {
    const key = text.toLowerCase();
    const entry = target.get(key);
    if (entry) {
      entry.count += weight;
      entry.last = Math.max(entry.last, index);
    } else {
      target.set(key, { text, count: weight, last: index });
    }
  }

  /** Tallies ranked most important first: count weighed by recency, ties by text. */
  ranked(target: Map<string, Tally>): Tally[] {
    return [...target.values()].sort(
      (a, b) =>
        b.count * this.recency(b.last) - a.count * this.recency(a.last) ||
        (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
    );
  }

  /**
   * The bounded memo. `sentenceScore` ranks the candidate sentences (the summarizer's
   * salience); each collection keeps its best entries up to MEMO_LIMITS.
   */
  toMemo(sentenceScore: (sentence: KeptSentence) => number): LocalMemo {
    const round = (value: number) => Math.round(value * 1000) / 1000;
    const byCount = <T>(entries: Array<[string, T]>, count: (value: T) => number, limit: number) =>
      entries
        .sort(([ka, a], [kb, b]) => count(b) - count(a) || (ka < kb ? -1 : ka > kb ? 1 : 0))
        .slice(0, limit);
    // The best sentences, a near-duplicate of a better one dropped (only one would be shown).
    const bestSentences = <T extends KeptSentence>(sentences: T[], limit: number): T[] => {
      const ranked = sentences
        .map((sentence) => ({ sentence, score: sentenceScore(sentence) }))
        .sort((a, b) => b.score - a.score || a.sentence.index - b.sentence.index);
      const kept: Array<{ sentence: T; terms: string[] }> = [];
      for (const { sentence } of ranked) {
        if (kept.length >= limit) break;
        const terms = contentTerms(sentence.text);
        if (kept.some((other) => jaccard(other.terms, terms) >= NEAR_DUPLICATE)) continue;
        kept.push({ sentence, terms });
      }
      return kept.map(({ sentence }) => sentence).sort((a, b) => a.index - b.index);
    };
    const tallies = (target: Map<string, Tally>, limit: number): Array<[string, number, number]> =>
      this.ranked(target)
        .slice(0, limit)
        .map((tally) => [tally.text, round(tally.count), tally.last]);

    return {
      backend: 'local',
      version: LOCAL_MEMO_VERSION,
      messages: this.messages,
      seenChars: this.seenChars,
      days: this.days,
      participants: byCount([...this.participants], (p) => p.count, MEMO_LIMITS.participants)
        .sort(([, a], [, b]) => a.first - b.first)
        .map(([id, p]) => [id, p.label, p.count, p.first]),
      terms: byCount([...this.terms], (t) => t.count, MEMO_LIMITS.terms).map(([stem, t]) => [
        stem,
        t.surface,
        round(t.count),
      ]),
      capitalised: byCount([...this.capitalised], (c) => c, MEMO_LIMITS.capitalised),
      phrases: byCount([...this.phrases], (p) => p.count + p.nounish / 2, MEMO_LIMITS.phrases).map(
        ([, p]) => [p.text, round(p.count), p.nounish],
      ),
      entities: tallies(this.entities, MEMO_LIMITS.entities),
      dates: tallies(this.dates, MEMO_LIMITS.dates),
      numbers: tallies(this.numbers, MEMO_LIMITS.numbers),
      keyPoints: bestSentences(this.keyPoints, MEMO_LIMITS.keyPoints),
      decisions: bestSentences(this.decisions, MEMO_LIMITS.decisions),
      actions: bestSentences(this.actions, MEMO_LIMITS.actions),
      // Open questions: the most recent ones.
      questions: this.questions.slice(-MEMO_LIMITS.questions),
      moods: [...this.moods].sort(([a], [b]) => (a < b ? -1 : 1)).map(([m, c]) => [m, round(c)]),
    };
  }

  /** Drops what the memo would drop, so the state used for output equals the stored one. */
  prune(sentenceScore: (sentence: KeptSentence) => number): LocalState {
    return LocalState.fromMemo(this.toMemo(sentenceScore)) ?? this;
  }
}

/** Phrases that differ only in inflection ("charity races", "charity race") count as one. */
export function phraseKey(text: string): string {
  return text
    .split(' ')
    .map((word) => stem(word))
    .join(' ');
}
