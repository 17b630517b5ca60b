import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { recordCapture } from '../captures/index.js';
import { startDrive } from '../drive/index.js';
import type { CallObserver, FaultState, PbxDirectory, PlannedCall, Scenario, SimClock } from '../model.js';
import { DRIVE_REC_PATH, defaultFaults } from '../model.js';
import { defaultDirectory, planCalls } from '../plan/index.js';
import { CdrPoster, ReportingService } from '../reporting/index.js';
import type { CdrInterfaceTarget } from '../reporting/index.js';
import { PbxSoapService } from '../soap/index.js';
import { AdminServer } from './admin.js';
import { AcceleratedClock } from './clock.js';
import { playCalls } from './runner.js';
import type { PlayResult } from './runner.js';

export interface EmbeddedPbxPorts {
  readonly soap?: number;
  readonly standbySoap?: number;
  readonly reporting?: number;
  readonly drive?: number;
  readonly admin?: number;
  readonly standbyDrive?: number;
}

export interface EmbeddedPbxOptions {
  readonly scenario: Scenario;
  /** Directory whose `DRIVE/CF0/REC` holds the captures (the gateway's CF card). */
  readonly driveRoot: string;
  readonly directory?: PbxDirectory;
  /** Simulated seconds per real second (default 1). */
  readonly speed?: number;
  /** Simulated epoch ms of the scenario's second 0 (default: now). */
  readonly startTime?: number;
  /** Credentials of every service (SOAP, reporting, WebDAV, admin). */
  readonly username?: string;
  readonly password?: string;
  /**
   * Also run a standby PBX: its SOAP service and its own drive (`<driveRoot>/standby-pbx/DRIVE/CF0/REC`). A capture
   * is written to the drive of the PBX that is active when it starts, and stays there until its call ends.
   */
  readonly standby?: boolean;
  /** Loopback address to listen on (default 127.0.0.1). */
  readonly host?: string;
  readonly ports?: EmbeddedPbxPorts;
  readonly faults?: Partial<FaultState>;
  /** A clock to run on instead of an accelerated real-time one (tests). */
  readonly clock?: SimClock;
  /** Real ms between a capture writer's flushes (default 100). */
  readonly captureFlushMs?: number;
  /** CDR interfaces the PBX posts each call's CDR-XML to (besides its reporting); more with addCdrInterface. */
  readonly cdrInterfaces?: readonly CdrInterfaceTarget[];
}

export interface EmbeddedPbxEndpoints {
  readonly soapUrl: string;
  readonly wsdlUrl: string;
  readonly standbySoapUrl?: string;
  /** The standby PBX's drive (with `standby`): root collection, capture collection, folder on disk. */
  readonly standbyDriveUrl?: string;
  readonly standbyRecUrl?: string;
  readonly standbyRecDir?: string;
  readonly reportingUrl: string;
  readonly driveUrl: string;
  readonly recUrl: string;
  readonly recDir: string;
  readonly adminUrl: string;
  readonly username: string;
  readonly password: string;
  /** Number of the TAN object agents dial before the TAN (the recorder's tan.prefix), when the directory has one. */
  readonly tanPrefix?: string;
  /** Number of the thread-call recording object agents call to keep their last call (the recorder's tcr.number). */
  readonly tcrNumber?: string;
}

/** Folder of the standby PBX's drive inside the driveRoot. */
export const STANDBY_DRIVE_FOLDER = 'standby-pbx';

export const DEFAULT_PBX_USERNAME = 'recorder';
export const DEFAULT_PBX_PASSWORD = 'recorder-demo';

/** The embedded PBX and gateway: SOAP (active and optional standby), reporting, the WebDAV drive, captures, faults. */
export class EmbeddedPbx {
  readonly directory: PbxDirectory;
  readonly calls: readonly PlannedCall[];
  readonly faults: FaultState;
  readonly clock: SimClock;
  private readonly soap: PbxSoapService;
  private readonly standbySoap: PbxSoapService | undefined;
  private readonly reporting: ReportingService;
  private readonly cdrPoster: CdrPoster;
  private readonly admin: AdminServer;
  private drive: { close(): Promise<void> } | undefined;
  private standbyDrive: { close(): Promise<void> } | undefined;
  private endpointsValue: EmbeddedPbxEndpoints | undefined;
  private callsDone = 0;
  private readonly username: string;
  private readonly password: string;

  constructor(private readonly options: EmbeddedPbxOptions) {
    const host = options.host ?? '127.0.0.1';
    if (!isLoopback(host)) throw new Error(`host: ${host} is not a loopback address; the embedded PBX listens on loopback only`);
    this.directory = options.directory ?? defaultDirectory();
    const startTime = options.startTime ?? Date.now();
    this.clock = options.clock ?? new AcceleratedClock({ speed: options.speed ?? 1, start: startTime });
    this.calls = planCalls(this.directory, options.scenario, startTime);
    this.faults = { ...defaultFaults(), ...options.faults };
    this.username = options.username ?? DEFAULT_PBX_USERNAME;
    this.password = options.password ?? DEFAULT_PBX_PASSWORD;
    const common = { directory: this.directory, faults: this.faults, clock: this.clock, username: this.username, password: this.password };
    this.soap = new PbxSoapService({ ...common, role: 'primary' });
    this.standbySoap = options.standby ? new PbxSoapService({ ...common, role: 'standby' }) : undefined;
    this.reporting = new ReportingService(common);
    this.cdrPoster = new CdrPoster({ directory: this.directory, cdrOptions: () => ({ clockSkewMs: this.faults.clockSkewMs }) });
    for (const target of options.cdrInterfaces ?? []) this.addCdrInterface(target);
    this.admin = new AdminServer({
      faults: this.faults,
      username: this.username,
      password: this.password,
      source: { status: () => this.status(), calls: () => this.calls.map(summariseCall) },
    });
  }

  get endpoints(): EmbeddedPbxEndpoints {
    if (!this.endpointsValue) throw new Error('the embedded PBX is not started');
    return this.endpointsValue;
  }

  async start(): Promise<EmbeddedPbxEndpoints> {
    const host = this.options.host ?? '127.0.0.1';
    const ports = this.options.ports ?? {};
    await mkdir(join(this.options.driveRoot, DRIVE_REC_PATH), { recursive: true });
    const drive = await startDrive({
      root: this.options.driveRoot,
      username: this.username,
      password: this.password,
      faults: this.faults,
      host,
      ...(ports.drive !== undefined ? { port: ports.drive } : {}),
    });
    this.drive = drive;
    let standbyDrive: Awaited<ReturnType<typeof startDrive>> | undefined;
    if (this.options.standby) {
      const root = join(this.options.driveRoot, STANDBY_DRIVE_FOLDER);
      await mkdir(join(root, DRIVE_REC_PATH), { recursive: true });
      const faults = this.faults;
      standbyDrive = await startDrive({
        root,
        username: this.username,
        password: this.password,
        // The standby PBX's drive has its own down switch; slowness is the network's, shared.
        faults: {
          get webdavDown() {
            return faults.standbyWebdavDown;
          },
          get driveSlowMs() {
            return faults.driveSlowMs;
          },
        },
        host,
        ...(ports.standbyDrive !== undefined ? { port: ports.standbyDrive } : {}),
      });
      this.standbyDrive = standbyDrive;
    }
    const soap = await this.soap.listen(ports.soap ?? 0, host);
    const standby = this.standbySoap ? await this.standbySoap.listen(ports.standbySoap ?? 0, host) : undefined;
    const reporting = await this.reporting.listen(ports.reporting ?? 0, host);
    const admin = await this.admin.listen(ports.admin ?? 0, host);
    this.endpointsValue = {
      soapUrl: soap.url,
      wsdlUrl: soap.wsdlUrl,
      ...(standby ? { standbySoapUrl: standby.url } : {}),
      ...(standbyDrive ? { standbyDriveUrl: standbyDrive.url, standbyRecUrl: standbyDrive.recUrl, standbyRecDir: standbyDrive.recDir } : {}),
      reportingUrl: reporting.url,
      driveUrl: drive.url,
      recUrl: drive.recUrl,
      recDir: drive.recDir,
      adminUrl: admin.url,
      username: this.username,
      password: this.password,
      ...(this.tanObjectNumber() !== undefined ? { tanPrefix: this.tanObjectNumber()! } : {}),
      ...(this.vmNumber('tcr') !== undefined ? { tcrNumber: this.vmNumber('tcr')! } : {}),
    };
    return this.endpointsValue;
  }

  private vmNumber(role: 'tan' | 'tcr'): string | undefined {
    return this.directory.vmObjects.find((vm) => vm.role === role)?.number;
  }

  private tanObjectNumber(): string | undefined {
    return this.directory.vmObjects.find((vm) => vm.role === 'tan')?.number;
  }

  /** Post the CDRs of the calls from now on to this CDR interface too (e.g. the recorder's, once it listens). */
  addCdrInterface(target: CdrInterfaceTarget): void {
    const host = new URL(target.url).hostname;
    if (!isLoopback(host)) throw new Error(`CDR interface ${target.url}: ${host} is not a loopback address; the embedded PBX talks to loopback only`);
    this.cdrPoster.add(target);
  }

  /** Play every planned call; resolves when the last call has ended and its captures are complete. */
  async run(options: { signal?: AbortSignal; onCallDone?: (call: PlannedCall, done: number) => void } = {}): Promise<PlayResult> {
    const { recDir, standbyRecDir } = this.endpoints;
    const observers: CallObserver[] = [this.soap, this.reporting, this.cdrPoster];
    if (this.standbySoap) observers.push(this.standbySoap);
    return playCalls(this.calls, {
      clock: this.clock,
      observers,
      recordCapture: (call, spec, signal) =>
        recordCapture({
          call,
          spec,
          // The gateway and phones write to the drive of the PBX active as the capture starts.
          recDir: this.faults.activePbx === 'standby' && standbyRecDir ? standbyRecDir : recDir,
          clock: this.clock,
          signal,
          ...(this.options.captureFlushMs !== undefined ? { flushIntervalMs: this.options.captureFlushMs } : {}),
        }),
      ...(options.signal ? { signal: options.signal } : {}),
      onCallDone: (call, done) => {
        this.callsDone = done;
        options.onCallDone?.(call, done);
      },
    });
  }

  async stop(): Promise<void> {
    this.cdrPoster.close();
    await Promise.allSettled([
      this.soap.close(),
      this.standbySoap?.close(),
      this.reporting.close(),
      this.admin.close(),
      this.drive?.close(),
      this.standbyDrive?.close(),
    ]);
    this.drive = undefined;
    this.standbyDrive = undefined;
  }

  status(): unknown {
    return {
      pbx: this.directory.pbxName,
      simulatedTime: new Date(this.clock.now()).toISOString(),
      speed: this.clock.speed,
      calls: { planned: this.calls.length, done: this.callsDone },
      cdrs: this.reporting.cdrCount(),
      cdrInterfaces: this.cdrPoster.stats(),
      faults: this.faults,
    };
  }
}

/** What `GET /admin/calls` and `recorder pbx --json` tell about a call. */
export function summariseCall(call: PlannedCall): Record<string, unknown> {
  return {
    index: call.index,
    confId: call.confId,
    kind: call.scenario.kind,
    direction: call.direction,
    caller: call.caller.number,
    called: call.called.number,
    setup: new Date(call.setupTime).toISOString(),
    answerAfterSeconds: call.answerAt !== undefined ? call.answerAt / 1000 : null,
    durationSeconds: call.endAt / 1000,
    codec: call.scenario.codec ?? 'pcma',
    captures: call.captures.map((capture) => capture.fileName),
    tan: call.tan ?? null,
    tcr: call.tcr ?? null,
    expected: call.expected,
  };
}

/** Whether a host name or address (URL form `[::1]` too) is this machine's loopback. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
