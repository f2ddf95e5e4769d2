import { EnvReader } from '@memory/config';

/**
 * How ingest treats the key of a `chat.messages.v1` record (`INGEST_KEY_MODE`):
 * - `strict` (default): the key must be `tenantId:conversationId`, else the record is
 *   dead-lettered (KEY_MISMATCH). This is what keeps one conversation on one partition.
 * - `from-value`: for producers that cannot build that key (a null key, a user id, another
 *   system's id). Tenant and conversation come from the value; the message is stored and
 *   re-keyed `tenantId:conversationId` on `memory.messages.v1`.
 */
export const INGEST_KEY_MODES = ['strict', 'from-value'] as const;
export type IngestKeyMode = (typeof INGEST_KEY_MODES)[number];

export const INGEST_KEY_MODE = Symbol('INGEST_KEY_MODE');

export function readIngestKeyMode(read: EnvReader): IngestKeyMode {
  return read.oneOf('INGEST_KEY_MODE', INGEST_KEY_MODES, 'strict');
}
