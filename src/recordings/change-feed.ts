// The change feed of a store: what was filed, edited or removed, seen by every process that opened the store.
//
// One append-only file of JSON lines beside the index (the index is local to the machine; so is the feed).
// Writers append one line per change with O_APPEND, which the kernel keeps whole for lines this short, so a
// `recorder run` and a `recorder serve` can both write. Readers keep the file open, read what was appended since
// their last look and pass it on; they look when the directory changes (inotify: a few milliseconds) and, for
// file systems that do not report changes (NFS), on a short timer that costs one fstat, never a database query.
// When the file grows past a limit a writer renames it aside and starts a new one; a reader first drains the
// old file through its open descriptor, then the one set aside after it (two rotations between two looks), then
// opens the new one from the start. At the default 4 MiB a third rotation between two looks would take some
// 100,000 changes in 100 ms.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { appendFile, open, rename, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Serial, jsonObjectOrUndefined } from '../platform/util/index.js';

/** What happened to a recording. */
export type RecordingChange =
  | { readonly kind: 'filed'; readonly name: string; readonly callId: string; readonly at: string; readonly origin: string }
  | {
      readonly kind: 'edited';
      readonly name: string;
      /** The name before the edit, when the edit renamed the recording (a TAN change). */
      readonly previousName?: string;
      readonly what: 'notes' | 'tan' | 'favourite' | 'integrity' | 'audio';
      readonly at: string;
      readonly origin: string;
    }
  | { readonly kind: 'removed'; readonly name: string; readonly reason: 'deleted' | 'retention' | 'erased'; readonly at: string; readonly origin: string }
  /**
   * A call the service records has started (an agent's leg connected): no recording yet, but the player link
   * tells the AppServer at once (FRST), so the agent's application record gets the call's id in time.
   */
  | { readonly kind: 'started'; readonly callId: string; readonly extension: string; readonly agent: string; readonly at: string; readonly origin: string };

/** A change as the caller announces it (the feed adds the time and its origin). */
export type RecordingChangeInput = RecordingChange extends infer C ? (C extends RecordingChange ? Omit<C, 'at' | 'origin'> : never) : never;

export interface ChangeFeedOptions {
  /** The feed file (JSON lines). */
  readonly path: string;
  /** Read other processes' changes (default true); a one-shot command only writes. */
  readonly follow?: boolean;
  /** Fallback look at the file when the file system reports no changes (ms, default 100). */
  readonly pollMs?: number;
  /** Rename the file aside once it is larger than this (bytes, default 4 MiB). */
  readonly rotateBytes?: number;
  /** Ask the file system for change notices (default true); without them the timer alone looks (as on NFS). */
  readonly watch?: boolean;
}

const ROTATED_SUFFIX = '.1';
const MAX_LINE = 64 * 1024;

/**
 * Emits 'change' for every change, its own at once and other processes' as they appear in the file; a change
 * made by this feed is never delivered twice.
 */
export class ChangeFeed extends EventEmitter<{ change: [RecordingChange] }> {
  readonly path: string;
  /** Tells this feed's lines from other writers' (two feeds of one process are two origins). */
  readonly origin = `${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #rotateBytes: number;
  #reader: { handle: FileHandle; ino: number; offset: number; rest: string } | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();
  #again = false;
  #closed = false;
  readonly #appends = new Serial();

  private constructor(options: ChangeFeedOptions) {
    super();
    this.path = options.path;
    this.#rotateBytes = options.rotateBytes ?? 4 * 1024 * 1024;
  }

  static async open(options: ChangeFeedOptions): Promise<ChangeFeed> {
    const feed = new ChangeFeed(options);
    if (options.follow !== false) await feed.#follow(options.pollMs ?? 100, options.watch !== false);
    return feed;
  }

  /** Record a change and tell this process's listeners at once. */
  async publish(input: RecordingChangeInput): Promise<RecordingChange> {
    const change = { ...input, at: new Date().toISOString(), origin: this.origin } as RecordingChange;
    this.emit('change', change as RecordingChange);
    const line = `${JSON.stringify(change)}\n`;
    // Appends of one process go in order; a failed append (disk full) loses the notice, never the recording.
    await this.#appends.run(() => this.#append(line));
    return change;
  }

  async #append(line: string): Promise<void> {
    await appendFile(this.path, line, { mode: 0o600 });
    const size = (await stat(this.path).catch(() => undefined))?.size ?? 0;
    // Another writer may rotate at the same moment: each rename moves a whole file, readers hold theirs open.
    if (size > this.#rotateBytes) await rename(this.path, `${this.path}${ROTATED_SUFFIX}`).catch(() => undefined);
  }

  async #follow(pollMs: number, notices: boolean): Promise<void> {
    // Start at the end: a process cares about changes from its start on (the index holds the rest).
    await appendFile(this.path, '', { mode: 0o600 });
    const handle = await open(this.path, 'r');
    const info = await handle.stat();
    this.#reader = { handle, ino: info.ino, offset: info.size, rest: '' };
    if (notices) this.#watch();
    this.#timer = setInterval(() => this.#look(), pollMs);
    this.#timer.unref();
  }

  #watch(): void {
    try {
      const name = basename(this.path);
      this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === name || file === `${name}${ROTATED_SUFFIX}`) this.#look();
      });
      this.#watcher.on('error', () => undefined); // the timer still looks
    } catch {
      this.#watcher = undefined; // no change notices here: the timer alone
    }
  }

  /** Read what is new; one read at a time, a request during a read runs once more after it. */
  #look(): void {
    if (this.#closed) return;
    this.#again = true;
    this.#reading = this.#reading.then(async () => {
      while (this.#again && !this.#closed) {
        this.#again = false;
        await this.#drain().catch(() => undefined);
      }
    });
  }

  async #drain(): Promise<void> {
    const reader = this.#reader;
    if (!reader) return;
    await this.#readFrom(reader);
    // Rotated: the old file is read to its end above; go on with the new one from its start. (A stat on every
    // look; the file is opened only when it is another one.)
    const current = await stat(this.path).catch(() => undefined);
    if (!current || current.ino === reader.ino) return;
    const handle = await open(this.path, 'r').catch(() => undefined);
    if (!handle) return;
    const ino = (await handle.stat()).ino;
    // Two rotations since the last look: the file between ours and the current one is the one set aside now.
    const aside = await open(`${this.path}${ROTATED_SUFFIX}`, 'r').catch(() => undefined);
    if (aside) {
      const asideIno = (await aside.stat()).ino;
      if (asideIno !== reader.ino && asideIno !== ino) await this.#readFrom({ handle: aside, offset: 0, rest: '' });
      await aside.close();
    }
    await reader.handle.close().catch(() => undefined);
    this.#reader = { handle, ino, offset: 0, rest: '' };
    await this.#readFrom(this.#reader);
  }

  async #readFrom(reader: { handle: FileHandle; offset: number; rest: string }): Promise<void> {
    const size = (await reader.handle.stat()).size;
    if (size < reader.offset) {
      reader.offset = size; // truncated by hand: carry on from its end
      reader.rest = '';
    }
    while (reader.offset < size) {
      const chunk = Buffer.alloc(Math.min(size - reader.offset, 256 * 1024));
      const { bytesRead } = await reader.handle.read(chunk, 0, chunk.length, reader.offset);
      if (bytesRead === 0) break;
      reader.offset += bytesRead;
      const text = reader.rest + chunk.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      reader.rest = lines.pop() ?? '';
      if (reader.rest.length > MAX_LINE) reader.rest = ''; // not a line any writer of ours writes
      for (const line of lines) this.#deliver(line);
    }
  }

  #deliver(line: string): void {
    if (line.length === 0) return;
    const change = jsonObjectOrUndefined(line) as Partial<Record<string, unknown>> | undefined; // a torn or foreign line: skipped
    if (change === undefined || change.origin === this.origin) return;
    if (change.kind === 'started') {
      if (typeof change.callId !== 'string' || typeof change.extension !== 'string' || typeof change.agent !== 'string') return;
    } else if (change.kind !== 'filed' && change.kind !== 'edited' && change.kind !== 'removed') return;
    else if (typeof change.name !== 'string') return;
    this.emit('change', change as RecordingChange);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    if (this.#timer) clearInterval(this.#timer);
    await this.#reading;
    await this.#appends.drained();
    await this.#reader?.handle.close().catch(() => undefined);
    this.#reader = undefined;
  }
}
