// The master alarm (the reference, "Alarms"): the lamps come and go by themselves (self-healing), but the master
// alarm, once triggered by a lamp going red, stays until someone acknowledges it (RESET: armed again, and
// triggered again at once if a lamp is still red) or silences it (OFF: no alarm, no mail, until ON or RESET).
// It is armed only after a start-up grace (the reference's 20 s: the network often needs a second attempt at
// start). Its state survives restarts (a latched alarm is not forgotten by a restart), and every lamp change is
// kept in a short history for the status and the mails.
import { StateFileError, readStateFile, writeFileAtomic } from '../../platform/util/index.js';

export const LAMP_NAMES = ['PBX', 'REP', 'PCAP', 'DISK', 'BACKUP', 'SOFTWARE'] as const;
export type LampName = (typeof LAMP_NAMES)[number];
/** Grey: not in use (no backup path configured). */
export type LampState = 'green' | 'red' | 'grey';
export type Lamps = Readonly<Record<LampName, LampState>>;

export type MasterAlarmState = 'starting' | 'armed' | 'triggered' | 'off';
export type AlarmAction = 'reset' | 'off' | 'on';
export const ALARM_ACTIONS: readonly AlarmAction[] = ['reset', 'off', 'on'];

/** A lamp changing colour, or the master alarm changing state. */
export interface AlarmEvent {
  readonly at: string;
  readonly kind: 'lamp' | 'master';
  /** lamp: the lamp; master: the new state. */
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  /** Why (a lamp's reason; who acknowledged or silenced). */
  readonly reason?: string;
}

export interface MasterAlarmStatus {
  readonly state: MasterAlarmState;
  /** When the state began. */
  readonly since: string;
  /** The lamp change that triggered it (state "triggered"). */
  readonly triggeredBy?: AlarmEvent;
  /** The most recent changes, newest last. */
  readonly history: readonly AlarmEvent[];
}

export interface MasterAlarmOptions {
  /** Where the state is kept (JSON, replaced atomically). */
  readonly file: string;
  /** Start-up grace before the alarm is armed (ms; the reference: about 20 s). */
  readonly graceMs: number;
  /** Told of every event after it is recorded (logging, mail). */
  readonly onEvent: (event: AlarmEvent, status: MasterAlarmStatus) => void;
  /** The state could not be written (it stays right in memory and is written again with the next change). */
  readonly onSaveError?: (error: unknown) => void;
  readonly now?: () => number;
}

const HISTORY = 50;

interface Stored {
  readonly state: Exclude<MasterAlarmState, 'starting'>;
  readonly since: string;
  readonly triggeredBy?: AlarmEvent;
  readonly history: AlarmEvent[];
}

export class MasterAlarm {
  readonly #options: MasterAlarmOptions;
  readonly #now: () => number;
  #state: MasterAlarmState = 'starting';
  /** The state after the grace (kept from the last run: a latched alarm or OFF survive a restart). */
  #afterGrace: Exclude<MasterAlarmState, 'starting'> = 'armed';
  #since: string;
  #triggeredBy: AlarmEvent | undefined;
  #history: AlarmEvent[] = [];
  #lamps: Lamps | undefined;
  /** The reasons given with the lamps last observed. */
  #reasons: Partial<Record<LampName, string>> = {};
  readonly #startedAt: number;

  private constructor(options: MasterAlarmOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#since = new Date(this.#startedAt).toISOString();
  }

  /** The alarm with the state its file keeps; a damaged file is a StateFileError naming it, never a silent reset. */
  static async open(options: MasterAlarmOptions): Promise<MasterAlarm> {
    const alarm = new MasterAlarm(options);
    const stored = readStateFile(options.file, 'master alarm state') as Partial<Stored> | undefined;
    if (stored === undefined) return alarm;
    if (stored === null || typeof stored !== 'object' || !(stored.state === 'armed' || stored.state === 'triggered' || stored.state === 'off')) {
      throw new StateFileError(options.file, 'not a master alarm state (state is not armed, triggered or off); move the file aside to start anew');
    }
    alarm.#afterGrace = stored.state;
    if (stored.triggeredBy) alarm.#triggeredBy = stored.triggeredBy;
    if (Array.isArray(stored.history)) alarm.#history = stored.history.slice(-HISTORY);
    if (stored.state !== 'armed' && typeof stored.since === 'string') alarm.#since = stored.since;
    return alarm;
  }

  status(): MasterAlarmStatus {
    return { state: this.#state, since: this.#since, ...(this.#triggeredBy && this.#state === 'triggered' ? { triggeredBy: this.#triggeredBy } : {}), history: [...this.#history] };
  }

  /** The lamps as they are now (called whenever they may have changed, and on a timer for the grace's end). */
  observe(lamps: Lamps, reasons: Partial<Record<LampName, string>> = {}): void {
    const before = this.#lamps;
    this.#lamps = { ...lamps };
    this.#reasons = { ...reasons };
    if (before) {
      for (const lamp of LAMP_NAMES) {
        if (before[lamp] === lamps[lamp]) continue;
        const event = this.#event('lamp', lamp, before[lamp], lamps[lamp], reasons[lamp]);
        // Changes during the start-up checks are recorded, not alarmed: the grace is for exactly that.
        if (lamps[lamp] === 'red' && this.#state === 'armed') this.#trigger(event);
      }
    }
    if (this.#state === 'starting' && this.#now() - this.#startedAt >= this.#options.graceMs) {
      this.#state = this.#afterGrace;
      if (this.#state === 'armed') {
        this.#since = new Date(this.#now()).toISOString();
        this.#triggerIfRed();
      }
      this.#save();
    }
  }

  /** RESET (armed again; triggered at once by a lamp still red), OFF (silenced), ON (armed, from OFF). */
  command(action: AlarmAction, by: string): void {
    const from = this.#state === 'starting' ? this.#afterGrace : this.#state;
    const to = action === 'off' ? 'off' : action === 'on' && from !== 'off' ? from : 'armed';
    if (this.#state === 'starting') {
      // Before the grace ends the command sets what follows it.
      this.#afterGrace = to;
      if (to !== 'triggered') this.#triggeredBy = undefined;
      this.#event('master', to, from, to, `${action.toUpperCase()} by ${by}`);
      this.#save();
      return;
    }
    this.#state = to;
    this.#since = new Date(this.#now()).toISOString();
    if (to !== 'triggered') this.#triggeredBy = undefined;
    this.#event('master', to, from, to, `${action.toUpperCase()} by ${by}`);
    if (to === 'armed' && this.#lamps) this.#triggerIfRed();
    this.#save();
  }

  /** Armed with lamps red: the first of them (in the panel's order) triggers the alarm. */
  #triggerIfRed(): void {
    const red = this.#lamps ? LAMP_NAMES.find((lamp) => this.#lamps![lamp] === 'red') : undefined;
    if (red === undefined) return;
    this.#trigger({ at: new Date(this.#now()).toISOString(), kind: 'lamp', subject: red, from: 'red', to: 'red', reason: this.#reasons[red] ?? 'still red' });
  }

  #trigger(cause: AlarmEvent): void {
    const from = this.#state;
    this.#state = 'triggered';
    this.#since = new Date(this.#now()).toISOString();
    this.#triggeredBy = cause;
    this.#event('master', 'triggered', from, 'triggered', `${cause.subject} red${cause.reason ? `: ${cause.reason}` : ''}`);
    this.#save();
  }

  #event(kind: AlarmEvent['kind'], subject: string, from: string, to: string, reason?: string): AlarmEvent {
    const event: AlarmEvent = { at: new Date(this.#now()).toISOString(), kind, subject, from, to, ...(reason !== undefined ? { reason } : {}) };
    this.#history.push(event);
    if (this.#history.length > HISTORY) this.#history.shift();
    this.#options.onEvent(event, this.status());
    if (kind === 'lamp') this.#save();
    return event;
  }

  #save(): void {
    const state = this.#state === 'starting' ? this.#afterGrace : this.#state;
    const stored: Stored = { state, since: this.#since, ...(this.#triggeredBy ? { triggeredBy: this.#triggeredBy } : {}), history: this.#history };
    try {
      writeFileAtomic(this.#options.file, Buffer.from(`${JSON.stringify(stored, null, 2)}\n`));
    } catch (error) {
      this.#options.onSaveError?.(error);
    }
  }
}
