import { z } from 'zod';
import {
  INVALID_CHARACTERS,
  jsonProblem,
  storableString,
  UNSTORABLE_TEXT_MESSAGE,
} from '../storable-text';

export const CHAT_MESSAGE_SCHEMA = 'chat.message.v1';
export const ID_MAX_LENGTH = 128;
export const CONTENT_MAX_BYTES = 64 * 1024;
export const METADATA_MAX_BYTES = 8 * 1024;
/** How far ahead of the receiver's clock `createdAt` may be (clock skew), before it is refused. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;
/** The earliest `createdAt` accepted: the Unix epoch (every store and client library takes it). */
export const MIN_CREATED_AT = '1970-01-01T00:00:00Z';
/** The widest UTC offset Postgres accepts in a timestamp (±15:59). */
const MAX_OFFSET_MINUTES = 15 * 60 + 59;

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

/** Whether `value` is a message, conversation or user id the contract accepts. */
export function isIdentifier(value: string): boolean {
  return value.length >= 1 && value.length <= ID_MAX_LENGTH && SAFE_ID.test(value);
}
/**
 * A tenant id may not contain `:`, the separator of the record key `tenantId:conversationId`,
 * so that a key names one conversation of one tenant only (`a:b` + `c` and `a` + `b:c` would
 * otherwise share the key `a:b:c`).
 */
const SAFE_TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
export const CHAT_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

const identifier = z
  .string()
  .min(1)
  .max(ID_MAX_LENGTH)
  .regex(SAFE_ID, 'must start with a letter or digit and use only letters, digits and . _ : @ -');

const tenantIdentifier = z
  .string()
  .min(1)
  .max(ID_MAX_LENGTH)
  .regex(
    SAFE_TENANT_ID,
    'must start with a letter or digit and use only letters, digits and . _ @ - (no ":", the key separator)',
  );

const byteLength = (value: unknown): number =>
  Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/** Codes of the field errors of a refused message, next to the zod issue they come from. */
export const CHAT_MESSAGE_FIELD_CODES = {
  invalidCharacters: INVALID_CHARACTERS,
  contentTooLarge: 'CONTENT_TOO_LARGE',
  metadataTooLarge: 'METADATA_TOO_LARGE',
  metadataTooDeep: 'METADATA_TOO_DEEP',
  createdAtInFuture: 'CREATED_AT_IN_FUTURE',
  createdAtOutOfRange: 'CREATED_AT_OUT_OF_RANGE',
} as const;

function offsetMinutes(iso: string): number {
  const match = /([+-])(\d\d):(\d\d)$/.exec(iso);
  return match ? Number(match[2]) * 60 + Number(match[3]) : 0;
}

/** The value of a `chat.messages.v1` record, as upstream chat systems produce it. */
export const chatMessageSchema = z
  .object({
    schema: z.literal(CHAT_MESSAGE_SCHEMA),
    messageId: identifier,
    tenantId: tenantIdentifier,
    conversationId: identifier,
    userId: identifier,
    role: z.enum(CHAT_ROLES),
    content: storableString().refine((s) => Buffer.byteLength(s, 'utf8') <= CONTENT_MAX_BYTES, {
      message: `must be at most ${CONTENT_MAX_BYTES} bytes of UTF-8`,
      params: { code: CHAT_MESSAGE_FIELD_CODES.contentTooLarge },
    }),
    createdAt: z.iso
      .datetime({ offset: true })
      // A value that is no date-time is reported once, by the format check, not again here.
      .refine((s) => !(Date.parse(s) > Date.now() + MAX_FUTURE_SKEW_MS), {
        message: 'must not be more than 24 hours in the future',
        params: { code: CHAT_MESSAGE_FIELD_CODES.createdAtInFuture },
      })
      .refine(
        (s) =>
          Number.isNaN(Date.parse(s)) ||
          (Date.parse(s) >= Date.parse(MIN_CREATED_AT) && offsetMinutes(s) <= MAX_OFFSET_MINUTES),
        {
          message: `must be at or after ${MIN_CREATED_AT}, with a UTC offset within ±15:59`,
          params: { code: CHAT_MESSAGE_FIELD_CODES.createdAtOutOfRange },
        },
      ),
    metadata: z
      .record(z.string(), z.unknown())
      .refine((m) => jsonProblem(m) !== 'characters', {
        message: `keys and strings ${UNSTORABLE_TEXT_MESSAGE}`,
        params: { code: CHAT_MESSAGE_FIELD_CODES.invalidCharacters },
        abort: true,
      })
      .refine((m) => jsonProblem(m) !== 'depth', {
        message: 'must not nest objects and arrays more than 16 deep',
        params: { code: CHAT_MESSAGE_FIELD_CODES.metadataTooDeep },
        abort: true,
      })
      .refine((m) => byteLength(m) <= METADATA_MAX_BYTES, {
        message: `must serialize to at most ${METADATA_MAX_BYTES} bytes of JSON`,
        params: { code: CHAT_MESSAGE_FIELD_CODES.metadataTooLarge },
      })
      .optional(),
  })
  .strict();

export type ChatMessage = z.infer<typeof chatMessageSchema>;
