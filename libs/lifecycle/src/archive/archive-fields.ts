import { ARCHIVE_FORMAT, ArchivedMessage, ArchiveManifest } from './archive-format';
import { isPlainObject, jsonValueProblem } from './archive-json';

// The fields of a message and of a manifest, their shape checks, and the problems they find.

/** A shape check of one field: a problem ("must be …") or null. */
export type FieldCheck = (value: unknown) => string | null;

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

const nonEmptyString: FieldCheck = (value) =>
  typeof value === 'string' && value.length > 0 ? null : 'must be a non-empty string';

const anyString: FieldCheck = (value) => (typeof value === 'string' ? null : 'must be a string');

const safeInteger: FieldCheck = (value) =>
  Number.isSafeInteger(value) ? null : 'must be a safe integer';

const positiveInteger: FieldCheck = (value) =>
  Number.isSafeInteger(value) && (value as number) > 0 ? null : 'must be a positive integer';

const isoTimestamp: FieldCheck = (value) =>
  typeof value === 'string' && ISO_TIMESTAMP.test(value) && Number.isFinite(Date.parse(value))
    ? null
    : 'must be an ISO 8601 timestamp';

const sha256Hex: FieldCheck = (value) =>
  typeof value === 'string' && SHA256_HEX.test(value) ? null : 'must be 64 lowercase hex digits';

const stringList: FieldCheck = (value) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0)
    ? null
    : 'must be a list of non-empty strings';

const metadataObject: FieldCheck = (value) => {
  if (value === null) {
    return null;
  }
  if (!isPlainObject(value)) {
    return 'must be null or a JSON object';
  }
  return jsonValueProblem(value, '');
};

const formatString: FieldCheck = (value) =>
  value === ARCHIVE_FORMAT ? null : `must be '${ARCHIVE_FORMAT}' (wrong format string)`;

/**
 * The fields of a message, in the fixed order of the canonical form and of the file, each with
 * its shape check. Typing it as a mapped type makes the compiler insist on every field.
 */
export const MESSAGE_FIELDS: { readonly [K in keyof ArchivedMessage]: FieldCheck } = {
  messageId: nonEmptyString,
  seq: safeInteger,
  userId: nonEmptyString,
  role: nonEmptyString,
  content: anyString,
  metadata: metadataObject,
  createdAt: isoTimestamp,
  ingestedAt: isoTimestamp,
};

/** The fields of a manifest, in file order, each with its shape check. */
export const MANIFEST_FIELDS: { readonly [K in keyof ArchiveManifest]: FieldCheck } = {
  format: formatString,
  tenantId: nonEmptyString,
  conversationId: nonEmptyString,
  userIds: stringList,
  messageCount: positiveInteger,
  firstSeq: safeInteger,
  lastSeq: safeInteger,
  firstCreatedAt: isoTimestamp,
  lastCreatedAt: isoTimestamp,
  archivedAt: isoTimestamp,
  revision: positiveInteger,
  contentSha256: sha256Hex,
};

export const MESSAGE_KEYS = Object.keys(MESSAGE_FIELDS) as (keyof ArchivedMessage)[];
export const MANIFEST_KEYS = Object.keys(MANIFEST_FIELDS) as (keyof ArchiveManifest)[];

/** A short, bounded rendering of a value for a problem message. */
export function describe(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Shape problems of one record against its field checks, unknown fields included. */
export function fieldProblems(
  where: string,
  record: unknown,
  fields: Readonly<Record<string, FieldCheck>>,
): string[] {
  if (!isPlainObject(record)) {
    return [`${where} must be an object (got ${describe(record)})`];
  }
  const problems: string[] = [];
  for (const [key, check] of Object.entries(fields)) {
    const present = Object.hasOwn(record, key);
    const problem = present ? check(record[key]) : 'is missing';
    if (problem !== null) {
      const got = present ? ` (got ${describe(record[key])})` : '';
      problems.push(`${where}.${key} ${problem}${got}`);
    }
  }
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(fields, key)) {
      problems.push(`${where} has an unknown field '${key}'`);
    }
  }
  return problems;
}

/**
 * Problems of a list of messages on its own: not a list, empty, malformed messages, and seqs or
 * messageIds used twice (messageId is unique per tenant, seq per conversation).
 */
export function messageListProblems(messages: unknown): string[] {
  if (!Array.isArray(messages)) {
    return [`messages must be a list (got ${describe(messages)})`];
  }
  if (messages.length === 0) {
    return ['archive holds no messages'];
  }
  const shapeProblems = messages.flatMap((message, index) =>
    fieldProblems(`messages[${index}]`, message, MESSAGE_FIELDS),
  );
  if (shapeProblems.length > 0) {
    return shapeProblems;
  }
  return duplicateProblems(messages as ArchivedMessage[]);
}

function duplicateProblems(messages: ArchivedMessage[]): string[] {
  const problems: string[] = [];
  const indexBySeq = new Map<number, number>();
  const seqByMessageId = new Map<string, number>();
  messages.forEach((message, index) => {
    const earlierIndex = indexBySeq.get(message.seq);
    if (earlierIndex !== undefined) {
      problems.push(`duplicate seq ${message.seq} (messages[${earlierIndex}] and [${index}])`);
    }
    const earlierSeq = seqByMessageId.get(message.messageId);
    if (earlierSeq !== undefined) {
      problems.push(
        `duplicate messageId '${message.messageId}' (seq ${earlierSeq} and seq ${message.seq})`,
      );
    }
    indexBySeq.set(message.seq, index);
    seqByMessageId.set(message.messageId, message.seq);
  });
  return problems;
}
