// What the routes of the player share: the recordings, the accounts and what guards them.
import type { FastifyRequest } from 'fastify';
import type { Keyring } from '../platform/crypto/index.js';
import type { Recordings } from '../recordings/index.js';
import type { AccountStore, Session } from './accounts.js';
import type { AuditLog } from './audit.js';
import type { Approvals, FourEyesAction } from './approvals.js';
import type { EventHub } from './events.js';
import type { IntegrityGuard } from './integrity.js';
import type { LoginLimiter } from './limiter.js';
import type { WaveformCache } from './waveform.js';
import type { PcapPlaybackCache } from './pcap-playback.js';
import type { ReconcileReport } from '../recorder/reconcile/index.js';

export const SESSION_COOKIE = 'rp_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface PlayerContext {
  readonly recordings: Recordings;
  readonly accounts: AccountStore;
  /** Keys to open encrypted recordings. */
  readonly keyring: Keyring | undefined;
  readonly hub: EventHub;
  readonly limiter: LoginLimiter;
  readonly waveforms: WaveformCache;
  /** Kept captures rendered for playing. */
  readonly pcapPlayback: PcapPlaybackCache;
  readonly integrity: IntegrityGuard;
  readonly audit: AuditLog;
  /** As in the reference: a recording with a TAN (other than 000000) takes no notes. */
  readonly notesLockedByTan: boolean;
  /** Every play needs a reason. */
  readonly reasonOnPlay: boolean;
  /** Actions that need a second person's approval first. */
  readonly fourEyes: ReadonlySet<FourEyesAction>;
  readonly approvals: Approvals;
  /** The recording service's work folder (its status file, alarm commands); undefined: no status panel. */
  readonly statusDir: string | undefined;
  /** The service's audit trail; undefined: only the player's own is shown. */
  readonly serviceTrailPath: string | undefined;
  /** Completeness of a period; undefined: this player cannot reach the reporting. */
  readonly reconcile: ((from: string, to: string) => Promise<ReconcileReport>) | undefined;
  readonly onError: (error: unknown) => void;
  /** The request came over HTTPS (here or through a trusted proxy), or cookies are Secure anyway. */
  secure(request: FastifyRequest): boolean;
}

export function sessionJson(session: Session): Record<string, unknown> {
  const { account } = session;
  return { user: account.name, role: account.role, numbers: account.numbers, permissions: account.permissions, player: account.player, csrfToken: session.csrfToken };
}
