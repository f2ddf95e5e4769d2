import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import {
  ArchiveBytesVerification,
  ArchiveDocument,
  ArchivedMessage,
  ArchiveExpectations,
  ArchiveManifest,
} from './archive-format';
import {
  describe,
  fieldProblems,
  MANIFEST_FIELDS,
  MANIFEST_KEYS,
  messageListProblems,
} from './archive-fields';
import { errorMessage } from './archive-fs';
import { canonicalJson, sha256Of } from './archive-json';
import { MessageSummary, summarizeMessages } from './archive-manifest';

const gunzip = promisify(gunzipCallback);

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
