import { SUMMARY_TIERS } from '@memory/contracts';
import { z } from 'zod';
import { SEARCH_MODES } from './search.constants';

/** One conversation found by a search. */
export const searchResultSchema = z.object({
  conversationId: z.string(),
  userId: z.string(),
  tier: z.enum(SUMMARY_TIERS),
  score: z
    .number()
    .describe(
      'keyword: BM25; semantic: (1 + cosine) / 2; hybrid: mean of both, each min-max normalized to 0..1',
    ),
  snippet: z
    .string()
    .describe('HTML: matched words in <em>…</em>, all else escaped; the start of the text if none'),
  highlights: z
    .record(z.string(), z.array(z.string()))
    .describe('Highlighted fragments by field (text, keyPoints), HTML as the snippet'),
  summary: z.object({ context: z.string(), keyPoints: z.array(z.string()) }),
  firstMessageAt: z.string().nullable(),
  lastMessageAt: z.string().nullable(),
  messageCount: z.number().int(),
  freshness: z
    .object({
      throughSeq: z.number().int().describe('Every message up to this seq is in the summary'),
      summaryUpdatedAt: z.string().describe('When the summary was made'),
      indexedAt: z.string().describe('When it reached the search index'),
    })
    .describe('How current the summary is'),
  version: z.number().int().describe('Summary version'),
});

export const searchResponseSchema = z.object({
  mode: z.enum(SEARCH_MODES),
  results: z.array(searchResultSchema),
  nextCursor: z
    .string()
    .optional()
    .describe('Send as cursor, with the same body otherwise, for the next page; absent at the end'),
});

export type SearchResult = z.infer<typeof searchResultSchema>;
export type SearchResponse = z.infer<typeof searchResponseSchema>;

export const SEARCH_REQUEST_EXAMPLE = {
  query: 'move dentist appointment to Friday',
  mode: 'hybrid',
  userId: 'user-7',
  from: '2026-04-01',
  k: 5,
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
    },
  ],
  nextCursor: 'eyJvZmZzZXQiOjUsIm1vZGUiOiJoeWJyaWQiLCJxdWVyeUhhc2giOiIuLi4ifQ',
};
