import { ID_MAX_LENGTH, isIdentifier } from '@memory/contracts';
import { CONTEXT_BUDGET } from '@memory/search-index';
import { z } from 'zod';
import { fieldErrors, inOrder, isoDate, RequestFieldError } from './search-request.dto';

const identifier = z.string().refine(isIdentifier, {
  message: `must be 1 to ${ID_MAX_LENGTH} letters, digits and . _ : @ -, starting with a letter or digit`,
  params: { code: 'INVALID_IDENTIFIER' },
});

/** The body of `POST /v1/context`. Strict: the tenant is the API key's, never the body's. */
export const contextRequestSchema = z
  .strictObject({
    query: z.string().trim().min(1).max(1000).describe('What the context is for, in plain words'),
    tokenBudget: z
      .number()
      .int()
      .min(CONTEXT_BUDGET.min)
      .max(CONTEXT_BUDGET.max)
      .default(CONTEXT_BUDGET.default)
      .describe('At most this many tokens (o200k_base) of rendered text'),
    conversationId: identifier
      .optional()
      .describe('The live conversation: its current summary comes first'),
    userId: z.string().min(1).max(128).optional().describe("Only this user's conversations"),
    from: isoDate.optional().describe('Evidence written at or after (ISO date or date-time)'),
    to: isoDate.optional().describe('Evidence written at or before'),
    readDates: z
      .boolean()
      .default(true)
      .describe(
        'Read the dates the query names ("on 3 June 2023", "last week"), as search does: ' +
          'evidence and conversations from then rank higher. false: the words are only words',
      ),
  })
  .refine(({ from, to }) => inOrder(from, to), {
    path: ['to'],
    message: 'must not be before from',
    params: { code: 'INVALID_RANGE' },
  });

export type ContextRequest = z.infer<typeof contextRequestSchema>;

export type ParsedContextRequest =
  { ok: true; request: ContextRequest } | { ok: false; errors: RequestFieldError[] };

/** Validates a context body into field errors as a search body is. */
export function parseContextRequest(body: unknown): ParsedContextRequest {
  const parsed = contextRequestSchema.safeParse(body);
  if (!parsed.success)
    return { ok: false, errors: fieldErrors(parsed.error.issues, 'a context request') };
  return { ok: true, request: parsed.data };
}
