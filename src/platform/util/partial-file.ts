import { closeSync, fsyncSync, linkSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** How a finished file lands under its final name. */
export interface LandingOptions {
  /**
   * 'replace' (default): rename over whatever is there.
   * 'exclusive': never replace an existing file; commit() throws an error with code EEXIST instead.
   * 'replace-older': replace only a file last modified before `replaceBefore` (ms since epoch), so a run
   * that may replace old outputs still never replaces one that it wrote itself.
   */
  readonly mode?: 'replace' | 'exclusive' | 'replace-older';
  /** With 'replace-older': files modified at or after this time (ms) are not replaced. */
  readonly replaceBefore?: number;
  /**
   * Tag put in the temporary name (`<path>.<tag>.<random>.partial`): several writers of one path never share
   * a temporary file, and whoever started them can find and remove their leftovers by tag.
   */
  readonly tag?: string;
  /** Permissions of the new file (default 0644). */
  readonly permissions?: number;
}

/** An error for an output that already exists and may not be replaced. */
export class OutputExistsError extends Error {
  override readonly name = 'OutputExistsError';
  readonly code = 'EEXIST';
  constructor(readonly path: string) {
    super(`${path} exists`);
  }
}

/** The temporary name a writer with `tag` uses for `path`. */
export function partialPathFor(path: string, tag: string | undefined): string {
  return tag === undefined ? `${path}.partial` : `${path}.${tag}.${randomBytes(4).toString('hex')}.partial`;
}

/**
 * A file written under a temporary name and landed under its final name when
 * complete (after fsync unless `durable: false`): a reader never sees a
 * half-written file under the final name, and a failed write leaves nothing behind.
 */
export class PartialFile {
  private readonly fd: number;
  readonly partialPath: string;
  private done = false;
  /** Bytes written so far (the append position). */
  position = 0;

  constructor(
    readonly path: string,
    private readonly durable = true,
    private readonly landing: LandingOptions = {},
  ) {
    this.partialPath = partialPathFor(path, landing.tag);
    // With a tag the temporary name is unique: 'wx' makes sure no other writer holds it.
    this.fd = openSync(this.partialPath, landing.tag === undefined ? 'w' : 'wx', landing.permissions ?? 0o644);
  }

  /** Bytes the finished file takes on disk. */
  get storedBytes(): number {
    return this.position;
  }

  /** Append at the current position. */
  append(bytes: Uint8Array): void {
    this.writeAt(bytes, this.position);
    this.position += bytes.length;
  }

  /** Leave `bytes` bytes for a later writeAt (a header known only at the end). */
  skip(bytes: number): void {
    this.position += bytes;
  }

  /** Write at a given offset (headers patched at the end). */
  writeAt(bytes: Uint8Array, offset: number): void {
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, offset + written);
  }

  /** fsync (when durable), close and land under the final name (see LandingOptions); on failure nothing is left behind. */
  commit(): void {
    if (this.done) throw new Error(`${this.path}: already finished`);
    this.done = true;
    try {
      if (this.durable) fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
    try {
      landFile(this.partialPath, this.path, this.landing);
    } catch (error) {
      removeQuietly(this.partialPath);
      throw error;
    }
  }

  /** Abandon: close and remove the partial file. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    closeSync(this.fd);
    removeQuietly(this.partialPath);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Move a finished temporary file to its final name as `landing` says (throws OutputExistsError when it may not). */
export function landFile(temporary: string, path: string, landing: LandingOptions = {}): void {
  const mode = landing.mode ?? 'replace';
  if (mode === 'replace') {
    renameSync(temporary, path);
    return;
  }
  if (mode === 'replace-older') {
    let existing: ReturnType<typeof statSync> | undefined;
    try {
      existing = statSync(path);
    } catch {
      existing = undefined;
    }
    if (existing === undefined) {
      linkExclusive(temporary, path);
      return;
    }
    if (existing.mtimeMs >= (landing.replaceBefore ?? Number.POSITIVE_INFINITY)) throw new OutputExistsError(path);
    renameSync(temporary, path);
    return;
  }
  linkExclusive(temporary, path);
}

/** A hard link fails if the name exists, so no second writer can land on it; file systems without links fall back to check-then-rename. */
function linkExclusive(temporary: string, path: string): void {
  try {
    linkSync(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputExistsError(path);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
    let exists = true;
    try {
      statSync(path);
    } catch {
      exists = false;
    }
    if (exists) throw new OutputExistsError(path);
    renameSync(temporary, path);
    return;
  }
  unlinkSync(temporary);
}
