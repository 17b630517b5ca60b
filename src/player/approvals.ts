// Four-eyes approval for export and erasure (where the site asks for it, [server] fourEyes): one person asks, with
// a reason, for an action on named recordings; another supervisor or compliance officer approves or refuses; the
// asker then does it once, within a day. Kept in the accounts file (its own table), so the player and the command
// line see the same approvals.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { AccountError } from './errors.js';

export const FOUR_EYES_ACTIONS = ['export', 'erase'] as const;
export type FourEyesAction = (typeof FOUR_EYES_ACTIONS)[number];

/** An approval is good for one use, this long after it was given. */
export const APPROVAL_VALID_MS = 24 * 3600_000;

export interface Approval {
  readonly id: string;
  readonly action: FourEyesAction;
  readonly recordings: readonly string[];
  readonly reason: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly decision?: 'approved' | 'refused';
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly usedAt?: string;
}

interface ApprovalRow {
  id: string;
  action: FourEyesAction;
  recordings: string;
  reason: string;
  requested_by: string;
  requested_ms: number;
  decision: 'approved' | 'refused' | null;
  decided_by: string | null;
  decided_ms: number | null;
  used_ms: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  action TEXT NOT NULL CHECK (action IN ('export', 'erase')),
  recordings TEXT NOT NULL,
  reason TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requested_ms INTEGER NOT NULL,
  decision TEXT CHECK (decision IN ('approved', 'refused')),
  decided_by TEXT,
  decided_ms INTEGER,
  used_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS approvals_requested ON approvals (requested_ms);
`;

function fromRow(row: ApprovalRow): Approval {
  const iso = (ms: number | null): string | undefined => (ms === null ? undefined : new Date(ms).toISOString());
  return {
    id: row.id,
    action: row.action,
    recordings: JSON.parse(row.recordings) as string[],
    reason: row.reason,
    requestedBy: row.requested_by,
    requestedAt: iso(row.requested_ms)!,
    ...(row.decision !== null ? { decision: row.decision, decidedBy: row.decided_by!, decidedAt: iso(row.decided_ms)! } : {}),
    ...(row.used_ms !== null ? { usedAt: iso(row.used_ms)! } : {}),
  };
}

export class Approvals {
  readonly #db: Database.Database;

  constructor(readonly path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(SCHEMA);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  request(action: FourEyesAction, recordings: readonly string[], reason: string, by: string): Approval {
    if (!FOUR_EYES_ACTIONS.includes(action)) throw new AccountError('action', `expected export or erase, got ${JSON.stringify(action)}`);
    if (recordings.length === 0 || recordings.length > 1000) throw new AccountError('recordings', 'name 1…1000 recordings');
    if (reason.trim().length === 0) throw new AccountError('reason', 'a reason is required');
    const id = `A-${randomBytes(5).toString('hex')}`;
    this.#db.prepare('INSERT INTO approvals (id, action, recordings, reason, requested_by, requested_ms) VALUES (?, ?, ?, ?, ?, ?)').run(id, action, JSON.stringify([...new Set(recordings)].sort()), reason.trim().slice(0, 1000), by, Date.now());
    return this.get(id)!;
  }

  get(id: string): Approval | undefined {
    const row = this.#db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as ApprovalRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Newest first; `by` limits to one person's requests. */
  list(by?: string, limit = 200): Approval[] {
    const rows = (by === undefined ? this.#db.prepare('SELECT * FROM approvals ORDER BY requested_ms DESC LIMIT ?').all(limit) : this.#db.prepare('SELECT * FROM approvals WHERE requested_by = ? ORDER BY requested_ms DESC LIMIT ?').all(by, limit)) as ApprovalRow[];
    return rows.map(fromRow);
  }

  /** Approve or refuse: by someone other than the asker, once. */
  decide(id: string, decision: 'approved' | 'refused', by: string): Approval {
    const approval = this.get(id);
    if (!approval) throw new AccountError('approval', `${id}: no such request`);
    if (approval.requestedBy === by) throw new AccountError('approval', `${id}: four-eyes: the one who asked (${by}) cannot decide it`);
    if (approval.decision !== undefined) throw new AccountError('approval', `${id}: ${approval.decision} already, by ${approval.decidedBy}`);
    this.#db.prepare('UPDATE approvals SET decision = ?, decided_by = ?, decided_ms = ? WHERE id = ? AND decision IS NULL').run(decision, by, Date.now(), id);
    return this.get(id)!;
  }

  /**
   * Use an approval for an action on recordings: approved, for this action, asked by this person, covering every
   * recording, unused and still valid; then it is spent. Otherwise the reason it does not count.
   */
  use(id: string, action: FourEyesAction, recordings: readonly string[], by: string, now = Date.now()): Approval {
    const approval = this.get(id);
    const refuse = (why: string): never => {
      throw new AccountError('approval', `${id}: ${why}`);
    };
    if (!approval) return refuse('no such approval');
    if (approval.action !== action) refuse(`it approves ${approval.action}, not ${action}`);
    if (approval.requestedBy !== by) refuse(`asked for by ${approval.requestedBy}, not ${by}`);
    if (approval.decision !== 'approved') refuse(approval.decision === 'refused' ? `refused by ${approval.decidedBy}` : 'not approved yet');
    if (approval.usedAt !== undefined) refuse(`used already at ${approval.usedAt}`);
    if (now - Date.parse(approval.decidedAt!) > APPROVAL_VALID_MS) refuse('approved more than a day ago: ask again');
    const missing = recordings.filter((name) => !approval.recordings.includes(name));
    if (missing.length > 0) refuse(`does not cover ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ' …' : ''}`);
    const spent = this.#db.prepare('UPDATE approvals SET used_ms = ? WHERE id = ? AND used_ms IS NULL').run(now, id).changes;
    if (spent !== 1) refuse('used already');
    return this.get(id)!;
  }
}
