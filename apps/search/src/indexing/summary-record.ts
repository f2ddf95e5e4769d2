import {
  jsonProblem,
  splitConversationKey,
  UNSTORABLE_TEXT_MESSAGE,
  ChatMessageErrorCode,
  conversationKey,
  MemorySummary,
  memorySummarySchema,
  TOMBSTONE_HEADERS,
} from '@memory/contracts';
import { KafkaMessage } from 'kafkajs';

/** Why a `memory.summaries.v1` record is dead-lettered (codes shared with the other DLQs). */
export type SummaryRecordErrorCode = Extract<
  ChatMessageErrorCode,
  'NOT_JSON' | 'INVALID_FIELDS' | 'KEY_MISMATCH'
>;

export interface ConversationRef {
  tenantId: string;
  conversationId: string;
}

/** One record of `memory.summaries.v1`, decoded. */
export type SummaryRecord =
  | { kind: 'summary'; summary: MemorySummary }
  | ({ kind: 'tombstone' } & ConversationRef)
  | { kind: 'invalid'; code: SummaryRecordErrorCode; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a record: a summary (UTF-8 JSON matching `memory.summary.v1`, keyed
 * `tenantId:conversationId` of its value), a tombstone (null value) and the conversation it
 * erases, or why neither.
 *
 * A tombstone's conversation comes from its `memory.tenant-id` / `memory.conversation-id`
 * headers (`TOMBSTONE_HEADERS`), which must give its key again. Without them, only a key with
 * exactly one `:` is accepted: ids may contain `:`, so `a:b:c` could be `a` + `b:c` or `a:b` +
 * `c`, and guessing could leave an erased conversation searchable or drop another one.
 */
export function decodeSummaryRecord(record: KafkaMessage): SummaryRecord {
  const key = decodeKey(record.key);
  if (record.value === null) return decodeTombstone(key, record.headers ?? {});

  let value: unknown;
  try {
    if (record.value.length === 0) throw new Error('empty value');
    value = JSON.parse(utf8.decode(record.value));
  } catch (error) {
    return invalid('NOT_JSON', `not UTF-8 JSON: ${String(error)}`);
  }
  const parsed = memorySummarySchema.safeParse(value);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 10)
      .map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`)
      .join('; ');
    return invalid('INVALID_FIELDS', reason);
  }
  const summary = parsed.data;
  if (jsonProblem(summary) !== undefined)
    return invalid(
      'INVALID_FIELDS',
      `a string ${UNSTORABLE_TEXT_MESSAGE}, or objects nested too deep`,
    );
  const expected = conversationKey(summary.tenantId, summary.conversationId);
  if (key !== expected)
    return invalid('KEY_MISMATCH', `key ${describe(key)} is not ${JSON.stringify(expected)}`);
  return { kind: 'summary', summary };
}

function decodeTombstone(
  key: string | null | undefined,
  headers: Record<string, Buffer | string | Array<Buffer | string> | undefined>,
): SummaryRecord {
  if (key === null || key === undefined)
    return invalid('KEY_MISMATCH', `tombstone with a ${describe(key)} key`);
  const tenantId = header(headers, TOMBSTONE_HEADERS.tenantId);
  const conversationId = header(headers, TOMBSTONE_HEADERS.conversationId);
  if (tenantId === undefined && conversationId === undefined) {
    const ids = splitConversationKey(key);
    if (!ids)
      return invalid(
        'KEY_MISMATCH',
        `tombstone without ${TOMBSTONE_HEADERS.tenantId}/${TOMBSTONE_HEADERS.conversationId} ` +
          `headers, and its key ${JSON.stringify(key.slice(0, 300))} is not tenantId:conversationId`,
      );
    return { kind: 'tombstone', ...ids };
  }
  if (!tenantId || !conversationId)
    return invalid(
      'KEY_MISMATCH',
      `tombstone headers ${TOMBSTONE_HEADERS.tenantId} and ${TOMBSTONE_HEADERS.conversationId} ` +
        'must both be set, once, to non-empty ids',
    );
  const expected = conversationKey(tenantId, conversationId);
  if (key !== expected)
    return invalid(
      'KEY_MISMATCH',
      `key ${JSON.stringify(key)} is not ${JSON.stringify(expected)} of the tombstone headers`,
    );
  return { kind: 'tombstone', tenantId, conversationId };
}

/** The key as text; null when absent, undefined when it is not UTF-8. */
function decodeKey(key: Buffer | null): string | null | undefined {
  if (key === null) return null;
  try {
    return utf8.decode(key);
  } catch {
    return undefined;
  }
}

/** A header's single value as text; '' when repeated or not UTF-8, undefined when absent. */
function header(
  headers: Record<string, Buffer | string | Array<Buffer | string> | undefined>,
  name: string,
): string | undefined {
  let value = headers[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length !== 1) return '';
    value = value[0];
  }
  if (typeof value === 'string') return value;
  try {
    return utf8.decode(value);
  } catch {
    return '';
  }
}

function describe(key: string | null | undefined): string {
  if (key === null) return 'missing';
  if (key === undefined) return 'non-UTF-8';
  return JSON.stringify(key);
}

function invalid(code: SummaryRecordErrorCode, reason: string): SummaryRecord {
  return { kind: 'invalid', code, reason: reason.slice(0, 1000) };
}
