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

import type { MessageView } from '@memory/persistence';

/** Format version string stored in every archive; a reader rejects any other. */
export const ARCHIVE_FORMAT = 'memory.archive.v1';

/** Suffix of an archive file; {@link listArchives} only sees files with it. */
export const ARCHIVE_SUFFIX = '.json.gz';

/** One raw message as archived; timestamps are ISO 8601 strings. */
export type ArchivedMessage = MessageView;

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
