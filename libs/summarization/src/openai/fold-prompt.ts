import { SummarySections } from '@memory/contracts';
import { SummaryDraft, SummaryInputMessage } from '../summarizer-backend';

export interface FoldPrompt {
  system: string;
  user: string;
}

/**
 * The chat prompt for one fold: a short fixed instruction (every call pays for it), the previous
 * summary as compact JSON of its non-empty sections, and the new messages one per line as
 * `[seq] userId (role): content` (`[seq, part i of n]` for the parts of a split message). Pure,
 * so a benchmark can price re-summarizing a full history (`previous = null`, every message)
 * against the rolling update.
 */
export function buildFoldPrompt(
  previous: SummaryDraft | null,
  messages: readonly SummaryInputMessage[],
  maxSummaryChars: number,
): FoldPrompt {
  const system =
    'You keep a running summary of a chat. Fold the new messages into the previous summary: ' +
    'keep what still matters, add new facts, drop pleasantries and small talk (greetings only: ' +
    'all fields empty). Reply with only a JSON object with exactly these keys: context (1-3 ' +
    'sentences), keyPoints, actionItems, openQuestions, lessons (what was learned: what worked, ' +
    'what failed, what to do differently), entities, dates, numbers (arrays of short strings, ' +
    'most important first), decisions (array of {"decision", "rationale"}: rationale is the ' +
    'reason given, or null), mood (string or null). ' +
    `Keep the whole summary under ${maxSummaryChars} characters.`;
  const lines = messages.map(
    (message) =>
      `[${message.seq}${partLabel(message)}] ${message.userId} (${message.role}): ${oneLine(message.content)}`,
  );
  const user = `Previous summary: ${renderPrevious(previous?.sections)}\nNew messages:\n${lines.join('\n')}`;
  return { system, user };
}

/** The usual rough token estimate (about four characters a token), for budgets before a call. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function renderPrevious(sections: SummarySections | undefined): string {
  if (!sections) return '(none)';
  const { rationales, ...rest } = sections;
  // Decisions as the reply gives them: with a rationale, `{decision, rationale}`.
  const shown = {
    ...rest,
    decisions: rest.decisions.map((decision) =>
      rationales?.[decision] ? { decision, rationale: rationales[decision] } : decision,
    ),
  };
  const kept = Object.fromEntries(
    Object.entries(shown).filter(([, value]) =>
      Array.isArray(value) ? value.length > 0 : typeof value === 'string' && value !== '',
    ),
  );
  return Object.keys(kept).length > 0 ? JSON.stringify(kept) : '(none)';
}

/** `, part 2 of 5` for a part of a message too long for one call; nothing otherwise. */
function partLabel(message: SummaryInputMessage): string {
  return message.part ? `, part ${message.part.index} of ${message.part.count}` : '';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
