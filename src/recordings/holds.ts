// Legal holds: a recording, an agent's recordings, or the recordings of a period are kept — retention does not
// delete them and a user cannot — until the hold is released. Holds are a small JSON file beside the index (not in
// it: the index is rebuilt from the files, holds cannot be), changed under a lock file by whichever process places
// or releases one (player, CLI) and read by the service's retention sweep. A released hold stays in the file with
// who released it and why; the audit trails say the same.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { isRealLocalDateTime, writeFileDurable } from '../platform/util/index.js';
import type { ParsedRecordingName } from './naming.js';
import { StoreError } from './errors.js';

/** What a hold covers: one call's recording (by its call id, so a TAN rename keeps it), an agent, or a period. */
export type HoldScope =
  | { readonly kind: 'recording'; readonly callId: string; readonly recording: string }
  | { readonly kind: 'agent'; readonly agent: string }
  /** Wall-clock times of the store's zone, `YYYY-MM-DD HH:MM`, inclusive: recordings that started in it. */
  | { readonly kind: 'period'; readonly from: string; readonly to: string };

export interface LegalHold {
  readonly id: string;
  readonly scope: HoldScope;
  readonly reason: string;
  readonly placedBy: string;
  readonly placedAt: string;
  readonly released?: { readonly by: string; readonly at: string; readonly reason: string };
}

export interface HoldsOptions {
  /** Four-eyes: a hold is released only by another person than the one who placed it. */
  readonly fourEyes?: boolean;
}

interface HoldsFile {
  readonly version: 1;
  readonly holds: LegalHold[];
}

const WALL = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;

/** A wall-clock time as holds keep it, `YYYY-MM-DD HH:MM`, naming a real minute (no 31 February, no 24:00). */
function isWallTime(text: string): boolean {
  const match = WALL.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  return isRealLocalDateTime({ year, month, day, hour, minute });
}

function wallOf(recording: ParsedRecordingName): string {
  const { year, month, day, hour, minute } = recording.local;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}`;
}

/** Whether a hold covers a recording (active or not: the caller looks at `released`). */
export function holdCovers(hold: LegalHold, recording: ParsedRecordingName): boolean {
  const scope = hold.scope;
  if (scope.kind === 'recording') return recording.callId === scope.callId;
  if (scope.kind === 'agent') return recording.internal === scope.agent;
  const at = wallOf(recording);
  return at >= scope.from && at <= scope.to;
}

export class LegalHolds {
  constructor(
    readonly path: string,
    private readonly options: HoldsOptions = {},
  ) {}

  /** Every hold, released ones too, oldest first. */
  async list(): Promise<LegalHold[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let parsed: HoldsFile;
    try {
      parsed = JSON.parse(text) as HoldsFile;
    } catch (error) {
      // Never read as "no holds": that would let retention delete what is held.
      throw new StoreError('bad-input', `${this.path}: the legal holds file is not readable JSON (${(error as Error).message}); fix or restore it — retention and deletion wait`);
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.holds)) throw new StoreError('bad-input', `${this.path}: not a legal holds file of version 1`);
    return parsed.holds;
  }

  /** The holds in force (not released). */
  async active(): Promise<LegalHold[]> {
    return (await this.list()).filter((hold) => hold.released === undefined);
  }

  /** A function naming the first active hold over a recording, from the holds as they are now (one read). */
  async checker(): Promise<(recording: ParsedRecordingName) => string | undefined> {
    const active = await this.active();
    return (recording) => active.find((hold) => holdCovers(hold, recording))?.id;
  }

  async place(scope: HoldScope, reason: string, by: string): Promise<LegalHold> {
    checkScope(scope);
    if (reason.trim().length === 0) throw new StoreError('bad-input', 'hold: a reason is required');
    if (reason.length > 1000) throw new StoreError('bad-input', 'hold: the reason is longer than 1000 characters');
    return this.#change((holds) => {
      const hold: LegalHold = { id: `H-${randomBytes(5).toString('hex')}`, scope, reason: reason.trim(), placedBy: by, placedAt: new Date().toISOString() };
      holds.push(hold);
      return hold;
    });
  }

  async release(id: string, reason: string, by: string): Promise<LegalHold> {
    if (reason.trim().length === 0) throw new StoreError('bad-input', 'release: a reason is required');
    return this.#change((holds) => {
      const index = holds.findIndex((hold) => hold.id === id);
      if (index < 0) throw new StoreError('not-found', `hold ${id}: no such hold`);
      const hold = holds[index]!;
      if (hold.released) throw new StoreError('conflict', `hold ${id}: released already, by ${hold.released.by} at ${hold.released.at}`);
      if (this.options.fourEyes && hold.placedBy === by) throw new StoreError('forbidden', `hold ${id}: placed by ${by}; four-eyes: another person must release it`);
      const released: LegalHold = { ...hold, released: { by, at: new Date().toISOString(), reason: reason.trim() } };
      holds[index] = released;
      return released;
    });
  }

  /** Read, change and write the file under its lock (other processes place and release holds too). */
  async #change<T>(change: (holds: LegalHold[]) => T): Promise<T> {
    // Compromised (taken over as stale while this process stood still): not thrown where nothing catches it — the
    // write below is whole either way (an atomic rename), at worst one of two changes made at once is lost.
    const release = await lockfile.lock(this.path, { realpath: false, stale: 10_000, retries: { retries: 100, minTimeout: 10, maxTimeout: 200 }, onCompromised: () => undefined });
    try {
      const holds = await this.list();
      const result = change(holds);
      await writeFileDurable(this.path, `${JSON.stringify({ version: 1, holds } satisfies HoldsFile, null, 2)}\n`);
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }
}

function checkScope(scope: HoldScope): void {
  if (scope.kind === 'recording') {
    if (!scope.callId || !scope.recording) throw new StoreError('bad-input', 'hold: the recording is not named');
  } else if (scope.kind === 'agent') {
    if (!/^[0-9A-Za-z*#+]{1,48}$/.test(scope.agent)) throw new StoreError('bad-input', `hold: agent: expected a number, got ${JSON.stringify(scope.agent)}`);
  } else if (scope.kind === 'period') {
    if (!isWallTime(scope.from)) throw new StoreError('bad-input', `hold: from: expected YYYY-MM-DD HH:MM, got ${JSON.stringify(scope.from)}`);
    if (!isWallTime(scope.to)) throw new StoreError('bad-input', `hold: to: expected YYYY-MM-DD HH:MM, got ${JSON.stringify(scope.to)}`);
    if (scope.from > scope.to) throw new StoreError('bad-input', `hold: to (${scope.to}) is before from (${scope.from})`);
  } else throw new StoreError('bad-input', 'hold: unknown kind');
}
