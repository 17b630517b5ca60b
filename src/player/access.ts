// Who may see and do what: an agent sees the calls of their own numbers, a supervisor every call; permissions
// switch the changes on. A recording named in a path is visible only as a valid name the index knows.
import type { IndexedRecording, Recordings } from '../recordings/index.js';
import { parseRecordingName } from '../recordings/index.js';
import type { Account, Permission } from './accounts.js';
import { HttpError } from './errors.js';

/** A recording as the API returns it. */
export type RecordingJson = Omit<IndexedRecording, 'start'> & { readonly start: string };

export function recordingJson(row: IndexedRecording): RecordingJson {
  return { ...row, start: row.start.toISOString() };
}

/** Supervisors and compliance officers see every call's data (and the audit trails, completeness, holds); agents those of their own numbers. */
export function seesAll(account: Account): boolean {
  return account.role === 'supervisor' || account.role === 'compliance';
}

/** The name of a supervisor or compliance officer; anyone else is refused (403) with `refusal`. */
export function overseerName(account: Account, refusal: string): string {
  if (!seesAll(account)) throw new HttpError(403, refusal);
  return account.name;
}

export function canSee(account: Account, row: { readonly internal: string }): boolean {
  return seesAll(account) || account.numbers.includes(row.internal);
}

export function may(account: Account, permission: Permission): boolean {
  return account.permissions.includes(permission);
}

/** Whether the account may hear calls: everyone it can see, but a compliance officer only when granted `listen`. */
export function mayListen(account: Account): boolean {
  return account.role !== 'compliance' || may(account, 'listen');
}

/** Whether a number matches a player wildcard pattern ('*' any run, '?' one character, '\*' '\?' literal). */
export function matchesWildcard(pattern: string, value: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '?')) source += `\\${pattern[++i]}`;
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(value);
}

/** A recording named in a request: a valid base name the index knows and the account may see (else 400 / 404). */
export function visibleRecording(recordings: Recordings, name: string, account: Account): IndexedRecording {
  if (name.length === 0 || name.length > 300) throw new HttpError(400, 'recording name: empty or too long');
  let valid = false;
  try {
    const parsed = parseRecordingName(name);
    valid = parsed.extension === undefined && parsed.baseName === name;
  } catch {
    valid = false;
  }
  if (!valid) throw new HttpError(400, 'not a recording name');
  const row = recordings.row(name, account.name);
  // Another agent's call is as absent as a call that does not exist.
  if (!row || !canSee(account, row)) throw new HttpError(404, 'no such recording');
  return row;
}
