import { CALENDAR_WORDS } from './dates';
import { isAcronym, isCapitalised } from './entities';
import { Token, basePossessive, tokenize, wordClass } from './text';

// Candidate topic phrases: short runs of content words.

const DETERMINERS = new Set([
  'a',
  'an',
  'the',
  'my',
  'our',
  'your',
  'his',
  'her',
  'their',
  'its',
  'some',
  'this',
  'that',
  'these',
  'those',
  'any',
  'each',
  'every',
  'another',
]);
/** Longest run of content words kept as a topic phrase. */
const MAX_PHRASE_WORDS = 3;

export interface Phrase {
  text: string;
  /** Right after a determiner ("a charity race"): a noun phrase, a good topic. */
  nounish: boolean;
}

/**
 * Runs of content words (no stopword, generic word, number or punctuation between them) of up
 * to MAX_PHRASE_WORDS words, as candidate topics ("LGBTQ support group", "charity race").
 * Words `exclude` rejects (participants' names) break runs.
 */
export function findPhrases(sentence: string, exclude: (word: string) => boolean): Phrase[] {
  const tokens = tokenize(sentence);
  const phrases: Phrase[] = [];
  const usable = (token: Token) =>
    wordClass(token.lower) === 'content' &&
    !/\d/.test(token.lower) &&
    !CALENDAR_WORDS.has(basePossessive(token.lower)) &&
    !exclude(basePossessive(token.text));
  let i = 0;
  while (i < tokens.length) {
    if (!usable(tokens[i])) {
      i++;
      continue;
    }
    let j = i + 1;
    while (
      j < tokens.length &&
      usable(tokens[j]) &&
      /^\s+$/.test(sentence.slice(tokens[j - 1].end, tokens[j].start)) &&
      !/'s$/i.test(tokens[j - 1].text)
    ) {
      j++;
    }
    const runEnd = j;
    // A run ending in a past form ("sister visited") ends at the noun before it.
    while (j - i > 1 && /[a-z]{3}ed$/.test(tokens[j - 1].lower)) j--;
    if (j - i <= MAX_PHRASE_WORDS) {
      const words = tokens.slice(i, j).map((token, k) => {
        const keepCase = isAcronym(token) || (i + k > 0 && isCapitalised(token));
        return basePossessive(keepCase ? token.text : token.lower);
      });
      // A noun phrase: after a determiner, and not followed by a noun it modifies ("a long
      // time" is not about "long").
      const before = i > 0 ? tokens[i - 1] : undefined;
      const after = tokens[j] as Token | undefined;
      const determined =
        before !== undefined &&
        DETERMINERS.has(before.lower) &&
        /^\s+$/.test(sentence.slice(before.end, tokens[i].start));
      const ends =
        j < runEnd ||
        after === undefined ||
        !/^\s+$/.test(sentence.slice(tokens[j - 1].end, after.start)) ||
        (wordClass(after.lower) === 'stop' && !/^ones?$/.test(after.lower));
      const participle = j - i === 1 && /ed$/.test(tokens[i].lower);
      phrases.push({ text: words.join(' '), nounish: determined && ends && !participle });
    }
    i = runEnd;
  }
  return phrases;
}
