// A crash-safe journal of the service's work items (one per capture file / conference id): append-only JSON
// lines, each fsynced before record() resolves. Replaying it gives every item exactly one last durable state, so
// after a restart each item resumes from there. A torn last line (the crash hit mid-write) is dropped; any
// other unreadable line is skipped and counted.
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { confIdOfCapture } from '../rules/index.js';
import { fsyncDir, jsonObjectOrUndefined, tempPathIn, writeNewFile } from '../../platform/util/index.js';


/** A journal line or transition that cannot be accepted. */
export class JournalError extends Error {
  readonly code = 'bad-journal';
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

/**
 * Life of an item: discovered → copied (working copy verified) → correlated (agent decided, or to delete) →
 * converted → filed → source-deleted; or quarantined / discarded (decided not to keep, source deleted).
 */
export type JournalState = 'discovered' | 'copied' | 'correlated' | 'converted' | 'filed' | 'source-deleted' | 'quarantined' | 'discarded';

export const JOURNAL_STATES: readonly JournalState[] = ['discovered', 'copied', 'correlated', 'converted', 'filed', 'source-deleted', 'quarantined', 'discarded'];

/** States after which nothing more happens to an item. */
export const FINISHED_STATES: readonly JournalState[] = ['source-deleted', 'quarantined', 'discarded'];

const RANK: Record<JournalState, number> = {
  discovered: 0,
  copied: 1,
  correlated: 2,
  converted: 3,
  filed: 4,
  'source-deleted': 5,
  quarantined: 5,
  discarded: 5,
};

/** JSON-compatible values kept with an item (paths, agent, recording name…). */
export type JournalValue = string | number | boolean | null | readonly JournalValue[] | { readonly [key: string]: JournalValue };
export type JournalData = Readonly<Record<string, JournalValue>>;

export interface JournalItem {
  readonly key: string;
  readonly state: JournalState;
  /** Data of every record of this item merged, later keys winning. */
  readonly data: JournalData;
  /** When the item was first recorded in its current life (since its last 'discovered'). */
  readonly since: Date;
  readonly updated: Date;
}

export interface JournalReplay {
  readonly items: Map<string, JournalItem>;
  /** Lines read and applied. */
  readonly records: number;
  /** The last line was cut short by a crash (it was dropped). */
  readonly tornTail: boolean;
  /** 1-based numbers of other lines that could not be read (skipped). */
  readonly skippedLines: number[];
  /** Byte length of the readable part of the file (where appending continues). */
  readonly validBytes: number;
}

interface JournalLine {
  k: string;
  s: JournalState;
  t: string;
  d?: JournalData;
}

export function isFinished(state: JournalState): boolean {
  return FINISHED_STATES.includes(state);
}

/** Whether an item may move from one state to another. */
export function canTransition(from: JournalState | undefined, to: JournalState): boolean {
  if (from === undefined) return true; // first record of an item: it may join at any state (e.g. recovered work)
  if (to === 'discovered') return isFinished(from) || from === 'discovered'; // a new life, or discovered again
  if (isFinished(from)) return from === to;
  if (to === 'quarantined' || to === 'discarded') return true;
  if (to === 'source-deleted') return from === 'filed' || from === 'source-deleted';
  return RANK[to] >= RANK[from]; // forward, or the same step re-run after a crash
}

function parseLine(text: string): JournalLine | undefined {
  const line = jsonObjectOrUndefined(text);
  if (line === undefined) return undefined;
  if (typeof line.k !== 'string' || line.k.length === 0) return undefined;
  if (typeof line.s !== 'string' || !JOURNAL_STATES.includes(line.s as JournalState)) return undefined;
  if (typeof line.t !== 'string' || Number.isNaN(Date.parse(line.t))) return undefined;
  if (line.d !== undefined && (typeof line.d !== 'object' || line.d === null || Array.isArray(line.d))) return undefined;
  return line as unknown as JournalLine;
}

function apply(items: Map<string, JournalItem>, line: JournalLine): void {
  const previous = items.get(line.k);
  const at = new Date(line.t);
  const newLife = previous === undefined || (line.s === 'discovered' && previous.state !== 'discovered');
  items.set(line.k, {
    key: line.k,
    state: line.s,
    data: newLife ? { ...(line.d ?? {}) } : { ...previous.data, ...(line.d ?? {}) },
    since: newLife ? at : previous.since,
    updated: at,
  });
}

/** Replay journal contents (bytes, or text as written). */
export function replayJournalText(contents: string | Uint8Array): JournalReplay {
  const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength);
  const items = new Map<string, JournalItem>();
  const skippedLines: number[] = [];
  let records = 0;
  let tornTail = false;
  let validBytes = 0;
  let offset = 0;
  let lineNumber = 0;
  while (offset < bytes.length) {
    lineNumber++;
    const newline = bytes.indexOf(0x0a, offset);
    const complete = newline >= 0;
    const next = complete ? newline + 1 : bytes.length;
    const body = bytes.toString('utf8', offset, complete ? newline : bytes.length);
    const blank = body.trim() === '';
    const line = blank ? undefined : parseLine(body);
    if (line) {
      apply(items, line);
      records++;
    } else if (!complete) {
      tornTail = true; // the crash cut the last write: it never counted
      break;
    } else if (!blank) {
      skippedLines.push(lineNumber);
    }
    offset = next;
    validBytes = offset;
  }
  return { items, records, tornTail, skippedLines, validBytes };
}

/** Read a journal file without opening it for writing (a missing file is an empty journal). */
/** Conference ids of the captures a journal has not finished (read beside a running service: it only appends). */
export async function confsInProgress(path: string): Promise<Set<string>> {
  return unfinishedConfs((await readJournal(path)).items.values());
}

/** Conference ids of the items not finished (their captures are still being worked on). */
export function unfinishedConfs(items: Iterable<JournalItem>): Set<string> {
  const confs = new Set<string>();
  for (const item of items) {
    const conf = confIdOfCapture(item.key);
    if (conf !== undefined && !isFinished(item.state)) confs.add(conf);
  }
  return confs;
}

export async function readJournal(path: string): Promise<JournalReplay> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { items: new Map(), records: 0, tornTail: false, skippedLines: [], validBytes: 0 };
    throw error;
  }
  return replayJournalText(text);
}

export interface JournalOptions {
  /** Compact at open when at least this many records are in the file and most are superseded (default 10,000). */
  readonly compactThreshold?: number;
  /** fsync every record (default true; false only for throw-away journals). */
  readonly durable?: boolean;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

export interface CompactOptions {
  /** Also keep finished items updated at or after this time (default: drop all finished items). */
  readonly keepFinishedSince?: Date;
}

export class Journal {
  readonly path: string;
  readonly #items: Map<string, JournalItem>;
  #handle: FileHandle;
  #records: number;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #durable: boolean;
  readonly #now: () => Date;
  /** What was found when the journal was opened. */
  readonly opened: { readonly records: number; readonly tornTail: boolean; readonly skippedLines: readonly number[] };

  private constructor(path: string, handle: FileHandle, replay: JournalReplay, options: JournalOptions) {
    this.path = path;
    this.#handle = handle;
    this.#items = replay.items;
    this.#records = replay.records;
    this.#durable = options.durable ?? true;
    this.#now = options.now ?? (() => new Date());
    this.opened = { records: replay.records, tornTail: replay.tornTail, skippedLines: replay.skippedLines };
  }

  /** Open (creating) a journal: replay it, cut off a torn last line, and compact when it has grown large. */
  static async open(path: string, options: JournalOptions = {}): Promise<Journal> {
    const replay = await readJournal(path);
    const handle = await open(path, 'a+');
    try {
      const size = (await handle.stat()).size;
      if (size !== replay.validBytes) {
        // Drop the torn tail so the next record starts on a line of its own.
        await handle.truncate(replay.validBytes);
        await handle.sync();
      }
      if (replay.validBytes > 0) {
        // A whole last record whose newline was cut off: end its line.
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, replay.validBytes - 1);
        if (last[0] !== 0x0a) {
          await handle.appendFile('\n');
          await handle.sync();
        }
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    await fsyncDir(dirname(path));
    const journal = new Journal(path, handle, replay, options);
    const threshold = options.compactThreshold ?? 10_000;
    if (replay.records >= threshold && replay.records > 2 * journal.pending().length) await journal.compact();
    return journal;
  }

  /** The current state of every item (as replay() of the file would give). */
  replay(): ReadonlyMap<string, JournalItem> {
    return this.#items;
  }

  get(key: string): JournalItem | undefined {
    return this.#items.get(key);
  }

  /** Items not finished: what the service must resume, oldest first. */
  pending(): JournalItem[] {
    return [...this.#items.values()].filter((item) => !isFinished(item.state)).sort((a, b) => a.since.getTime() - b.since.getTime());
  }

  /** Records in the file (for deciding on compaction). */
  get records(): number {
    return this.#records;
  }

  /** Durably record that an item reached a state; resolves once the line is fsynced. */
  record(key: string, state: JournalState, data: JournalData = {}): Promise<JournalItem> {
    const run = async (): Promise<JournalItem> => {
      if (typeof key !== 'string' || key.length === 0) throw new JournalError('journal: an item key must be a non-empty string');
      if (!JOURNAL_STATES.includes(state)) throw new JournalError(`journal: ${key}: unknown state ${JSON.stringify(state)}`);
      const current = this.#items.get(key)?.state;
      if (!canTransition(current, state)) throw new JournalError(`journal: ${key}: cannot go from ${current} to ${state}`);
      const line: JournalLine = { k: key, s: state, t: this.#now().toISOString(), ...(Object.keys(data).length > 0 ? { d: data } : {}) };
      const text = `${JSON.stringify(line)}\n`;
      await this.#handle.appendFile(text, 'utf8');
      if (this.#durable) await this.#handle.datasync();
      apply(this.#items, line);
      this.#records++;
      return this.#items.get(key)!;
    };
    const result = this.#tail.then(run, run);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Rewrite the journal with one record per kept item (finished items dropped unless recent), atomically:
   * temporary file, fsync, rename, fsync the directory.
   */
  compact(options: CompactOptions = {}): Promise<{ before: number; after: number }> {
    const run = async (): Promise<{ before: number; after: number }> => {
      const before = this.#records;
      const keep = [...this.#items.values()].filter(
        (item) => !isFinished(item.state) || (options.keepFinishedSince !== undefined && item.updated.getTime() >= options.keepFinishedSince.getTime()),
      );
      keep.sort((a, b) => a.since.getTime() - b.since.getTime());
      // Two lines per item when its life began earlier than its last update, so `since` survives compaction.
      let text = '';
      let count = 0;
      for (const item of keep) {
        if (item.since.getTime() !== item.updated.getTime()) {
          text += `${JSON.stringify({ k: item.key, s: 'discovered', t: item.since.toISOString() })}\n`;
          count++;
        }
        const line: JournalLine = { k: item.key, s: item.state, t: item.updated.toISOString(), ...(Object.keys(item.data).length > 0 ? { d: item.data } : {}) };
        text += `${JSON.stringify(line)}\n`;
        count++;
      }
      const temp = tempPathIn(dirname(this.path), '.journal');
      try {
        await writeNewFile(temp, text);
        await this.#handle.close();
        await rename(temp, this.path);
      } catch (error) {
        await rm(temp, { force: true });
        this.#handle = await open(this.path, 'a+');
        throw error;
      }
      await fsyncDir(dirname(this.path));
      this.#handle = await open(this.path, 'a+');
      const replay = replayJournalText(text);
      this.#items.clear();
      for (const [key, item] of replay.items) this.#items.set(key, item);
      this.#records = count;
      return { before, after: count };
    };
    const result = this.#tail.then(run, run);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#handle.close();
  }
}
