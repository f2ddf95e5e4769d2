import { formatBytes, MiB, RouteBodyLimit } from '@memory/runtime';

/** A batch of `POST /v1/messages`: hundreds of ordinary messages, or a few at their size limit. */
export const MESSAGES_BODY_LIMIT: RouteBodyLimit = {
  method: 'POST',
  path: '/v1/messages',
  limitBytes: 1 * MiB,
};

export const MESSAGES_BODY_LIMIT_TEXT = formatBytes(MESSAGES_BODY_LIMIT.limitBytes);
