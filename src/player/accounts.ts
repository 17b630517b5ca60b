// Player accounts, sessions and "last played", in one SQLite file beside the index (better-sqlite3).
// Like the reference's player setup: a role (an agent sees only the calls of its own numbers, a supervisor all)
// and switches for what the account may change (TAN, notes, export, delete).
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { AccountError } from './errors.js';
import { hashPassword, verifyPassword } from './passwords.js';

/**
 * `compliance`: a compliance officer — sees every recording's data, the audit trails, completeness and legal holds,
 * but hears no call unless granted `listen`.
 */
export type Role = 'agent' | 'supervisor' | 'compliance';
export const ROLES: readonly Role[] = ['agent', 'supervisor', 'compliance'];
/**
 * `investigate`: may play and export a recording that failed verification, explicitly and logged (for investigators).
 * `listen`: a compliance officer may play (and, with `export`, export) recordings.
 */
export type Permission = 'tan' | 'notes' | 'export' | 'delete' | 'investigate' | 'listen';
export const PERMISSIONS: readonly Permission[] = ['tan', 'notes', 'export', 'delete', 'investigate', 'listen'];

/** Most entries in "last played" (the reference's limit). */
export const LAST_PLAYED_LIMIT = 99;
/** Most internal numbers one account may be limited to. */
export const MAX_ACCOUNT_NUMBERS = 50;
export const MIN_PASSWORD_LENGTH = 8;

export interface Account {
  readonly name: string;
  readonly role: Role;
  /** Internal numbers whose calls the account sees (agents); supervisors see all calls. */
  readonly numbers: readonly string[];
  readonly permissions: readonly Permission[];
  /** Player name for remote control (TRAC!<player>!…); defaults to the account name. */
  readonly player: string;
  readonly createdAt: Date;
}

export interface NewAccount {
  readonly name: string;
  readonly password: string;
  readonly role: Role;
  readonly numbers?: readonly string[];
  readonly permissions?: readonly Permission[];
  readonly player?: string;
}

export interface AccountChanges {
  readonly role?: Role;
  readonly numbers?: readonly string[];
  readonly permissions?: readonly Permission[];
  readonly player?: string;
}

export interface Session {
  readonly account: Account;
  readonly csrfToken: string;
}

export interface SessionLimits {
  /** A session unused this long ends (default 12 h). */
  readonly idleMs?: number;
  /** A session ends this long after login regardless (default 7 days). */
  readonly absoluteMs?: number;
}

interface UserRow {
  name: string;
  hash: string;
  role: string;
  numbers: string;
  permissions: string;
  player: string;
  created_ms: number;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const NUMBER_PATTERN = /^[0-9A-Za-z+#-]{1,48}$/;

/** The users table, as created (and as an older one is rebuilt: see #migrateRoles). */
const usersTable = (name: string): string => `CREATE TABLE IF NOT EXISTS ${name} (
  name TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'compliance')),
  numbers TEXT NOT NULL,
  permissions TEXT NOT NULL,
  player TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;`;

const SCHEMA = `
${usersTable('users')}
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  seen_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS last_played (
  user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  call_id TEXT NOT NULL,
  played_ms INTEGER NOT NULL,
  PRIMARY KEY (user, call_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS last_played_user_time ON last_played (user, played_ms);
CREATE TABLE IF NOT EXISTS preferences (
  user TEXT PRIMARY KEY REFERENCES users (name) ON DELETE CASCADE,
  json TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * How a user left the player, kept with the account so it follows them from desk to desk: volumes, the standing
 * filters (not the month, day, range or TAN of one search), the view and the rows per page. Checked by the route's
 * schema (PREFERENCES_SCHEMA in routes/session.ts).
 */
export interface PlayerPreferences {
  readonly volume?: { readonly l?: number; readonly r?: number; readonly m?: number };
  readonly filters?: { readonly internal?: string; readonly external?: string; readonly direction?: '' | 'in' | 'out'; readonly format?: string; readonly online?: boolean };
  readonly view?: 'search' | 'live' | 'last-played' | 'global' | 'mine';
  readonly pageSize?: number;
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) throw new AccountError('name', 'expected 1…64 of A-Z a-z 0-9 . _ @ - (starting with a letter or digit)');
  return name;
}

function checkRole(role: unknown): Role {
  if (!ROLES.includes(role as Role)) throw new AccountError('role', `expected agent, supervisor or compliance, got ${JSON.stringify(role)}`);
  return role as Role;
}

function checkNumbers(numbers: readonly unknown[] | undefined): string[] {
  const list = [...new Set(numbers ?? [])];
  if (list.length > MAX_ACCOUNT_NUMBERS) throw new AccountError('numbers', `at most ${MAX_ACCOUNT_NUMBERS} numbers`);
  for (const n of list) if (typeof n !== 'string' || !NUMBER_PATTERN.test(n)) throw new AccountError('numbers', `${JSON.stringify(n)} is not a number (1…48 of 0-9 A-Z a-z + # -)`);
  return list as string[];
}

function checkPermissions(permissions: readonly unknown[] | undefined): Permission[] {
  const list = [...new Set(permissions ?? [])];
  for (const p of list) if (!PERMISSIONS.includes(p as Permission)) throw new AccountError('permissions', `unknown permission ${JSON.stringify(p)} (known: ${PERMISSIONS.join(', ')})`);
  return PERMISSIONS.filter((p) => list.includes(p));
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD_LENGTH) throw new AccountError('password', `at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 1024) throw new AccountError('password', 'at most 1024 characters');
  return password;
}

function checkPlayer(player: unknown): string {
  if (typeof player !== 'string' || !/^[^\s!]{1,64}$/.test(player)) throw new AccountError('player', 'expected 1…64 characters without spaces or "!"');
  return player;
}

function toAccount(row: UserRow): Account {
  return {
    name: row.name,
    role: row.role as Role,
    numbers: JSON.parse(row.numbers) as string[],
    permissions: JSON.parse(row.permissions) as Permission[],
    player: row.player,
    createdAt: new Date(row.created_ms),
  };
}

// A hash to check against when the user does not exist, so a login takes as long either way.
let dummyHash: Promise<string> | undefined;

export class AccountStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #idleMs: number;
  readonly #absoluteMs: number;

  constructor(path: string, limits: SessionLimits = {}) {
    this.path = path;
    this.#idleMs = limits.idleMs ?? 12 * 3600_000;
    this.#absoluteMs = limits.absoluteMs ?? 7 * 24 * 3600_000;
    this.#db = new Database(path);
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#migrateRoles();
      this.#db.pragma('foreign_keys = ON');
      this.#db.exec(SCHEMA);
    } catch (error) {
      this.#db.close();
      throw new AccountError('accounts', `${path}: not a usable accounts file: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /**
   * An accounts file from before the compliance role: its users table's CHECK allows two roles, and SQLite changes
   * a CHECK only by rebuilding the table (foreign keys off meanwhile, or the rebuild would cascade-delete sessions,
   * "last played" and preferences).
   */
  #migrateRoles(): void {
    const row = this.#db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").get() as { sql: string } | undefined;
    if (!row || row.sql.includes("'compliance'")) return;
    this.#db.pragma('foreign_keys = OFF');
    this.#db.transaction(() => {
      this.#db.exec(usersTable('users_new'));
      this.#db.exec('INSERT INTO users_new (name, hash, role, numbers, permissions, player, created_ms) SELECT name, hash, role, numbers, permissions, player, created_ms FROM users; DROP TABLE users; ALTER TABLE users_new RENAME TO users;');
      const broken = this.#db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new Error(`the roles migration would break ${broken.length} references`);
    })();
  }

  async add(input: NewAccount): Promise<Account> {
    const name = checkName(input.name);
    const role = checkRole(input.role);
    const numbers = checkNumbers(input.numbers);
    const permissions = checkPermissions(input.permissions);
    const player = checkPlayer(input.player ?? name);
    const hash = await hashPassword(checkPassword(input.password));
    if (this.get(name)) throw new AccountError('name', `an account ${name} exists already`);
    this.#db
      .prepare('INSERT INTO users (name, hash, role, numbers, permissions, player, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(name, hash, role, JSON.stringify(numbers), JSON.stringify(permissions), player, Date.now());
    return this.get(name)!;
  }

  get(name: string): Account | undefined {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    return row ? toAccount(row) : undefined;
  }

  list(): Account[] {
    return (this.#db.prepare('SELECT * FROM users ORDER BY name').all() as UserRow[]).map(toAccount);
  }

  update(name: string, changes: AccountChanges): Account {
    const current = this.get(name);
    if (!current) throw new AccountError('name', `no account ${name}`);
    const role = changes.role !== undefined ? checkRole(changes.role) : current.role;
    const numbers = changes.numbers !== undefined ? checkNumbers(changes.numbers) : current.numbers;
    const permissions = changes.permissions !== undefined ? checkPermissions(changes.permissions) : current.permissions;
    const player = changes.player !== undefined ? checkPlayer(changes.player) : current.player;
    this.#db.prepare('UPDATE users SET role = ?, numbers = ?, permissions = ?, player = ? WHERE name = ?').run(role, JSON.stringify(numbers), JSON.stringify(permissions), player, name);
    return this.get(name)!;
  }

  /** Change a password; every session of the account ends. */
  async setPassword(name: string, password: string): Promise<void> {
    if (!this.get(name)) throw new AccountError('name', `no account ${name}`);
    const hash = await hashPassword(checkPassword(password));
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE users SET hash = ? WHERE name = ?').run(hash, name);
      this.#db.prepare('DELETE FROM sessions WHERE user = ?').run(name);
    })();
  }

  remove(name: string): boolean {
    return this.#db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
  }

  /** The account when the password is right; as slow for an unknown name as for a wrong password. */
  async authenticate(name: string, password: string): Promise<Account | undefined> {
    const row = typeof name === 'string' && NAME_PATTERN.test(name) ? (this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined) : undefined;
    if (!row) {
      dummyHash ??= hashPassword('not a password of anyone');
      await verifyPassword(password, await dummyHash);
      return undefined;
    }
    return (await verifyPassword(password, row.hash)) ? toAccount(row) : undefined;
  }

  /** A new session: the cookie token (only its hash is stored) and the CSRF token the client sends back. */
  createSession(name: string): { token: string; csrfToken: string } {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = Date.now();
    this.#db.prepare('DELETE FROM sessions WHERE seen_ms < ? OR created_ms < ?').run(now - this.#idleMs, now - this.#absoluteMs);
    this.#db.prepare('INSERT INTO sessions (token_hash, user, csrf, created_ms, seen_ms) VALUES (?, ?, ?, ?, ?)').run(tokenHash(token), name, csrfToken, now, now);
    return { token, csrfToken };
  }

  /** The live session of a cookie token (its idle clock restarted), or undefined. */
  session(token: string): Session | undefined {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const hash = tokenHash(token);
    const row = this.#db.prepare('SELECT s.csrf, s.created_ms, s.seen_ms, u.* FROM sessions s JOIN users u ON u.name = s.user WHERE s.token_hash = ?').get(hash) as
      | (UserRow & { csrf: string; seen_ms: number })
      | undefined;
    if (!row) return undefined;
    const now = Date.now();
    if (row.seen_ms < now - this.#idleMs || row.created_ms < now - this.#absoluteMs) {
      this.#db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(hash);
      return undefined;
    }
    if (now - row.seen_ms > 60_000) this.#db.prepare('UPDATE sessions SET seen_ms = ? WHERE token_hash = ?').run(now, hash);
    return { account: toAccount(row), csrfToken: row.csrf };
  }

  endSession(token: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash(token));
  }

  /** Note that a user played a call (kept per call id, so a TAN rename does not lose it); at most 99 kept. */
  recordPlayed(name: string, callId: string, at = new Date()): void {
    this.#db.transaction(() => {
      this.#db.prepare('INSERT INTO last_played (user, call_id, played_ms) VALUES (?, ?, ?) ON CONFLICT (user, call_id) DO UPDATE SET played_ms = excluded.played_ms').run(name, callId, at.getTime());
      this.#db
        .prepare('DELETE FROM last_played WHERE user = ? AND call_id NOT IN (SELECT call_id FROM last_played WHERE user = ? ORDER BY played_ms DESC LIMIT ?)')
        .run(name, name, LAST_PLAYED_LIMIT);
    })();
  }

  /** The user's saved preferences ({} before the first save). */
  preferences(name: string): PlayerPreferences {
    const row = this.#db.prepare('SELECT json FROM preferences WHERE user = ?').get(name) as { json: string } | undefined;
    if (!row) return {};
    try {
      return JSON.parse(row.json) as PlayerPreferences;
    } catch {
      return {}; // unreadable: the player starts from its defaults rather than not at all
    }
  }

  /** Keep the user's preferences (replacing the saved ones). */
  savePreferences(name: string, preferences: PlayerPreferences): void {
    this.#db
      .prepare('INSERT INTO preferences (user, json, updated_ms) VALUES (?, ?, ?) ON CONFLICT (user) DO UPDATE SET json = excluded.json, updated_ms = excluded.updated_ms')
      .run(name, JSON.stringify(preferences), Date.now());
  }

  /** Call ids the user played, most recent first. */
  lastPlayed(name: string): Array<{ callId: string; playedAt: Date }> {
    return (this.#db.prepare('SELECT call_id, played_ms FROM last_played WHERE user = ? ORDER BY played_ms DESC LIMIT ?').all(name, LAST_PLAYED_LIMIT) as Array<{ call_id: string; played_ms: number }>).map((r) => ({
      callId: r.call_id,
      playedAt: new Date(r.played_ms),
    }));
  }
}
