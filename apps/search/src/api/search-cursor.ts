import { createHash } from 'node:crypto';
import { MAX_RESULTS } from '@memory/search-index';
import { z } from 'zod';
import type { SearchCriteria } from './search-request.dto';
import { SEARCH_MODES, SearchMode } from './search.constants';

/** What a cursor carries: where the next page starts, and which query it belongs to. */
export interface CursorState {
  offset: number;
  mode: SearchMode;
  queryHash: string;
  /**
   * Once the pages go past the first pages' ranking: how many of its results were shown before
   * (they stay first; see the search service). Absent while the pages are within it.
   */
  kept?: number;
  /**
   * When the query named a relative date ("yesterday"): the time it was read at (ms), so that
   * every page reads it alike, even past midnight.
   */
  datesAsOf?: number;
  /**
   * The key of the ranking the first page kept for its later pages (`KeptRankings`), when it
   * kept one: while it is kept they slice it instead of ranking the query again.
   */
  ranking?: string;
}

export type CursorCheck =
  | { ok: true; offset: number; kept?: number; datesAsOf?: number; ranking?: string }
  | { ok: false; code: 'INVALID_CURSOR' | 'CURSOR_MISMATCH'; message: string };

const cursorSchema = z.strictObject({
  offset: z
    .number()
    .int()
    .min(1)
    .max(MAX_RESULTS - 1),
  mode: z.enum(SEARCH_MODES),
  queryHash: z.string().min(1).max(64),
  kept: z
    .number()
    .int()
    .min(0)
    .max(MAX_RESULTS - 1)
    .optional(),
  datesAsOf: z.number().int().min(0).max(8_640_000_000_000_000).optional(),
  ranking: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .optional(),
});

/**
 * A short hash of everything that decides a query's ranking (text, mode, filters, page size):
 * a cursor only continues the query it came from.
 */
export function queryHash(
  criteria: Omit<SearchCriteria, 'evidence' | 'readDates'> & { readDates?: boolean },
): string {
  const { query, mode, userId, tier, from, to, k, minImportance, readDates } = criteria;
  const identity = JSON.stringify([
    query,
    mode,
    userId ?? null,
    tier ?? null,
    from ?? null,
    to ?? null,
    k,
    // Only when set, so the cursors of searches without it stay valid across this change.
    ...(minImportance !== undefined ? [minImportance] : []),
    ...(readDates === false ? ['noDates'] : []),
  ]);
  return createHash('sha256').update(identity, 'utf8').digest('base64url').slice(0, 22);
}

/**
 * Opaque to clients (base64url JSON), not signed: changing the offset only moves within the
 * same tenant's results of the same query, which the client could page to anyway.
 */
export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

/** Reads a cursor and checks that it continues the query it is sent with. */
export function decodeCursor(
  cursor: string,
  expected: { mode: SearchMode; queryHash: string },
): CursorCheck {
  let state: CursorState;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    state = cursorSchema.parse(decoded);
  } catch {
    return {
      ok: false,
      code: 'INVALID_CURSOR',
      message: 'is not a cursor returned by this API',
    };
  }
  if (state.mode !== expected.mode || state.queryHash !== expected.queryHash)
    return {
      ok: false,
      code: 'CURSOR_MISMATCH',
      message: 'belongs to another query: send it with the same query, mode, filters and k',
    };
  if (state.kept !== undefined && state.kept > state.offset)
    return { ok: false, code: 'INVALID_CURSOR', message: 'is not a cursor returned by this API' };
  return {
    ok: true,
    offset: state.offset,
    ...(state.kept !== undefined ? { kept: state.kept } : {}),
    ...(state.datesAsOf !== undefined ? { datesAsOf: state.datesAsOf } : {}),
    ...(state.ranking !== undefined ? { ranking: state.ranking } : {}),
  };
}
