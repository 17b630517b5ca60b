// ROOT/_quarantine: captures that could not be processed, kept for an operator with the reason beside each
// (NAME.reason.json), encrypted when the store has keys, and removed after the configured days.
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Keyring } from '../platform/crypto/index.js';
import { encryptFile, isEncryptedFile } from '../platform/crypto/index.js';
import { Serial, TEMP_PREFIX, exists, fsyncDir, moveFile, namesIn, writeFileDurable } from '../platform/util/index.js';
import { StoreError } from './errors.js';

export const QUARANTINE_DIR = '_quarantine';
const REASON_SUFFIX = '.reason.json';

export interface QuarantineEntry {
  /** File name inside ROOT/_quarantine. */
  readonly name: string;
  readonly path: string;
  readonly reason: string;
  readonly originalPath?: string;
  readonly quarantinedAt?: Date;
  readonly bytes: number;
}

export class Quarantine {
  readonly dir: string;
  /** Changes within this process one at a time (name checks and renames must not interleave). */
  readonly #serial = new Serial();

  constructor(
    root: string,
    private readonly keyring: Keyring | undefined,
  ) {
    this.dir = join(root, QUARANTINE_DIR);
  }



  /** Move a file that cannot be processed into ROOT/_quarantine, with a reason file beside it. */
  add(file: string, reason: string): Promise<QuarantineEntry> {
    return this.#serial.run(async () => {
      const dir = this.dir;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const original = basename(file);
      if (original.length === 0 || original.startsWith(TEMP_PREFIX) || original.endsWith(REASON_SUFFIX)) {
        throw new StoreError('bad-input', `${file}: cannot be quarantined under this name`);
      }
      if (!(await exists(file))) throw new StoreError('input-missing', `${file}: does not exist`);
      // With a keyring the quarantined file is kept encrypted (NAME.enc): captures are call audio too.
      const alreadySealed = await isEncryptedFile(file);
      const seal = this.keyring !== undefined && !alreadySealed;
      // Encrypted either way (sealed here, or a working copy sealed since it was copied): the name says so.
      const wanted = (seal || alreadySealed) && !original.endsWith('.enc') ? `${original}.enc` : original;
      let name = wanted;
      for (let n = 1; (await exists(join(dir, name))) || (await exists(join(dir, `${name}${REASON_SUFFIX}`))); n++) {
        const dot = wanted.lastIndexOf('.');
        name = dot > 0 ? `${wanted.slice(0, dot)}-${n}${wanted.slice(dot)}` : `${wanted}-${n}`;
      }
      const quarantinedAt = new Date();
      // The reason first: a crash before the move leaves a reason without a file, which list() skips.
      await writeFileDurable(join(dir, `${name}${REASON_SUFFIX}`), `${JSON.stringify({ originalPath: file, reason, quarantinedAt: quarantinedAt.toISOString() }, null, 2)}\n`);
      if (seal) {
        try {
          await encryptFile(file, join(dir, name), this.keyring!, { landing: { mode: 'exclusive' } });
        } catch (error) {
          await rm(join(dir, `${name}${REASON_SUFFIX}`), { force: true });
          throw error;
        }
        await rm(file, { force: true });
      } else {
        await moveFile(file, join(dir, name));
      }
      await fsyncDir(dir);
      const bytes = (await stat(join(dir, name))).size;
      return { name, path: join(dir, name), reason, originalPath: file, quarantinedAt, bytes };
    });
  }

  /**
   * Remove quarantined files (and their reasons) older than `days`: quarantine is for an operator to look at,
   * not a second archive of call audio kept forever.
   */
  expire(days: number, now: Date = new Date()): Promise<string[]> {
    return this.#serial.run(async () => {
      if (!Number.isSafeInteger(days) || days < 1) throw new StoreError('bad-input', `quarantine retention: days must be a whole number ≥ 1, got ${String(days)}`);
      const horizon = now.getTime() - days * 24 * 3600 * 1000;
      const removed: string[] = [];
      for (const entry of await this.list()) {
        const at = entry.quarantinedAt?.getTime() ?? (await stat(entry.path)).mtimeMs;
        if (at >= horizon) continue;
        await rm(entry.path, { force: true });
        await rm(`${entry.path}${REASON_SUFFIX}`, { force: true });
        removed.push(entry.name);
      }
      if (removed.length > 0) await fsyncDir(this.dir);
      return removed;
    });
  }

  /** The files in quarantine with their reasons, oldest first. */
  async list(): Promise<QuarantineEntry[]> {
    const dir = this.dir;
    const entries: QuarantineEntry[] = [];
    for (const name of await namesIn(dir)) {
      if (name.startsWith(TEMP_PREFIX) || name.endsWith(REASON_SUFFIX)) continue;
      const path = join(dir, name);
      let bytes: number;
      try {
        const info = await stat(path);
        if (!info.isFile()) continue;
        bytes = info.size;
      } catch {
        continue;
      }
      let reason = 'unknown (no reason file)';
      let originalPath: string | undefined;
      let quarantinedAt: Date | undefined;
      try {
        const data = JSON.parse(await readFile(join(dir, `${name}${REASON_SUFFIX}`), 'utf8')) as Record<string, unknown>;
        if (typeof data.reason === 'string') reason = data.reason;
        if (typeof data.originalPath === 'string') originalPath = data.originalPath;
        if (typeof data.quarantinedAt === 'string' && !Number.isNaN(Date.parse(data.quarantinedAt))) quarantinedAt = new Date(data.quarantinedAt);
      } catch {
        // keep the defaults: the file itself is what matters
      }
      entries.push({ name, path, reason, ...(originalPath !== undefined ? { originalPath } : {}), ...(quarantinedAt ? { quarantinedAt } : {}), bytes });
    }
    return entries.sort((a, b) => (a.quarantinedAt?.getTime() ?? 0) - (b.quarantinedAt?.getTime() ?? 0) || a.name.localeCompare(b.name));
  }
}
