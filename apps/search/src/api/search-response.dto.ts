import { SUMMARY_TIERS } from '@memory/contracts';
import { z } from 'zod';
import { SEARCH_MODES } from './search.constants';

/** One passage of raw messages (or, for an archived conversation, a part of its summary). */
export const evidenceSchema = z.object({
  seqFrom: z.number().int(),
  seqTo: z.number().int(),
  messageIds: z
    .array(z.string())
    .describe('The messages the passage holds, in seq order; empty for summary evidence'),
  speakers: z.array(z.string()).describe("A user's id for their messages, else the role"),
  at: z.string().nullable().describe('When the last of its messages was written'),
  text: z.string().describe('One line per message, `speaker: content` (plain text)'),
  highlights: z
    .array(z.string())
    .describe('Fragments of the text matching the query words, HTML as the snippet'),
  score: z
    .number()
    .describe(
      "The passage's fused score (its BM25 and k-NN lists, min-max normalized, weighted) in this " +
        'query; 0 for a passage found only by the per-conversation top-up',
    ),
  matchedBy: z
    .array(z.enum(['keyword', 'semantic']))
    .describe(
      'keyword: in the passage BM25 list or matching the query words; semantic: in the k-NN list (it has a vector)',
    ),
});

/**
 * One conversation found by a search. A conversation found through its passages before it has
 * a summary document has its summary fields null (tier, summary, messageCount, freshness,
 * version; the times too).
 */
export const searchResultSchema = z.object({
  conversationId: z.string(),
  userId: z.string(),
  tier: z.enum(SUMMARY_TIERS).nullable().describe('null: no summary yet'),
  score: z
    .number()
    .describe(
      'The weighted mean of the min-max normalized scores (0..1) over the lists of the mode ' +
        '(keyword: summary and passage BM25; semantic: summary and passage k-NN; hybrid: all ' +
        'four), doubled when it is from a period the query names (readDates), then raised by ' +
        'importance: × (1 + SEARCH_IMPORTANCE_BOOST × importance), so up to 2.2 by default',
    ),
  matchedBy: z
    .array(z.enum(['keyword', 'semantic', 'period']))
    .describe(
      'The lists that found the conversation: keyword (summary or passage BM25), semantic ' +
        '(summary or passage k-NN). Vectors follow the text by a moment (two-phase indexing): ' +
        'a conversation indexed just now is found by keyword before it can be found by meaning. ' +
        'period: its matching passages (or, without any, its summary) fall in a period the ' +
        'query names, which doubled its score',
    ),
  snippet: z
    .string()
    .describe('HTML: matched words in <em>…</em>, all else escaped; the start of the text if none'),
  highlights: z
    .record(z.string(), z.array(z.string()))
    .describe('Highlighted fragments by field (text, keyPoints), HTML as the snippet'),
  summary: z
    .object({ context: z.string(), keyPoints: z.array(z.string()) })
    .nullable()
    .describe('null: no summary yet'),
  firstMessageAt: z.string().nullable(),
  lastMessageAt: z.string().nullable(),
  messageCount: z.number().int().nullable(),
  freshness: z
    .object({
      throughSeq: z.number().int().describe('Every message up to this seq is in the summary'),
      summaryUpdatedAt: z.string().describe('When the summary was made'),
      indexedAt: z.string().describe('When it reached the search index'),
    })
    .nullable()
    .describe('How current the summary is'),
  version: z.number().int().nullable().describe('Summary version'),
  evidenceSource: z
    .enum(['messages', 'summary'])
    .describe(
      'messages: evidence is passages of raw messages; summary: the messages are archived, ' +
        "evidence comes from the summary's matching key points or text",
    ),
  evidence: z
    .array(evidenceSchema)
    .describe(
      "The conversation's best passages for the query, best first (request field evidence)",
    ),
});

/** A period of time the query named, as read (`readDates`). */
export const queryPeriodSchema = z.object({
  text: z.string().describe('The words of the query it was read from'),
  from: z.string().describe('Start, ISO 8601 UTC (a day named is widened by a day each side)'),
  to: z.string().describe('End (exclusive)'),
  everyYear: z
    .boolean()
    .describe(
      'Named without a year ("in June"): that month or day of every year; from/to show this year',
    ),
});

export const searchResponseSchema = z.object({
  mode: z.enum(SEARCH_MODES),
  periods: z
    .array(queryPeriodSchema)
    .optional()
    .describe(
      'The periods the query names, when it names any (readDates): conversations from them ' +
        'scored double (their matchedBy holds period)',
    ),
  results: z.array(searchResultSchema),
  nextCursor: z
    .string()
    .optional()
    .describe(
      'Send as cursor, with the same body otherwise, for the next page; absent at the end. The ' +
        'next page continues the ranking this page showed (kept for SEARCH_CURSOR_TTL_SECONDS ' +
        'after the last page; after that it ranks the query again)',
    ),
});

export type SearchResult = z.infer<typeof searchResultSchema>;
export type QueryPeriodView = z.infer<typeof queryPeriodSchema>;
export type Evidence = z.infer<typeof evidenceSchema>;
export type SearchResponse = z.infer<typeof searchResponseSchema>;

export const SEARCH_REQUEST_EXAMPLE = {
  query: 'move dentist appointment to Friday',
  mode: 'hybrid',
  userId: 'user-7',
  from: '2026-04-01',
  k: 5,
  evidence: 2,
};

export const SEARCH_RESPONSE_EXAMPLE: SearchResponse = {
  mode: 'hybrid',
  results: [
    {
      conversationId: 'conv-42',
      userId: 'user-7',
      tier: 'full',
      score: 0.87,
      snippet:
        'The user asked to move the <em>dentist</em> <em>appointment</em> to <em>Friday</em> at 10',
      highlights: {
        text: [
          'The user asked to move the <em>dentist</em> <em>appointment</em> to <em>Friday</em> at 10',
        ],
        keyPoints: ['<em>Appointment</em> moved to <em>Friday</em> 10:00'],
      },
      summary: {
        context: 'The user asked to move the dentist appointment to Friday at 10.',
        keyPoints: ['Appointment moved to Friday 10:00', 'Reminder wanted the day before'],
      },
      firstMessageAt: '2026-05-01T10:00:00.000Z',
      lastMessageAt: '2026-05-01T10:04:12.000Z',
      messageCount: 8,
      freshness: {
        throughSeq: 8,
        summaryUpdatedAt: '2026-05-01T10:05:00.000Z',
        indexedAt: '2026-05-01T10:05:01.000Z',
      },
      version: 2,
      matchedBy: ['keyword', 'semantic'],
      evidenceSource: 'messages',
      evidence: [
        {
          seqFrom: 3,
          seqTo: 6,
          messageIds: ['m-3', 'm-4', 'm-5', 'm-6'],
          speakers: ['user-7', 'assistant'],
          at: '2026-05-01T10:02:40.000Z',
          text:
            'user-7: Can you move my dentist appointment to Friday?\n' +
            'assistant: Friday at 10 works, shall I book it?\n' +
            'user-7: Yes please.\nassistant: Done: Friday 10:00 with Dr. Patel.',
          highlights: [
            'user-7: Can you move my <em>dentist</em> <em>appointment</em> to <em>Friday</em>?',
          ],
          score: 0.94,
          matchedBy: ['keyword', 'semantic'],
        },
      ],
    },
  ],
  nextCursor: 'eyJvZmZzZXQiOjUsIm1vZGUiOiJoeWJyaWQiLCJxdWVyeUhhc2giOiIuLi4ifQ',
};
