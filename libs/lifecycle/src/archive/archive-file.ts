import { rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import {
  ARCHIVE_SUFFIX,
  ArchiveDocument,
  ArchiveManifest,
  ArchiveVerificationError,
  WriteArchiveOptions,
  WrittenArchive,
} from './archive-format';
import {
  fsyncDirectory,
  isOlderThan,
  isTempFileName,
  pruneEmptyDirectories,
  readFileIfPresent,
  removeIfPresent,
  walkFiles,
  writeSyncedTempFile,
} from './archive-fs';
import { sha256Of } from './archive-json';
import { assertArchiveName, resolveArchivePath } from './archive-paths';
import { serializeDocument } from './archive-serialization';
import { verifyArchiveBytes, verifyArchiveDocument } from './archive-verification';

// The archive operations: write, read, remove, list, and clean up after killed writes.

const gzip = promisify(gzipCallback);

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
