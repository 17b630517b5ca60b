import { pipeline } from 'node:stream/promises';
import { createClient } from 'webdav';
import type { FileStat, WebDAVClient } from 'webdav';
import type { CaptureDrive, DownloadResult, DriveEntry } from './drive.js';
import { DriveError, countingHash, downloadSink, isCaptureName } from './drive.js';
import type { Keyring } from '../../platform/crypto/index.js';

export interface WebDavDriveOptions {
  /** URL of the capture directory, e.g. http://127.0.0.1:8080/DRIVE/CF0/REC */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Per-request time limit in ms (default 30000). */
  readonly timeoutMs?: number;
}

/** The capture directory on a WebDAV server (the PBX's or gateway's drive). */
export class WebDavDrive implements CaptureDrive {
  private readonly client: WebDAVClient;
  private readonly directoryPath: string;
  private readonly label: string;
  private readonly timeoutMs: number;

  constructor(options: WebDavDriveOptions) {
    const url = new URL(options.url);
    this.directoryPath = decodeURIComponent(url.pathname.replace(/\/+$/, '')) || '/';
    this.label = `${url.protocol}//${url.host}${this.directoryPath}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.client = createClient(`${url.protocol}//${url.host}`, {
      ...(options.username !== undefined ? { username: options.username, password: options.password ?? '' } : {}),
    });
  }

  describe(): string {
    return this.label;
  }

  async list(signal?: AbortSignal): Promise<DriveEntry[]> {
    try {
      const contents = (await this.client.getDirectoryContents(this.directoryPath, { signal: this.limit(signal) })) as FileStat[];
      return contents
        .filter((stat) => stat.type === 'file' && isCaptureName(stat.basename))
        .map((stat) => ({ name: stat.basename, size: stat.size, modified: Date.parse(stat.lastmod) || 0 }));
    } catch (error) {
      throw this.translate(error, undefined);
    }
  }

  async download(name: string, destination: string, signal?: AbortSignal, seal?: Keyring): Promise<DownloadResult> {
    const counter = countingHash();
    try {
      // Status errors (404 for a file that vanished) only surface on the stream, so stat first for a clear error.
      await this.client.stat(this.pathOf(name), { signal: this.limit(signal) });
      const source = this.client.createReadStream(this.pathOf(name)) as unknown as NodeJS.ReadableStream;
      await pipeline([source, counter.stream, ...downloadSink(destination, seal)], { signal: this.limit(signal) });
      return counter.result();
    } catch (error) {
      throw this.translate(error, name);
    }
  }

  async remove(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.deleteFile(this.pathOf(name), { signal: this.limit(signal) });
    } catch (error) {
      const translated = this.translate(error, name);
      // Already gone is what we wanted.
      if (translated.code !== 'vanished') throw translated;
    }
  }

  private pathOf(name: string): string {
    if (!isCaptureName(name)) throw new DriveError('io', this.label, name, 'not a capture file name');
    return `${this.directoryPath}/${encodeURIComponent(name)}`;
  }

  private limit(signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  private translate(error: unknown, file: string | undefined): DriveError {
    if (error instanceof DriveError) return error;
    const status = (error as { status?: number; response?: { status?: number } }).status ?? (error as { response?: { status?: number } }).response?.status;
    const message = error instanceof Error ? error.message : String(error);
    if (status === 404) return new DriveError('vanished', this.label, file, 'no longer on the drive (404)');
    if (status === 401 || status === 403) return new DriveError('unauthorised', this.label, file, `access refused (${status}): check the drive user and password`);
    if (status !== undefined && status >= 500) return new DriveError('unreachable', this.label, file, `drive answered ${status}`);
    if (status !== undefined) return new DriveError('io', this.label, file, `drive answered ${status}`);
    const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || (error as Error).name === 'TimeoutError' || /fetch failed|timeout|aborted/i.test(message)) {
      return new DriveError('unreachable', this.label, file, `drive not reachable (${code ?? message})`);
    }
    return new DriveError('io', this.label, file, message);
  }
}
