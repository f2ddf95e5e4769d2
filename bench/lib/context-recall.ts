// Context evidence recall: for each question, the share of its evidence turns that a context of
// `tokenBudget` tokens cites. The system's context comes from POST /v1/context (its items'
// messageIds); the bm25Turns baseline ranks the single raw turns of the question's LoCoMo file
// with BM25 and packs them best first into the same budget, each turn counted in o200k tokens
// (gpt-tokenizer) on the line a context shows for it.
import { LocomoConversation } from '@memory/datasets';
import { countTokens } from 'gpt-tokenizer';
import { bm25Index } from './bm25';
import { evidenceRecall, Question, TurnIds, turnTime } from './locomo-evidence';
import { average, round } from './retrieval-metrics';

export const CONTEXT_BUDGETS = [500, 1000, 2000] as const;
export type ContextBudget = (typeof CONTEXT_BUDGETS)[number];

/** One item of a POST /v1/context answer (the fields the evaluation reads). */
export interface ContextItem {
  kind: 'summary' | 'evidence';
  conversationId: string;
  messageIds: string[];
  tokens: number;
}

export interface ContextAnswer {
  budget: number;
  tokens: number;
  items: ContextItem[];
  text: string;
}

/** Per budget: mean evidence recall, and the mean tokens and items the contexts used. */
export interface ContextFigures {
  evidenceRecall: number;
  tokens: number;
  items?: number;
}

/** Asks POST /v1/context of the search service on `port` with a tenant's API key. */
export async function askContext(
  port: number,
  key: string,
  query: string,
  tokenBudget: number,
): Promise<ContextAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/context`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: query.slice(0, 1000), tokenBudget }),
  });
  if (!response.ok)
    throw new Error(
      `context ${tokenBudget} "${query}": HTTP ${response.status} ${await response.text()}`,
    );
  return (await response.json()) as ContextAnswer;
}

/** The dia_ids of the turns a context cites. */
export function citedTurns(answer: ContextAnswer, ids: TurnIds): string[] {
  return answer.items
    .flatMap((item) => item.messageIds ?? [])
    .map((id) => ids.diaId(id))
    .filter((id): id is string => id !== undefined);
}

/** Evidence recall of the system's contexts at every budget, question by question. */
export async function contextRecall(
  port: number,
  keyOf: (conversation: LocomoConversation) => string,
  questions: readonly Question[],
  onAnswer: () => void = () => undefined,
): Promise<Record<ContextBudget, ContextFigures>> {
  const ids = new Map<LocomoConversation, TurnIds>();
  const rows = new Map<ContextBudget, Array<{ recall: number; tokens: number; items: number }>>(
    CONTEXT_BUDGETS.map((budget) => [budget, []]),
  );
  for (const q of questions) {
    let turnIds = ids.get(q.conversation);
    if (!turnIds) ids.set(q.conversation, (turnIds = new TurnIds(q.conversation)));
    for (const budget of CONTEXT_BUDGETS) {
      const answer = await askContext(port, keyOf(q.conversation), q.question, budget);
      if (answer.tokens > budget)
        throw new Error(`context of "${q.question}" used ${answer.tokens} tokens of ${budget}`);
      rows.get(budget)!.push({
        recall: evidenceRecall(citedTurns(answer, turnIds), q.evidence),
        tokens: answer.tokens,
        items: answer.items.length,
      });
      onAnswer();
    }
  }
  return Object.fromEntries(
    CONTEXT_BUDGETS.map((budget) => {
      const list = rows.get(budget)!;
      return [
        budget,
        {
          evidenceRecall: round(average(list.map((row) => row.recall))),
          tokens: round(average(list.map((row) => row.tokens)), 1),
          items: round(average(list.map((row) => row.items)), 2),
        },
      ];
    }),
  ) as Record<ContextBudget, ContextFigures>;
}

/** A raw turn as a context line: `date speaker: text` (the date of the message, UTC). */
export function turnLine(createdAt: string, speaker: string, text: string): string {
  return `${createdAt.slice(0, 10)} ${speaker}: ${text.replace(/\s+/gu, ' ').trim()}`;
}

/**
 * The bm25Turns baseline: per LoCoMo file, BM25 over its single turns (`speaker: text`); per
 * question, the turns that score above 0, best first, each added while its line still fits in
 * the budget (a turn that does not fit is skipped, a shorter one after it may). Lines are
 * joined by newlines, which count too.
 */
export function bm25TurnsRecall(
  conversations: readonly LocomoConversation[],
  questions: readonly Question[],
): Record<ContextBudget, ContextFigures> {
  const rows = new Map<ContextBudget, Array<{ recall: number; tokens: number }>>(
    CONTEXT_BUDGETS.map((budget) => [budget, []]),
  );
  for (const conversation of conversations) {
    const ids = new TurnIds(conversation);
    const turns = conversation.sessions.flatMap((session) =>
      session.messages.map((message, i) => ({
        dia: ids.diaId(ids.messageId(session.number, i + 1))!,
        document: `${message.userId}: ${message.content}`,
        line: turnLine(turnTime(session, i), message.userId, message.content),
      })),
    );
    const tokens = turns.map((turn) => countTokens(`${turn.line}\n`));
    const index = bm25Index(turns.map((turn) => turn.document));
    for (const q of questions.filter((item) => item.conversation === conversation)) {
      const ranked = index.search(q.question).filter((hit) => hit.score > 0);
      for (const budget of CONTEXT_BUDGETS) {
        const cited: string[] = [];
        let used = 0;
        for (const hit of ranked) {
          if (used + tokens[hit.index] > budget) continue;
          used += tokens[hit.index];
          cited.push(turns[hit.index].dia);
        }
        rows.get(budget)!.push({ recall: evidenceRecall(cited, q.evidence), tokens: used });
      }
    }
  }
  return Object.fromEntries(
    CONTEXT_BUDGETS.map((budget) => {
      const list = rows.get(budget)!;
      return [
        budget,
        {
          evidenceRecall: round(average(list.map((row) => row.recall))),
          tokens: round(average(list.map((row) => row.tokens)), 1),
        },
      ];
    }),
  ) as Record<ContextBudget, ContextFigures>;
}
