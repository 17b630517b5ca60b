import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureDrive, DriveEntry } from './drive.js';
import { DriveError } from './drive.js';
import { decryptIterable } from '../../platform/crypto/index.js';
import type { Keyring } from '../../platform/crypto/index.js';

/** A capture copied from the drive into the working directory, durable and verified. */
export interface IngestedCapture {
  readonly name: string;
  /** The working copy. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface DriveStatus {
  readonly reachable: boolean;
  readonly drive: string;
  /** Why it is not reachable (or a file could not be copied), for the PCAP lamp and the log. */
  readonly error?: string;
}

export interface IngestorOptions {
  readonly drive: CaptureDrive;
  /** Where working copies go; created if missing. */
  readonly workDir: string;
  /** Poll interval in ms (default 5000, the reference's). */
  readonly pollMs?: number;
  /** A file is complete once its size and time have not changed for this long (ms, default 2000). */
  readonly settleMs?: number;
  /** Shorter settle time for files whose call is known to have ended (SOAP), ms (default 250). */
  readonly endedSettleMs?: number;
  /** Whether the call of a capture is known to have ended (the SOAP link's call-end). */
  readonly callEnded?: (name: string) => boolean;
  /**
   * Whether the call of a capture is known to be still going (the SOAP link sees an open leg): its file is not
   * complete however long it has not grown — a call on hold sends no media, so its capture pauses.
   */
  readonly callOngoing?: (name: string) => boolean;
  /** Whether a capture was already taken in (the journal): it is not copied again. */
  readonly alreadyTaken?: (name: string) => boolean;
  /** Takes a finished copy; resolves once the hand-over is durable (journaled). A rejection leaves the file to be copied again. */
  readonly onCapture: (capture: IngestedCapture) => Promise<void> | void;
  readonly onStatus?: (status: DriveStatus) => void;
  /** A single file that failed to copy (it stays on the drive and is tried again). */
  readonly onFileError?: (name: string, error: DriveError) => void;
  /** Milliseconds clock (default performance-based wall time). */
  readonly now?: () => number;
  /**
   * Encrypt working copies under this keyring's current key as they are written (encryption on): the capture
   * never lands on the recorder's disk readable. The converter opens it with the same keyring.
   */
  readonly seal?: Keyring;
}

interface Sighting {
  size: number;
  modified: number;
  /** When this size/modified was first seen, on our clock (the drive's clock may be skewed). */
  since: number;
}

/**
 * Takes captures off the drive: polls the listing, copies each file once it
 * has stopped growing, verifies the copy (byte count, SHA-256 read back from
 * the working disk, fsync), and hands it over. Deleting from the drive is a
 * separate step (`release`) that the service calls only after the result is
 * durable, so no crash between copy and filing can lose a call.
 */
export class Ingestor {
  private readonly sightings = new Map<string, Sighting>();
  private readonly inFlight = new Set<string>();
  private readonly taken = new Set<string>();
  private readonly pendingRemovals = new Map<string, { due: number; done: Array<(removed: boolean) => void> }>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  /** While set, files are watched and removals go on, but nothing new is copied (the working folder's disk is full). */
  private copyingPaused = false;
  private stopped = true;
  private closed = false;
  private lastReachable: boolean | undefined;
  private readonly controller = new AbortController();
  private readonly now: () => number;

  constructor(private readonly options: IngestorOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.nudge();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.controller.abort(new Error('ingestor stopped'));
    await this.polling?.catch(() => undefined);
    // No poll will delete them now: their waiters hear so (the files stay on the drive for the next start).
    for (const pending of this.pendingRemovals.values()) for (const done of pending.done) done(false);
    this.pendingRemovals.clear();
  }

  /** Poll as soon as possible (a call just ended, or the local drive changed). */
  nudge(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.polling = this.pollOnce().finally(() => {
      this.polling = undefined;
      if (this.stopped) return;
      const soon = this.again || this.hasSettling();
      this.again = false;
      this.timer = setTimeout(() => this.nudge(), soon ? this.settleStep() : (this.options.pollMs ?? 5000));
    });
  }

  /**
   * The capture's result is durable: delete it from the drive after `graceMs`
   * (the reference waits 2 s, since a CF card cannot tell whether a file is
   * still open). Failed deletions are retried on later polls; the promise
   * resolves true once the file is gone from the drive, false when the
   * ingestor stops first (the file is still there).
   */
  release(name: string, graceMs = 2000): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.closed) return resolve(false);
      const pending = this.pendingRemovals.get(name);
      const due = this.now() + graceMs;
      if (pending) {
        pending.due = Math.min(pending.due, due);
        pending.done.push(resolve);
      } else this.pendingRemovals.set(name, { due, done: [resolve] });
      this.taken.delete(name);
      if (!this.stopped) setTimeout(() => this.nudge(), graceMs + 1).unref();
    });
  }

  /** Deletions not yet done (for status and tests). */
  pendingRemovalCount(): number {
    return this.pendingRemovals.size;
  }

  /** One listing, copy and deletion pass (public for tests and for a foreground run). */
  async pollOnce(): Promise<void> {
    const drive = this.options.drive;
    let entries: DriveEntry[];
    try {
      entries = await drive.list(this.controller.signal);
      this.setStatus({ reachable: true, drive: drive.describe() });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.setStatus({ reachable: false, drive: drive.describe(), error: reason });
      return;
    }
    await this.removeDue(entries);
    const now = this.now();
    const listed = new Set<string>();
    for (const entry of entries) {
      listed.add(entry.name);
      if (this.pendingRemovals.has(entry.name) || this.taken.has(entry.name) || this.inFlight.has(entry.name)) continue;
      if (this.options.alreadyTaken?.(entry.name)) {
        this.taken.add(entry.name);
        continue;
      }
      const seen = this.sightings.get(entry.name);
      if (!seen || seen.size !== entry.size || seen.modified !== entry.modified) {
        this.sightings.set(entry.name, { size: entry.size, modified: entry.modified, since: now });
        continue;
      }
      const settle = this.options.callEnded?.(entry.name) ? (this.options.endedSettleMs ?? 250) : (this.options.settleMs ?? 2000);
      if (now - seen.since < settle || entry.size === 0) continue;
      if (this.options.callOngoing?.(entry.name)) continue;
      if (this.copyingPaused) continue;
      await this.take(entry);
    }
    for (const name of this.sightings.keys()) if (!listed.has(name)) this.sightings.delete(name);
    for (const name of this.taken) if (!listed.has(name)) this.taken.delete(name);
  }

  /** Stop or resume copying new captures (the drive's files stay where they are meanwhile). */
  pauseCopying(paused: boolean): void {
    this.copyingPaused = paused;
    if (!paused) this.nudge();
  }

  /**
   * A capture taken before its call was over (it paused longer than the settle time, e.g. during a transfer, and
   * the PBX link could not tell) has grown on the drive since: copy it again over the working copy, verified as
   * before, and return the new copy; undefined when the drive's file is still the size that was copied. The
   * service asks once the call's CDR exists, i.e. once the call is over. Deleting the grown file would lose the
   * end of the call.
   */
  async recopyIfGrown(name: string, copiedBytes: number): Promise<IngestedCapture | undefined> {
    const entry = await this.onDrive(name);
    if (!entry || entry.size === copiedBytes) return undefined;
    return this.copy(entry);
  }

  /** The size of a capture on the drive now (undefined when it is not there): whether it grew since it was copied. */
  async sizeOnDrive(name: string): Promise<number | undefined> {
    return (await this.onDrive(name))?.size;
  }

  /** A capture as the drive lists it now (one listing). */
  private async onDrive(name: string): Promise<DriveEntry | undefined> {
    return (await this.options.drive.list(this.controller.signal)).find((candidate) => candidate.name === name);
  }

  /** Download a drive file into the working folder, verified (byte count as listed, SHA-256 read back after fsync). */
  private async copy(entry: DriveEntry): Promise<IngestedCapture> {
    const { drive, workDir } = this.options;
    const finalPath = join(workDir, entry.name);
    const partialPath = `${finalPath}.partial`;
    try {
      await mkdir(workDir, { recursive: true });
      const seal = this.options.seal;
      const result = await drive.download(entry.name, partialPath, this.controller.signal, seal);
      if (result.bytes !== entry.size) {
        throw new DriveError('changed-during-copy', drive.describe(), entry.name, `listed ${entry.size} bytes, copied ${result.bytes}: still being written`);
      }
      await fsyncFile(partialPath);
      const readBack = await sha256Of(partialPath, seal);
      if (readBack !== result.sha256) {
        throw new DriveError('verify-failed', drive.describe(), entry.name, 'the working copy reads back different from what was received');
      }
      await rename(partialPath, finalPath);
      await fsyncFile(workDir);
      return { name: entry.name, path: finalPath, bytes: result.bytes, sha256: result.sha256 };
    } catch (error) {
      await rm(partialPath, { force: true });
      throw error;
    }
  }

  private async take(entry: DriveEntry): Promise<void> {
    this.inFlight.add(entry.name);
    try {
      await this.options.onCapture(await this.copy(entry));
      this.taken.add(entry.name);
      this.sightings.delete(entry.name);
    } catch (error) {
      if (this.closed) return;
      const driveError = error instanceof DriveError ? error : new DriveError('io', this.options.drive.describe(), entry.name, error instanceof Error ? error.message : String(error));
      // A file that grew while copying starts settling again.
      this.sightings.delete(entry.name);
      this.options.onFileError?.(entry.name, driveError);
    } finally {
      this.inFlight.delete(entry.name);
    }
  }

  private async removeDue(entries: readonly DriveEntry[]): Promise<void> {
    if (this.pendingRemovals.size === 0) return;
    const present = new Set(entries.map((entry) => entry.name));
    const now = this.now();
    for (const [name, pending] of this.pendingRemovals) {
      if (!present.has(name)) {
        this.pendingRemovals.delete(name);
        for (const done of pending.done) done(true);
        continue;
      }
      if (pending.due > now) continue;
      try {
        await this.options.drive.remove(name, this.controller.signal);
        this.pendingRemovals.delete(name);
        for (const done of pending.done) done(true);
      } catch (error) {
        const driveError = error instanceof DriveError ? error : new DriveError('io', this.options.drive.describe(), name, String(error));
        this.options.onFileError?.(name, driveError);
      }
    }
  }

  private hasSettling(): boolean {
    return this.sightings.size > 0 || [...this.pendingRemovals.values()].some((pending) => pending.due <= this.now() + (this.options.pollMs ?? 5000));
  }

  private settleStep(): number {
    return Math.max(50, Math.min(this.options.endedSettleMs ?? 250, this.options.pollMs ?? 5000));
  }

  private setStatus(status: DriveStatus): void {
    if (this.lastReachable === status.reachable && status.reachable) return;
    this.lastReachable = status.reachable;
    this.options.onStatus?.(status);
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** SHA-256 of a file's content: of its plaintext when it is sealed (decrypted and authenticated as it is read). */
async function sha256Of(path: string, sealed?: Keyring): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of sealed ? decryptIterable(stream, sealed) : stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
