import { formatBytes, KiB, RouteBodyLimit } from '@memory/runtime';

/** A search request: a query of at most 1,000 characters, filters and a cursor fit many times. */
export const SEARCH_BODY_LIMIT: RouteBodyLimit = {
  method: 'POST',
  path: '/v1/search',
  limitBytes: 16 * KiB,
};

export const SEARCH_BODY_LIMIT_TEXT = formatBytes(SEARCH_BODY_LIMIT.limitBytes);

/** A context request: a query of at most 1,000 characters, a budget and a few ids. */
export const CONTEXT_BODY_LIMIT: RouteBodyLimit = {
  method: 'POST',
  path: '/v1/context',
  limitBytes: 16 * KiB,
};

export const CONTEXT_BODY_LIMIT_TEXT = formatBytes(CONTEXT_BODY_LIMIT.limitBytes);
