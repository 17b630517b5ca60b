import { createReadStream } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import type { CaptureDrive, DownloadResult, DriveEntry } from './drive.js';
import { DriveError, countingHash, downloadSink, isCaptureName } from './drive.js';
import type { Keyring } from '../../platform/crypto/index.js';

/** A capture directory on a local disk or a mounted CF card / network share. */
export class LocalDrive implements CaptureDrive {
  private watcher: FSWatcher | undefined;

  constructor(readonly directory: string) {}

  describe(): string {
    return this.directory;
  }

  async list(): Promise<DriveEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      throw this.translate(error, undefined);
    }
    const entries: DriveEntry[] = [];
    for (const name of names) {
      if (!isCaptureName(name)) continue;
      try {
        const info = await stat(join(this.directory, name));
        if (info.isFile()) entries.push({ name, size: info.size, modified: info.mtimeMs });
      } catch {
        // Deleted between readdir and stat: not there any more.
      }
    }
    return entries;
  }

  async download(name: string, destination: string, signal?: AbortSignal, seal?: Keyring): Promise<DownloadResult> {
    const counter = countingHash();
    try {
      await pipeline([createReadStream(this.pathOf(name)), counter.stream, ...downloadSink(destination, seal)], signal ? { signal } : {});
    } catch (error) {
      throw this.translate(error, name);
    }
    return counter.result();
  }

  async remove(name: string): Promise<void> {
    try {
      await unlink(this.pathOf(name));
    } catch (error) {
      const translated = this.translate(error, name);
      if (translated.code !== 'vanished') throw translated;
    }
  }

  /** Call `onChange` soon after a capture appears or grows, so the ingestor need not wait for its next poll. */
  watch(onChange: () => void): void {
    if (this.watcher) return;
    this.watcher = watch(this.directory, { depth: 0, ignoreInitial: true }).on('all', () => onChange());
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private pathOf(name: string): string {
    if (!isCaptureName(name)) throw new DriveError('io', this.directory, name, 'not a capture file name');
    return join(this.directory, name);
  }

  private translate(error: unknown, file: string | undefined): DriveError {
    if (error instanceof DriveError) return error;
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'ENOENT') return file ? new DriveError('vanished', this.directory, file, 'no longer on the drive') : new DriveError('unreachable', this.directory, undefined, 'capture directory does not exist');
    if (code === 'EACCES' || code === 'EPERM') return new DriveError('unauthorised', this.directory, file, `permission denied (${code})`);
    if (code === 'EIO' || code === 'ENOTCONN' || code === 'ESTALE' || code === 'EHOSTDOWN') return new DriveError('unreachable', this.directory, file, `drive not reachable (${code})`);
    return new DriveError('io', this.directory, file, message);
  }
}
