import { ARCHIVE_FORMAT, ArchivedMessage, ArchiveManifest } from './archive-format';
import { fieldProblems, MANIFEST_FIELDS, messageListProblems } from './archive-fields';
import { sha256Of } from './archive-json';
import { canonicalMessagesJson, sortBySeq } from './archive-messages';

/** The manifest fields that follow from the messages alone. */
export type MessageSummary = Pick<
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
export function summarizeMessages(messages: ArchivedMessage[]): MessageSummary {
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
