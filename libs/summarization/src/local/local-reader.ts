// Reading messages into the local summarizer's state: sentences and clauses, their content
// terms, entities, dates, numbers, topic phrases, sentence kinds and priors, open questions and
// tone. Cost is proportional to the message and the bounded state.
import { SummaryInputMessage } from '../summarizer-backend';
import {
  Phrase,
  findDates,
  findEntities,
  findNumbers,
  findPhrases,
  isFirstPerson,
  isFirstPersonEvent,
  isReaction,
  moodsOf,
  opensLikeAnswer,
  sentenceKind,
} from './extract';
import { KeptSentence, LocalState, phraseKey } from './local-state';
import {
  MAX_ITEM_CHARS,
  basePossessive,
  cleanSentence,
  contentTerms,
  normalizeText,
  splitClauses,
  splitSentences,
  stem,
  tokenize,
  truncate,
} from './text';

/** The participant label of assistant messages. */
export const ASSISTANT = 'assistant';
/** Sentences shorter than this (in words) are not key points on their own. */
const MIN_KEY_POINT_WORDS = 3;
/** Sentence priors (see sentenceBonus): added to 1 ... */
const SELF_WEIGHT = 0.5;
const EVENT_WEIGHT = 1;
const FACT_WEIGHT = 0.1;
/** ... or multiplying it. */
const REACTION_WEIGHT = 0.5;
const COMMITMENT_WEIGHT = 1.25;
const ASIDE_WEIGHT = 0.5;
const LEAD_WEIGHT = 1.25;

interface ReadSentence {
  raw: string;
  text: string;
  aside: boolean;
  terms: string[];
}

/** Reads one message into the state: counts, tallies, candidate sentences, questions, tone. */
export function readMessage(state: LocalState, message: SummaryInputMessage): void {
  state.messages += 1;
  state.seenChars += message.content.length;
  state.noteDay(message.createdAt);
  // System prompts and tool output are input, but not what the conversation said.
  if (message.role === 'system' || message.role === 'tool') return;
  const index = state.messages;
  const speaker = message.role === 'assistant' ? ASSISTANT : message.userId;
  const participant = state.participants.get(speaker);
  if (participant) participant.count += 1;
  else state.participants.set(speaker, { label: speaker, count: 1, first: index });

  const names = new Set([...state.participants.keys()].map((id) => id.toLowerCase()));
  const isName = (word: string) => isParticipant(word, names);
  const sentences: ReadSentence[] = splitSentences(normalizeText(message.content))
    .flatMap(({ text, aside }) => splitClauses(text).map((raw) => ({ raw, aside })))
    .map(({ raw, aside }) => {
      const text = cleanSentence(raw, isName);
      return { raw, text, aside, terms: contentTerms(text) };
    })
    .filter((sentence) => /[\p{L}\p{N}]/u.test(sentence.text));

  settleQuestions(state, speaker, sentences);
  countTerms(state, sentences, isName);
  const created = new Date(message.createdAt);
  keepSentences(state, sentences, {
    speaker,
    index,
    names,
    now: Number.isNaN(created.getTime()) ? undefined : created,
  });
  for (const mood of moodsOf(message.content)) {
    state.moods.set(mood, (state.moods.get(mood) ?? 0) + 1);
  }
}

/**
 * Counts, once per message, the content terms (asides at ASIDE_WEIGHT) and the topic phrases
 * (not from asides) of the message's sentences.
 */
function countTerms(
  state: LocalState,
  sentences: readonly ReadSentence[],
  isName: (word: string) => boolean,
): void {
  const terms = new Map<string, { surface: string; weight: number }>();
  const phrases = new Map<string, Phrase>();
  for (const sentence of sentences) {
    const own = new Set(sentence.terms);
    const weight = sentence.aside ? ASIDE_WEIGHT : 1;
    for (const token of tokenize(sentence.text)) {
      // The first surface form of a stem is the one shown.
      const term = stem(token.lower);
      if (!own.has(term)) continue;
      const seen = terms.get(term);
      if (!seen) terms.set(term, { surface: basePossessive(token.lower), weight });
      else seen.weight = Math.max(seen.weight, weight);
    }
    if (sentence.aside || sentence.terms.length === 0) continue;
    for (const phrase of findPhrases(sentence.text, isName)) {
      const key = phraseKey(phrase.text);
      const seen = phrases.get(key);
      if (!seen) phrases.set(key, phrase);
      else seen.nounish ||= phrase.nounish;
    }
  }
  for (const [term, { surface, weight }] of terms) state.countTerm(term, surface, weight);
  for (const phrase of phrases.values()) state.countPhrase(phrase.text, phrase.nounish);
}

/**
 * Tallies the entities, dates and numbers of the sentences worth keeping (with a content
 * word: greetings, thanks and "ok" are not) and files each sentence by kind as a candidate
 * key point, decision, action item or question.
 */
function keepSentences(
  state: LocalState,
  sentences: readonly ReadSentence[],
  from: { speaker: string; index: number; names: ReadonlySet<string>; now?: Date },
): void {
  let lead = true;
  for (const sentence of sentences) {
    if (sentence.terms.length === 0) continue;
    // The first such sentence of a message is its lead: where people put their news.
    const isLead = lead && !sentence.aside;
    if (!sentence.aside) lead = false;
    const dates = findDates(sentence.text, from.now);
    const numbers = findNumbers(sentence.text, dates);
    const { entities, capitalisedWords } = findEntities(sentence.text, {
      capitalisedInside: (word) => state.capitalised.get(word) ?? 0,
    });
    for (const word of capitalisedWords) {
      state.capitalised.set(word, (state.capitalised.get(word) ?? 0) + 1);
    }
    for (const entity of entities) {
      if (!isParticipant(entity.text, from.names)) {
        state.tally(state.entities, entity.text, from.index);
      }
    }
    for (const date of dates) state.tally(state.dates, date.text, from.index);
    for (const number of numbers) state.tally(state.numbers, number.text, from.index);

    const kind = sentenceKind(sentence.text);
    const kept: KeptSentence = {
      text: truncate(sentence.text, MAX_ITEM_CHARS),
      speaker: from.speaker,
      index: from.index,
      bonus: sentenceBonus(sentence, kind, from.speaker, isLead, {
        facts: entities.length + dates.length + numbers.length,
        dated: dates.length > 0,
      }),
    };
    const words = tokenize(sentence.text).length;
    switch (kind) {
      case 'question':
        if (words >= MIN_KEY_POINT_WORDS) state.questions.push({ ...kept, replies: 0 });
        break;
      case 'decision':
        state.decisions.push(kept);
        break;
      case 'action':
        state.actions.push(kept);
        break;
      case 'statement':
        if (words >= MIN_KEY_POINT_WORDS) state.keyPoints.push(kept);
        break;
    }
  }
}

/**
 * Drops the pending questions this message answers: another speaker's statement that shares
 * a content word with the question, or a first reply that opens like an answer ("Yes, ...",
 * "Not yet"). Questions that stay get one more unanswered reply.
 */
function settleQuestions(state: LocalState, speaker: string, sentences: ReadSentence[]): void {
  const statements = sentences.filter((s) => !s.text.endsWith('?'));
  const said = new Set(statements.flatMap((s) => s.terms));
  const opensAnswer = sentences.length > 0 && opensLikeAnswer(sentences[0].raw);
  state.questions = state.questions.filter((question) => {
    if (question.speaker === speaker) return true;
    if (contentTerms(question.text).some((term) => said.has(term))) return false;
    if (question.replies === 0 && opensAnswer && statements.length > 0) return false;
    question.replies += 1;
    return true;
  });
}

/**
 * Whether a word or entity names a participant: the participant's id, a short form of it
 * ("Sam" for "Samantha"), as people address each other, or a span with such a word in it
 * ("News John" from "Big news John!").
 */
export function isParticipant(text: string, names: ReadonlySet<string>): boolean {
  return text.split(/\s+/).some((word) => {
    const lower = word.toLowerCase();
    if (names.has(lower)) return true;
    // A short form only when written as a name ("Mel", not "car" for "caroline").
    return (
      /^\p{Lu}/u.test(word) && lower.length >= 3 && [...names].some((n) => n.startsWith(lower))
    );
  });
}

/**
 * Prior weight of a sentence. What people tell about themselves is what a conversation memory
 * is for: first-person statements weigh SELF_WEIGHT more, events ("I adopted", "we went last
 * week", "Just started yoga") EVENT_WEIGHT more; replies about the other person ("Your
 * courage is inspiring") weigh REACTION_WEIGHT (not for an assistant, whose answers are the
 * content); entities, numbers and dates add; decisions and commitments are what a summary is
 * for; bracketed asides (photo captions) are secondary to what was said; a message's first
 * sentence with content (its lead) is where people put their news.
 */
function sentenceBonus(
  sentence: ReadSentence,
  kind: ReturnType<typeof sentenceKind>,
  speaker: string,
  lead: boolean,
  found: { facts: number; dated: boolean },
): number {
  let bonus = 1 + FACT_WEIGHT * Math.min(3, found.facts);
  if (isFirstPersonEvent(sentence.text)) bonus += EVENT_WEIGHT;
  else if (isFirstPerson(sentence.text)) bonus += found.dated ? EVENT_WEIGHT : SELF_WEIGHT;
  if (speaker !== ASSISTANT && isReaction(sentence.text)) bonus *= REACTION_WEIGHT;
  if (kind === 'decision' || kind === 'action') bonus *= COMMITMENT_WEIGHT;
  if (sentence.aside) bonus *= ASIDE_WEIGHT;
  if (lead) bonus *= LEAD_WEIGHT;
  return Math.round(bonus * 100) / 100;
}
