// The player server: HTTP API, web player, live events, accounts. See README.md in this folder.
export { AccountStore, LAST_PLAYED_LIMIT, MAX_ACCOUNT_NUMBERS, MIN_PASSWORD_LENGTH, PERMISSIONS, ROLES } from './accounts.js';
export type { Account, AccountChanges, NewAccount, Permission, Role, Session, SessionLimits } from './accounts.js';
export { AccountError, HttpError } from './errors.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { decideRange } from './range.js';
export type { RangeDecision } from './range.js';
export { crc32, zipStream } from './zip.js';
export type { ZipEntry } from './zip.js';
export { WAVEFORM_BUCKETS } from './waveform.js';
export type { Waveform } from './waveform.js';
export type { LoginLimitOptions } from './limiter.js';
export {
  CSRF_HEADER,
  MAX_EXPORT,
  MAX_NOTES_CHARS,
  MAX_PAGE,
  PlayerServer,
  REMOTE_VERBS,
  RemoteCommandError,
  SESSION_COOKIE,
  canSee,
  matchesWildcard,
} from './server.js';
export type { PlayerServerOptions, RecordingJson, RemoteCommand, RemoteVerb } from './server.js';
export { defaultAccountsPath, registerUserCommands } from './user-commands.js';
