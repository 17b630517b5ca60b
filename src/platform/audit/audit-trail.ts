// The audit trail: one JSON object a line, each carrying the SHA-256 of the line before it (`prev`) and its number
// (`seq`), so that a line removed, inserted, reordered or edited breaks the chain where it happened; every so
// many lines, and when the writer closes, a checkpoint line carries an HMAC of the chain's head under a key derived
// from the system key, so that the whole chain cannot be rewritten without that key. Checked with standard tools
// (README: "The audit trail"): a line's hash is `sha256sum` of its bytes without the newline.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import lockfile from 'proper-lockfile';
import { deriveSubkey } from '../crypto/index.js';
import type { Key, Keyring } from '../crypto/index.js';

/** `prev` of the first line: no line before it. */
export const AUDIT_GENESIS = '0'.repeat(64);
const CHECKPOINT_KEY_INFO = 'recorder audit checkpoint v1';
const CHECKPOINT_MESSAGE = 'recorder-audit-checkpoint-v1';
/** A lock older than this is taken for a dead writer's (proper-lockfile refreshes a live one's). */
const LOCK_STALE_MS = 10_000;
/** Bytes read from the end of the file to find its last line. */
const TAIL_BYTES = 64 * 1024;

export function auditLineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/** The checkpoint key: HKDF-SHA-256 of the master key (no salt), never the key itself. */
function checkpointKey(key: Key): Buffer {
  return deriveSubkey(key, CHECKPOINT_KEY_INFO);
}

/** What a checkpoint's MAC covers: its own number and the hash of the line before it (the chain's head). */
function checkpointMac(key: Key, seq: number, prev: string): string {
  return createHmac('sha256', checkpointKey(key)).update(`${CHECKPOINT_MESSAGE} ${seq} ${prev}`, 'latin1').digest('hex');
}

export interface AuditTrailOptions {
  /** Checkpoints are made under its current key; without one the chain has no checkpoints. */
  readonly keyring?: Keyring;
  /** A checkpoint after this many entries (default 100). */
  readonly checkpointEvery?: number;
  /**
   * Also a checkpoint this long after the first entry not yet covered by one (ms; default: none), so that a quiet
   * writer's last entries do not wait for the 100th or for its stop to be sealed.
   */
  readonly checkpointAfterMs?: number;
  /** Told of a write that failed (the entry is lost; the chain stays whole). */
  readonly onError?: (error: unknown) => void;
}

/** The last line of a file (its bytes without a newline) and its number, or undefined for an empty file. */
async function lastLine(path: string): Promise<{ text: string; seq: number; torn: boolean } | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return undefined;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    const torn = !text.endsWith('\n');
    const body = torn ? text : text.slice(0, -1);
    const line = body.slice(body.lastIndexOf('\n') + 1);
    let seq = -1;
    try {
      const parsed = JSON.parse(line) as { seq?: unknown };
      if (typeof parsed.seq === 'number') seq = parsed.seq;
    } catch {
      // a torn or damaged last line: the chain goes on from its bytes; verify names it
    }
    // Its number, then, from its place in the file: as many lines before it as newlines.
    if (seq < 0) seq = (await readFile(path, 'utf8')).split('\n').length - (torn ? 1 : 2);
    return { text: line, seq, torn };
  } finally {
    await handle.close();
  }
}

/**
 * Appends entries to an audit trail file, one at a time in order. Each append reads the file's last line first,
 * so a chain another writer extended goes on from its head.
 */
export class AuditTrail {
  #queue: Promise<void> = Promise.resolve();
  #sinceCheckpoint = 0;
  readonly #every: number;
  #sealTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly options: AuditTrailOptions = {},
  ) {
    this.#every = options.checkpointEvery ?? 100;
  }

  /** Entries written since the last checkpoint (by this writer). */
  get unsealed(): number {
    return this.#sinceCheckpoint;
  }

  /** Append an entry; resolves once it is written (errors go to onError, and reject). */
  append(user: string, action: string, detail: Readonly<Record<string, unknown>> = {}): Promise<void> {
    const run = this.#queue.then(() => this.#append(user, action, detail));
    this.#queue = run.catch((error: unknown) => this.options.onError?.(error));
    return run;
  }

  /** A checkpoint now (as a writer stops), if anything was written since the last one. Waits for earlier appends. */
  async close(): Promise<void> {
    clearTimeout(this.#sealTimer);
    this.#sealTimer = undefined;
    await this.#queue;
    if (this.#sinceCheckpoint > 0 && (this.options.keyring?.size ?? 0) > 0) await this.append('system', 'checkpoint').catch(() => undefined);
  }

  async #append(user: string, action: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    // Other processes append to the same trail (the service, the player, a CLI command): reading the last line and
    // appending after it is one step under a lock file, or two writers would chain to the same line.
    // A lock taken over as stale while this process stood still (its default reaction throws where nothing catches,
    // ending the process) is reported instead: a fork in the chain it may cause is what verify finds.
    const release = await lockfile.lock(this.path, {
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: { retries: 200, minTimeout: 5, maxTimeout: 100 },
      onCompromised: (error) => this.options.onError?.(error),
    });
    try {
      await this.#appendLocked(user, action, detail);
    } finally {
      await release().catch(() => undefined);
    }
    if (action !== 'checkpoint' && this.#sinceCheckpoint >= this.#every) await this.#append('system', 'checkpoint', {});
  }

  async #appendLocked(user: string, action: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    const last = await lastLine(this.path);
    const seq = last ? last.seq + 1 : 0;
    const prev = last ? auditLineHash(last.text) : AUDIT_GENESIS;
    const { seq: _seq, prev: _prev, at: _at, user: _user, action: _action, ...rest } = detail as Record<string, unknown>;
    let entry: Record<string, unknown> = { seq, at: new Date().toISOString(), user, action, ...rest, prev };
    const keyring = this.options.keyring;
    const key = keyring && keyring.size > 0 ? keyring.current : undefined;
    if (action === 'checkpoint') {
      if (!key) throw new Error(`${this.path}: a checkpoint needs the system key`);
      entry = { seq, at: entry.at, user, action, keyId: key.id, mac: checkpointMac(key, seq, prev), prev };
    }
    // A torn last line (a writer killed mid-line) is closed with a newline first: the chain goes on from its bytes.
    await appendFile(this.path, `${last?.torn ? '\n' : ''}${JSON.stringify(entry)}\n`, { mode: 0o600 });
    if (action === 'checkpoint') {
      this.#sinceCheckpoint = 0;
      clearTimeout(this.#sealTimer);
      this.#sealTimer = undefined;
    } else if (key) {
      // The 100th is sealed by #append once the lock is given back; before it, a quiet writer's by the timer.
      this.#sinceCheckpoint++;
      if (this.#sinceCheckpoint < this.#every && this.#sealTimer === undefined && this.options.checkpointAfterMs !== undefined) {
        this.#sealTimer = setTimeout(() => {
          this.#sealTimer = undefined;
          if (this.#sinceCheckpoint > 0) void this.append('system', 'checkpoint').catch(() => undefined);
        }, this.options.checkpointAfterMs);
        this.#sealTimer.unref();
      }
    }
  }
}

export type AuditProblemKind = 'unparsable' | 'broken-chain' | 'out-of-sequence' | 'bad-checkpoint';

export interface AuditProblem {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly kind: AuditProblemKind;
  readonly detail: string;
}

export interface AuditVerification {
  readonly path: string;
  readonly entries: number;
  readonly checkpoints: number;
  /** Checkpoints whose MAC could be checked and matched. */
  readonly checkpointsVerified: number;
  /** Checkpoints under a key not given: their MAC is not checked (the chain still is). */
  readonly checkpointsUnchecked: number;
  /** Lines after the last verified checkpoint: chained, but not yet sealed by a checkpoint. */
  readonly unsealed: number;
  readonly problems: readonly AuditProblem[];
}

/**
 * The lines of a trail from byte `start`, as the file streams (a trail of years does not fit one string), split on
 * '\n' alone so that each line is exactly its bytes, a stray '\r' included; a last line without its newline still
 * comes. Closes `handle` when done.
 */
async function* trailLines(handle: FileHandle, start: number): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of handle.createReadStream({ start, highWaterMark: 1 << 20, autoClose: false })) {
      const text = rest + decoder.write(chunk as Buffer);
      let from = 0;
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
        yield text.slice(from, newline);
        from = newline + 1;
      }
      rest = text.slice(from);
    }
  } finally {
    await handle.close();
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
}

/**
 * Checks an audit trail: every line parses, carries the next number and the hash of the line before it, and every
 * checkpoint's MAC matches under its key (when the keyring has it; otherwise it is counted unchecked). Each
 * problem names its line.
 */
export async function verifyAuditTrail(path: string, keyring?: Keyring): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  let prevHash = AUDIT_GENESIS;
  let expectedSeq = 0;
  let checkpoints = 0;
  let verified = 0;
  let unchecked = 0;
  let lastSealed = 0;
  let count = 0;
  const check = (line: string): void => {
    const number = ++count;
    const hash = auditLineHash(line);
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error('not an object');
    } catch (error) {
      problems.push({ line: number, kind: 'unparsable', detail: `not a JSON object (${(error as Error).message}): a torn or edited line` });
      prevHash = hash;
      expectedSeq++;
      return;
    }
    if (entry.prev !== prevHash) problems.push({ line: number, kind: 'broken-chain', detail: `prev ${String(entry.prev).slice(0, 16)}… is not the hash of line ${number - 1} (${prevHash.slice(0, 16)}…): a line before it was removed, inserted, reordered or edited` });
    if (entry.seq !== expectedSeq) problems.push({ line: number, kind: 'out-of-sequence', detail: `seq ${String(entry.seq)} where ${expectedSeq} was due` });
    if (entry.action === 'checkpoint') {
      checkpoints++;
      const key = keyring?.get(String(entry.keyId));
      if (!key) unchecked++;
      else {
        const want = Buffer.from(checkpointMac(key, Number(entry.seq), String(entry.prev)), 'hex');
        const got = Buffer.from(String(entry.mac), 'hex');
        if (got.length !== want.length || !timingSafeEqual(got, want)) problems.push({ line: number, kind: 'bad-checkpoint', detail: 'its MAC does not match: the chain up to it was rewritten' });
        else {
          verified++;
          lastSealed = number;
        }
      }
    }
    prevHash = hash;
    expectedSeq = (typeof entry.seq === 'number' ? entry.seq : expectedSeq) + 1;
  };
  for await (const line of trailLines(await open(path, 'r'), 0)) check(line);
  return { path, entries: count, checkpoints, checkpointsVerified: verified, checkpointsUnchecked: unchecked, unsealed: count - lastSealed, problems };
}

/** One entry as read back: its number, time, who, what, and the rest of its fields. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly user: string;
  readonly action: string;
  readonly recording?: string;
  /** Every other field (recordings, reason, address …), without the chain's own fields. */
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface AuditQuery {
  readonly user?: string;
  readonly action?: string;
  /** A recording's name or part of it (also found among an export's recordings). */
  readonly recording?: string;
  /** ISO times, inclusive. */
  readonly from?: string;
  readonly to?: string;
  readonly offset?: number;
  readonly limit?: number;
}

/** Bytes read at each probe of {@link trailOffsetAt}: far more than one line. */
const PROBE_BYTES = 16 * 1024;
/** Below this span the search stops and reading goes on line by line. */
const SEEK_SPAN_BYTES = 256 * 1024;

/**
 * A byte offset in the trail at a line's start at or before the first line written at `from` (an ISO time) or
 * later: lines are appended in time order, so a binary search over the file finds it in a few reads, and a trail
 * kept for years is not read from its start for last week's entries. 0 when the file is short or unreadable there.
 */
export async function trailOffsetAt(path: string, from: string): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(PROBE_BYTES);
    /** The time of the first whole line starting after `position`, and where that line starts. */
    const lineAfter = async (position: number): Promise<{ at: string; start: number } | undefined> => {
      const { bytesRead } = await handle.read(buffer, 0, PROBE_BYTES, position);
      // Found in bytes: `position` may fall inside a character.
      const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
      if (newline < 0) return undefined;
      const at = /"at":"([^"]+)"/.exec(buffer.toString('utf8', newline + 1, Math.min(bytesRead, newline + 513)))?.[1];
      return at === undefined ? undefined : { at, start: position + newline + 1 };
    };
    let low = 0; // a line start known to be before `from` (or the file's start)
    let high = size;
    while (high - low > SEEK_SPAN_BYTES) {
      const middle = Math.floor((low + high) / 2);
      const probe = await lineAfter(middle);
      if (probe === undefined || probe.start >= high) break;
      if (probe.at < from) low = probe.start;
      else high = middle;
    }
    return low;
  } finally {
    await handle.close();
  }
}

/**
 * The trail's entries matching `query`, newest first (checkpoints left out; an unparsable line is skipped here —
 * verify names it). `total` counts every match. Read as a stream, from the line found by {@link trailOffsetAt}
 * when `query.from` is given (a day earlier, for clocks that stepped back), keeping only the page asked for.
 */
export async function readAuditEntries(path: string, query: AuditQuery = {}): Promise<{ total: number; entries: AuditEntry[] }> {
  const offset = query.offset ?? 0;
  const keep = query.limit === undefined ? Number.POSITIVE_INFINITY : offset + query.limit;
  let start = 0;
  if (query.from !== undefined) {
    const from = new Date(query.from);
    if (!Number.isNaN(from.getTime())) start = await trailOffsetAt(path, new Date(from.getTime() - 86_400_000).toISOString());
  }
  let lines: AsyncIterable<string>;
  try {
    lines = trailLines(await open(path, 'r'), start);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { total: 0, entries: [] };
    throw error;
  }
  // The newest `keep` matches, oldest first (a window sliding over the file).
  const window: AuditEntry[] = [];
  let total = 0;
  for await (const line of lines) {
    if (line.length === 0) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const { seq, at, user, action, prev: _prev, keyId: _keyId, mac: _mac, ...detail } = parsed;
    if (action === 'checkpoint' || typeof seq !== 'number' || typeof at !== 'string' || typeof user !== 'string' || typeof action !== 'string') continue;
    if (query.user !== undefined && user !== query.user) continue;
    if (query.action !== undefined && action !== query.action) continue;
    if (query.from !== undefined && at < query.from) continue;
    if (query.to !== undefined && at > query.to) continue;
    const recording = typeof detail.recording === 'string' ? detail.recording : undefined;
    if (query.recording !== undefined) {
      const named = [recording, ...(Array.isArray(detail.recordings) ? detail.recordings : [])].filter((n): n is string => typeof n === 'string');
      if (!named.some((n) => n.includes(query.recording!))) continue;
    }
    total++;
    window.push({ seq, at, user, action, ...(recording !== undefined ? { recording } : {}), detail });
    if (window.length > keep * 2 + 1024) window.splice(0, window.length - keep);
  }
  if (window.length > keep) window.splice(0, window.length - keep);
  window.reverse();
  return { total, entries: window.slice(offset, offset + (query.limit ?? window.length)) };
}
