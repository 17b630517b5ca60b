// The recording index: SQLite (better-sqlite3, WAL) for the player's searches. The files are the truth; the
// index can be deleted and rebuilt from them at any time (reindex). The one thing in it that no file holds is
// the favourite marks (kept per call id, so they survive TAN renames and reindexing).
import Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import { RECORDING_FORMATS } from '../domain/index.js';
import type { CallDirection, RecordingFormat } from '../domain/index.js';
import { isValidTan } from './naming.js';
import type { RecordingSidecar } from './sidecar.js';
import type { IntegrityState, RecordingStore, StoredRecording } from './store.js';

export const INDEX_SCHEMA_VERSION = 2;
const INTEGRITY_STATES: readonly IntegrityState[] = ['intact', 'tampered', 'unknown-key', 'unchecked'];

/** One recording as the index holds it. */
export interface RecordingRow {
  readonly name: string;
  readonly month: string;
  /** Day of month as in the name (the store's zone). */
  readonly day: number;
  readonly start: Date;
  /** Start as written in the name: 'YYYY-MM-DD HH:MM'. */
  readonly startLocal: string;
  readonly internal: string;
  readonly internalName?: string;
  readonly external: string;
  readonly externalName?: string;
  readonly direction: CallDirection;
  readonly secondsToAnswer: number;
  readonly callId: string;
  readonly tan?: string;
  readonly agentRule?: string;
  readonly format: RecordingFormat;
  readonly codec?: string;
  readonly durationMs?: number;
  /** Audio file size on disk. */
  readonly size: number;
  readonly encrypted: boolean;
  readonly integrity: IntegrityState;
  readonly hasNotes: boolean;
  /** The sidecar could be read. */
  readonly hasSidecar: boolean;
}

export interface IndexedRecording extends RecordingRow {
  readonly favouriteGlobal: boolean;
  /** Marked as favourite by the `owner` given in the search. */
  readonly favouriteMine: boolean;
}

export interface RecordingFilter {
  /** YYYY_MM */
  readonly month?: string;
  /** 1…31, day of month in the store's zone. */
  readonly day?: number;
  /** Exact, or with wildcards: '*' any run, '?' one character ('\*', '\?' for the characters themselves). */
  readonly internal?: string;
  /** Prefix ("36" = "36*"), with the same wildcards. */
  readonly external?: string;
  readonly direction?: CallDirection;
  /** Exactly 6 digits. */
  readonly tan?: string;
  readonly format?: RecordingFormat;
  readonly callId?: string;
  readonly integrity?: IntegrityState;
  /** Start at or after. */
  readonly from?: Date;
  /** Start before. */
  readonly to?: Date;
  /** Only favourites: the global list, or those of `owner`. */
  readonly favourite?: 'global' | 'mine';
  /** The player whose personal favourites count as "mine". */
  readonly owner?: string;
  /** Newest first (default) or oldest first. */
  readonly order?: 'newest' | 'oldest';
  /** Default 100, at most 10,000. */
  readonly limit?: number;
  readonly offset?: number;
}

export interface SearchResult {
  /** Matches in all (ignoring limit/offset), counted up to TOTAL_COUNT_CAP. */
  readonly total: number;
  /** True when there are more matches than `total` says (the count stopped at the cap). */
  readonly totalCapped: boolean;
  readonly rows: IndexedRecording[];
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The index row of a stored recording; the sidecar (when readable) gives exact times, full numbers and names. */
export function recordingRow(stored: StoredRecording, sidecar?: RecordingSidecar, integrity: IntegrityState = 'unchecked'): RecordingRow {
  const { parsed } = stored;
  const meta = sidecar?.meta;
  const local = parsed.local;
  return {
    name: stored.name,
    month: stored.month,
    day: local.day,
    start: meta?.start ?? stored.start,
    startLocal: `${String(local.year).padStart(4, '0')}-${pad2(local.month)}-${pad2(local.day)} ${pad2(local.hour)}:${pad2(local.minute)}`,
    internal: meta?.internal ?? parsed.internal,
    ...(meta?.internalName !== undefined ? { internalName: meta.internalName } : {}),
    external: meta?.external ?? parsed.external,
    ...(meta?.externalName !== undefined ? { externalName: meta.externalName } : {}),
    direction: parsed.direction,
    secondsToAnswer: parsed.secondsToAnswer,
    callId: meta?.callId ?? parsed.callId,
    ...(parsed.tan !== undefined ? { tan: parsed.tan } : {}),
    ...(meta?.agentRule !== undefined ? { agentRule: meta.agentRule } : {}),
    format: stored.format,
    ...(sidecar?.audio.codec !== undefined ? { codec: sidecar.audio.codec } : {}),
    ...(sidecar?.audio.durationMs !== undefined ? { durationMs: sidecar.audio.durationMs } : {}),
    size: stored.bytes,
    encrypted: stored.encrypted,
    integrity,
    hasNotes: stored.notesPath !== undefined,
    hasSidecar: sidecar !== undefined,
  };
}

interface DbRow {
  name: string;
  month: string;
  day: number;
  start_ms: number;
  start_local: string;
  internal: string;
  internal_name: string | null;
  external: string;
  external_name: string | null;
  direction: string;
  seconds_to_answer: number;
  call_id: string;
  tan: string | null;
  agent_rule: string | null;
  format: string;
  codec: string | null;
  duration_ms: number | null;
  size: number;
  encrypted: number;
  integrity: string;
  has_notes: number;
  has_sidecar: number;
  fav_global?: number;
  fav_mine?: number;
}

const SCHEMA_V1 = `
CREATE TABLE recordings (
  name TEXT PRIMARY KEY,
  month TEXT NOT NULL,
  day INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  start_local TEXT NOT NULL,
  internal TEXT NOT NULL,
  internal_name TEXT,
  external TEXT NOT NULL,
  external_name TEXT,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  seconds_to_answer INTEGER NOT NULL,
  call_id TEXT NOT NULL,
  tan TEXT,
  agent_rule TEXT,
  format TEXT NOT NULL,
  codec TEXT,
  duration_ms INTEGER,
  size INTEGER NOT NULL,
  encrypted INTEGER NOT NULL,
  integrity TEXT NOT NULL CHECK (integrity IN ('intact', 'tampered', 'unknown-key', 'unchecked')),
  has_notes INTEGER NOT NULL,
  has_sidecar INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX recordings_month_start ON recordings (month, start_ms);
CREATE INDEX recordings_month_day_start ON recordings (month, day, start_ms);
CREATE INDEX recordings_month_direction_start ON recordings (month, direction, start_ms);
CREATE INDEX recordings_month_internal_start ON recordings (month, internal, start_ms);
CREATE INDEX recordings_month_external_start ON recordings (month, external, start_ms);
CREATE INDEX recordings_start ON recordings (start_ms);
CREATE INDEX recordings_internal_start ON recordings (internal, start_ms);
CREATE INDEX recordings_external_start ON recordings (external, start_ms);
CREATE INDEX recordings_call_id ON recordings (call_id);
CREATE INDEX recordings_tan ON recordings (tan);
CREATE TABLE favourites (
  call_id TEXT NOT NULL,
  owner TEXT NOT NULL,
  PRIMARY KEY (call_id, owner)
) WITHOUT ROWID;
`;

const COLUMNS = [
  'name',
  'month',
  'day',
  'start_ms',
  'start_local',
  'internal',
  'internal_name',
  'external',
  'external_name',
  'direction',
  'seconds_to_answer',
  'call_id',
  'tan',
  'agent_rule',
  'format',
  'codec',
  'duration_ms',
  'size',
  'encrypted',
  'integrity',
  'has_notes',
  'has_sidecar',
] as const;

function toDb(row: RecordingRow): Record<(typeof COLUMNS)[number], string | number | null> {
  return {
    name: row.name,
    month: row.month,
    day: row.day,
    start_ms: row.start.getTime(),
    start_local: row.startLocal,
    internal: row.internal,
    internal_name: row.internalName ?? null,
    external: row.external,
    external_name: row.externalName ?? null,
    direction: row.direction,
    seconds_to_answer: row.secondsToAnswer,
    call_id: row.callId,
    tan: row.tan ?? null,
    agent_rule: row.agentRule ?? null,
    format: row.format,
    codec: row.codec ?? null,
    duration_ms: row.durationMs ?? null,
    size: row.size,
    encrypted: row.encrypted ? 1 : 0,
    integrity: row.integrity,
    has_notes: row.hasNotes ? 1 : 0,
    has_sidecar: row.hasSidecar ? 1 : 0,
  };
}

function fromDb(row: DbRow): IndexedRecording {
  return {
    name: row.name,
    month: row.month,
    day: row.day,
    start: new Date(row.start_ms),
    startLocal: row.start_local,
    internal: row.internal,
    ...(row.internal_name !== null ? { internalName: row.internal_name } : {}),
    external: row.external,
    ...(row.external_name !== null ? { externalName: row.external_name } : {}),
    direction: row.direction as CallDirection,
    secondsToAnswer: row.seconds_to_answer,
    callId: row.call_id,
    ...(row.tan !== null ? { tan: row.tan } : {}),
    ...(row.agent_rule !== null ? { agentRule: row.agent_rule } : {}),
    format: row.format as RecordingFormat,
    ...(row.codec !== null ? { codec: row.codec } : {}),
    ...(row.duration_ms !== null ? { durationMs: row.duration_ms } : {}),
    size: row.size,
    encrypted: row.encrypted === 1,
    integrity: row.integrity as IntegrityState,
    hasNotes: row.has_notes === 1,
    hasSidecar: row.has_sidecar === 1,
    favouriteGlobal: row.fav_global === 1,
    favouriteMine: row.fav_mine === 1,
  };
}

/** A player wildcard pattern as a LIKE pattern (escape character '\'). */
export function wildcardToLike(pattern: string, prefix: boolean): string {
  let out = '';
  let endsWithAnyRun = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    endsWithAnyRun = false;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '?')) {
      out += pattern[++i];
    } else if (c === '*') {
      out += '%';
      endsWithAnyRun = true;
    } else if (c === '?') out += '_';
    else if (c === '%' || c === '_' || c === '\\') out += `\\${c}`;
    else out += c;
  }
  return prefix && !endsWithAnyRun ? `${out}%` : out;
}

/** Characters a '?' stands for in a number (extensions are dialled digits). */
const NUMBER_CHARACTERS = '0123456789*#+';
const MAX_EXPANSION = 200;

/**
 * The exact numbers a pattern with one or two '?' (and no '*') can match,
 * or undefined when the pattern is not of that kind.
 */
function expandSingleWildcards(pattern: string): string[] | undefined {
  const parts: string[][] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '?')) parts.push([pattern[++i]!]);
    else if (c === '*') return undefined;
    else if (c === '?') parts.push([...NUMBER_CHARACTERS]);
    else parts.push([c]);
  }
  let results = [''];
  for (const options of parts) {
    if (results.length * options.length > MAX_EXPANSION) return undefined;
    results = results.flatMap((head) => options.map((option) => head + option));
  }
  return results;
}

/** Searches count their matches up to this many. */
export const TOTAL_COUNT_CAP = 10_000;

/** The smallest string greater than every string starting with `prefix` (for a range scan). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** A pattern without wildcards, its escapes resolved. */
function literalOf(pattern: string): string {
  return pattern.replace(/\\([*?])/g, '$1');
}

function filterError(field: string, reason: string): StoreError {
  return new StoreError('bad-filter', `search: ${field}: ${reason}`);
}

function checkDate(value: Date | undefined, field: string): void {
  if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime()))) throw filterError(field, 'not a valid date');
}

export interface ReindexResult {
  readonly indexed: number;
  /** Rows of recordings no longer in the tree, removed. */
  readonly removed: number;
  /** Recordings whose sidecar could not be read (indexed from their names). */
  readonly unreadableSidecars: number;
}

export class RecordingIndex {
  readonly path: string;
  readonly #db: Database.Database;
  /** True when the file held an older or foreign schema and was reset: run reindex(). */
  readonly needsReindex: boolean;
  readonly #upsert: Database.Statement;

  constructor(path: string) {
    this.path = path;
    try {
      this.#db = new Database(path);
    } catch (error) {
      throw new StoreError('bad-index', `${path}: cannot open the index: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('foreign_keys = ON');
      this.needsReindex = this.#migrate();
      // Fresh statistics for the query planner, bounded in cost (SQLite's recommended open-time form).
      this.#db.pragma('optimize = 0x10002');
    } catch (error) {
      this.#db.close();
      if (error instanceof StoreError) throw error;
      throw new StoreError('bad-index', `${path}: not a usable index: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#upsert = this.#db.prepare(
      `INSERT INTO recordings (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (name) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'name')
         .map((c) => `${c} = excluded.${c}`)
         .join(', ')}`,
    );
  }

  /** Create or upgrade the schema; returns true when existing content was dropped. */
  #migrate(): boolean {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version === INDEX_SCHEMA_VERSION) return false;
    if (version > INDEX_SCHEMA_VERSION) {
      throw new StoreError('bad-index', `${this.path}: index schema version ${version} is newer than this build's (${INDEX_SCHEMA_VERSION}); use a newer build or delete the index to rebuild it`);
    }
    const tables = (this.#db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((t) => t.name);
    const hadContent = tables.length > 0;
    this.#db.transaction(() => {
      // The index is disposable: an old or unknown layout is replaced, favourites carried over when readable.
      let favourites: Array<{ call_id: string; owner: string }> = [];
      if (tables.includes('favourites')) {
        try {
          favourites = this.#db.prepare('SELECT call_id, owner FROM favourites').all() as typeof favourites;
        } catch {
          favourites = [];
        }
      }
      for (const table of tables) this.#db.exec(`DROP TABLE IF EXISTS "${table.replace(/"/g, '""')}"`);
      this.#db.exec(SCHEMA_V1);
      const insert = this.#db.prepare('INSERT OR IGNORE INTO favourites (call_id, owner) VALUES (?, ?)');
      for (const f of favourites) if (typeof f.call_id === 'string' && typeof f.owner === 'string') insert.run(f.call_id, f.owner);
      this.#db.pragma(`user_version = ${INDEX_SCHEMA_VERSION}`);
    })();
    return hadContent;
  }

  /** Refresh the query planner's statistics (after a large import or a reindex). */
  analyze(): void {
    this.#db.exec('ANALYZE');
  }

  close(): void {
    try {
      this.#db.pragma('optimize');
    } catch {
      // A read-only or busy database keeps its old statistics.
    }
    this.#db.close();
  }

  upsert(row: RecordingRow): void {
    this.#upsert.run(toDb(row));
  }

  upsertMany(rows: readonly RecordingRow[]): void {
    this.#db.transaction((all: readonly RecordingRow[]) => {
      for (const row of all) this.#upsert.run(toDb(row));
    })(rows);
  }

  /** Index a stored (e.g. just filed) recording. */
  upsertRecording(stored: StoredRecording, sidecar?: RecordingSidecar, integrity: IntegrityState = 'unchecked'): RecordingRow {
    const row = recordingRow(stored, sidecar, integrity);
    this.upsert(row);
    return row;
  }

  /** Remove a recording's row; true when there was one. */
  /** Names of recordings that started before `startLocal` ('YYYY-MM-DD HH:MM', the name's local time) in `month` or earlier. */
  /** Names of the recordings in month folders up to `month` (YYYY_MM), oldest folder first. */
  namesUpToMonth(month: string): string[] {
    return (this.#db.prepare('SELECT name FROM recordings WHERE month <= ? ORDER BY month').all(month) as Array<{ name: string }>).map((row) => row.name);
  }

  remove(name: string): boolean {
    return this.#db.prepare('DELETE FROM recordings WHERE name = ?').run(name).changes > 0;
  }

  get(name: string, owner = ''): IndexedRecording | undefined {
    const row = this.#db.prepare(`SELECT r.*, ${this.#favouriteColumns()} FROM recordings r WHERE r.name = ?`).get(owner, name) as DbRow | undefined;
    return row ? fromDb(row) : undefined;
  }

  getByCallId(callId: string, owner = ''): IndexedRecording[] {
    return (this.#db.prepare(`SELECT r.*, ${this.#favouriteColumns()} FROM recordings r WHERE r.call_id = ? ORDER BY r.name`).all(owner, callId) as DbRow[]).map(fromDb);
  }

  /**
   * Recordings of a conference: its id (32 hex digits) is the call id, or the call id's start (a phone's captures,
   * one per call leg, carry device and counter after it).
   */
  getByConference(conf: string): IndexedRecording[] {
    const id = conf.toLowerCase();
    return (this.#db.prepare(`SELECT r.*, ${this.#favouriteColumns()} FROM recordings r WHERE r.call_id = ? OR (r.call_id >= ? AND r.call_id < ?) ORDER BY r.name`).all('', id, `${id}-`, `${id}.`) as DbRow[]).map(fromDb);
  }

  count(): number {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM recordings').get() as { n: number }).n;
  }

  /** Months with recordings and how many, oldest first. */
  months(): Array<{ month: string; count: number }> {
    return this.#db.prepare('SELECT month, COUNT(*) AS count FROM recordings GROUP BY month ORDER BY month').all() as Array<{ month: string; count: number }>;
  }

  /** Formats present in a month (the player shows a format filter only when there are several). */
  formats(month: string): RecordingFormat[] {
    return (this.#db.prepare('SELECT DISTINCT format FROM recordings WHERE month = ? ORDER BY format').all(month) as Array<{ format: RecordingFormat }>).map((r) => r.format);
  }

  setIntegrity(name: string, integrity: IntegrityState): boolean {
    if (!INTEGRITY_STATES.includes(integrity)) throw filterError('integrity', `unknown state ${JSON.stringify(integrity)}`);
    return this.#db.prepare('UPDATE recordings SET integrity = ? WHERE name = ?').run(integrity, name).changes > 0;
  }

  setHasNotes(name: string, hasNotes: boolean): boolean {
    return this.#db.prepare('UPDATE recordings SET has_notes = ? WHERE name = ?').run(hasNotes ? 1 : 0, name).changes > 0;
  }

  /** Mark or unmark a call as favourite: globally (owner omitted) or for one player. */
  setFavourite(callId: string, favourite: boolean, owner = ''): void {
    if (favourite) this.#db.prepare('INSERT OR IGNORE INTO favourites (call_id, owner) VALUES (?, ?)').run(callId, owner);
    else this.#db.prepare('DELETE FROM favourites WHERE call_id = ? AND owner = ?').run(callId, owner);
  }

  #favouriteColumns(): string {
    return `EXISTS (SELECT 1 FROM favourites f WHERE f.call_id = r.call_id AND f.owner = '') AS fav_global,
            EXISTS (SELECT 1 FROM favourites f WHERE f.call_id = r.call_id AND f.owner = ? AND f.owner <> '') AS fav_mine`;
  }

  /** The player's search: every value is a bound parameter. */
  search(filter: RecordingFilter = {}): SearchResult {
    const where: string[] = [];
    const params: Array<string | number> = [];
    const owner = filter.owner ?? '';
    if (typeof owner !== 'string') throw filterError('owner', 'expected a string');

    if (filter.month !== undefined) {
      if (typeof filter.month !== 'string' || !/^\d{4}_(0[1-9]|1[0-2])$/.test(filter.month)) throw filterError('month', `expected YYYY_MM, got ${JSON.stringify(filter.month)}`);
      where.push('r.month = ?');
      params.push(filter.month);
    }
    if (filter.day !== undefined) {
      if (!Number.isInteger(filter.day) || filter.day < 1 || filter.day > 31) throw filterError('day', `expected a whole number 1…31, got ${String(filter.day)}`);
      where.push('r.day = ?');
      params.push(filter.day);
    }
    for (const [field, column, prefix] of [
      ['internal', 'internal', false],
      ['external', 'external', true],
    ] as const) {
      const value = filter[field];
      if (value === undefined || value === '') continue;
      if (typeof value !== 'string' || value.length > 128) throw filterError(field, 'expected a number pattern of at most 128 characters');
      const hasWildcard = /(^|[^\\])[*?]/.test(value);
      const expanded = prefix ? undefined : expandSingleWildcards(value);
      if (!prefix && !hasWildcard) {
        where.push(`r.${column} = ?`);
        params.push(literalOf(value));
      } else if (expanded) {
        // A short pattern with only '?' is a handful of exact numbers: an IN list the index answers directly.
        where.push(`r.${column} IN (${expanded.map(() => '?').join(', ')})`);
        params.push(...expanded);
      } else {
        // The literal start of the pattern as a range lets SQLite use the column's index (LIKE alone cannot).
        const literalStart = literalOf(value.split(/(?<!\\)[*?]/)[0] ?? '');
        if (literalStart !== '' && !/[A-Za-z]/.test(literalStart)) {
          where.push(`r.${column} >= ? AND r.${column} < ?`);
          params.push(literalStart, prefixUpperBound(literalStart));
        }
        where.push(`r.${column} LIKE ? ESCAPE '\\'`);
        params.push(wildcardToLike(value, prefix));
      }
    }
    if (filter.direction !== undefined) {
      if (filter.direction !== 'in' && filter.direction !== 'out') throw filterError('direction', `expected in or out, got ${JSON.stringify(filter.direction)}`);
      where.push('r.direction = ?');
      params.push(filter.direction);
    }
    if (filter.tan !== undefined) {
      if (typeof filter.tan !== 'string' || !isValidTan(filter.tan)) throw filterError('tan', `expected exactly 6 digits, got ${JSON.stringify(filter.tan)}`);
      where.push('r.tan = ?');
      params.push(filter.tan);
    }
    if (filter.format !== undefined) {
      if (!RECORDING_FORMATS.includes(filter.format)) throw filterError('format', `expected ${RECORDING_FORMATS.join(', ')}, got ${JSON.stringify(filter.format)}`);
      where.push('r.format = ?');
      params.push(filter.format);
    }
    if (filter.callId !== undefined) {
      if (typeof filter.callId !== 'string') throw filterError('callId', 'expected a string');
      where.push('r.call_id = ?');
      params.push(filter.callId);
    }
    if (filter.integrity !== undefined) {
      if (!INTEGRITY_STATES.includes(filter.integrity)) throw filterError('integrity', `unknown state ${JSON.stringify(filter.integrity)}`);
      where.push('r.integrity = ?');
      params.push(filter.integrity);
    }
    checkDate(filter.from, 'from');
    checkDate(filter.to, 'to');
    if (filter.from) {
      where.push('r.start_ms >= ?');
      params.push(filter.from.getTime());
    }
    if (filter.to) {
      where.push('r.start_ms < ?');
      params.push(filter.to.getTime());
    }
    if (filter.favourite !== undefined) {
      if (filter.favourite === 'global') {
        where.push("EXISTS (SELECT 1 FROM favourites f WHERE f.call_id = r.call_id AND f.owner = '')");
      } else if (filter.favourite === 'mine') {
        if (owner === '') throw filterError('owner', "needed with favourite: 'mine'");
        where.push('EXISTS (SELECT 1 FROM favourites f WHERE f.call_id = r.call_id AND f.owner = ?)');
        params.push(owner);
      } else throw filterError('favourite', `expected global or mine, got ${JSON.stringify(filter.favourite)}`);
    }
    const order = filter.order ?? 'newest';
    if (order !== 'newest' && order !== 'oldest') throw filterError('order', `expected newest or oldest, got ${JSON.stringify(order)}`);
    const limit = filter.limit ?? 100;
    const offset = filter.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw filterError('limit', `expected a whole number 1…10000, got ${String(limit)}`);
    if (!Number.isInteger(offset) || offset < 0) throw filterError('offset', `expected a whole number ≥ 0, got ${String(offset)}`);

    const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const direction = order === 'newest' ? 'DESC' : 'ASC';
    // Counting a million matches costs more than the page: count up to the cap, and say when there are more.
    const counted = (this.#db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM recordings r ${whereSql} LIMIT ?)`).get(...params, TOTAL_COUNT_CAP + 1) as { n: number }).n;
    const totalCapped = counted > TOTAL_COUNT_CAP;
    const total = Math.min(counted, TOTAL_COUNT_CAP);
    const rows = this.#db
      .prepare(`SELECT r.*, ${this.#favouriteColumns()} FROM recordings r ${whereSql} ORDER BY r.start_ms ${direction}, r.name ${direction} LIMIT ? OFFSET ?`)
      .all(owner, ...params, limit, offset) as DbRow[];
    return { total, totalCapped, rows: rows.map(fromDb) };
  }

  /**
   * Rebuild the index from the files: every recording in the tree is (re)indexed from its name and sidecar, rows
   * of recordings that are gone are removed. Searches keep working meanwhile. `verify` checks every audio file.
   */
  async reindex(store: RecordingStore, options: { verify?: boolean } = {}): Promise<ReindexResult> {
    const seen = new Set<string>();
    let batch: RecordingRow[] = [];
    let indexed = 0;
    let unreadableSidecars = 0;
    for await (const stored of store.scan()) {
      let sidecar: RecordingSidecar | undefined;
      let integrity: IntegrityState = 'unchecked';
      try {
        sidecar = (await store.readSidecar(stored))?.sidecar;
      } catch (error) {
        unreadableSidecars++;
        integrity = (error as { code?: string }).code === 'unknown-key' ? 'unknown-key' : 'tampered';
      }
      if (options.verify) integrity = await store.verify(stored);
      batch.push(recordingRow(stored, sidecar, integrity));
      seen.add(stored.name);
      indexed++;
      if (batch.length >= 500) {
        this.upsertMany(batch);
        batch = [];
      }
    }
    this.upsertMany(batch);
    const stale = (this.#db.prepare('SELECT name FROM recordings').all() as Array<{ name: string }>).map((r) => r.name).filter((name) => !seen.has(name));
    this.#db.transaction((names: string[]) => {
      const remove = this.#db.prepare('DELETE FROM recordings WHERE name = ?');
      for (const name of names) remove.run(name);
    })(stale);
    this.analyze();
    return { indexed, removed: stale.length, unreadableSidecars };
  }
}
