import { SummarySections, emptySections, renderSummaryText } from '@memory/contracts';
import { performance } from 'node:perf_hooks';
import {
  FoldOptions,
  FoldResult,
  SummarizerBackend,
  SummaryDraft,
  SummaryInputMessage,
} from '../summarizer-backend';
import {
  NEAR_DUPLICATE,
  RankedSummary,
  contextLine,
  fitToBudget,
  overallMood,
  participantLabels,
  rankSentences,
  salience,
} from './compose';
import {
  findDates,
  findEntities,
  findNumbers,
  isFirstPerson,
  isFirstPersonEvent,
  moodsOf,
  opensLikeAnswer,
  sentenceKind,
} from './extract';
import { MOOD_LEXICON } from './lexicon';
import { KeptSentence, LocalState } from './local-state';
import {
  basePossessive,
  cleanSentence,
  contentTerms,
  jaccard,
  normalizeText,
  splitClauses,
  splitSentences,
  stem,
  tokenize,
  truncate,
  MAX_ITEM_CHARS,
} from './text';

/**
 * Default self-limit: the rendered summary takes at most this share of the characters folded
 * so far (on top of `maxSummaryChars`), so a summary compresses whatever the service budget.
 */
export const DEFAULT_MAX_INPUT_RATIO = 0.2;
/**
 * Below 2 × SMALL_INPUT_FLOOR characters of input the ratio would leave no room for a single
 * sentence: such conversations may use half their length, up to SMALL_INPUT_FLOOR.
 */
export const SMALL_INPUT_FLOOR = 200;
/** Topics named in the context line (fewer when the budget is tight). */
const CONTEXT_TOPICS = 4;
/** Sentences shorter than this (in words) are not key points on their own. */
const MIN_KEY_POINT_WORDS = 3;
/** Key points inherited from another backend's summary start with this weight. */
const SEEDED_BONUS = 1.5;
/** Weight of bracketed asides ("[shared a photo: ...]") against what was said. */
const ASIDE_WEIGHT = 0.5;
/** Weight of decisions and commitments against other statements. */
const COMMITMENT_WEIGHT = 1.25;

export interface LocalSummarizerOptions {
  /** Share of the input characters the summary may take (default DEFAULT_MAX_INPUT_RATIO). */
  maxInputRatio?: number;
}

interface ReadSentence {
  raw: string;
  text: string;
  aside: boolean;
  terms: string[];
}

/**
 * The `local` backend: extractive, deterministic, no network. Each fold reads only the new
 * messages and the bounded state kept in `memo` (term counts, entity/date/number tallies,
 * capped pools of candidate sentences and pending questions), then ranks and cuts to budget.
 *
 * Budget: `min(maxSummaryChars, max(ratio × chars folded so far, min(200, chars / 2)))`, ratio
 * being `maxInputRatio` (0.2 by default).
 */
export class LocalSummarizer implements SummarizerBackend {
  readonly name = 'local' as const;
  private readonly maxInputRatio: number;

  constructor(options: LocalSummarizerOptions = {}) {
    this.maxInputRatio = options.maxInputRatio ?? DEFAULT_MAX_INPUT_RATIO;
    if (!(this.maxInputRatio > 0)) throw new RangeError('maxInputRatio must be positive');
  }

  fold(
    previous: SummaryDraft | null,
    messages: readonly SummaryInputMessage[],
    options: FoldOptions,
  ): Promise<FoldResult> {
    const started = performance.now();
    const { state, previousChars } = this.startState(previous, messages);
    state.decayTerms(messages.length);
    let inputChars = previousChars;
    for (const message of messages) {
      inputChars += message.content.length;
      this.read(state, message);
    }
    const memo = state.toMemo((sentence) => salience(state, sentence));
    // Output comes from exactly what is stored, so the next fold continues from the same state.
    const kept = LocalState.fromMemo(memo) ?? state;
    const sections = this.compose(kept, this.budget(kept, options.maxSummaryChars));
    const outputChars = renderSummaryText(sections).length;
    return Promise.resolve({
      sections,
      memo,
      backend: this.name,
      cost: {
        inputTokens: 0,
        outputTokens: 0,
        inputChars,
        outputChars,
        durationMs: performance.now() - started,
      },
      retries: 0,
    });
  }

  /** The character budget of the rendered summary. */
  budget(state: Pick<LocalState, 'seenChars'>, maxSummaryChars: number): number {
    const relative = Math.max(
      this.maxInputRatio * state.seenChars,
      Math.min(SMALL_INPUT_FLOOR, state.seenChars / 2),
    );
    return Math.max(0, Math.floor(Math.min(maxSummaryChars, relative)));
  }

  private startState(
    previous: SummaryDraft | null,
    messages: readonly SummaryInputMessage[],
  ): { state: LocalState; previousChars: number } {
    if (!previous) return { state: new LocalState(), previousChars: 0 };
    const fromMemo = previous.memo === undefined ? null : LocalState.fromMemo(previous.memo);
    if (fromMemo) return { state: fromMemo, previousChars: JSON.stringify(previous.memo).length };
    return this.seed(previous, messages);
  }

  /**
   * State from a summary without a local memo (made by an LLM, say): its items become
   * candidates (key points weighted up by SEEDED_BONUS, lists keeping their order), and the
   * characters folded so far are estimated from the summary's size and the new messages.
   */
  private seed(
    previous: SummaryDraft,
    messages: readonly SummaryInputMessage[],
  ): { state: LocalState; previousChars: number } {
    const state = new LocalState();
    const sections = previous.sections;
    const rendered = renderSummaryText(sections);
    const meanChars =
      messages.length > 0
        ? messages.reduce((sum, m) => sum + m.content.length, 0) / messages.length
        : 0;
    state.messages = Math.max(0, previous.messageCount);
    state.seenChars = Math.round(
      Math.max(rendered.length / this.maxInputRatio, state.messages * meanChars),
    );
    const index = state.messages;
    const seeded = (text: string, bonus: number): KeptSentence => ({
      text,
      speaker: '',
      index,
      bonus,
    });
    state.keyPoints = sections.keyPoints.map((text) => seeded(text, SEEDED_BONUS));
    state.decisions = sections.decisions.map((text) => seeded(text, 1));
    state.actions = sections.actionItems.map((text) => seeded(text, 1));
    state.questions = sections.openQuestions.map((text) => ({ ...seeded(text, 1), replies: 0 }));
    const texts = [
      sections.context,
      ...sections.keyPoints,
      ...sections.decisions,
      ...sections.actionItems,
    ];
    for (const text of texts) {
      for (const term of contentTerms(text)) state.countTerm(term, term);
    }
    const tallyList = (target: LocalState['entities'], items: readonly string[]) =>
      items.forEach((text, rank) =>
        state.tally(target, text, index, 1 + (items.length - rank - 1) / items.length),
      );
    tallyList(state.entities, sections.entities);
    tallyList(state.dates, sections.dates);
    tallyList(state.numbers, sections.numbers);
    if (sections.mood && sections.mood in MOOD_LEXICON) state.moods.set(sections.mood, 3);
    return { state, previousChars: rendered.length };
  }

  /** Reads one message into the state. */
  private read(state: LocalState, message: SummaryInputMessage): void {
    state.messages += 1;
    state.seenChars += message.content.length;
    state.noteDay(message.createdAt);
    // System prompts and tool output are input, but not what the conversation said.
    if (message.role === 'system' || message.role === 'tool') return;
    const index = state.messages;
    const speaker = message.role === 'assistant' ? 'assistant' : message.userId;
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
      .filter((sentence) => sentence.text.length > 0);

    this.settleQuestions(state, speaker, sentences);

    const messageTerms = new Map<string, { surface: string; weight: number }>();
    for (const sentence of sentences) {
      const terms = new Set(sentence.terms);
      const weight = sentence.aside ? ASIDE_WEIGHT : 1;
      for (const token of tokenize(sentence.text)) {
        // The first surface form of a stem is the one the context line shows.
        const term = stem(token.lower);
        if (!terms.has(term)) continue;
        const seen = messageTerms.get(term);
        if (!seen) messageTerms.set(term, { surface: basePossessive(token.lower), weight });
        else seen.weight = Math.max(seen.weight, weight);
      }
    }
    for (const [term, { surface, weight }] of messageTerms) state.countTerm(term, surface, weight);

    const now = new Date(message.createdAt);
    const when = Number.isNaN(now.getTime()) ? undefined : now;
    for (const sentence of sentences) {
      // A sentence with no content word (greetings, thanks, "ok") is not worth keeping.
      if (sentence.terms.length === 0) continue;
      const dates = findDates(sentence.text, when);
      const numbers = findNumbers(sentence.text, dates);
      const { entities, capitalisedWords } = findEntities(sentence.text, {
        capitalisedInside: (word) => state.capitalised.get(word) ?? 0,
      });
      for (const word of capitalisedWords) {
        state.capitalised.set(word, (state.capitalised.get(word) ?? 0) + 1);
      }
      for (const entity of entities) {
        if (!isParticipant(entity.text, names)) state.tally(state.entities, entity.text, index);
      }
      for (const date of dates) state.tally(state.dates, date.text, index);
      for (const number of numbers) state.tally(state.numbers, number.text, index);

      const kind = sentenceKind(sentence.text);
      const kept: KeptSentence = {
        text: truncate(sentence.text, MAX_ITEM_CHARS),
        speaker,
        index,
        bonus: sentenceBonus(sentence, kind, {
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
    for (const mood of moodsOf(message.content)) {
      state.moods.set(mood, (state.moods.get(mood) ?? 0) + 1);
    }
  }

  /**
   * Drops the pending questions this message answers: another speaker's statement that shares
   * a content word with the question, or a first reply that opens like an answer ("Yes, ...",
   * "Not yet"). Questions that stay get one more unanswered reply.
   */
  private settleQuestions(state: LocalState, speaker: string, sentences: ReadSentence[]): void {
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

  private compose(state: LocalState, budget: number): SummarySections {
    const labels = participantLabels(state);
    const names = new Set(labels.map((label) => label.toLowerCase()));
    const withSpeaker = labels.length >= 2;
    const show = (sentence: KeptSentence) =>
      withSpeaker && !process.env.NOSPK && sentence.speaker
        ? `${sentence.speaker}: ${sentence.text}`
        : sentence.text;

    const sentences = rankSentences(state, [
      ['keyPoints', state.keyPoints],
      ['decisions', state.decisions],
      ['actionItems', state.actions],
    ]).map(({ section, sentence }) => ({ section, text: show(sentence) }));
    const openQuestions: KeptSentence[] = [];
    for (const question of [...state.questions].sort((a, b) => b.index - a.index)) {
      const terms = contentTerms(question.text);
      const repeated = openQuestions.some(
        (other) => jaccard(contentTerms(other.text), terms) >= NEAR_DUPLICATE,
      );
      if (!repeated) openQuestions.push(question);
    }
    const tallies = (target: LocalState['entities']) =>
      state
        .ranked(target)
        .map((tally) => tally.text)
        .filter((text) => !isParticipant(text, names));
    const ranked: RankedSummary = {
      // The longest first: as many topics as fit the context's share of the budget.
      contexts: Array.from({ length: Number(process.env.CT ?? CONTEXT_TOPICS) + 1 }, (_, i) =>
        contextLine(state, Number(process.env.CT ?? CONTEXT_TOPICS) - i),
      ),
      sentences,
      openQuestions: openQuestions.map(show),
      entities: tallies(state.entities),
      dates: tallies(state.dates),
      numbers: tallies(state.numbers),
      mood: overallMood(state),
    };
    const lists = [ranked.sentences, ranked.openQuestions, ranked.entities];
    if ([...lists, ranked.dates, ranked.numbers].every((list) => list.length === 0)) {
      return emptySections();
    }
    return fitToBudget(ranked, budget);
  }
}

/**
 * Whether an entity names a participant: the participant's id, or a short form of it
 * ("Sam" for "Samantha"), as people address each other.
 */
function isParticipant(text: string, names: ReadonlySet<string>): boolean {
  const lower = text.toLowerCase();
  if (names.has(lower)) return true;
  if (lower.length < 3 || /\s/.test(lower)) return false;
  return [...names].some((name) => name.startsWith(lower));
}

/**
 * Prior weight of a sentence. First-person statements ("I adopted", "we moved") are the
 * facts of a conversation, more so when dated (events); entities, numbers and dates add;
 * decisions and commitments are what a summary is for; bracketed asides (photo captions)
 * are secondary to what was said.
 */
function sentenceBonus(
  sentence: ReadSentence,
  kind: ReturnType<typeof sentenceKind>,
  found: { facts: number; dated: boolean },
): number {
  let bonus = 1 + 0.1 * Math.min(3, found.facts);
  if (isFirstPerson(sentence.text)) {
    bonus += found.dated || isFirstPersonEvent(sentence.text) ? 0.5 : 0.25;
  }
  if (kind === 'decision' || kind === 'action') bonus *= COMMITMENT_WEIGHT;
  if (sentence.aside) bonus *= ASIDE_WEIGHT;
  return Math.round(bonus * 100) / 100;
}
