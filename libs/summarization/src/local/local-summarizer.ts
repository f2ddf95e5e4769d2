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
  RankedSummary,
  contextLine,
  fitToBudget,
  overallMood,
  participantLabels,
  rankSentences,
  salience,
} from './compose';
import { MOOD_LEXICON } from './lexicon';
import { KeptSentence, LocalState } from './local-state';
import { isParticipant, readMessage } from './local-reader';
import { MAX_ITEM_CHARS, NEAR_DUPLICATE, contentTerms, jaccard, truncate } from './text';

/**
 * Default self-limit: the rendered summary takes at most this share of the characters folded
 * so far (on top of `maxSummaryChars`), so a summary compresses whatever the service budget.
 */
export const DEFAULT_MAX_INPUT_RATIO = 0.2;
/**
 * Short inputs (under SMALL_INPUT_FLOOR / ratio characters) would get too little room for a
 * sentence: they may take a quarter of their length, up to SMALL_INPUT_FLOOR characters.
 */
export const SMALL_INPUT_FLOOR = 200;
const SMALL_INPUT_RATIO = 0.25;
/** Topics named in the context line (fewer when the budget is tight). */
const CONTEXT_TOPICS = 4;
/** Items inherited from another backend's summary start with this weight (already chosen). */
const SEEDED_BONUS = 1.5;

export interface LocalSummarizerOptions {
  /** Share of the input characters the summary may take (default DEFAULT_MAX_INPUT_RATIO). */
  maxInputRatio?: number;
}

/**
 * The `local` backend: extractive, deterministic, no network. Each fold reads only the new
 * messages and the bounded state kept in `memo` (term counts, entity/date/number tallies,
 * capped pools of candidate sentences and pending questions), then ranks and cuts to budget.
 *
 * Budget of the rendered text: `min(maxSummaryChars, max(ratio × C, min(200, C / 4)))`, C
 * being the characters of message content folded so far (kept in the memo) and ratio
 * `maxInputRatio` (0.2 by default): a summary stays that share of what it summarises whatever
 * the service's budget; inputs under 1,000 characters may take a quarter (at most 200).
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
      readMessage(state, message);
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
      Math.min(SMALL_INPUT_FLOOR, SMALL_INPUT_RATIO * state.seenChars),
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
   * candidates weighted up by SEEDED_BONUS (lists keeping their order), and the characters
   * folded so far are estimated from the summary's size (as if it were `ratio` of them) and
   * from the new messages' mean length.
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
    const seeded = (text: string): KeptSentence => ({
      text: truncate(text, MAX_ITEM_CHARS),
      speaker: '',
      index,
      bonus: SEEDED_BONUS,
    });
    state.keyPoints = sections.keyPoints.map(seeded);
    state.decisions = sections.decisions.map(seeded);
    state.actions = sections.actionItems.map(seeded);
    state.questions = sections.openQuestions.map((text) => ({ ...seeded(text), replies: 0 }));
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

  private compose(state: LocalState, budget: number): SummarySections {
    const labels = participantLabels(state);
    const names = new Set(labels.map((label) => label.toLowerCase()));
    const withSpeaker = labels.length >= 2;
    const show = (sentence: KeptSentence) =>
      withSpeaker && sentence.speaker ? `${sentence.speaker}: ${sentence.text}` : sentence.text;

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
      contexts: Array.from({ length: CONTEXT_TOPICS + 1 }, (_, i) =>
        contextLine(state, CONTEXT_TOPICS - i),
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
