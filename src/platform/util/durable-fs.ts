// Durable file-system steps: write + fsync, temporary names that say who writes them, fsync of directories.
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, open, rename, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { OutputExistsError } from './partial-file.js';

/** Prefix of every temporary file written through these helpers: never a recording name, removed on recovery. */
export const TEMP_PREFIX = '.tmp-';

/** This machine in temporary names: a store on a shared drive may be written by processes of several hosts. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** A temporary name that says who writes it: `.tmp-<host>-<pid>-<random><suffix>`. */
export function tempPathIn(dir: string, suffix: string): string {
  return join(dir, `${TEMP_PREFIX}${HOST_TAG}-${process.pid}-${randomBytes(6).toString('hex')}${suffix}`);
}

/** A temporary file of another host is left alone for this long (its writer cannot be asked whether it lives). */
const FOREIGN_TEMP_MS = 24 * 3600 * 1000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM'; // alive, another user's
  }
}

/**
 * Whether a temporary file was left by a writer that is gone (kill -9, power cut), so that recovery may remove
 * it. A file a live process of this host is writing is never taken from under it, whatever opens the store.
 */
export function isAbandonedTemp(name: string, modifiedMs: number, now = Date.now()): boolean {
  const owner = /^\.tmp-([0-9a-f]{8})-(\d+)-/.exec(name);
  if (!owner) return true; // not a name this version writes: an old run's
  if (owner[1] !== HOST_TAG) return now - modifiedMs > FOREIGN_TEMP_MS;
  return !processAlive(Number(owner[2]));
}

export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}

/** fsync a directory so renames and creations in it survive a crash (a no-op where directories cannot be opened). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (errnoOf(error) === 'EISDIR' || errnoOf(error) === 'EPERM' || errnoOf(error) === 'EACCES') return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) refuse fsync on directories; their renames are durable by other means.
    if (!['EINVAL', 'EPERM', 'EBADF', 'ENOTSUP', 'EISDIR'].includes(errnoOf(error) ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write a new file (it must not exist), fsynced; readable by the owner only (call data and audio are personal). */
export async function writeNewFile(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write `path` atomically: temporary file in the same directory, fsync, rename over, fsync the directory. */
export async function writeFileDurable(path: string, data: Uint8Array | string): Promise<void> {
  const temp = tempPathIn(dirname(path), '.partial');
  try {
    await writeNewFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dirname(path));
}

const LINK_UNSUPPORTED = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS', 'EACCES'];

/**
 * Rename `from` to `to` but never replace an existing `to` (OutputExistsError). A hard link is atomic
 * no-replace; file systems without hard links fall back to check-then-rename (callers serialise their writers).
 */
export async function renameNoReplace(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
    await unlink(from);
    return;
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'EEXIST') throw new OutputExistsError(to);
    if (!LINK_UNSUPPORTED.includes(code ?? '')) throw error;
  }
  if (await exists(to)) throw new OutputExistsError(to);
  await rename(from, to);
}

/**
 * Make `to` (new) hold the bytes of `from`, leaving `from` in place: a hard link when possible, else a copy;
 * fsynced either way.
 */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    if (!LINK_UNSUPPORTED.includes(errnoOf(error) ?? '')) throw error;
    await copyFile(from, to, constants.COPYFILE_EXCL);
  }
  await fsyncFile(to);
}

/** Move a file, across file systems too (copy, fsync, then remove the source). */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await renameNoReplace(from, to);
    return;
  } catch (error) {
    if (errnoOf(error) !== 'EXDEV') throw error;
  }
  await copyThenLand(from, to, renameNoReplace);
  await unlink(from);
}

/** Copies `from` to a temporary name beside `to`, syncs it and lands it with `land`; removes it when that fails. */
async function copyThenLand(from: string, to: string, land: (temp: string, to: string) => Promise<void>): Promise<void> {
  const temp = tempPathIn(dirname(to), '.partial');
  try {
    await copyFile(from, temp, constants.COPYFILE_EXCL);
    await fsyncFile(temp);
    await land(temp, to);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Copy to `to` atomically (temporary name, fsync, rename over). */
export async function copyFileDurable(from: string, to: string): Promise<void> {
  await copyThenLand(from, to, rename);
  await fsyncDir(dirname(to));
}
