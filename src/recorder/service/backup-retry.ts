// Backup copies that failed are tried again until they succeed: the names wait in WORKDIR/backup-pending.json
// (replaced atomically, so a restart goes on with them), a round copies them oldest first and stops at the first
// failure (the backup is still away), and the wait between rounds doubles from the first to the last given. While
// any wait, the BACKUP lamp is red: the backup is behind.
import type { Logger } from 'pino';
import { StateFileError, readStateFile, writeFileAtomic } from '../../platform/util/index.js';
import type { BackupOutcome } from '../../recordings/index.js';

export const BACKUP_PENDING_FILE = 'backup-pending.json';

export interface BackupRetryOptions {
  readonly file: string;
  /** Copy one recording to the backup tree; a recording that is gone (deleted since) counts as done. */
  readonly copy: (name: string) => Promise<BackupOutcome | 'gone'>;
  /** Wait before the first retry and the longest wait (ms; default 5 s and 10 min). */
  readonly retryMs?: readonly [number, number];
  readonly log: Logger;
  /** The pending set changed between empty and not (the BACKUP lamp). */
  readonly onChange: () => void;
}

export class BackupRetry {
  readonly #options: BackupRetryOptions;
  readonly #pending = new Map<string, string>();
  #wait: number;
  #timer: NodeJS.Timeout | undefined;
  #nextAt: number | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  lastError: string | undefined;

  private constructor(options: BackupRetryOptions) {
    this.#options = options;
    this.#wait = this.#range[0];
  }

  get #range(): readonly [number, number] {
    return this.#options.retryMs ?? [5000, 600_000];
  }

  static async open(options: BackupRetryOptions): Promise<BackupRetry> {
    const retry = new BackupRetry(options);
    // A damaged list is an error naming the file: forgetting it would leave recordings out of the backup unseen.
    const stored = readStateFile(options.file, 'backup copies to retry') as { pending?: unknown } | undefined;
    if (stored !== undefined) {
      if (stored === null || typeof stored !== 'object' || !Array.isArray(stored.pending)) {
        throw new StateFileError(options.file, 'not a list of backup copies to retry; move the file aside (recorder backup verify --repair finds what is missing)');
      }
      for (const entry of stored.pending as unknown[]) {
        if (Array.isArray(entry) && typeof entry[0] === 'string') retry.#pending.set(entry[0], String(entry[1]));
      }
    }
    if (retry.#pending.size > 0) {
      options.log.warn({ recordings: retry.#pending.size }, 'backup: copies that failed before the restart are tried again');
      retry.#arm(0);
    }
    return retry;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** When the next round runs (ms since epoch), if one is due. */
  get nextAt(): number | undefined {
    return this.#nextAt;
  }

  /** A copy failed: keep the name, try again later. */
  add(name: string, error: string): void {
    const was = this.#pending.size;
    this.#pending.set(name, error);
    this.lastError = `${name}: ${error}`;
    this.#save();
    if (was === 0) {
      this.#wait = this.#range[0];
      this.#arm(this.#wait);
      this.#options.onChange();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #arm(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#nextAt = Date.now() + ms;
    this.#timer = setTimeout(() => {
      this.#running = this.#round();
    }, ms);
    this.#timer.unref();
  }

  async #round(): Promise<void> {
    this.#nextAt = undefined;
    let copied = 0;
    for (const name of [...this.#pending.keys()]) {
      if (this.#stopped) return;
      const outcome = await this.#options.copy(name).catch((error: unknown) => ({ status: 'failed' as const, error: error instanceof Error ? error.message : String(error) }));
      if (outcome !== 'gone' && outcome.status === 'failed') {
        this.#pending.set(name, outcome.error);
        this.lastError = `${name}: ${outcome.error}`;
        this.#wait = Math.min(this.#wait * 2, this.#range[1]);
        this.#options.log.warn({ waiting: this.#pending.size, copied, nextInMs: this.#wait, reason: outcome.error }, 'backup: still failing; tried again later');
        this.#save();
        this.#arm(this.#wait);
        return;
      }
      this.#pending.delete(name);
      copied++;
    }
    this.#save();
    if (this.#pending.size > 0) {
      // Failed copies came in during the round: another round for them.
      this.#arm(this.#range[0]);
      return;
    }
    this.#wait = this.#range[0];
    this.lastError = undefined;
    this.#options.log.info({ copied }, 'backup: caught up, every recording copied');
    this.#options.onChange();
  }

  #save(): void {
    try {
      writeFileAtomic(this.#options.file, Buffer.from(`${JSON.stringify({ pending: [...this.#pending] })}\n`));
    } catch (error) {
      this.#options.log.warn({ err: error }, 'backup: the list of copies to retry could not be written');
    }
  }
}
