import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { ARCHIVE_SUFFIX } from './archive-format';

// Where an archive lives: ids encoded into path segments that cannot climb out or collide.

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
export function resolveArchivePath(root: string, relativePath: string): string {
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

export function assertArchiveName(path: string): void {
  if (!path.endsWith(ARCHIVE_SUFFIX)) {
    throw new Error(`archive path ${path} must end with ${ARCHIVE_SUFFIX}`);
  }
}
