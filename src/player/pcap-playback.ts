// Recordings kept as captures (the keep-PCAP mode) played in the browser: the capture is rendered once to a stereo
// 16-bit WAV (the converter's own code, thousands of times faster than real time), kept in a cache beside the
// index and served from there with HTTP Range like any WAV, so the player can seek. With keys, the rendering is
// sealed as it is written: no plaintext audio lands on disk. The cache is keyed by the capture's name and size,
// and the oldest renderings go once it holds more than its limit.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { convertCapture } from '../recorder/convert/index.js';
import { recordedByOfCallId } from '../recorder/rules/index.js';
import type { ConvertEncryption } from '../recorder/convert/index.js';
import type { StoredRecording } from '../recordings/index.js';
import { Serial } from '../platform/util/index.js';
import { HttpError } from './errors.js';

/** Renderings kept at most (bytes on disk) before the least recently played go. */
const DEFAULT_LIMIT_BYTES = 512 * 1024 * 1024;

export interface PcapRendering {
  readonly path: string;
  /** Sealed with the server's keys (open it with them). */
  readonly encrypted: boolean;
}

export class PcapPlaybackCache {
  /** One rendering at a time per cache: a burst of plays of one capture renders it once. */
  readonly #serial = new Serial();

  constructor(
    private readonly dir: string,
    /** The keys' files, when the store is encrypted: a sealed capture is opened and its rendering sealed. */
    private readonly encryption: ConvertEncryption | undefined,
    private readonly limitBytes = DEFAULT_LIMIT_BYTES,
    /** The capture as a local file (a recording in the bucket is downloaded for its rendering). */
    private readonly localCopy: (stored: StoredRecording) => Promise<{ audioPath: string; release: () => Promise<void> }> = async (stored) => ({ audioPath: stored.audioPath, release: async () => undefined }),
  ) {}

  /** The rendering of a kept capture, made now if it is not in the cache. */
  rendering(stored: StoredRecording): Promise<PcapRendering> {
    return this.#serial.run(async () => {
      const key = createHash('sha256').update(`${stored.name}\u0000${stored.bytes}`).digest('hex').slice(0, 32);
      const path = join(this.dir, `${key}.wav`);
      const encrypted = this.encryption !== undefined;
      const known = await stat(path).catch(() => undefined);
      if (known) {
        const now = new Date();
        await utimes(path, now, now).catch(() => undefined); // recently played: kept longest
        return { path, encrypted };
      }
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const work = join(this.dir, `.render-${key}-${process.pid}`);
      await rm(work, { recursive: true, force: true });
      const capture = await this.localCopy(stored);
      try {
        const report = await convertCapture(capture.audioPath, {
          outDir: work,
          format: 'wav',
          mix: 'stereo',
          encoding: 'pcm16',
          kbps: 32,
          channels: { recordedBy: recordedByOfCallId(stored.parsed.callId), oneCall: true },
          ...(this.encryption ? { encryption: { ...this.encryption, encryptOutputs: true } } : {}),
        });
        const output = [...report.outputs].sort((a, b) => b.durationSeconds - a.durationSeconds)[0];
        if (!output) throw new HttpError(422, 'the capture holds no audio that can be played');
        await rename(output.path, path);
      } finally {
        await rm(work, { recursive: true, force: true });
        await capture.release();
      }
      await this.trim(path);
      return { path, encrypted };
    });
  }

  /** Keep the cache under its limit: the least recently played renderings go (never the one just made). */
  private async trim(keep: string): Promise<void> {
    const entries: Array<{ path: string; bytes: number; used: number }> = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!name.endsWith('.wav')) continue;
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info) entries.push({ path: join(this.dir, name), bytes: info.size, used: info.mtimeMs });
    }
    let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    for (const entry of entries.sort((a, b) => a.used - b.used)) {
      if (total <= this.limitBytes) break;
      if (entry.path === keep) continue;
      await rm(entry.path, { force: true });
      total -= entry.bytes;
    }
  }
}
