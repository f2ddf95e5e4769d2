// Context evidence recall: for each question, the share of its evidence turns that a context of
// `tokenBudget` tokens cites. The system's context comes from POST /v1/context (its items'
// messageIds); the bm25Turns baseline ranks the single raw turns of the question's LoCoMo file
// with BM25 and packs them best first into the same budget, each turn counted in o200k tokens
// as the service renders it: a one-turn evidence block of its packer (header and line), blocks
// joined as it joins them.
import { LocomoConversation } from '@memory/datasets';
import {
  ContextCandidate,
  countContextTokens,
  packContext,
  PackedContext,
} from '@memory/search-index';
import { bm25Index } from './bm25';
import {
  conversationIdOf,
  evidenceRecall,
  Question,
  safeId,
  TurnIds,
  turnTime,
} from './locomo-evidence';
import { average, round } from './retrieval-metrics';

export const CONTEXT_BUDGETS = [500, 1000, 2000] as const;
export type ContextBudget = (typeof CONTEXT_BUDGETS)[number];

/** A POST /v1/context answer: the search service's packed context. */
export type ContextAnswer = PackedContext;

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

/** Tokens of a one-turn evidence block as the service renders it, and of its separator. */
function blockTokens(candidate: ContextCandidate): number {
  return packContext([candidate], 100_000).tokens;
}
/** Tokens between two blocks (the packer joins blocks with a blank line). */
const SEPARATOR_TOKENS = countContextTokens('\n\n');

/** A raw turn as the service's evidence candidate: `speaker: text` under a one-turn header. */
function turnCandidate(
  conversationId: string,
  seq: number,
  messageId: string,
  speaker: string,
  text: string,
  at: string,
): ContextCandidate {
  return {
    kind: 'evidence',
    conversationId,
    seqFrom: seq,
    seqTo: seq,
    messageIds: [messageId],
    speakers: [speaker],
    firstAt: at,
    lastAt: at,
    lines: [`${speaker}: ${text.replace(/\s+/gu, ' ').trim()}`],
  };
}

/**
 * The bm25Turns baseline: per LoCoMo file, BM25 over its single turns (`speaker: text`); per
 * question, the turns that score above 0, best first, each added while its block still fits in
 * the budget (a turn that does not fit is skipped, a shorter one after it may), as the service's
 * packer adds candidates. One-turn blocks never overlap, so none would be merged.
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
      session.messages.map((message, i) => {
        const messageId = ids.messageId(session.number, i + 1);
        const speaker = safeId(message.userId);
        return {
          dia: ids.diaId(messageId)!,
          document: `${speaker}: ${message.content}`,
          tokens: blockTokens(
            turnCandidate(
              conversationIdOf(session),
              i + 1,
              messageId,
              speaker,
              message.content,
              turnTime(session, i),
            ),
          ),
        };
      }),
    );
    const index = bm25Index(turns.map((turn) => turn.document));
    for (const q of questions.filter((item) => item.conversation === conversation)) {
      const ranked = index.search(q.question).filter((hit) => hit.score > 0);
      for (const budget of CONTEXT_BUDGETS) {
        const cited: string[] = [];
        let used = 0;
        for (const hit of ranked) {
          const cost = turns[hit.index].tokens + (cited.length > 0 ? SEPARATOR_TOKENS : 0);
          if (used + cost > budget) continue;
          used += cost;
          cited.push(turns[hit.index].dia);
          if (budget - used <= SEPARATOR_TOKENS) break;
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
