/**
 * Marks of thread-call recording (mode "tcr"), kept durably beside the journal: a call waits in the journal
 * ("awaiting a mark") until a mark keeps it or its window ends, and a mark may come before its call is decided,
 * while the recorder is down (the PBX posts the marking call's CDR once the recorder is back), or after a
 * restart. Each mark is the marking call (its own conference, counted once) and who made it, with:
 * - the conference it keeps, when the SOAP link saw the agent's last call end before the mark; or
 * - the PBX's time of the mark, when it is known only from the records: it keeps the agent's last call that ended
 *   before it, if that was within the window.
 * Replaced atomically on each new mark; marks older than the window (and an hour) are dropped.
 */
import { StateFileError, readStateFile, writeFileAtomic } from '../../platform/util/index.js';

/** The marks' file name, beside the journal. */
export const THREAD_CALL_MARKS_FILE = 'thread-call-marks.json';

export interface StoredMark {
  /** The conference of the marking call (a call to the TCR object): one mark per call. */
  readonly markConf: string;
  readonly agent: string;
  /** The conference the mark keeps, when known when it was made. */
  readonly target?: string;
  /** The mark's time on the PBX's clock (Unix seconds), when read from its records. */
  readonly atUtc?: number;
  /** When it reached the recorder (ms since epoch): for pruning. */
  readonly seenAt: number;
}

/** A call waiting for a mark, as the store judges it. */
export interface AwaitingCall {
  readonly conf: string;
  readonly agent: string;
  /** The call's end on the PBX's clock (Unix seconds). */
  readonly endUtc: number;
  /** When the SOAP link saw it end (ms since epoch), if it did. */
  readonly endedAt?: number;
}

/** A thread-call marks file that cannot be used (named, with the reason). */
export class ThreadCallMarksError extends StateFileError {}

export class ThreadCallMarks {
  private readonly marks: Map<string, StoredMark>;

  private constructor(
    readonly file: string,
    private readonly windowSeconds: number,
    marks: readonly StoredMark[],
  ) {
    this.marks = new Map(marks.map((mark) => [mark.markConf, mark]));
  }

  static open(file: string, windowSeconds: number): ThreadCallMarks {
    return new ThreadCallMarks(file, windowSeconds, readMarks(file));
  }

  get size(): number {
    return this.marks.size;
  }

  has(markConf: string): boolean {
    return this.marks.has(markConf);
  }

  /** Keeps a new mark (false: this marking call was known already). */
  add(mark: StoredMark): boolean {
    if (this.marks.has(mark.markConf)) return false;
    const horizon = Date.now() - (this.windowSeconds + 3600) * 1000;
    for (const [conf, old] of this.marks) if (old.seenAt < horizon) this.marks.delete(conf);
    this.marks.set(mark.markConf, mark);
    this.#write();
    return true;
  }

  #write(): void {
    writeFileAtomic(this.file, Buffer.from(`${JSON.stringify({ version: 1, marks: [...this.marks.values()] })}\n`));
  }

  /**
   * The records' time of a mark first seen on the SOAP link without knowing the call it keeps (the link came up
   * after that call): with it, the mark keeps the agent's last call before it. False when nothing changed.
   */
  complete(markConf: string, atUtc: number): boolean {
    const mark = this.marks.get(markConf);
    if (!mark || mark.target !== undefined || mark.atUtc !== undefined) return false;
    this.marks.set(markConf, { ...mark, atUtc });
    this.#write();
    return true;
  }

  /**
   * The mark that keeps `call`, if any. `laterCallOf(agent, afterUtc, untilUtc)` says whether the agent has a
   * recorded call that ended in (afterUtc, untilUtc]: then a mark by time keeps that one, not `call`.
   */
  markFor(call: AwaitingCall, laterCallOf: (agent: string, afterUtc: number, untilUtc: number) => boolean): StoredMark | undefined {
    for (const mark of this.marks.values()) {
      if (mark.agent !== call.agent) continue;
      if (mark.target !== undefined) {
        // Made after the window (the call waited longer, e.g. over a restart): it keeps nothing.
        const inTime = call.endedAt === undefined || mark.seenAt <= call.endedAt + this.windowSeconds * 1000;
        if (mark.target === call.conf && inTime) return mark;
        continue;
      }
      if (mark.atUtc === undefined || mark.atUtc < call.endUtc || mark.atUtc > call.endUtc + this.windowSeconds) continue;
      if (!laterCallOf(call.agent, call.endUtc, mark.atUtc)) return mark;
    }
    return undefined;
  }
}

function readMarks(file: string): StoredMark[] {
  const value = readStateFile(file, 'thread-call marks', (f, reason) => new ThreadCallMarksError(f, reason));
  if (value === undefined) return [];
  const data = value as { version?: unknown; marks?: unknown };
  const valid = (mark: unknown): mark is StoredMark => {
    const m = mark as Partial<StoredMark> | null;
    return typeof m === 'object' && m !== null && typeof m.markConf === 'string' && typeof m.agent === 'string' && typeof m.seenAt === 'number';
  };
  if (data.version !== 1 || !Array.isArray(data.marks) || !data.marks.every(valid)) {
    throw new ThreadCallMarksError(file, 'not a thread-call marks file of this version (expected version 1 with marks)');
  }
  return data.marks;
}
