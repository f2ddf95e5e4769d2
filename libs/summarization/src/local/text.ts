// Text handling of the local summarizer: normalising, sentence splitting, tokens, a light
// stemmer and the content terms that salience, deduplication and answer matching work on.
import { GENERIC_WORDS, LEADING_FILLERS, SMALL_TALK_PHRASES, STOPWORDS } from './lexicon';

/** Longest item the summary keeps, in characters (longer sentences are cut at a word). */
export const MAX_ITEM_CHARS = 200;

// Pictographs, regional indicators (flags), skin tones, variation selector, zero-width joiner.
const EMOJI =
  /\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}]|[\u{1F3FB}-\u{1F3FF}]|\u{FE0F}|\u{200D}/gu;
/** Control characters other than line breaks and tabs. */
const CONTROL = /(?![\n\t])\p{Cc}/gu;
const ABBREVIATIONS = /\b(Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|vs|etc|e\.g|i\.e|approx|Inc|Ltd|Co)\./g;
const ABBREVIATION_MARK = '\u0001';

/** Removes emoji and control characters, unifies quotes and collapses white space. */
export function normalizeText(text: string): string {
  return text
    .replace(EMOJI, ' ')
    .replace(/[‘’`´]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(CONTROL, ' ')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/** A sentence of a message; `aside` when it was a bracketed aside ("[shared a photo: ...]"). */
export interface Sentence {
  text: string;
  aside: boolean;
}

/**
 * Splits normalised text into sentences: at . ! ? … followed by white space, at line breaks,
 * and around bracketed asides such as "[shared a photo: ...]", which are kept as sentences of
 * their own (without the brackets).
 */
export function splitSentences(text: string): Sentence[] {
  const protectedText = text.replace(ABBREVIATIONS, (match) =>
    match.replace(/\./g, ABBREVIATION_MARK),
  );
  const pieces: Sentence[] = [];
  const restore = (piece: string) => piece.replace(new RegExp(ABBREVIATION_MARK, 'g'), '.').trim();
  for (const line of protectedText.split(/\n+/)) {
    for (const part of line.split(/(\[[^\]]*\])/)) {
      const bracketed = /^\[(.*)\]$/.exec(part);
      if (bracketed) {
        pieces.push({ text: restore(bracketed[1]), aside: true });
        continue;
      }
      for (const piece of part.split(/(?<=[.!?…]+["')]?)\s+/)) {
        pieces.push({ text: restore(piece), aside: false });
      }
    }
  }
  return pieces.filter((piece) => /[\p{L}\p{N}]/u.test(piece.text));
}

/** A word of a sentence with its position (for entity spans) and its original casing. */
export interface Token {
  text: string;
  lower: string;
  start: number;
  end: number;
}

const TOKEN = /[\p{L}\p{N}]+(?:['.&-][\p{L}\p{N}]+)*/gu;

export function tokenize(sentence: string): Token[] {
  const tokens: Token[] = [];
  for (const match of sentence.matchAll(TOKEN)) {
    tokens.push({
      text: match[0],
      lower: match[0].toLowerCase(),
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  return tokens;
}

/** Drops a possessive "'s" ("Anna's" -> "anna"). */
export function basePossessive(word: string): string {
  return word.replace(/'s$/i, '');
}

/**
 * A light suffix stemmer (plural, -ing, -ed, -ly) so that "paintings", "painted" and
 * "painting" count as one term. Only used as a key, never shown.
 */
export function stem(word: string): string {
  let w = basePossessive(word.toLowerCase());
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) return w.slice(0, -3) + 'y';
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.endsWith('s') && !/(ss|us|is|ous)$/.test(w)) w = w.slice(0, -1);
  for (const suffix of ['ing', 'ed', 'ly']) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3) {
      const root = w.slice(0, -suffix.length);
      if (!/[aeiouy]/.test(root)) continue;
      // "running" -> "run", "planned" -> "plan"; "hoped" -> "hop" is fine as a key.
      return /([bdfgklmnprtv])\1$/.test(root) ? root.slice(0, -1) : root;
    }
  }
  return w;
}

export type WordClass = 'stop' | 'generic' | 'content';

export function wordClass(lower: string): WordClass {
  const word = basePossessive(lower);
  if (STOPWORDS.has(word) || word.length < 2) return 'stop';
  if (/^\d+$/.test(word)) return 'content';
  if (GENERIC_WORDS.has(word)) return 'generic';
  return 'content';
}

/** Removes set phrases of small talk ("nice to meet you", "thanks so much"). */
export function withoutSmallTalk(sentence: string): string {
  let out = sentence;
  for (const phrase of SMALL_TALK_PHRASES) out = out.replace(phrase, ' ');
  return out.replace(/\s+/g, ' ').trim();
}

/** Distinct stems of the content words of a sentence (small talk removed first). */
export function contentTerms(sentence: string): string[] {
  const terms = new Set<string>();
  for (const token of tokenize(withoutSmallTalk(sentence))) {
    if (wordClass(token.lower) === 'content') terms.add(stem(token.lower));
  }
  return [...terms];
}

/** Adverbs that add emphasis, not content; dropped from kept sentences. */
const FILLER_ADVERBS =
  /\s+\b(?:really|totally|actually|literally|basically|honestly|definitely|truly|seriously|absolutely|just)\b(?=\s)/gi;

const FILLER_PATTERN = new RegExp(
  `^(?:${[...LEADING_FILLERS]
    .sort((a, b) => b.length - a.length)
    .map((f) => f.replace(/\s+/g, '\\s+'))
    .join('|')})\\b[\\s,!.;:-]*`,
  'i',
);

/**
 * Splits a sentence into clauses where a new one clearly starts: at a dash or semicolon, and
 * at ", and/but/so" followed by a subject ("..., and it was great"). Clauses are the units
 * the summary keeps, so a long chatty sentence gives up its informative part alone.
 */
export function splitClauses(sentence: string): string[] {
  return sentence
    .split(
      /\s+[-–—]+\s+|;\s+|,\s+(?=(?:and|but|so)\s+(?:i|we|it|that|this|they|he|she|you|my|our)\b)/i,
    )
    .map((clause) => clause.trim())
    .filter((clause) => /[\p{L}\p{N}]/u.test(clause));
}

/**
 * Cleans a sentence for display: drops small talk ("nice to meet you"), leading fillers and
 * interjections ("Wow, ...",
 * "Hey Anna! ..."), a trailing vocative name (", Anna!", or ", Anna." when `isName` knows
 * it), emphasis adverbs, repeated punctuation, and caption boilerplate ("a photo of");
 * capitalises the first letter.
 */
export function cleanSentence(sentence: string, isName: (word: string) => boolean): string {
  let out = withoutSmallTalk(sentence).replace(/^[\s,!.;:-]+/, '');
  for (let i = 0; i < 6; i++) {
    const before = out;
    out = out.replace(FILLER_PATTERN, '');
    // A vocative right after a stripped filler: "Hey Anna! ..." / "Oh, Anna, ...".
    if (before !== out) out = out.replace(/^[\p{Lu}][\p{L}'-]*\s*[,!]+\s*/u, '');
    if (before === out) break;
  }
  // A leading vocative: "Anna, your support means a lot!".
  out = out.replace(/^([\p{Lu}][\p{L}'-]*)\s*,\s+/u, (match, name: string) =>
    isName(name) ? '' : match,
  );
  // A trailing vocative: ", Anna!" / ", Anna?" (or ", Anna." for a known participant).
  out = out.replace(/,\s*([\p{Lu}][\p{L}'-]*)\s*([.!?]*)$/u, (match, name: string, end: string) =>
    /[!?]/.test(end) || isName(name) ? end || '.' : match,
  );
  out = out.replace(FILLER_ADVERBS, '');
  out = out
    .replace(
      /^(shared (?:a|an) (?:photo|picture|image|video)):\s*(?:a|an) (?:photo|picture|image) of\s+/i,
      '$1 of ',
    )
    .replace(/([!?.])[!?.]+/g, '$1')
    .replace(/\s+([,.!?;:])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  if (out.length > 0) out = out[0].toUpperCase() + out.slice(1);
  return out;
}

/** Cuts `text` to at most `max` characters at a word boundary, marking the cut with "…". */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '';
  const cut = text.slice(0, max - 1);
  // The cut ends a word when a space follows it.
  const space = /\s/.test(text[max - 1]) ? cut.length : cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '') + '…';
}

/** Sentences sharing at least this share of their content terms are near-duplicates. */
export const NEAR_DUPLICATE = 0.5;

/** Jaccard similarity of two term lists. */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const setB = new Set(b);
  let shared = 0;
  for (const term of new Set(a)) if (setB.has(term)) shared++;
  return shared / (new Set(a).size + setB.size - shared);
}
