// The player link's messages (the reference, "TCP/IP Interfacing"): what the recorder tells the AppServer about
// recordings, and the commands the AppServer sends to drive players.
//
// Framing, which the reference leaves open: every message the recorder sends ends with CR LF; from the AppServer
// a line may end with CR, LF or CR LF. Fields are separated by "!", so a field never holds "!" or a line break:
// such characters in a value (an agent's name) are sent as "_".
import type { RemoteCommand, RemoteVerb } from '../server.js';

/** The recorder's line ending. */
export const LINE_END = '\r\n';
/** The keep-alive the recorder sends when the link has been quiet. */
export const KEEP_ALIVE = 'RecKA';

/** A recorded call started: the AppServer links the agent's application record to the call's UID. */
export interface FirstRecord {
  /** The agent's extension number. */
  readonly extension: string;
  /** The call's unique id: the conference id, which is also part of the recording's file name. */
  readonly uid: string;
  /** The agent's common name in the PBX. */
  readonly agent: string;
}

/** The call's recording is filed and playable. */
export interface LastRecord extends FirstRecord {
  /** The recording's file name (what TRAC plays). */
  readonly track: string;
}

function field(value: string): string {
  return value.replace(/[!\r\n\u0000-\u001f]/g, '_');
}

export function firstMessage(record: FirstRecord): string {
  return `!FRST!${field(record.extension)}!${field(record.uid)}!${field(record.agent)}`;
}

export function lastMessage(record: LastRecord): string {
  return `!LAST!${field(record.extension)}!${field(record.uid)}!${field(record.track)}!${field(record.agent)}`;
}

const VERBS: ReadonlySet<string> = new Set<RemoteVerb>(['TRAC', 'STOP', 'EJEC', 'PAUS', 'PLAY']);

/**
 * One line from the AppServer as a command, or undefined for anything else (unknown messages are thrown away, as
 * the reference says). `TRAC!<player>!<track>`; `STOP|EJEC|PAUS|PLAY!<player>`. Surrounding blanks are ignored.
 */
export function parseCommand(line: string): RemoteCommand | undefined {
  const parts = line.trim().split('!');
  const verb = parts[0]!;
  if (!VERBS.has(verb)) return undefined;
  const player = parts[1];
  if (player === undefined || player === '') return undefined;
  if (verb === 'TRAC') {
    if (parts.length !== 3 || parts[2] === '') return undefined;
    return { verb, player, track: parts[2]! };
  }
  if (parts.length !== 2) return undefined;
  return { verb: verb as RemoteVerb, player };
}

export function commandMessage(command: RemoteCommand): string {
  return command.verb === 'TRAC' ? `TRAC!${command.player}!${command.track ?? ''}` : `${command.verb}!${command.player}`;
}

/**
 * Splits a byte stream into lines ending in CR, LF or CR LF. A line longer than `maxBytes` is not kept: its
 * bytes are skipped up to the next line end and counted as one oversized line. Memory stays within `maxBytes`.
 */
export class LineReader {
  #pending = '';
  #skipping = false;
  #lastWasCr = false;
  oversized = 0;

  constructor(private readonly maxBytes: number) {}

  /** The whole lines `chunk` completes (latin1: a byte is a character, so lengths are bytes). */
  push(chunk: Buffer): string[] {
    const text = chunk.toString('latin1');
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 13 && c !== 10) continue;
      // The LF of a CR LF split across two chunks (or right after the CR) ends nothing.
      if (c === 10 && i === start && this.#lastWasCr && this.#pending === '') {
        this.#lastWasCr = false;
        start = i + 1;
        continue;
      }
      this.#take(text.slice(start, i), lines, true);
      this.#lastWasCr = c === 13;
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++, (this.#lastWasCr = false);
      start = i + 1;
    }
    if (start < text.length) {
      this.#lastWasCr = false;
      this.#take(text.slice(start), lines, false);
    }
    return lines;
  }

  #take(piece: string, lines: string[], ended: boolean): void {
    if (!this.#skipping) {
      if (this.#pending.length + piece.length > this.maxBytes) {
        this.#skipping = true;
        this.#pending = '';
        this.oversized++;
      } else this.#pending += piece;
    }
    if (!ended) return;
    if (!this.#skipping) lines.push(this.#pending);
    this.#pending = '';
    this.#skipping = false;
  }
}
