// Test data for the player server: real stereo recordings (A-law WAV, MP3) filed into a temp RecordingStore with
// sidecars and CDRs, indexed, plus accounts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mp3FileWriter, OpusFileWriter, WavFileWriter, prepareLameWasm } from '../../src/media/audio/index.js';
import { Key, Keyring } from '../../src/platform/crypto/index.js';
import { cdrToXml } from '../../src/recorder/pbx/index.js';
import type { Cdr } from '../../src/recorder/pbx/index.js';
import { PlayerServer } from '../../src/player/index.js';
import type { PlayerServerOptions } from '../../src/player/index.js';
import { RecordingStore, Recordings } from '../../src/recordings/index.js';
import type { FiledRecording, RecordingMeta } from '../../src/recordings/index.js';
import { writeToneCall } from '../helpers/tone-call.js';

export const PASSWORD = 'correct horse battery';

export interface Fixture {
  readonly dir: string;
  readonly recordings: Recordings;
  readonly accountsPath: string;
  readonly keyring?: Keyring;
  /**
   * File a call through the recordings (indexed and announced on their change feed); `quietly`: write its files
   * only, as an older build or a copy by hand would, unindexed and unannounced.
   */
  file(call: CallSpec, options?: { quietly?: boolean }): Promise<FiledRecording>;
  cleanup(): Promise<void>;
}

export interface CallSpec {
  readonly callId: string;
  readonly start: Date;
  readonly internal: string;
  readonly external: string;
  readonly direction?: 'in' | 'out';
  readonly secondsToAnswer?: number;
  readonly tan?: string;
  /** pcap: a capture of a two-tone G.711 call, as the keep-PCAP mode stores it. */
  readonly format?: 'wav' | 'mp3' | 'opus' | 'pcap';
  readonly seconds?: number;
  readonly internalName?: string;
  readonly externalName?: string;
}

/** Interleaved stereo: a tone on the left (external) and another on the right (internal), speaking in turns. */
export function stereoTones(seconds: number, sampleRate = 8000, left = 440, right = 660): Int16Array {
  const frames = Math.round(seconds * sampleRate);
  const pcm = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    const t = i / sampleRate;
    const turn = Math.floor(t) % 2; // one party per second, as in a conversation
    pcm[2 * i] = turn === 0 ? Math.round(12000 * Math.sin(2 * Math.PI * left * t)) : Math.round(300 * Math.sin(2 * Math.PI * left * t));
    pcm[2 * i + 1] = turn === 1 ? Math.round(9000 * Math.sin(2 * Math.PI * right * t)) : 0;
  }
  return pcm;
}

function cdrFor(call: CallSpec): string {
  const utc = Math.floor(call.start.getTime() / 1000);
  const cdr: Cdr = {
    guid: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    pbx: 'master',
    cn: call.internalName ?? `Agent ${call.internal}`,
    e164: call.internal,
    h323: `agent${call.internal}`,
    dir: call.direction === 'out' ? 'from' : 'to',
    utc,
    local: utc + 3600,
    conf: '11',
    groups: [{ name: 'sales', active: true }],
    events: [
      { msg: call.direction === 'out' ? 'setup-from' : 'setup-to', time: 0, party: { e164: call.external, external: true }, conf: '11' },
      { msg: call.direction === 'out' ? 'alert-from' : 'alert-to', time: 1 },
      { msg: call.direction === 'out' ? 'conn-from' : 'conn-to', time: call.secondsToAnswer ?? 3 },
      { msg: 'transfer-from', time: (call.secondsToAnswer ?? 3) + 2, to: { e164: '299', external: false } },
      { msg: 'rel-from', time: (call.secondsToAnswer ?? 3) + (call.seconds ?? 4), cause: 16 },
    ],
  };
  return cdrToXml(cdr);
}

export async function makeFixture(options: { encrypted?: boolean } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'recorder-player-'));
  await prepareLameWasm();
  const keyring = options.encrypted ? new Keyring([Key.generate()]) : undefined;
  const recordings = await Recordings.open({ root: join(dir, 'rec'), indexPath: join(dir, 'index.sqlite'), timeZone: 'utc', ...(keyring ? { keyring } : {}) });
  const bareFiles = new RecordingStore({ root: join(dir, 'rec'), timeZone: 'utc', ...(keyring ? { keyring } : {}) });
  let n = 0;
  return {
    dir,
    recordings,
    accountsPath: join(dir, 'accounts.sqlite'),
    ...(keyring ? { keyring } : {}),
    async file(call: CallSpec, options: { quietly?: boolean } = {}): Promise<FiledRecording> {
      const format = call.format ?? 'wav';
      const seconds = call.seconds ?? 4;
      const audioPath = join(dir, `work-${n++}.${format}`);
      const pcm = stereoTones(seconds);
      if (format === 'pcap') writeToneCall(audioPath, { seconds });
      else if (format === 'wav') {
        const writer = new WavFileWriter(audioPath, { sampleRate: 8000, channels: 2, encoding: 'alaw' }, { durable: false });
        writer.write(pcm);
        writer.finish();
      } else {
        const writer =
          format === 'opus'
            ? new OpusFileWriter(audioPath, { sampleRate: 8000, channels: 2, kbps: 16 }, {}, { durable: false })
            : new Mp3FileWriter(audioPath, { sampleRate: 8000, channels: 2, kbps: 32 }, {}, { durable: false });
        writer.write(pcm);
        writer.finish();
      }
      const answered = new Date(call.start.getTime() + (call.secondsToAnswer ?? 3) * 1000);
      const meta: RecordingMeta = {
        callId: call.callId,
        start: call.start,
        answered,
        end: new Date(answered.getTime() + seconds * 1000),
        secondsToAnswer: call.secondsToAnswer ?? 3,
        direction: call.direction ?? 'in',
        internal: call.internal,
        internalName: call.internalName ?? `Agent ${call.internal}`,
        external: call.external,
        ...(call.externalName ? { externalName: call.externalName } : {}),
        agentRule: 'agents',
        ...(call.tan ? { tan: call.tan } : {}),
      };
      const input = format === 'pcap' ? ({ meta, audioPath, format, cdrXml: [cdrFor(call)] } as const) : ({ meta, audioPath, format, mix: 'stereo', codec: 'pcma', durationMs: seconds * 1000, cdrXml: [cdrFor(call)] } as const);
      return options.quietly ? bareFiles.file(input) : recordings.file(input);
    },
    async cleanup(): Promise<void> {
      await recordings.close().catch(() => undefined); // closed already
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A started server with a supervisor (all permissions), two agents and a read-only supervisor. */
export async function startServer(fixture: Fixture, extra: Partial<PlayerServerOptions> = {}): Promise<{ server: PlayerServer; url: string }> {
  const server = new PlayerServer({ recordings: fixture.recordings, accountsPath: fixture.accountsPath, host: '127.0.0.1', port: 0, waveformDir: join(fixture.dir, 'waveforms'), ...extra });
  await server.accounts.add({ name: 'sue', password: PASSWORD, role: 'supervisor', permissions: ['tan', 'notes', 'export', 'delete'] });
  await server.accounts.add({ name: 'ann', password: PASSWORD, role: 'agent', numbers: ['201'], permissions: ['notes'] });
  await server.accounts.add({ name: 'bob', password: PASSWORD, role: 'agent', numbers: ['202', '212'], permissions: ['tan', 'export'] });
  await server.accounts.add({ name: 'rita', password: PASSWORD, role: 'supervisor', permissions: [] });
  const { url } = await server.listen();
  return { server, url };
}

/** A logged-in HTTP client: keeps the session cookie, sends the CSRF token on changes. */
export class Client {
  cookie = '';
  csrf = '';

  constructor(readonly base: string) {}

  async login(user: string, password = PASSWORD): Promise<Response> {
    const res = await fetch(new URL('/api/login', this.base), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }) });
    if (res.ok) {
      this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
      this.csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
    }
    return res;
  }

  fetch(path: string, init: RequestInit & { json?: unknown; csrf?: string | null } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('Cookie', this.cookie);
    const method = init.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && init.csrf !== null) headers.set('X-CSRF-Token', init.csrf ?? this.csrf);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(new URL(path, this.base), { ...init, headers, body });
  }

  async json<T = Record<string, unknown>>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
    const res = await this.fetch(path, init);
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
}

export function recPath(name: string, action = ''): string {
  return `/api/recordings/${encodeURIComponent(name)}${action ? `/${action}` : ''}`;
}

/** The live event stream of a logged-in client: `next(event)` waits for the next event of that name. */
export async function openEvents(client: Client, player?: string): Promise<{ next: (event: string) => Promise<Record<string, unknown>>; close: () => void }> {
  const controller = new AbortController();
  const res = await client.fetch(player === undefined ? '/api/events' : `/api/events?player=${encodeURIComponent(player)}`, { signal: controller.signal });
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) throw new Error(`/api/events: ${res.status} ${res.headers.get('content-type')}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: Array<{ event: string; data: Record<string, unknown> }> = [];
  const pump = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended');
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) queue.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    }
  };
  return {
    async next(event: string) {
      for (;;) {
        const i = queue.findIndex((q) => q.event === event);
        if (i >= 0) return queue.splice(i, 1)[0]!.data;
        await pump();
      }
    },
    close: () => controller.abort(),
  };
}
