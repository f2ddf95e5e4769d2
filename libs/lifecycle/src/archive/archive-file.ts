import { createHash, randomBytes } from 'node:crypto';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';

/**
 * The on-disk format of a conversation's raw-message archive.
 *
 * Raw messages of old conversations are written to one gzip JSON file per conversation before
 * their Postgres rows are deleted. Once the rows are gone the file is the only copy, so a write
 * is crash-safe (temp file in the same directory, fsync, rename, fsync of the directory) and
 * verified by reading the file back. The manifest at the head of the file repeats what the
 * messages say (counts, seq range, users, a content hash), so a reader can tell a damaged or
 * edited archive from a good one without the database.
 */

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/** Format version string stored in every archive; a reader rejects any other. */
export const ARCHIVE_FORMAT = 'memory.archive.v1';

/** Suffix of an archive file; {@link listArchives} only sees files with it. */
export const ARCHIVE_SUFFIX = '.json.gz';

/** One raw message as archived; timestamps are ISO 8601 strings. */
export interface ArchivedMessage {
  messageId: string;
  seq: number;
  userId: string;
  role: string;
  content: string;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  ingestedAt: string;
}

/** The head of an archive: what the messages below it must add up to. */
export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  tenantId: string;
  conversationId: string;
  /** Distinct authors of the messages, sorted. */
  userIds: string[];
  messageCount: number;
  firstSeq: number;
  lastSeq: number;
  /** Earliest `createdAt` of the messages (by time, not by seq). */
  firstCreatedAt: string;
  /** Latest `createdAt` of the messages (by time, not by seq). */
  lastCreatedAt: string;
  archivedAt: string;
  /** 1 for a conversation's first archive, +1 each time it is rewritten with more messages. */
  revision: number;
  /** Hex sha256 of {@link canonicalMessagesJson} of the messages. */
  contentSha256: string;
}

export interface ArchiveDocument {
  manifest: ArchiveManifest;
  messages: ArchivedMessage[];
}

/** What {@link writeArchive} wrote: enough to record the archive and verify it later. */
export interface WrittenArchive {
  /** Absolute path of the archive file. */
  path: string;
  relativePath: string;
  /** Hex sha256 of the gzip file's bytes. */
  sha256: string;
  bytes: number;
  manifest: ArchiveManifest;
}

export interface WriteArchiveOptions {
  /** Called after the temp file is written and synced, before it replaces the final path. */
  beforeRename?: () => Promise<void>;
}

/** What a reader may already know about an archive (from the database). */
export interface ArchiveExpectations {
  /** Hex sha256 of the file's bytes. */
  sha256?: string;
  /** The manifest the file must hold, field by field. */
  manifest?: ArchiveManifest;
}

/** Outcome of {@link verifyArchiveBytes}: `document` is set only when there are no problems. */
export interface ArchiveBytesVerification {
  sha256: string;
  problems: string[];
  document: ArchiveDocument | null;
}

/** An archive file that is missing, damaged, or does not add up; `problems` says how. */
export class ArchiveVerificationError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`archive ${path} failed verification: ${problems.join('; ')}`);
    this.name = 'ArchiveVerificationError';
  }
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/**
 * Longest file or directory name we create. Most file systems allow 255 bytes; the temp file
 * of an archive adds a leading dot and `.<16 hex>.tmp` to the archive's name, so the encoded
 * conversation id gets what remains.
 */
const MAX_NAME_BYTES = 255;
const TEMP_DECORATION_BYTES = '.'.length + '.'.length + 16 + '.tmp'.length;
const MAX_CONVERSATION_SEGMENT_BYTES =
  MAX_NAME_BYTES - ARCHIVE_SUFFIX.length - TEMP_DECORATION_BYTES;

/** Bytes kept as they are in a path segment: they mean nothing special to any file system. */
const SAFE_BYTE = /^[A-Za-z0-9_.-]$/;
const DOT = 0x2e;

/**
 * Encodes an id (tenant, conversation) into one path segment that cannot climb out of its
 * directory or hide: `[A-Za-z0-9_.-]` stay, every other byte of the UTF-8 form becomes `%XX`,
 * and so does a leading dot (so `.`, `..` and hidden names cannot occur). The encoding is
 * one-to-one, so {@link decodePathSegment} recovers the id from a file name.
 */
export function encodePathSegment(id: string): string {
  if (id.length === 0) {
    throw new Error('cannot encode an empty id as a path segment');
  }
  const utf8 = Buffer.from(id, 'utf8');
  if (utf8.toString('utf8') !== id) {
    throw new Error(`cannot encode id ${JSON.stringify(id)}: it holds an unpaired surrogate`);
  }
  let segment = '';
  utf8.forEach((byte, index) => {
    segment += encodeByte(byte, index === 0);
  });
  return segment;
}

function encodeByte(byte: number, leading: boolean): string {
  const char = String.fromCharCode(byte);
  const keep = byte < 0x80 && SAFE_BYTE.test(char) && !(leading && byte === DOT);
  return keep ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * The id a path segment made by {@link encodePathSegment} stands for. Throws on anything that
 * encoding could not have produced (stray characters, bad escapes, lowercase hex, invalid
 * UTF-8), so two different segments never decode to the same id.
 */
export function decodePathSegment(segment: string): string {
  const bytes = segmentBytes(segment);
  let id: string;
  try {
    // ignoreBOM keeps a leading U+FEFF: it is part of the id, not a byte order mark.
    id = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`path segment '${segment}' does not decode to UTF-8 text`);
  }
  if (id.length === 0 || encodePathSegment(id) !== segment) {
    throw new Error(`path segment '${segment}' is not in the canonical encoding`);
  }
  return id;
}

function segmentBytes(segment: string): Uint8Array {
  const bytes: number[] = [];
  for (let index = 0; index < segment.length; index += 1) {
    const char = segment[index];
    if (char === '%') {
      const hex = segment.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new Error(`path segment '${segment}' has a bad escape at offset ${index}`);
      }
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else if (SAFE_BYTE.test(char)) {
      bytes.push(char.charCodeAt(0));
    } else {
      throw new Error(`path segment '${segment}' holds '${char}', which encoding never keeps`);
    }
  }
  return Uint8Array.from(bytes);
}

/** Hex digits of the sha256 of the exact id that end a hashed file name (128 bits). */
const NAME_HASH_HEX = 32;
/**
 * Separates the readable prefix of a hashed name from its hash. Encoding never keeps `~`, so a
 * hashed name can never equal a plain one.
 */
const HASH_SEPARATOR = '~';
const UPPERCASE = /[A-Z]/;

/**
 * The file or directory name of an id: its {@link encodePathSegment} form when that is short
 * enough and holds no uppercase letter (such names are told apart on a file system that
 * ignores letter case too: an escape's hex is uppercase by rule, so lowercasing them stays
 * one-to-one). Otherwise a hashed name: the encoded id, lowercased and cut to leave room
 * (never inside an escape), then `~` and 32 hex digits of the sha256 of the exact id. So
 * `Conv-A` and `conv-a` get different names on any file system, and an id of any length gets
 * a name within `maxBytes`.
 */
export function archiveNameSegment(id: string, maxBytes: number): string {
  const encoded = encodePathSegment(id);
  if (encoded.length <= maxBytes && !UPPERCASE.test(id)) return encoded;
  const hash = createHash('sha256').update(id, 'utf8').digest('hex').slice(0, NAME_HASH_HEX);
  const room = maxBytes - HASH_SEPARATOR.length - NAME_HASH_HEX;
  let prefix = encoded.slice(0, room);
  // Cut before a partial escape, so the prefix stays readable as the start of the id.
  const escape = prefix.lastIndexOf('%');
  if (escape >= 0 && escape > prefix.length - 3) prefix = prefix.slice(0, escape);
  return `${prefix.toLowerCase()}${HASH_SEPARATOR}${hash}`;
}

/**
 * Where a new archive of a conversation goes under the archive root:
 * `<tenant>/<yyyy>/<mm>/<conversation>.json.gz`, with the month (UTC) of its first message, so
 * a directory holds a bounded number of files and old months can be handled as a whole. Each
 * id becomes a name by {@link archiveNameSegment}: bounded, and unique even where letter case
 * is ignored. An archive already recorded keeps the path in its record (older archives may
 * have names made by an earlier rule), so this is used only for a conversation's first one.
 */
export function archiveRelativePath(
  tenantId: string,
  conversationId: string,
  firstMessageAt: Date,
): string {
  if (Number.isNaN(firstMessageAt.getTime())) {
    throw new Error(`cannot place the archive of conversation '${conversationId}': invalid date`);
  }
  const tenant = archiveNameSegment(tenantId, MAX_NAME_BYTES);
  const conversation = archiveNameSegment(conversationId, MAX_CONVERSATION_SEGMENT_BYTES);
  const year = String(firstMessageAt.getUTCFullYear()).padStart(4, '0');
  const month = String(firstMessageAt.getUTCMonth() + 1).padStart(2, '0');
  return `${tenant}/${year}/${month}/${conversation}${ARCHIVE_SUFFIX}`;
}

/**
 * The absolute path of `relativePath` under `root`. Only plain `/`-separated segments are
 * accepted (no `.`, `..`, empty segments, backslashes or absolute paths): a path from the
 * database must never reach outside the archive root.
 */
function resolveArchivePath(root: string, relativePath: string): string {
  const segments = relativePath.split('/');
  const unsafe = segments.some(
    (segment) =>
      segment === '' ||
      segment === '.' ||
      segment === '..' ||
      segment.includes('\\') ||
      segment.includes('\0'),
  );
  if (relativePath.length === 0 || isAbsolute(relativePath) || unsafe) {
    throw new Error(`archive path '${relativePath}' is not a plain relative path under the root`);
  }
  return join(resolve(root), ...segments);
}

function assertArchiveName(path: string): void {
  if (!path.endsWith(ARCHIVE_SUFFIX)) {
    throw new Error(`archive path ${path} must end with ${ARCHIVE_SUFFIX}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON and the manifest
// ---------------------------------------------------------------------------------------------

/** A shape check of one field: a problem ("must be …") or null. */
type FieldCheck = (value: unknown) => string | null;

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
const MESSAGE_FIELDS: { readonly [K in keyof ArchivedMessage]: FieldCheck } = {
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
const MANIFEST_FIELDS: { readonly [K in keyof ArchiveManifest]: FieldCheck } = {
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

const MESSAGE_KEYS = Object.keys(MESSAGE_FIELDS) as (keyof ArchivedMessage)[];
const MANIFEST_KEYS = Object.keys(MANIFEST_FIELDS) as (keyof ArchiveManifest)[];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The first part of `value` that JSON cannot carry as it is (undefined, NaN, a Date, a class
 * instance…), or null. Such a value would change on its way through the file, and the content
 * hash would no longer match, so it is refused up front with a path to the culprit.
 */
function jsonValueProblem(value: unknown, path: string): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return null;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : `holds a non-finite number at '${path}'`;
  }
  if (Array.isArray(value)) {
    return firstProblem(value.map((item, index) => jsonValueProblem(item, `${path}[${index}]`)));
  }
  if (isPlainObject(value)) {
    return firstProblem(
      Object.entries(value).map(([key, item]) => jsonValueProblem(item, `${path}.${key}`)),
    );
  }
  return `holds a value JSON cannot carry (${typeof value}) at '${path}'`;
}

function firstProblem(problems: (string | null)[]): string | null {
  return problems.find((problem) => problem !== null) ?? null;
}

/**
 * Deterministic JSON of a JSON value: object keys sorted by code unit at every level, no
 * whitespace. Written by hand rather than with `JSON.stringify`, which puts integer-like keys
 * first whatever order they were added in.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  const problem = jsonValueProblem(value, '');
  if (problem !== null) {
    throw new TypeError(`cannot write canonical JSON: the value ${problem}`);
  }
  return JSON.stringify(value);
}

/** One message as canonical JSON: fields in {@link MESSAGE_FIELDS} order, metadata sorted. */
function canonicalMessageJson(message: ArchivedMessage): string {
  const fields = MESSAGE_KEYS.map((key) => `${JSON.stringify(key)}:${canonicalJson(message[key])}`);
  return `{${fields.join(',')}}`;
}

function sortBySeq(messages: ArchivedMessage[]): ArchivedMessage[] {
  return [...messages].sort((a, b) => a.seq - b.seq);
}

/**
 * Deterministic JSON of messages: sorted by seq, fields in the fixed order of
 * {@link ArchivedMessage}, metadata keys sorted recursively. The manifest's `contentSha256` is
 * the hash of this text, so it depends on what the messages say, not on how they were ordered
 * or which process wrote them.
 */
export function canonicalMessagesJson(messages: ArchivedMessage[]): string {
  return `[${sortBySeq(messages).map(canonicalMessageJson).join(',')}]`;
}

function sha256Of(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The manifest fields that follow from the messages alone. */
type MessageSummary = Pick<
  ArchiveManifest,
  | 'userIds'
  | 'messageCount'
  | 'firstSeq'
  | 'lastSeq'
  | 'firstCreatedAt'
  | 'lastCreatedAt'
  | 'contentSha256'
>;

/** What a non-empty, well-formed list of messages adds up to; the one place that computes it. */
function summarizeMessages(messages: ArchivedMessage[]): MessageSummary {
  const sorted = sortBySeq(messages);
  const userIds = [...new Set(sorted.map((message) => message.userId))].sort();
  return {
    userIds,
    messageCount: sorted.length,
    firstSeq: sorted[0].seq,
    lastSeq: sorted[sorted.length - 1].seq,
    firstCreatedAt: extremeCreatedAt(sorted, (candidate, best) => candidate < best),
    lastCreatedAt: extremeCreatedAt(sorted, (candidate, best) => candidate > best),
    contentSha256: sha256Of(canonicalMessagesJson(sorted)),
  };
}

/**
 * The `createdAt` string of the message whose time wins `beats` (compared as instants, since
 * the strings may carry different offsets); ties go to the lower seq.
 */
function extremeCreatedAt(
  sorted: ArchivedMessage[],
  beats: (candidate: number, best: number) => boolean,
): string {
  let best = sorted[0];
  for (const message of sorted) {
    if (beats(Date.parse(message.createdAt), Date.parse(best.createdAt))) {
      best = message;
    }
  }
  return best.createdAt;
}

/**
 * The manifest of an archive holding `messages`. Throws when the messages cannot make an
 * archive: none at all, a malformed message, or two messages with the same seq or messageId.
 */
export function buildManifest(
  tenantId: string,
  conversationId: string,
  messages: ArchivedMessage[],
  revision: number,
  archivedAt: Date,
): ArchiveManifest {
  const label = `conversation '${conversationId}' of tenant '${tenantId}'`;
  const problems = messageListProblems(messages);
  if (problems.length > 0) {
    throw new Error(`cannot build the archive manifest of ${label}: ${problems.join('; ')}`);
  }
  if (Number.isNaN(archivedAt.getTime())) {
    throw new Error(`cannot build the archive manifest of ${label}: archivedAt is an invalid date`);
  }
  const summary = summarizeMessages(messages);
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    tenantId,
    conversationId,
    userIds: summary.userIds,
    messageCount: summary.messageCount,
    firstSeq: summary.firstSeq,
    lastSeq: summary.lastSeq,
    firstCreatedAt: summary.firstCreatedAt,
    lastCreatedAt: summary.lastCreatedAt,
    archivedAt: archivedAt.toISOString(),
    revision,
    contentSha256: summary.contentSha256,
  };
  const manifestProblems = fieldProblems('manifest', manifest, MANIFEST_FIELDS);
  if (manifestProblems.length > 0) {
    throw new Error(
      `cannot build the archive manifest of ${label}: ${manifestProblems.join('; ')}`,
    );
  }
  return manifest;
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/** A short, bounded rendering of a value for a problem message. */
function describe(value: unknown): string {
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
function fieldProblems(
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
function messageListProblems(messages: unknown): string[] {
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

/** Where the manifest disagrees with what the (well-formed) messages add up to. */
function consistencyProblems(manifest: ArchiveManifest, messages: ArchivedMessage[]): string[] {
  const actual = summarizeMessages(messages);
  const explanations: { readonly [K in keyof MessageSummary]: string } = {
    userIds: "the messages' distinct users are",
    messageCount: 'the archive holds',
    firstSeq: 'the lowest seq is',
    lastSeq: 'the highest seq is',
    firstCreatedAt: 'the earliest createdAt is',
    lastCreatedAt: 'the latest createdAt is',
    contentSha256: 'the messages hash to',
  };
  const problems: string[] = [];
  for (const [key, explanation] of Object.entries(explanations)) {
    const field = key as keyof MessageSummary;
    if (canonicalJson(manifest[field]) !== canonicalJson(actual[field])) {
      problems.push(
        `manifest.${field} is ${describe(manifest[field])} but ${explanation} ${describe(actual[field])}`,
      );
    }
  }
  return problems;
}

/**
 * Problems of an archive document, `[]` when it is valid: the shape of every field of the
 * manifest and of every message, duplicate seqs or messageIds, and whether the manifest adds
 * up (count, seq range, users, first/last createdAt, content hash). The cross-checks only run
 * on a well-formed document, so each problem points at a real cause.
 */
export function verifyArchiveDocument(document: unknown): string[] {
  const shape = fieldProblems('document', document, { manifest: () => null, messages: () => null });
  if (shape.length > 0) {
    return shape;
  }
  const { manifest, messages } = document as Record<string, unknown>;
  const problems = [
    ...fieldProblems('manifest', manifest, MANIFEST_FIELDS),
    ...messageListProblems(messages),
  ];
  if (problems.length > 0) {
    return problems;
  }
  return consistencyProblems(manifest as ArchiveManifest, messages as ArchivedMessage[]);
}

/** Fields of `actual` that differ from the manifest the reader expected. */
function manifestMismatches(actual: ArchiveManifest, expected: ArchiveManifest): string[] {
  return MANIFEST_KEYS.filter(
    (key) => canonicalJson(actual[key]) !== canonicalJson(expected[key]),
  ).map(
    (key) => `manifest.${key} is ${describe(actual[key])}, expected ${describe(expected[key])}`,
  );
}

/**
 * Verifies the bytes of an archive file: its sha256 (when expected), that it is gzip, UTF-8
 * JSON, a valid document ({@link verifyArchiveDocument}), and (when expected) the very manifest
 * that was meant to be written.
 */
export async function verifyArchiveBytes(
  bytes: Uint8Array,
  expected: ArchiveExpectations = {},
): Promise<ArchiveBytesVerification> {
  const sha256 = sha256Of(bytes);
  const problems: string[] = [];
  if (expected.sha256 !== undefined && expected.sha256.toLowerCase() !== sha256) {
    problems.push(`file sha256 is ${sha256}, expected ${expected.sha256}`);
  }
  const parsed = await parseArchiveBytes(bytes);
  if (!parsed.ok) {
    return { sha256, problems: [...problems, parsed.problem], document: null };
  }
  problems.push(...verifyArchiveDocument(parsed.value));
  if (problems.length === 0 && expected.manifest !== undefined) {
    const document = parsed.value as ArchiveDocument;
    problems.push(...manifestMismatches(document.manifest, expected.manifest));
  }
  const document = problems.length === 0 ? (parsed.value as ArchiveDocument) : null;
  return { sha256, problems, document };
}

type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

async function parseArchiveBytes(bytes: Uint8Array): Promise<Parsed> {
  let inflated: Buffer;
  try {
    inflated = await gunzip(bytes);
  } catch (error) {
    return { ok: false, problem: `not gzip: ${errorMessage(error)}` };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(inflated);
  } catch {
    return { ok: false, problem: 'not JSON: the text is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: `not JSON: ${errorMessage(error)}` };
  }
}

// ---------------------------------------------------------------------------------------------
// Serialization
// ---------------------------------------------------------------------------------------------

/**
 * The document as JSON text a person can read with `zcat | less`: the manifest first, one
 * field per line, then the messages in seq order, one per line (newlines inside a message are
 * escaped by JSON, so a line is always exactly one message). Messages are in canonical form,
 * so the file's text is the same whichever process wrote it.
 */
function serializeDocument(document: ArchiveDocument): string {
  const manifestLines = MANIFEST_KEYS.map(
    (key) => `    ${JSON.stringify(key)}: ${canonicalJson(document.manifest[key])}`,
  );
  const messageLines = sortBySeq(document.messages).map(
    (message) => `    ${canonicalMessageJson(message)}`,
  );
  return [
    '{',
    '  "manifest": {',
    manifestLines.join(',\n'),
    '  },',
    '  "messages": [',
    messageLines.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// File system helpers
// ---------------------------------------------------------------------------------------------

/**
 * The `code` of a Node system error. Checked by shape, not with `instanceof Error`: errors
 * raised by Node internals may come from another realm (as under Jest).
 */
function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    return typeof error.code === 'string' ? error.code : undefined;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  return String(error);
}

/** Error codes of platforms that cannot open or fsync a directory (Windows, some mounts). */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL']);

/**
 * Flushes a directory's entries to disk. A rename or a new file is only durable once the
 * directory holding its name is synced; without it a crash can bring back the old name.
 */
async function fsyncDirectory(directory: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(directory, 'r');
  } catch (error) {
    if (DIRECTORY_SYNC_UNSUPPORTED.has(errorCode(error) ?? '')) {
      return;
    }
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has(errorCode(error) ?? '')) {
      throw error;
    }
  } finally {
    await handle.close();
  }
}

/**
 * `mkdir -p` that also makes the new directories durable: each directory it created is an
 * entry in its parent, which is synced, from the parent of the first one created down.
 */
async function makeDirectoryDurably(directory: string): Promise<void> {
  const firstCreated = await mkdir(directory, { recursive: true });
  if (firstCreated === undefined) {
    return;
  }
  for (const created of createdDirectories(directory, firstCreated)) {
    await fsyncDirectory(dirname(created));
  }
}

/** `directory` and its ancestors up to and including `firstCreated`, deepest first. */
function createdDirectories(directory: string, firstCreated: string): string[] {
  const created = [directory];
  let current = directory;
  while (current !== firstCreated && dirname(current) !== current) {
    current = dirname(current);
    created.push(current);
  }
  return created;
}

async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return false;
    }
    throw error;
  }
}

async function readFileIfPresent(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return null;
    }
    throw error;
  }
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
}

function isTempFileName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/**
 * How often a write retries when its directory vanished between `mkdir` and `open`:
 * {@link removeArchive} prunes empty directories, and may do so just after a concurrent write
 * created one.
 */
const DIRECTORY_RACE_ATTEMPTS = 3;

/**
 * Writes `bytes` to a new temp file next to `path` and fsyncs it; returns the temp path. The
 * temp file sits in the same directory so the rename that follows stays on one file system
 * and is atomic. A failed write leaves no temp file behind.
 */
async function writeSyncedTempFile(path: string, bytes: Uint8Array): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    await makeDirectoryDurably(dirname(path));
    const tempPath = tempPathFor(path);
    let handle: FileHandle;
    try {
      handle = await open(tempPath, 'wx');
    } catch (error) {
      if (errorCode(error) === 'ENOENT' && attempt < DIRECTORY_RACE_ATTEMPTS) {
        continue;
      }
      throw error;
    }
    try {
      await writeAndSync(handle, bytes);
    } catch (error) {
      await removeIfPresent(tempPath);
      throw error;
    }
    return tempPath;
  }
}

async function writeAndSync(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a just-written file back and throws unless it is exactly the archive we meant. */
async function verifyWrittenFile(
  path: string,
  sha256: string,
  manifest: ArchiveManifest,
): Promise<void> {
  const bytes = await readFileIfPresent(path);
  if (bytes === null) {
    throw new ArchiveVerificationError(path, ['file is missing']);
  }
  const verification = await verifyArchiveBytes(bytes, { sha256, manifest });
  if (verification.problems.length > 0) {
    throw new ArchiveVerificationError(path, verification.problems);
  }
}

// ---------------------------------------------------------------------------------------------
// Public file operations
// ---------------------------------------------------------------------------------------------

/**
 * Writes an archive crash-safely and verifies it, so its caller may then delete the messages'
 * rows:
 *
 * 1. the document is verified first: an archive that does not add up is never written;
 * 2. it is serialized ({@link serializeDocument}), gzipped and written to `.<name>.<random>.tmp`
 *    in the final directory (created as needed), which is fsynced and closed;
 * 3. the temp file is read back and verified, so a bad write never replaces a good earlier
 *    revision; then `options.beforeRename` runs;
 * 4. the temp file is renamed over the final path and the directory is fsynced;
 * 5. the final file is read back and verified again ({@link ArchiveVerificationError} if not).
 *
 * Any failure before the rename removes the temp file and leaves an earlier archive at the
 * path untouched. Returns the sha256 and size of the file, to be recorded with the archive.
 */
export async function writeArchive(
  root: string,
  document: ArchiveDocument,
  relativePath: string,
  options: WriteArchiveOptions = {},
): Promise<WrittenArchive> {
  const path = resolveArchivePath(root, relativePath);
  assertArchiveName(path);
  const problems = verifyArchiveDocument(document);
  if (problems.length > 0) {
    throw new ArchiveVerificationError(path, problems);
  }
  const bytes = await gzip(Buffer.from(serializeDocument(document), 'utf8'));
  const sha256 = sha256Of(bytes);
  const tempPath = await writeSyncedTempFile(path, bytes);
  try {
    await verifyWrittenFile(tempPath, sha256, document.manifest);
    await options.beforeRename?.();
    await rename(tempPath, path);
  } catch (error) {
    await removeIfPresent(tempPath);
    throw error;
  }
  await fsyncDirectory(dirname(path));
  await verifyWrittenFile(path, sha256, document.manifest);
  return { path, relativePath, sha256, bytes: bytes.length, manifest: document.manifest };
}

/**
 * Reads and verifies an archive. Throws {@link ArchiveVerificationError} when the file is
 * missing (problem `file is missing`), its sha256 differs from `expected.sha256`, or it is not
 * a valid archive (see {@link verifyArchiveBytes}).
 */
export async function readArchive(
  root: string,
  relativePath: string,
  expected: { sha256?: string } = {},
): Promise<{ document: ArchiveDocument; sha256: string; bytes: number }> {
  const path = resolveArchivePath(root, relativePath);
  const bytes = await readFileIfPresent(path);
  if (bytes === null) {
    throw new ArchiveVerificationError(path, ['file is missing']);
  }
  const verification = await verifyArchiveBytes(bytes, { sha256: expected.sha256 });
  if (verification.document === null) {
    throw new ArchiveVerificationError(path, verification.problems);
  }
  return { document: verification.document, sha256: verification.sha256, bytes: bytes.length };
}

/** The fields whose change would make a message say something else. */
const MESSAGE_IDENTITY: readonly (keyof ArchivedMessage)[] = [
  'messageId',
  'userId',
  'role',
  'content',
];

/**
 * Union of two lists of messages by seq, sorted by seq, for rewriting an archive with newly
 * archived messages. A seq in both lists must be the same message (same messageId, author,
 * role and content), and a messageId must keep its seq; otherwise this throws, as an archive
 * must never silently change a message. For a message in both, the existing copy is kept (a
 * replayed message may differ only in `ingestedAt` or metadata).
 */
export function mergeMessages(
  existing: ArchivedMessage[],
  added: ArchivedMessage[],
): ArchivedMessage[] {
  const bySeq = new Map<number, ArchivedMessage>();
  const seqByMessageId = new Map<string, number>();
  for (const message of [...existing, ...added]) {
    const kept = bySeq.get(message.seq);
    if (kept !== undefined) {
      assertSameMessage(kept, message);
      continue;
    }
    const otherSeq = seqByMessageId.get(message.messageId);
    if (otherSeq !== undefined) {
      throw new Error(
        `cannot merge archived messages: messageId '${message.messageId}' ` +
          `is at seq ${otherSeq} and at seq ${message.seq}`,
      );
    }
    bySeq.set(message.seq, message);
    seqByMessageId.set(message.messageId, message.seq);
  }
  return sortBySeq([...bySeq.values()]);
}

function assertSameMessage(kept: ArchivedMessage, other: ArchivedMessage): void {
  const differing = MESSAGE_IDENTITY.filter((field) => kept[field] !== other[field]);
  if (differing.length > 0) {
    throw new Error(
      `cannot merge archived messages: seq ${kept.seq} is message '${kept.messageId}' in one ` +
        `list and '${other.messageId}' in the other, differing in ${differing.join(', ')}`,
    );
  }
}

/**
 * Deletes an archive; true when it existed. The directory is fsynced so the deletion is
 * durable, then directories left empty are removed up to (not including) `root`, so erased
 * tenants and months leave no trace. A directory that is not empty (another archive, a write
 * in progress) stops the pruning.
 */
export async function removeArchive(root: string, relativePath: string): Promise<boolean> {
  const path = resolveArchivePath(root, relativePath);
  const existed = await removeIfPresent(path);
  if (existed) {
    await fsyncDirectory(dirname(path));
  }
  await pruneEmptyDirectories(resolve(root), dirname(path));
  return existed;
}

const DIRECTORY_IN_USE = new Set(['ENOTEMPTY', 'EEXIST']);

async function pruneEmptyDirectories(root: string, from: string): Promise<void> {
  for (let directory = from; isStrictlyInside(root, directory); directory = dirname(directory)) {
    try {
      await rmdir(directory);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') {
        continue;
      }
      if (DIRECTORY_IN_USE.has(code ?? '')) {
        return;
      }
      throw error;
    }
  }
}

function isStrictlyInside(root: string, path: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep) && path !== root;
}

interface WalkedFile {
  absolute: string;
  relative: string;
  name: string;
}

/**
 * Every regular file under `directory`, depth first, in the order of their `/`-joined relative
 * paths: a directory sorts as its name plus `/`, which is where its files fall among its
 * siblings. Hidden directories are skipped (encoded ids never start with a dot). A directory
 * that vanishes during the walk (pruned by {@link removeArchive}) is skipped.
 */
async function* walkFiles(directory: string, prefix: string): AsyncGenerator<WalkedFile> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return;
    }
    throw error;
  }
  const sortKey = (entry: (typeof entries)[number]): string =>
    entry.isDirectory() ? `${entry.name}/` : entry.name;
  entries.sort((a, b) => compareCodeUnits(sortKey(a), sortKey(b)));
  for (const entry of entries) {
    const absolute = join(directory, entry.name);
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory() && !entry.name.startsWith('.')) {
      yield* walkFiles(absolute, relative);
    } else if (entry.isFile()) {
      yield { absolute, relative, name: entry.name };
    }
  }
}

function compareCodeUnits(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

/**
 * Relative paths (`/`-separated, as {@link archiveRelativePath} makes them) of every archive
 * under `root`, sorted; temp files and other hidden files are skipped. Yields nothing when
 * `root` does not exist.
 */
export async function* listArchives(root: string): AsyncGenerator<string> {
  for await (const file of walkFiles(resolve(root), '')) {
    if (!file.name.startsWith('.') && file.name.endsWith(ARCHIVE_SUFFIX)) {
      yield file.relative;
    }
  }
}

/**
 * Removes `.*.tmp` files that killed writes left under `root`; returns how many. A write in
 * progress also has a temp file, so a caller running this next to live writers passes
 * `olderThanMs` (by modification time) to leave recent ones alone.
 */
export async function removeStrayTempFiles(
  root: string,
  options: { olderThanMs?: number } = {},
): Promise<number> {
  const cutoff = Date.now() - (options.olderThanMs ?? 0);
  let removed = 0;
  for await (const file of walkFiles(resolve(root), '')) {
    if (!isTempFileName(file.name) || !(await isOlderThan(file.absolute, cutoff))) {
      continue;
    }
    if (await removeIfPresent(file.absolute)) {
      removed += 1;
    }
  }
  return removed;
}

async function isOlderThan(path: string, cutoffMs: number): Promise<boolean> {
  try {
    return (await stat(path)).mtimeMs <= cutoffMs;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return false;
    }
    throw error;
  }
}
