import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
// Shared pieces of the end-to-end tests (and scripts/benches) that run `recorder run` against `recorder pbx` on
// loopback: configuration, waiting for conditions, the truth a planned call implies, store and WAV checks.
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { decryptBytes } from '../../../src/platform/crypto/index.js';
import type { Keyring } from '../../../src/platform/crypto/index.js';
import { validateConfig } from '../../../src/platform/config/index.js';
import type { RecorderConfig, RecorderConfigInput } from '../../../src/platform/config/index.js';
import { cdrsFor } from '../../../src/embedded/index.js';
import type { CaptureSpec, EmbeddedPbxEndpoints, FaultState, PbxDirectory, PlannedCall } from '../../../src/embedded/index.js';
import { parseCaptureName } from '../../../src/recorder/rules/index.js';
import type { RecorderService, ServiceLamps } from '../../../src/recorder/service/index.js';
import { QUARANTINE_DIR, callIdField, parseRecordingName } from '../../../src/recordings/index.js';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const RUN_CLI = join(REPO_ROOT, 'test/helpers/run-cli.ts');

/** Wait until `condition` holds, checking every `everyMs`; rejects naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface ServiceConfigOptions {
  /** Use the standby PBX's SOAP endpoint as pbx.standbyUrl and its drive as drive.standbyUrl. */
  readonly standby?: boolean;
  readonly pollSeconds?: number;
  readonly trials?: number;
  readonly firstRetrySeconds?: readonly number[];
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
  /**
   * Run the recorder's CDR interface: `true` on a free loopback port (connect the PBX with connectCdrInterface
   * once the service listens), a number on that port (e.g. from freePort, the same across restarts, as a PBX's
   * configured interface is).
   */
  readonly cdrInterface?: boolean | number;
  /** Conversions as jobs on this Redis ([cluster]). */
  readonly cluster?: { readonly redis: string; readonly lockSeconds?: number; readonly attempts?: number; readonly queue?: string };
  readonly format?: 'wav' | 'mp3' | 'opus';
}

/** Credentials the embedded PBX posts CDRs with in the tests. */
export const CDR_INTERFACE_USER = 'pbx-cdr';
export const CDR_INTERFACE_PASSWORD = 'cdr-secret-for-tests';

/** A loopback port free right now (for a CDR interface that must keep its port across restarts). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The CDR interface a recorder configured with `cdrInterface: port` listens as (default path). */
export function cdrInterfaceOnPort(port: number): { url: string; username: string; password: string } {
  return { url: `http://127.0.0.1:${port}/cdr`, username: CDR_INTERFACE_USER, password: CDR_INTERFACE_PASSWORD };
}

/** Make the embedded PBX post its CDRs to the started service's CDR interface. */
export function connectCdrInterface(pbx: { addCdrInterface(target: { url: string; username?: string; password?: string }): void }, service: { cdrInterfaceUrl: string | undefined }): void {
  if (!service.cdrInterfaceUrl) throw new Error('the service runs no CDR interface (serviceConfig cdrInterface: true, then start it)');
  pbx.addCdrInterface({ url: service.cdrInterfaceUrl, username: CDR_INTERFACE_USER, password: CDR_INTERFACE_PASSWORD });
}

/** The configuration (as written in a file) of a recorder for the embedded PBX at `endpoints`, storing under `base`. */
export function serviceConfigInput(base: string, endpoints: EmbeddedPbxEndpoints, options: ServiceConfigOptions = {}): RecorderConfigInput {
  const { username, password } = endpoints;
  return {
    pbx: { url: endpoints.soapUrl, ...(options.standby && endpoints.standbySoapUrl ? { standbyUrl: endpoints.standbySoapUrl } : {}), username, password },
    reporting: { url: endpoints.reportingUrl, username, password, trials: options.trials ?? 5, firstRetrySeconds: [...(options.firstRetrySeconds ?? [1, 1])] },
    drive: {
      kind: 'webdav',
      url: endpoints.recUrl,
      ...(options.standby && endpoints.standbyRecUrl ? { standbyUrl: endpoints.standbyRecUrl } : {}),
      username,
      password,
      pollSeconds: options.pollSeconds ?? 1,
      graceSeconds: 0,
    },
    // The low-water mark off: tests run on machines with little free space; its own test sets it.
    storage: { root: join(base, 'store'), timezone: 'utc', minFreeMegabytes: 0 },
    recording: options.format === 'mp3' || options.format === 'opus' ? { format: options.format } : { format: 'wav', encoding: 'pcm16' },
    log: { level: options.logLevel ?? 'warn' },
    ...(options.cluster ? { cluster: { ...options.cluster } } : {}),
    ...(endpoints.tanPrefix !== undefined ? { tan: { prefix: endpoints.tanPrefix } } : {}),
    ...(options.cdrInterface !== undefined && options.cdrInterface !== false
      ? { cdrInterface: { port: options.cdrInterface === true ? 0 : options.cdrInterface, username: CDR_INTERFACE_USER, password: CDR_INTERFACE_PASSWORD } }
      : {}),
  };
}

export function serviceConfig(base: string, endpoints: EmbeddedPbxEndpoints, options: ServiceConfigOptions = {}): RecorderConfig {
  return validateConfig(serviceConfigInput(base, endpoints, options), 'e2e-config', base);
}

/** One capture the PBX writes, with what the recorder must make of it. */
export interface ExpectedCapture {
  readonly call: PlannedCall;
  readonly capture: CaptureSpec;
  /** The agent it is filed under; null when it is to be discarded (or quarantined, see `noCdr`). */
  readonly agent: string | null;
  /** The call has no CDR at all (no licensed user): kept in quarantine after the last trial. */
  readonly noCdr: boolean;
  /** The call id the recording is filed with (the conference id; a phone's capture adds device and counter). */
  readonly callId: string;
}

/**
 * The truth for every capture of `calls`: the reference's rules decide gateway captures (call.expected); a
 * phone's own capture belongs to the phone's user when that user is an Agent.
 */
export function expectedCaptures(calls: readonly PlannedCall[], directory: PbxDirectory): ExpectedCapture[] {
  const agents = new Set(directory.users.filter((user) => user.recordingGroup && user.reporting).map((user) => user.number));
  return calls.flatMap((call) => {
    const noCdr = cdrsFor(call, directory).length === 0;
    return call.captures.map((capture) => {
      const phoneUser = capture.segments[0]!.internal.number;
      const agent = noCdr ? null : capture.side === 'phone' ? (agents.has(phoneUser) ? phoneUser : null) : call.expected.agent;
      return { call, capture, agent, noCdr, callId: callIdOfCapture(capture.fileName) };
    });
  });
}

/** The call id the service files a capture under (see RecorderService.file). */
export function callIdOfCapture(fileName: string): string {
  const parsed = parseCaptureName(fileName);
  if (!parsed) throw new Error(`${fileName}: not a capture name`);
  return parsed.device !== undefined ? `${parsed.confId}-${parsed.device}-${parsed.counter ?? 0}` : parsed.confId;
}

/** POST a fault patch to the embedded PBX's admin endpoint (HTTP Basic), returning the faults now in force. */
export async function setFaults(endpoints: EmbeddedPbxEndpoints, patch: Partial<FaultState>): Promise<FaultState> {
  const response = await fetch(`${endpoints.adminUrl}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${endpoints.username}:${endpoints.password}`).toString('base64')}` },
    body: JSON.stringify(patch),
  });
  const body = (await response.json()) as FaultState & { error?: string };
  if (!response.ok) throw new Error(`admin /faults answered ${response.status}: ${body.error ?? ''}`);
  return body;
}

/** Every lamp state seen: sampled often, so that a short red (a switch-over) is not missed. */
export class LampWatch {
  readonly history: { at: number; lamps: ServiceLamps }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly service: RecorderService,
    everyMs = 10,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    const lamps = this.service.status().lamps;
    const last = this.history[this.history.length - 1];
    if (!last || JSON.stringify(last.lamps) !== JSON.stringify(lamps)) this.history.push({ at: Date.now(), lamps });
  }

  /** Whether `lamp` showed `colour` at or after `since` (ms since epoch). */
  saw(lamp: keyof ServiceLamps, colour: 'red' | 'green', since = 0): boolean {
    this.sample();
    return this.history.some((entry, i) => {
      const next = this.history[i + 1];
      return entry.lamps[lamp] === colour && (next === undefined || next.at >= since);
    });
  }

  now(lamp: keyof ServiceLamps): ServiceLamps[keyof ServiceLamps] {
    return this.service.status().lamps[lamp];
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A pino logger whose records are kept (parsed) in `records`; the service's log lines are how tests see transitions. */
export function capturingLogger(level: 'debug' | 'info' | 'warn' = 'info'): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level }, stream), records };
}

/** What is in a recording store: audio files by call id field, sidecars, temporary/partial leftovers. */
export interface StoreScan {
  /** Call id field → the audio files (paths) filed under it. */
  readonly audio: Map<string, string[]>;
  readonly sidecars: Set<string>;
  /** Files an interrupted write would leave: the store's `.tmp-` names and `*.partial`, anywhere under the root. */
  readonly strays: string[];
  readonly quarantined: string[];
}

export function scanStore(root: string): StoreScan {
  const audio = new Map<string, string[]>();
  const sidecars = new Set<string>();
  const strays: string[] = [];
  const quarantined: string[] = [];
  const walk = (dir: string, relative: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const rel = relative ? `${relative}/${name}` : name;
      if (statSync(path).isDirectory()) {
        walk(path, rel);
        continue;
      }
      if (name.startsWith('.tmp-') || name.endsWith('.partial')) strays.push(rel);
      if (relative === QUARANTINE_DIR) {
        if (!name.endsWith('.reason.json')) quarantined.push(name);
        continue;
      }
      if (!/^\d{4}_\d{2}$/.test(relative)) continue;
      let parsed;
      try {
        parsed = parseRecordingName(name);
      } catch {
        continue;
      }
      if (parsed.extension === 'xml') sidecars.add(parsed.baseName);
      else if (parsed.extension === 'wav' || parsed.extension === 'mp3' || parsed.extension === 'opus' || parsed.extension === 'pcap') {
        const list = audio.get(parsed.callIdField) ?? [];
        list.push(path);
        audio.set(parsed.callIdField, list);
      }
    }
  };
  walk(root, '');
  return { audio, sidecars, strays, quarantined };
}

/** Every file under `dir`, recursively; a missing folder, or a file that vanishes meanwhile, is skipped (the service is running). */
export function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    try {
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    } catch {
      return [];
    }
  });
}

/** Compare a store with the expected recordings: lost, duplicated, unexpected and corrupt files. */
export interface StoreAudit {
  readonly filed: number;
  readonly lost: string[];
  readonly duplicated: string[];
  readonly unexpected: string[];
  readonly corrupt: string[];
  /** Recordings much shorter than their capture (a capture taken before its call was over). */
  readonly truncated: string[];
  readonly withoutSidecar: string[];
  readonly strays: string[];
}

/**
 * auditStore of a store whose service still runs: a temporary file seen once and gone half a second later was a
 * write in progress (the status file, every 2 s), not one an interrupted write left; only those seen twice count.
 */
export async function auditRunningStore(root: string, expected: readonly ExpectedCapture[], keyring?: Keyring): Promise<StoreAudit> {
  const first = await auditStore(root, expected, keyring);
  if (first.strays.length === 0) return first;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const second = await auditStore(root, expected, keyring);
  return { ...second, strays: second.strays.filter((stray) => first.strays.includes(stray)) };
}

/**
 * Audit a store; with `keyring`, audio files are encrypted containers and are checked as what they decrypt to. The
 * event loop gets a turn between files: 300 recordings decrypted in one go held a test worker's loop for 16 s under
 * CI load (vitest's own RPC to the worker times out at 60 s).
 */
export async function auditStore(root: string, expected: readonly ExpectedCapture[], keyring?: Keyring): Promise<StoreAudit> {
  const scan = scanStore(root);
  const wanted = new Map(expected.filter((e) => e.agent !== null).map((e) => [callIdField(e.callId), e]));
  const lost: string[] = [];
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  const corrupt: string[] = [];
  const withoutSidecar: string[] = [];
  const truncated: string[] = [];
  for (const field of wanted.keys()) if (!scan.audio.has(field)) lost.push(field);
  for (const [field, paths] of scan.audio) {
    if (!wanted.has(field)) unexpected.push(field);
    if (paths.length > 1) duplicated.push(field);
    for (const path of paths) {
      await new Promise((resolve) => setImmediate(resolve));
      let bytes: Buffer;
      let problem: string | undefined;
      try {
        bytes = keyring ? decryptBytes(readFileSync(path), keyring) : readFileSync(path);
        problem = path.endsWith('.mp3') ? mp3Frames(bytes).problem : path.endsWith('.opus') ? oggOpusLength(bytes).problem : wavBytesProblem(bytes);
      } catch (error) {
        bytes = Buffer.alloc(0);
        problem = `does not decrypt: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (problem) corrupt.push(`${path}: ${problem}`);
      const capture = wanted.get(field)?.capture;
      if (!problem && capture) {
        const seconds = path.endsWith('.mp3') ? mp3Frames(bytes).seconds : path.endsWith('.opus') ? oggOpusLength(bytes).seconds : wavBytesSeconds(bytes);
        const span = (capture.end - capture.start) / 1000;
        if (seconds < span - Math.max(1.5, span * 0.05)) truncated.push(`${field}: ${seconds.toFixed(1)} s of a ${span.toFixed(1)} s capture`);
      }
      const base = parseRecordingName(path.slice(path.lastIndexOf('/') + 1)).baseName;
      if (!scan.sidecars.has(base)) withoutSidecar.push(base);
    }
  }
  return { filed: scan.audio.size, lost, duplicated, unexpected, corrupt, truncated, withoutSidecar, strays: scan.strays };
}

/**
 * An Ogg Opus file walked page by page (written here, independent of the recorder's Ogg code): pages back to back
 * to the end of the file, the first holding OpusHead, the last marked as such; its length from the last granule
 * position less the pre-skip (48 kHz).
 */
export function oggOpusLength(bytes: Uint8Array): { problem?: string; seconds: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let preSkip = -1;
  let lastGranule = -1n;
  let lastFlags = 0;
  while (offset < bytes.length) {
    if (offset + 27 > bytes.length || view.getUint32(offset, false) !== 0x4f676753) return { problem: `no Ogg page at byte ${offset}`, seconds: 0 };
    const segments = bytes[offset + 26]!;
    let body = 0;
    for (let i = 0; i < segments; i++) body += bytes[offset + 27 + i] ?? 0;
    const end = offset + 27 + segments + body;
    if (end > bytes.length) return { problem: `the page at byte ${offset} is cut at byte ${bytes.length} of ${end}`, seconds: 0 };
    const data = offset + 27 + segments;
    if (preSkip < 0) {
      if (Buffer.from(bytes.subarray(data, data + 8)).toString('latin1') !== 'OpusHead') return { problem: 'the first page holds no OpusHead', seconds: 0 };
      preSkip = view.getUint16(data + 10, true);
    }
    lastGranule = view.getBigInt64(offset + 6, true);
    lastFlags = bytes[offset + 5]!;
    offset = end;
  }
  if (!(lastFlags & 0x04)) return { problem: 'the last page is not marked as the end of the stream', seconds: 0 };
  return { seconds: (Number(lastGranule) - preSkip) / 48000 };
}

/**
 * An MP3 file walked frame by frame (written here, independent of the recorder's writer): after an ID3v2 tag,
 * Layer III frames back to back to the end of the file; their audio length (the LAME Info frame not counted).
 */
export function mp3Frames(bytes: Uint8Array): { problem?: string; seconds: number } {
  let offset = 0;
  if (bytes.length >= 10 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    offset = 10 + ((bytes[6]! << 21) | (bytes[7]! << 14) | (bytes[8]! << 7) | bytes[9]!);
  }
  let samples = 0;
  let sampleRate = 0;
  let frames = 0;
  while (offset < bytes.length) {
    const h = bytes.subarray(offset, offset + 4);
    const version = (h[1]! >> 3) & 3; // 0: MPEG 2.5, 2: MPEG 2, 3: MPEG 1
    if (h.length < 4 || h[0] !== 0xff || (h[1]! & 0xe0) !== 0xe0 || ((h[1]! >> 1) & 3) !== 1 || version === 1) return { problem: `no Layer III frame header at byte ${offset}`, seconds: 0 };
    const mpeg1 = version === 3;
    const kbps = (mpeg1 ? [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] : [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160])[h[2]! >> 4] ?? 0;
    sampleRate = ([44100, 48000, 32000][(h[2]! >> 2) & 3] ?? 0) / (mpeg1 ? 1 : version === 2 ? 2 : 4);
    if (!kbps || !sampleRate) return { problem: `a bad bit rate or sample rate at byte ${offset}`, seconds: 0 };
    const length = Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / sampleRate) + ((h[2]! >> 1) & 1);
    if (offset + length > bytes.length) return { problem: `the last frame is cut at byte ${bytes.length} of ${offset + length}`, seconds: 0 };
    const frame = Buffer.from(bytes.subarray(offset, offset + length));
    if (!(frames === 0 && (frame.includes('Info') || frame.includes('Xing')))) samples += mpeg1 ? 1152 : 576;
    frames++;
    offset += length;
  }
  return frames === 0 ? { problem: 'no frames', seconds: 0 } : { seconds: samples / sampleRate };
}

/** Why a WAV file is not whole (RIFF size, chunk sizes against the file size, a PCM format), or undefined when it is. */
export function wavProblem(path: string): string | undefined {
  return wavBytesProblem(readFileSync(path));
}

function wavBytesProblem(bytes: Buffer): string | undefined {
  if (bytes.length < 44) return `only ${bytes.length} bytes`;
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') return 'no RIFF/WAVE header';
  if (bytes.readUInt32LE(4) !== bytes.length - 8) return `RIFF size ${bytes.readUInt32LE(4)} but the file has ${bytes.length - 8} bytes after it`;
  let offset = 12;
  let blockAlign = 0;
  let dataBytes = -1;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (offset + 8 + size > bytes.length) return `chunk "${id}" of ${size} bytes runs past the end of the file`;
    if (id === 'fmt ') blockAlign = bytes.readUInt16LE(offset + 8 + 12);
    if (id === 'data') dataBytes = size;
    offset += 8 + size + (size & 1);
  }
  if (offset !== bytes.length) return `${bytes.length - offset} stray bytes after the last chunk`;
  if (blockAlign === 0) return 'no fmt chunk';
  if (dataBytes < 0) return 'no data chunk';
  if (dataBytes % blockAlign !== 0) return `data size ${dataBytes} is not a whole number of ${blockAlign}-byte frames`;
  if (dataBytes === 0) return 'no audio';
  return undefined;
}

/** Seconds of audio in a whole WAV file (data bytes over the byte rate). */
export function wavSeconds(path: string): number {
  return wavBytesSeconds(readFileSync(path));
}

function wavBytesSeconds(bytes: Buffer): number {
  let offset = 12;
  let byteRate = 0;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ') byteRate = bytes.readUInt32LE(offset + 8 + 8);
    if (id === 'data') return byteRate > 0 ? size / byteRate : 0;
    offset += 8 + size + (size & 1);
  }
  return 0;
}

/** `recorder run -c CONFIG` as a process of its own (from source), each start logging to `logDir`/run-N.log. */
export class RecorderProcess {
  private child: ChildProcess | undefined;
  private runs = 0;
  /** The log file of the latest start. */
  logPath = '';

  constructor(
    private readonly configPath: string,
    private readonly logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  start(): void {
    this.logPath = join(this.logDir, `run-${++this.runs}.log`);
    const out = openSync(this.logPath, 'a');
    this.child = spawn(process.execPath, ['--import', 'tsx', RUN_CLI, 'run', '-c', this.configPath], { cwd: REPO_ROOT, stdio: ['ignore', out, out] });
    closeSync(out);
  }

  /** Send `signal` (SIGKILL: no chance to clean up) and wait until the process is gone. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill(signal);
    await gone;
  }
}
