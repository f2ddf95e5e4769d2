import { MOOD_LEXICON } from './lexicon';

// What a sentence does (decides, commits, asks, states, reacts) and the moods it signals.

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
