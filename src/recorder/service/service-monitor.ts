// The service watching itself: every couple of seconds it reads its lamps, feeds the master alarm, applies the
// alarm commands left for it (CLI, player), and writes its status for the world outside the process. The alarm's
// events are logged here and passed on (mail).
import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { MasterAlarm } from './master-alarm.js';
import type { AlarmEvent, LampName, Lamps, MasterAlarmStatus } from './master-alarm.js';
import { STATUS_INTERVAL_MS, takeAlarmCommands, writeStatus } from './service-status.js';
import type { AlarmCommand, StatusSnapshot } from './service-status.js';
import type { ServiceCounters } from './recorder-service.js';
import type { ClusterStatus } from '../cluster/index.js';

/** What the monitor reads from the service each round. */
export interface MonitoredService {
  /** The store's free space as just measured (undefined: it could not be). */
  diskMeasured(freeBytes: number | undefined): void;
  lamps(): Lamps;
  lampReasons(): Partial<Record<LampName, string>>;
  channelsInRecording(): number;
  capturesWaiting(): number;
  nextRetryAt(): number | undefined;
  recentErrors(): readonly string[];
  counters(): Readonly<ServiceCounters>;
  /** The job queue as last read, with [cluster]. */
  cluster?(): ClusterStatus | undefined;
}

export interface ServiceMonitorOptions {
  readonly workDir: string;
  /** The store's root: its file system's free space is reported. */
  readonly storeRoot: string;
  readonly alarmFile: string;
  readonly graceMs: number;
  readonly log: Logger;
  /** Every alarm event, after it is logged (the mailer). */
  /** Told of each RESET / OFF taken from the alarm commands (the audit trail keeps who did it). */
  readonly onAlarmCommand?: (command: AlarmCommand) => Promise<void> | void;
  readonly onAlarmEvent?: (event: AlarmEvent, status: MasterAlarmStatus, snapshot: () => StatusSnapshot) => void;
  readonly intervalMs?: number;
}

export class ServiceMonitor {
  readonly #options: ServiceMonitorOptions;
  readonly #service: MonitoredService;
  readonly #startedAt = new Date().toISOString();
  #alarm: MasterAlarm | undefined;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> = Promise.resolve();
  #disk: StatusSnapshot['disk'];
  #stopped = false;

  constructor(service: MonitoredService, options: ServiceMonitorOptions) {
    this.#service = service;
    this.#options = options;
  }

  get alarm(): MasterAlarm | undefined {
    return this.#alarm;
  }

  async start(): Promise<void> {
    this.#alarm = await MasterAlarm.open({
      file: this.#options.alarmFile,
      graceMs: this.#options.graceMs,
      onEvent: (event, status) => this.#onEvent(event, status),
      onSaveError: (error) => this.#options.log.warn({ err: error, file: this.#options.alarmFile }, 'master alarm: its state could not be written'),
    });
    await this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs ?? STATUS_INTERVAL_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#round;
  }

  /** One round now (also when a lamp may just have changed); rounds never overlap. */
  tick(): Promise<void> {
    this.#round = this.#round.then(() => this.#once()).catch((error: unknown) => this.#options.log.warn({ err: error }, 'status: a round failed'));
    return this.#round;
  }

  snapshot(): StatusSnapshot {
    const service = this.#service;
    const next = service.nextRetryAt();
    return {
      version: 1,
      at: new Date().toISOString(),
      pid: process.pid,
      host: hostname(),
      startedAt: this.#startedAt,
      lamps: service.lamps(),
      reasons: service.lampReasons(),
      master: this.#alarm!.status(),
      channelsInRecording: service.channelsInRecording(),
      capturesWaiting: service.capturesWaiting(),
      ...(next !== undefined ? { nextRetryAt: new Date(next).toISOString() } : {}),
      recentErrors: [...service.recentErrors()],
      ...(this.#disk ? { disk: this.#disk } : {}),
      counters: { ...service.counters() },
      ...(service.cluster?.() ? { cluster: service.cluster()! } : {}),
    };
  }

  async #once(): Promise<void> {
    const alarm = this.#alarm;
    if (!alarm || this.#stopped) return;
    for (const command of await takeAlarmCommands(this.#options.workDir)) {
      this.#options.log.info({ action: command.action, by: command.by }, `master alarm: ${command.action.toUpperCase()} by ${command.by}`);
      alarm.command(command.action, command.by);
      await Promise.resolve(this.#options.onAlarmCommand?.(command)).catch((error: unknown) => this.#options.log.warn({ err: error }, 'an alarm command could not be put in the audit trail'));
    }
    try {
      const fs = await statfs(this.#options.storeRoot);
      this.#disk = { path: this.#options.storeRoot, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    } catch {
      this.#disk = undefined;
    }
    this.#service.diskMeasured(this.#disk?.freeBytes);
    alarm.observe(this.#service.lamps(), this.#service.lampReasons());
    await writeStatus(this.#options.workDir, this.snapshot()).catch((error: unknown) => this.#options.log.warn({ err: error }, 'status: the status file could not be written'));
  }

  #onEvent(event: AlarmEvent, status: MasterAlarmStatus): void {
    const log = this.#options.log;
    if (event.kind === 'lamp') {
      const fields = { lamp: event.subject, from: event.from, to: event.to, ...(event.reason !== undefined ? { reason: event.reason } : {}) };
      if (event.to === 'red') log.warn(fields, `lamp ${event.subject} red`);
      else log.info(fields, `lamp ${event.subject} ${event.to}`);
    } else if (event.to === 'triggered') log.error({ cause: event.reason }, `MASTER ALARM: ${event.reason ?? ''}`);
    else log.warn({ from: event.from, to: event.to, reason: event.reason }, `master alarm ${event.to}`);
    this.#options.onAlarmEvent?.(event, status, () => this.snapshot());
  }
}
