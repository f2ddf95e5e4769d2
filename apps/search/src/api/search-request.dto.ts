import { SUMMARY_TIERS, SummaryTier } from '@memory/contracts';
import { z } from 'zod';
import { decodeCursor, queryHash } from './search-cursor';
import { DEFAULT_EVIDENCE, MAX_EVIDENCE, SEARCH_MODES, SearchMode } from './search.constants';

const DAY_MS = 86_400_000;

/** An ISO 8601 date or date-time with offset (a request's from/to). */
export const isoDate = z.string().refine((value) => parseIsoDate(value) !== undefined, {
  message: 'must be an ISO 8601 date (2026-05-01) or date-time with offset (2026-05-01T10:00:00Z)',
  params: { code: 'INVALID_DATE' },
});

/** The body of `POST /v1/search`. Strict: the tenant is the API key's, never the body's. */
export const searchRequestSchema = z
  .strictObject({
    query: z.string().trim().min(1).max(1000).describe('What to look for, in plain words'),
    mode: z
      .enum(SEARCH_MODES)
      .default('hybrid')
      .describe(
        'hybrid: BM25 and vector scores, normalized and averaged; semantic: vectors; keyword: BM25',
      ),
    userId: z.string().min(1).max(128).optional().describe("Only this user's conversations"),
    tier: z.enum(SUMMARY_TIERS).optional().describe('Only summaries of this tier'),
    minImportance: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        "Only conversations whose importance (retention's 0..1 score: pins, decisions, reads…) is at least this",
      ),
    from: isoDate.optional().describe('Last message at or after (ISO date or date-time)'),
    to: isoDate
      .optional()
      .describe('Last message at or before (a date without time includes that whole day)'),
    readDates: z
      .boolean()
      .default(true)
      .describe(
        'Read the dates the query names ("on 3 June 2023", "in March", "last week", "yesterday") ' +
          'and rank the conversations from then higher among those found (their score doubled); ' +
          'the periods read come back as periods. false: the words are only words',
      ),
    k: z.number().int().min(1).max(100).default(10).describe('Results per page'),
    evidence: z
      .number()
      .int()
      .min(0)
      .max(MAX_EVIDENCE)
      .default(DEFAULT_EVIDENCE)
      .describe('Passages of evidence per result, best first (0: none)'),
    cursor: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('nextCursor of the previous page, with the same query and filters'),
  })
  .refine(({ from, to }) => inOrder(from, to), {
    path: ['to'],
    message: 'must not be before from',
    params: { code: 'INVALID_RANGE' },
  });

/** What to search for and how: the validated body without its cursor. */
export interface SearchCriteria {
  query: string;
  mode: SearchMode;
  userId?: string;
  tier?: SummaryTier;
  minImportance?: number;
  from?: string;
  to?: string;
  readDates: boolean;
  k: number;
  evidence: number;
}

/** A validated search: the criteria and where the page starts (from the cursor). */
export interface SearchRequest extends SearchCriteria {
  offset: number;
  /** From the cursor: results of the first pages' ranking shown before it went deeper. */
  kept?: number;
  /** From the cursor: the time the first page read the query's dates at (ms). */
  datesAsOf?: number;
  /** From the cursor: the key of the ranking its pages slice (`KeptRankings`). */
  ranking?: string;
}

/** One problem with a request, named by field (dotted path) and a stable code. */
export interface RequestFieldError {
  field: string;
  code: string;
  message: string;
}

export type ParsedSearchRequest =
  { ok: true; request: SearchRequest } | { ok: false; errors: RequestFieldError[] };

/** Validates a search body, and its cursor against the rest of it. */
export function parseSearchRequest(body: unknown): ParsedSearchRequest {
  const parsed = searchRequestSchema.safeParse(body);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error.issues) };
  const { cursor, ...criteria } = parsed.data;
  if (cursor === undefined) return { ok: true, request: { ...criteria, offset: 0 } };
  const decoded = decodeCursor(cursor, { mode: criteria.mode, queryHash: queryHash(criteria) });
  if (!decoded.ok)
    return {
      ok: false,
      errors: [{ field: 'cursor', code: decoded.code, message: decoded.message }],
    };
  const { offset, kept, datesAsOf, ranking } = decoded;
  return {
    ok: true,
    request: {
      ...criteria,
      offset,
      ...(kept !== undefined ? { kept } : {}),
      ...(datesAsOf !== undefined ? { datesAsOf } : {}),
      ...(ranking !== undefined ? { ranking } : {}),
    },
  };
}

/** The mode a body asks for, for metrics of a request that did not validate. */
export function requestedMode(body: unknown): SearchMode | 'invalid' {
  const mode = (body as { mode?: unknown } | null | undefined)?.mode ?? 'hybrid';
  return SEARCH_MODES.find((candidate) => candidate === mode) ?? 'invalid';
}

/** Zod issues as field errors: dotted path, stable code (UNKNOWN_FIELD, TOO_BIG, …), message. */
export function fieldErrors(
  issues: readonly z.core.$ZodIssue[],
  request = 'a search request',
): RequestFieldError[] {
  return issues.flatMap((issue): RequestFieldError[] => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({
        field: [...issue.path, key].join('.'),
        code: 'UNKNOWN_FIELD',
        message:
          key === 'tenantId'
            ? "is not accepted: searches run in the API key's tenant"
            : `is not a field of ${request}`,
      }));
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    const custom = issue.code === 'custom' ? (issue.params?.code as unknown) : undefined;
    const code =
      issue.code !== 'custom'
        ? issue.code.toUpperCase()
        : typeof custom === 'string'
          ? custom
          : 'INVALID_VALUE';
    return [{ field, code, message: issue.message }];
  });
}

/** Whether `from` is not after `to` (a date alone spanning its day), either may be absent. */
export function inOrder(from: string | undefined, to: string | undefined): boolean {
  const start = from === undefined ? undefined : parseIsoDate(from, 'start');
  const end = to === undefined ? undefined : parseIsoDate(to, 'end');
  return start === undefined || end === undefined || start <= end;
}

/**
 * Epoch milliseconds of an ISO date (`2026-05-01`) or date-time with an offset; a date alone
 * stands for the start or the end of its day, as OpenSearch reads it in `gte` and `lte`.
 */
function parseIsoDate(value: string, edge: 'start' | 'end' = 'start'): number | undefined {
  if (z.iso.date().safeParse(value).success) {
    const start = Date.parse(`${value}T00:00:00Z`);
    if (Number.isNaN(start)) return undefined;
    return edge === 'start' ? start : start + DAY_MS - 1;
  }
  if (!z.iso.datetime({ offset: true }).safeParse(value).success) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
