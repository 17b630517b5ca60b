// The player server (Fastify): HTTP API, web player, live events, accounts. See README.md in this folder.
export { AccountStore, LAST_PLAYED_LIMIT, MAX_ACCOUNT_NUMBERS, MIN_PASSWORD_LENGTH, PERMISSIONS, ROLES } from './accounts.js';
export type { Account, AccountChanges, NewAccount, Permission, PlayerPreferences, Role, Session, SessionLimits } from './accounts.js';
export { canSee, matchesWildcard } from './access.js';
export type { RecordingJson } from './access.js';
export { CSRF_HEADER, SESSION_COOKIE } from './context.js';
export { AccountError, HttpError } from './errors.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { decideRange } from './range.js';
export type { RangeDecision } from './range.js';
export { MAX_EXPORT, MAX_NOTES_CHARS, MAX_PAGE } from './routes/index.js';
export { WAVEFORM_BUCKETS } from './waveform.js';
export type { Waveform } from './waveform.js';
export type { LoginLimitOptions } from './limiter.js';
export { PlayerServer, REMOTE_VERBS, RemoteCommandError } from './server.js';
export type { PlayerServerOptions, RemoteCommand, RemoteVerb } from './server.js';
export { defaultAccountsPath, registerUserCommands } from './user-commands.js';
export * from './link/index.js';
