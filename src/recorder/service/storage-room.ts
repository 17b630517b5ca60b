/**
 * The storage disk's room, as the service sees it: the DISK lamp, the captures whose next step waits for room,
 * and the retry with a growing pause. A full disk is an alarm, not a failure: nothing is quarantined or lost,
 * copying of new captures pauses (they stay on the drive), and the waiting work is tried again, one item first
 * as a probe, 1 s doubling to 1 min, until a write succeeds.
 */
import type { Logger } from 'pino';

/** First and longest pause between attempts while the storage disk is full. */
const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 60_000;

export interface StorageRoomOptions {
  readonly log: Logger;
  /** Longest pause between attempts (default 60 s). */
  readonly longestPauseMs?: number;
  /** Run the step of capture `name` again now. */
  readonly retry: (name: string) => void;
  /** Pause (true) or resume copying of new captures from the drive. */
  readonly pauseCopying: (paused: boolean) => void;
}

export class StorageRoom {
  /** The DISK lamp: red while the disk is full or refuses writes. */
  lamp: 'green' | 'red' = 'green';
  /** Why the lamp went red last. */
  reason: string | undefined;
  private readonly waiting = new Set<string>();
  private retryTimer: NodeJS.Timeout | undefined;
  private pauseMs = 0;
  private stopped = false;

  constructor(private readonly options: StorageRoomOptions) {}

  /** A write found the disk full while `during`: `name`'s step (if any) waits, the lamp goes red (logged once). */
  full(name: string | undefined, during: string, cause: unknown): void {
    if (name !== undefined) this.waiting.add(name);
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.reason = `storage full while ${during}: ${reason}`;
    if (this.lamp !== 'red' || this.pauseMs === 0) {
      this.lamp = 'red';
      this.options.log.error({ during, reason, waiting: this.waiting.size }, 'storage full: work waits until there is room again (alarm)');
      this.pauseMs = FIRST_PAUSE_MS;
    } else {
      this.options.log.debug({ during, reason, waiting: this.waiting.size }, 'storage still full');
      this.pauseMs = this.nextPause();
    }
    this.options.pauseCopying(true);
    this.armRetry(this.pauseMs);
  }

  /** The disk refuses writes (permissions, read-only, I/O errors): the lamp goes red until a write succeeds. */
  notWritable(reason?: string): void {
    this.lamp = 'red';
    this.reason = reason ?? 'the store refuses writes';
  }

  /** A write to the store succeeded: the disk has room again, and everything waiting goes on. */
  hasRoom(): void {
    if (this.lamp === 'green' && this.waiting.size === 0) return;
    if (this.lamp === 'red') this.options.log.info({ waiting: this.waiting.size }, 'storage has room again; waiting work resumes');
    this.lamp = 'green';
    this.pauseMs = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const name of this.waiting) this.options.retry(name);
    this.waiting.clear();
    this.options.pauseCopying(false);
  }

  /** The disk's free space grew (an administrator made room): the waiting work is tried now, not after the pause. */
  spaceFreed(): void {
    if (this.lamp !== 'red' || this.stopped || this.pauseMs === 0) return;
    this.options.log.info({ waiting: this.waiting.size }, 'storage: free space grew; waiting work is tried now');
    this.pauseMs = FIRST_PAUSE_MS;
    this.retryOne();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Try the waiting work again: one item first (a probe); the others follow once it got through. */
  private retryOne(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    const [first] = this.waiting;
    if (first !== undefined) {
      this.waiting.delete(first);
      this.options.retry(first);
    } else {
      // Only copying was blocked: let the ingestor try; a failure raises the condition again.
      this.options.pauseCopying(false);
    }
    // Without news either way, look again after the next pause.
    this.armRetry(this.nextPause());
  }

  private armRetry(ms: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.retryOne(), ms);
    this.retryTimer.unref();
  }

  /** The pause after the current one: twice as long, up to the longest. */
  private nextPause(): number {
    return Math.min(this.options.longestPauseMs ?? LONGEST_PAUSE_MS, this.pauseMs * 2);
  }
}

/** ENOSPC / EDQUOT / SQLITE_FULL, as an error with a code, a DriveError wrapping one, or a conversion report's message. */
export function isDiskFull(error: unknown): boolean {
  if (error === undefined || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
  const text = typeof error === 'string' ? error : error instanceof Error ? error.message : '';
  return /\b(ENOSPC|EDQUOT|SQLITE_FULL)\b|no space left on device|disk quota exceeded|database or disk is full/i.test(text);
}
