// Pattern-based extraction of the local summarizer: entities, dates, numbers, and whether a
// sentence states a decision, a commitment or a question. General English rules only.
import { MONTHS, MOOD_LEXICON, NOT_NAMES, WEEKDAYS } from './lexicon';
import { Token, basePossessive, tokenize, wordClass } from './text';

// ---------------------------------------------------------------------------------------------
// Dates

const MONTH =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const WEEKDAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const WEEKDAY_SHORT = '(?:mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)';
/** Abbreviated weekdays, as chat writes them ("last Fri"). */
const SHORT_WEEKDAYS: Record<string, (typeof WEEKDAYS)[number]> = {
  mon: 'monday',
  tue: 'tuesday',
  tues: 'tuesday',
  wed: 'wednesday',
  thu: 'thursday',
  thur: 'thursday',
  thurs: 'thursday',
  fri: 'friday',
  sat: 'saturday',
  sun: 'sunday',
};
const DAY_PART = '(?:\\s+(?:morning|afternoon|evening|night))?';
const TIME =
  '(?:\\d{1,2}(?::\\d{2})?\\s?(?:am|pm|a\\.m\\.|p\\.m\\.)|\\d{1,2}:\\d{2}|noon|midnight)';
const AT_TIME = `(?:\\s+(?:at|by|around|before|after)\\s+${TIME})?`;
const COUNT =
  '(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|a couple of|a couple|few|several|\\d{1,3})';
const UNIT = '(?:days?|weeks?|months?|years?)';
const HOLIDAY =
  "(?:christmas(?: eve| day)?|thanksgiving|halloween|easter|new year'?s?(?: eve| day)?|valentine'?s day|mother'?s day|father'?s day|independence day|labou?r day|memorial day)";

interface DatePattern {
  regex: RegExp;
  /** The month must be written with a capital ("May 8", not "may be"). */
  capitalised?: boolean;
  /** The abbreviated weekday must be written with a capital ("last Sat", not "last sat"). */
  weekdayCapitalised?: boolean;
}

const DATE_PATTERNS: DatePattern[] = [
  { regex: /\b\d{4}-\d{2}-\d{2}\b/g },
  { regex: /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g },
  {
    regex: new RegExp(
      `\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}\\b\\.?(?:,?\\s+\\d{4})?${AT_TIME}`,
      'gi',
    ),
  },
  {
    regex: new RegExp(
      `\\b${MONTH}\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?\\b(?:,?\\s+\\d{4})?${AT_TIME}`,
      'gi',
    ),
    capitalised: true,
  },
  { regex: new RegExp(`\\b${MONTH}\\s+\\d{4}\\b`, 'gi'), capitalised: true },
  {
    regex: new RegExp(
      `\\b(?:(?:early|mid|late|last|next|this)[\\s-]+|(?:in|since|until|by|during)\\s+)${MONTH}\\b`,
      'gi',
    ),
    capitalised: true,
  },
  {
    regex: new RegExp(
      `\\b(?:(?:last|next|this|coming|past)\\s+)?${WEEKDAY}s?${DAY_PART}${AT_TIME}`,
      'gi',
    ),
  },
  {
    regex: new RegExp(
      `\\b(?:last|next|this|coming|on)\\s+${WEEKDAY_SHORT}\\b\\.?${DAY_PART}`,
      'gi',
    ),
    weekdayCapitalised: true,
  },
  {
    regex: new RegExp(
      `\\b(?:the day (?:before|after) )?(?:yesterday|today|tonight|tomorrow)${DAY_PART}${AT_TIME}`,
      'gi',
    ),
  },
  {
    regex:
      /\b(?:last|next|this|coming|past)\s+(?:week(?:end)?|month|year|summer|winter|spring|fall|autumn|semester|term|season|night)\b/gi,
  },
  { regex: new RegExp(`\\b${COUNT}\\s+${UNIT}\\s+(?:ago|from now)\\b`, 'gi') },
  { regex: new RegExp(`\\bin\\s+${COUNT}\\s+${UNIT}\\b`, 'gi') },
  { regex: new RegExp(`\\b${HOLIDAY}\\b`, 'gi') },
  {
    regex:
      /\b(?:(?:back )?in|since|by|until|from|during|of|around|before|after)\s+(?:19|20)\d{2}\b/gi,
  },
  { regex: new RegExp(`\\b(?:at|by|around|before|after|until)\\s+${TIME}`, 'gi') },
  { regex: /\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b/gi },
];

const LEADING_PREPOSITION = /^(?:(?:back )?in|since|until|by|during|of|from|around|at)\s+/i;

/** A span of a sentence. */
export interface Span {
  text: string;
  start: number;
  end: number;
}

function overlaps(spans: readonly Span[], start: number, end: number): boolean {
  return spans.some((span) => start < span.end && end > span.start);
}

const DAY_MS = 86_400_000;

/** "8 May 2023" (UTC). */
export function formatDay(date: Date): string {
  const month = MONTHS[date.getUTCMonth()];
  return `${date.getUTCDate()} ${month[0].toUpperCase()}${month.slice(1)} ${date.getUTCFullYear()}`;
}

function formatMonth(date: Date): string {
  const month = MONTHS[date.getUTCMonth()];
  return `${month[0].toUpperCase()}${month.slice(1)} ${date.getUTCFullYear()}`;
}

const COUNT_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};

function shiftDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

function shiftMonths(date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}

/**
 * The calendar date a relative expression points at, from the message's own time ("yesterday"
 * said on 8 May 2023 is 7 May 2023); undefined when it is absolute or too vague.
 */
export function resolveRelativeDate(expression: string, now: Date): string | undefined {
  const text = expression.toLowerCase();
  if (/\byesterday\b/.test(text))
    return formatDay(shiftDays(now, text.includes('day before') ? -2 : -1));
  if (/\btomorrow\b/.test(text))
    return formatDay(shiftDays(now, text.includes('day after') ? 2 : 1));
  if (/\b(?:today|tonight)\b/.test(text)) return formatDay(now);
  const weekday = new RegExp(`\\b(last|next|this|coming)\\s+(${WEEKDAY}|${WEEKDAY_SHORT}\\b)`).exec(
    text,
  );
  if (weekday) {
    const name = SHORT_WEEKDAYS[weekday[2]] ?? weekday[2];
    const target = WEEKDAYS.indexOf(name);
    const today = (now.getUTCDay() + 6) % 7; // Monday = 0
    let delta = target - today;
    if (weekday[1] === 'last') delta = delta < 0 ? delta : delta - 7;
    else if (weekday[1] === 'next') delta = delta > 0 ? delta : delta + 7;
    else delta = delta >= 0 ? delta : delta + 7;
    return formatDay(shiftDays(now, delta));
  }
  const period = /\b(last|next|this|coming|past)\s+(week|month|year)\b/.exec(text);
  if (period) {
    const sign = period[1] === 'last' || period[1] === 'past' ? -1 : period[1] === 'this' ? 0 : 1;
    if (period[2] === 'year') return String(now.getUTCFullYear() + sign);
    if (period[2] === 'month') return formatMonth(shiftMonths(now, sign));
    const monday = shiftDays(now, -((now.getUTCDay() + 6) % 7) + 7 * sign);
    return `week of ${formatDay(monday)}`;
  }
  const offset = new RegExp(
    `\\b(?:in\\s+)?(a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\\d{1,3})\\s+(day|week|month|year)s?(\\s+(?:ago|from now))?`,
  ).exec(text);
  if (offset) {
    const amount = COUNT_WORDS[offset[1]] ?? Number(offset[1]);
    const sign = offset[3]?.includes('ago') ? -1 : 1;
    if (offset[2] === 'day') return formatDay(shiftDays(now, sign * amount));
    if (offset[2] === 'week') return `week of ${formatDay(shiftDays(now, sign * 7 * amount))}`;
    if (offset[2] === 'month') return formatMonth(shiftMonths(now, sign * amount));
    return String(now.getUTCFullYear() + sign * amount);
  }
  return undefined;
}

const MONTH_WORD = new RegExp(`\\b${MONTH}\\b`, 'i');

/** "May 8" is a date, "may be" is not: the month must be written with a capital. */
function monthCapitalised(text: string): boolean {
  const month = MONTH_WORD.exec(text);
  return month !== null && /^[A-Z]/.test(month[0]);
}

/**
 * Date and time expressions of a sentence, as written ("next Friday", "8 May 2023"), with the
 * date they resolve to in brackets when `now` is known and the expression is relative.
 */
export function findDates(sentence: string, now?: Date): Span[] {
  const found: Span[] = [];
  for (const { regex, capitalised, weekdayCapitalised } of DATE_PATTERNS) {
    for (const match of sentence.matchAll(regex)) {
      const start = match.index;
      const end = start + match[0].length;
      if (overlaps(found, start, end)) continue;
      if (capitalised && !monthCapitalised(match[0])) continue;
      if (weekdayCapitalised && !/\s[A-Z]/.test(match[0])) continue;
      let text = match[0].replace(/\s+/g, ' ').trim().replace(/\.$/, '');
      if (!/^(?:\d|last|next|this)/i.test(text)) text = text.replace(LEADING_PREPOSITION, '');
      const resolved = now ? resolveRelativeDate(text, now) : undefined;
      found.push({ text: resolved ? `${text} (${resolved})` : text, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------------------------------------
// Numbers

const SPELLED =
  '(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|a hundred|a thousand|a dozen|dozens of|hundreds of|thousands of)';
const NUMBER = '\\d[\\d,]*(?:\\.\\d+)?';
const UNIT_WORDS =
  '(?:km|kms|kilometers?|kilometres?|miles?|mi|m|meters?|metres?|cm|mm|ft|feet|foot|inches|inch|kg|kgs|kilos?|g|grams?|lbs?|pounds|oz|ounces?|l|liters?|litres?|ml|gallons?|hours?|hrs?|h|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|yrs?|gb|mb|tb|kb|mph|kmh|km\\/h|degrees?|°[cf]?|k|bn|million|billion|thousand)';
const COUNTED_GENERIC = new Set([
  'people',
  'times',
  'days',
  'weeks',
  'months',
  'years',
  'hours',
  'minutes',
  'guys',
  'things',
]);

const INTENSIFIER_PERCENT =
  /^\d+\s?(?:%|percent)\s+(?:agree|sure|certain|right|true|with|behind|committed|on board)\b/i;

const NUMBER_PATTERNS: RegExp[] = [
  new RegExp(
    `(?:[$€£¥]\\s?${NUMBER}(?:\\s?(?:k|m|bn|million|billion|thousand)\\b)?|\\b${NUMBER}\\s?(?:dollars|euros|pounds|bucks|usd|eur|gbp)\\b)(?:\\s+[a-z][a-z-]+)?`,
    'gi',
  ),
  new RegExp(`\\b${NUMBER}\\s?(?:%|percent\\b)`, 'gi'),
  new RegExp(`\\b${NUMBER}(?:\\s?-\\s?${NUMBER})?\\s?${UNIT_WORDS}\\b`, 'gi'),
  new RegExp(`\\b${NUMBER}(?:\\s?-\\s?${NUMBER})?\\s+(?:[a-z][a-z-]+\\s+)?[a-z][a-z-]+`, 'gi'),
  new RegExp(`\\b${SPELLED}\\s+(?:[a-z][a-z-]+\\s+)?[a-z][a-z-]*s\\b`, 'gi'),
];

/**
 * Numbers with what they count or measure ("$1,200 budget", "3 kids", "5 km", "20%"). Parts
 * of `exclude` (dates found earlier) are skipped; a bare number with no unit or noun is not kept.
 */
export function findNumbers(sentence: string, exclude: readonly Span[] = []): Span[] {
  const found: Span[] = [];
  for (const regex of NUMBER_PATTERNS) {
    for (const match of sentence.matchAll(regex)) {
      const start = match.index;
      let text = match[0].replace(/\s+/g, ' ').trim().replace(/\.$/, '');
      if (
        overlaps(exclude, start, start + text.length) ||
        overlaps(found, start, start + text.length)
      )
        continue;
      const words = text.split(' ');
      // Trailing words must be a noun-like content word: trim a stopword tail ("3 of", "2 and").
      while (words.length > 1 && !/[\d$€£¥%]/.test(words[words.length - 1])) {
        const last = words[words.length - 1].toLowerCase();
        const cls = wordClass(last);
        if (
          cls === 'content' ||
          COUNTED_GENERIC.has(last) ||
          new RegExp(`^${UNIT_WORDS}$`).test(last)
        )
          break;
        words.pop();
      }
      text = words.join(' ');
      if (!/[a-z%$€£¥]/i.test(text.replace(/^\d[\d,.]*/, ''))) continue; // a bare number
      // "I 100% agree": a figure of speech, not a figure.
      if (/%|percent/.test(text) && INTENSIFIER_PERCENT.test(sentence.slice(start))) continue;
      if (/^(?:19|20)\d{2}$/.test(words[0]) && words.length === 1) continue; // a year
      if (/^(?:19|20)\d{2}\s+[a-z]/i.test(text) && !/[$€£¥]/.test(text)) {
        const noun = words[1]?.toLowerCase() ?? '';
        if (wordClass(noun) !== 'content') continue;
      }
      found.push({ text, start, end: start + text.length });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------------------------------------
// Entities

const CONNECTORS = new Set(['of', 'the', 'de', 'del', 'la', 'le', 'van', 'von', 'der', 'for']);
const CALENDAR_WORDS = new Set<string>([
  ...WEEKDAYS,
  ...Object.keys(SHORT_WEEKDAYS),
  ...MONTHS,
  'christmas',
  'easter',
  'halloween',
  'thanksgiving',
]);

function isCapitalised(token: Token): boolean {
  return /^[\p{Lu}]/u.test(token.text) || /^[\p{Ll}]+[\p{Lu}]/u.test(token.text); // also "iPhone"
}

function isAcronym(token: Token): boolean {
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

// ---------------------------------------------------------------------------------------------
// Topic phrases

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

// ---------------------------------------------------------------------------------------------
// Sentence kinds

const DECISION_PATTERNS: RegExp[] = [
  /\b(?:i|we|they|you|he|she)(?:'ve| have| had)?\s+(?:finally\s+|just\s+|already\s+|now\s+)?decided\b/i,
  /\b(?:made|reached|make) (?:a|the|my|our) (?:decision|choice)\b/i,
  /\b(?:let's|we'll|we will|i'll|i will)\s+(?:just\s+)?go (?:with|for)\b/i,
  /\b(?:we|i)(?:'re| are|'m| am)\s+going (?:with|for)\b/i,
  /\b(?:we|i)\s+(?:chose|picked|opted (?:for|to)|settled on|went with|ended up (?:choosing|picking|going with))\b/i,
  /\b(?:it's|that's|it is|that is) (?:decided|settled|agreed)\b/i,
  /\b(?:we|they|both|all)\s+(?:all\s+|both\s+)?agreed\b/i,
  /^agreed\b/i,
  /\b(?:i|we)(?:'ll| will)\s+take\s+(?:the|it|that|this|them|one)\b/i,
  /\b(?:i|we)(?:'ll| will|'re going to| are going to|'m going to| am going to)\b.*\binstead\b/i,
  /\bmade up (?:my|our) minds?\b/i,
];

const ACTION_PATTERNS: RegExp[] = [
  // "I'll send it", not "I'll always remember", "I'll never forget" (feelings, not tasks).
  /\b(?:i|we)(?:'ll| will| shall)\s+(?:definitely\s+|also\s+|probably\s+|try to\s+)?(?!(?:always|never|ever|forever|remember|forget|love|miss|cherish|treasure|be (?:fine|ok|okay|good|great))\b)\w+/i,
  /\b(?:i|we)(?:'m| am|'re| are)\s+(?:going to|gonna|planning (?:to|on)|about to)\b/i,
  /\b(?:i|we)\s+(?:plan|intend|promise)\s+to\b/i,
  /\bremind me\b/i,
  /\b(?:i|we)\s+(?:still\s+)?(?:need|have|must|should)\s+to\b/i,
  /\b(?:don't forget|remember|make sure) to\b/i,
  /^(?:please|pls|kindly)\b/i,
  /\bplease\s+\w+.*\b(?:by|before|until)\b/i,
  /\b(?:todo|to-do|action item|follow[- ]up|deadline)\b/i,
];

const REQUEST_WITH_DEADLINE =
  /\b(?:can|could|would|will) you (?:please\s+)?\w+.*\b(?:by|before)\s+\w+/i;

export type SentenceKind = 'decision' | 'action' | 'question' | 'statement';

export function sentenceKind(sentence: string): SentenceKind {
  const question = /\?\s*["')]*$/.test(sentence);
  if (question) return REQUEST_WITH_DEADLINE.test(sentence) ? 'action' : 'question';
  if (DECISION_PATTERNS.some((pattern) => pattern.test(sentence))) return 'decision';
  if (ACTION_PATTERNS.some((pattern) => pattern.test(sentence))) return 'action';
  return 'statement';
}

/** Whether a reply opens like an answer ("Yes, ...", "Not yet", "Probably ..."). */
export function opensLikeAnswer(sentence: string): boolean {
  return /^(?:yes|yeah|yep|yup|no|nope|nah|sure|definitely|absolutely|of course|not yet|probably|maybe|i think|i guess|i believe|actually|it's|it is|it was|they are|they're)\b/i.test(
    sentence.trim(),
  );
}

const PAST_IRREGULAR =
  'went|got|had|made|took|saw|ran|bought|met|found|began|came|gave|left|won|lost|wrote|read|did|told|felt|heard|spent|built|drove|flew|ate|sang|swam|rode|sold|sent|kept|brought|caught|taught|paid|grew|knew|drew|threw|became|chose|broke|spoke|woke|wore|held|led|fell|hit|quit|slept|stood|been|done|gone|seen|taken|given|begun|won|thought';
const FIRST_PERSON_PAST = new RegExp(
  `\\b(?:i|we)(?:'ve| have| had|'d)?\\s+(?:(?:even|also|finally|recently|never|already|once|first|\\w+ly)\\s+)?(?:\\w+ed|${PAST_IRREGULAR})\\b`,
  'i',
);

/** Chat drops the subject: "Been busy with ...", "Just started yoga", "Had a wild week". */
const SUBJECTLESS_PAST = new RegExp(
  `^(?:(?:just|also|finally|recently|already)\\s+)?(?:been|\\w+ed|${PAST_IRREGULAR})\\b`,
  'i',
);

/** Something that happened to the speaker: "I adopted", "we went", "Just started yoga". */
export function isFirstPersonEvent(sentence: string): boolean {
  return FIRST_PERSON_PAST.test(sentence) || SUBJECTLESS_PAST.test(sentence);
}

/**
 * Replies about the other person ("Your courage is inspiring", "I'm so happy for you") rather
 * than facts of the speaker's own: second person, and no first-person event or possession.
 */
export function isReaction(sentence: string): boolean {
  return (
    /\b(?:you|your|you're|yours|yourself|you've|you'll|you'd|ya)\b/i.test(sentence) &&
    !/\b(?:my|our|mine)\b/i.test(sentence) &&
    !isFirstPersonEvent(sentence)
  );
}

/** Statements in the first person ("I adopted", "we moved", "my sister"). */
export function isFirstPerson(sentence: string): boolean {
  return /\b(?:i|we|my|our|i'm|i've|we've|we're|i'd|we'd)\b/i.test(sentence);
}

/** Mood categories a message signals. */
export function moodsOf(text: string): string[] {
  return Object.entries(MOOD_LEXICON)
    .filter(([, patterns]) => patterns.some((pattern) => pattern.test(text)))
    .map(([mood]) => mood);
}
