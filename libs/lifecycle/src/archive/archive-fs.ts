import { randomBytes } from 'node:crypto';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';

// File system steps of the archive operations: durable writes, tolerant reads, walks, pruning.

/**
 * The `code` of a Node system error. Checked by shape, not with `instanceof Error`: errors
 * raised by Node internals may come from another realm (as under Jest).
 */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    return typeof error.code === 'string' ? error.code : undefined;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
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
export async function fsyncDirectory(directory: string): Promise<void> {
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

export async function removeIfPresent(path: string): Promise<boolean> {
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

export async function readFileIfPresent(path: string): Promise<Buffer | null> {
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

export function isTempFileName(name: string): boolean {
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
export async function writeSyncedTempFile(path: string, bytes: Uint8Array): Promise<string> {
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

const DIRECTORY_IN_USE = new Set(['ENOTEMPTY', 'EEXIST']);

export async function pruneEmptyDirectories(root: string, from: string): Promise<void> {
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
export async function* walkFiles(directory: string, prefix: string): AsyncGenerator<WalkedFile> {
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

export async function isOlderThan(path: string, cutoffMs: number): Promise<boolean> {
  try {
    return (await stat(path)).mtimeMs <= cutoffMs;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return false;
    }
    throw error;
  }
}
