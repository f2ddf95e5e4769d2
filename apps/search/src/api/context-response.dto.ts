import { z } from 'zod';
import { CONTEXT_BUDGET } from '@memory/search-index';

export const contextItemSchema = z.object({
  kind: z
    .enum(['summary', 'evidence', 'profile'])
    .describe(
      "summary: a conversation's current summary (the live one's, or an archived one's); " +
        'evidence: consecutive raw messages, overlapping passages merged; profile: the ' +
        "user's profile (with userId), one line per item with the conversations it came from",
    ),
  conversationId: z.string().describe('Empty for a profile'),
  seqFrom: z.number().int(),
  seqTo: z.number().int(),
  messageIds: z
    .array(z.string())
    .describe('The messages quoted, in seq order; empty for a summary'),
  at: z.string().nullable().describe('When the last message was written'),
  speakers: z.array(z.string()),
  text: z.string().describe("The item's text as in the rendered block, without its header"),
  tokens: z.number().int().describe("Tokens of the item's block (header included)"),
});

export const contextResponseSchema = z.object({
  budget: z.number().int(),
  tokens: z.number().int().describe('Tokens of text (o200k_base): never over budget'),
  items: z.array(contextItemSchema).describe('In the order of text'),
  text: z
    .string()
    .describe(
      'The blocks, separated by a blank line; each starts with its citation ' +
        '[conversationId#seqFrom-seqTo], what it is, the dates (UTC) and the speakers',
    ),
});

export type ContextResponse = z.infer<typeof contextResponseSchema>;

export const CONTEXT_REQUEST_EXAMPLE = {
  query: 'when is the dentist appointment?',
  tokenBudget: CONTEXT_BUDGET.default,
  conversationId: 'conv-57',
};

const SUMMARY_TEXT = 'The user is planning the week; asked about the dentist.';
const EVIDENCE_TEXT =
  'user-7: Can you move my dentist appointment to Friday?\n' +
  'assistant: Friday at 10 works, shall I book it?\n' +
  'user-7: Yes please.\n' +
  'assistant: Done: Friday 10:00 with Dr. Patel.';

export const CONTEXT_RESPONSE_EXAMPLE: ContextResponse = {
  budget: 1000,
  tokens: 104,
  items: [
    {
      kind: 'summary',
      conversationId: 'conv-57',
      seqFrom: 1,
      seqTo: 12,
      messageIds: [],
      at: '2026-05-03T09:12:00.000Z',
      speakers: ['user-7'],
      text: SUMMARY_TEXT,
      tokens: 38,
    },
    {
      kind: 'evidence',
      conversationId: 'conv-42',
      seqFrom: 3,
      seqTo: 6,
      messageIds: ['m-3', 'm-4', 'm-5', 'm-6'],
      at: '2026-05-01T10:02:40.000Z',
      speakers: ['user-7', 'assistant'],
      text: EVIDENCE_TEXT,
      tokens: 64,
    },
  ],
  text:
    `[conv-57#1-12] summary · 2026-05-03 09:00 – 09:12 UTC · user-7\n${SUMMARY_TEXT}\n\n` +
    `[conv-42#3-6] messages · 2026-05-01 10:01 – 10:02 UTC · user-7, assistant\n${EVIDENCE_TEXT}`,
};
