// The service's status for everyone outside its process: `recorder status`, the player's status panel, the
// HTTP status endpoint and monitoring. The service replaces WORKDIR/status.json every few seconds (atomically);
// readers judge its age to tell a running service from a stopped one. Commands for the master alarm go the other
// way: one small file each in WORKDIR/alarm-control/, taken and deleted by the running service.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from '../../platform/util/index.js';
import { ALARM_ACTIONS } from './master-alarm.js';
import { isDiskFull } from './storage-room.js';
import type { AlarmAction, LampName, Lamps, MasterAlarmStatus } from './master-alarm.js';
import type { ServiceCounters } from './recorder-service.js';
import type { ClusterStatus } from '../cluster/index.js';

export const STATUS_FILE = 'status.json';
export const ALARM_CONTROL_DIR = 'alarm-control';
/** The service writes its status at least this often (ms): an older file means it is not running. */
export const STATUS_INTERVAL_MS = 2000;
/** A status older than this is a stopped (or hung) service's. */
export const STATUS_STALE_MS = 15_000;

export interface StatusSnapshot {
  readonly version: 1;
  /** When written (ISO). */
  readonly at: string;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly lamps: Lamps;
  /** Why a lamp is red (the latest reason known). */
  readonly reasons: Partial<Record<LampName, string>>;
  readonly master: MasterAlarmStatus;
  /** Calls with a leg up on the PBX now (SOAP), with when each was last seen. */
  readonly channelsInRecording: number;
  /** Captures not finished (waiting for the reporting, a mark, room, conversion…). */
  readonly capturesWaiting: number;
  /** The earliest step scheduled to run again (ISO), if any. */
  readonly nextRetryAt?: string;
  readonly recentErrors: readonly string[];
  readonly disk?: { readonly path: string; readonly freeBytes: number; readonly totalBytes: number };
  readonly counters: Readonly<ServiceCounters>;
  /** With [cluster]: the job queue (counts, workers, the conversions that failed on every try). */
  readonly cluster?: ClusterStatus;
}

export type StatusReading = { readonly kind: 'missing' } | { readonly kind: 'unreadable'; readonly reason: string } | { readonly kind: 'found'; readonly status: StatusSnapshot; readonly ageMs: number; readonly running: boolean };

export function statusFileOf(workDir: string): string {
  return join(workDir, STATUS_FILE);
}

/** The status file is written in whole blocks (padded with blanks), so a rewrite in place needs no new space. */
const STATUS_BLOCK = 4096;

export async function writeStatus(workDir: string, status: StatusSnapshot): Promise<void> {
  const file = statusFileOf(workDir);
  const text = Buffer.from(`${JSON.stringify(status, null, 2)}\n`);
  const padded = Buffer.alloc(Math.ceil(text.length / STATUS_BLOCK) * STATUS_BLOCK, ' ');
  text.copy(padded);
  try {
    await writeFileDurable(file, padded);
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    // The disk is full, when the status matters most (DISK red): written over the last one, in its own blocks.
    const handle = await open(file, 'r+');
    try {
      const { size } = await handle.stat();
      if (padded.length > size) throw error;
      const inPlace = Buffer.alloc(size, ' ');
      text.copy(inPlace);
      await handle.write(inPlace, 0, size, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** The last status the service wrote, and whether it is fresh (the service running). */
export async function readStatus(workDir: string, now = Date.now()): Promise<StatusReading> {
  let text: string;
  try {
    text = await readFile(statusFileOf(workDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', reason: (error as Error).message };
  }
  let status: StatusSnapshot;
  try {
    status = JSON.parse(text) as StatusSnapshot;
  } catch (error) {
    return { kind: 'unreadable', reason: `not JSON: ${(error as Error).message}` };
  }
  if (status?.version !== 1 || typeof status.at !== 'string' || typeof status.lamps !== 'object') return { kind: 'unreadable', reason: 'not a status this version writes' };
  const ageMs = now - Date.parse(status.at);
  return { kind: 'found', status, ageMs, running: ageMs <= STATUS_STALE_MS };
}

export interface AlarmCommand {
  readonly action: AlarmAction;
  /** Who: "cli", or "player:<account>". */
  readonly by: string;
  readonly at: string;
}

let commandCounter = 0;

/** Leave a command for the running service (applied within a second or two; kept until it runs). */
export async function queueAlarmCommand(workDir: string, action: AlarmAction, by: string): Promise<void> {
  const dir = join(workDir, ALARM_CONTROL_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const command: AlarmCommand = { action, by, at: new Date().toISOString() };
  // Names sort in the order the commands were given (the counter orders two of one millisecond in a process).
  const order = `${Date.now().toString().padStart(15, '0')}-${(commandCounter++).toString().padStart(9, '0')}`;
  await writeFileDurable(join(dir, `${order}-${randomBytes(4).toString('hex')}.json`), JSON.stringify(command));
}

/** The commands waiting, oldest first; each is removed as it is handed over. Unreadable ones are dropped. */
export async function takeAlarmCommands(workDir: string): Promise<AlarmCommand[]> {
  const dir = join(workDir, ALARM_CONTROL_DIR);
  let names: string[];
  try {
    // Not the temporary files of a command being written (they are renamed into place whole).
    names = (await readdir(dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
  } catch {
    return [];
  }
  const commands: AlarmCommand[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const command = JSON.parse(await readFile(path, 'utf8')) as Partial<AlarmCommand>;
      if (typeof command.action === 'string' && (ALARM_ACTIONS as readonly string[]).includes(command.action) && typeof command.by === 'string') {
        commands.push({ action: command.action as AlarmAction, by: command.by.slice(0, 100), at: String(command.at ?? '') });
      }
    } catch {
      // torn or foreign: dropped below
    }
    await rm(path, { force: true });
  }
  return commands;
}
