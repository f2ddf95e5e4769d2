import { CALENDAR_WORDS } from './dates';
import { NOT_NAMES } from './lexicon';
import { Span } from './span';
import { Token, basePossessive, tokenize, wordClass } from './text';

// Proper names, places, organisations and products: runs of capitalised words.

const CONNECTORS = new Set(['of', 'the', 'de', 'del', 'la', 'le', 'van', 'von', 'der', 'for']);

export function isCapitalised(token: Token): boolean {
  return /^[\p{Lu}]/u.test(token.text) || /^[\p{Ll}]+[\p{Lu}]/u.test(token.text); // also "iPhone"
}

export function isAcronym(token: Token): boolean {
  return /^[\p{Lu}\d&]{2,6}$/u.test(token.text) && /\p{Lu}/u.test(token.text);
}

function nameLike(token: Token): boolean {
  const lower = basePossessive(token.lower);
  return !NOT_NAMES.has(lower) && !CALENDAR_WORDS.has(lower) && wordClass(lower) === 'content';
}

/** What entity spotting needs to know beyond one sentence. */
export interface EntityContext {
  /** How often a lowercase word was seen capitalised inside a sentence (not first). */
  capitalisedInside(lower: string): number;
}

/**
 * Proper names, places, organisations and products: runs of capitalised words (joined by
 * "of", "de", "&"...). A single capitalised word that opens the sentence counts only when it
 * is an acronym or has been seen capitalised inside a sentence before.
 * Returns the spans and the lowercase words found capitalised inside the sentence.
 */
export function findEntities(
  sentence: string,
  context: EntityContext,
): { entities: Span[]; capitalisedWords: string[] } {
  const tokens = tokenize(sentence);
  const entities: Span[] = [];
  const capitalisedWords: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (!isCapitalised(tokens[i])) {
      i++;
      continue;
    }
    // Grow a run of capitalised tokens, allowing connectors between two of them.
    let j = i + 1;
    while (j < tokens.length) {
      const gap = sentence.slice(tokens[j - 1].end, tokens[j].start);
      if (!/^\s+$/.test(gap)) break;
      if (isCapitalised(tokens[j])) {
        j++;
        continue;
      }
      if (
        CONNECTORS.has(tokens[j].lower) &&
        j + 1 < tokens.length &&
        isCapitalised(tokens[j + 1]) &&
        /^\s+$/.test(sentence.slice(tokens[j].end, tokens[j + 1].start))
      ) {
        j += 2;
        continue;
      }
      break;
    }
    let run = tokens.slice(i, j);
    const startsSentence = i === 0;
    for (const token of run.slice(startsSentence ? 1 : 0)) {
      if (!isAcronym(token)) capitalisedWords.push(basePossessive(token.lower));
    }
    i = j;
    // Trim words that are not name-like from both ends ("The", "Hey", "I", "Monday").
    while (run.length > 0 && !nameLike(run[0]) && !isAcronym(run[0])) run = run.slice(1);
    while (run.length > 0 && !nameLike(run[run.length - 1]) && !isAcronym(run[run.length - 1]))
      run = run.slice(0, -1);
    if (run.length === 0) continue;
    const first = run[0];
    if (run.length === 1 && first === tokens[0] && !isAcronym(first)) {
      if (context.capitalisedInside(basePossessive(first.lower)) === 0) continue;
    }
    if (run.length === 1 && isAcronym(first) && wordClass(first.lower) !== 'content') continue;
    const text = basePossessive(sentence.slice(first.start, run[run.length - 1].end));
    entities.push({ text, start: first.start, end: first.start + text.length });
  }
  return { entities, capitalisedWords };
}
