import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { basename, dirname, join } from 'node:path';
import { CaptureError, readCapture, readCaptureStream } from '../../media/pcap/index.js';
import type { Keyring } from '../../platform/crypto/index.js';
import { decryptedPieces, encryptedKeyId, keyringFor, sealingKeyring } from './encryption.js';
import type { ConvertEncryption } from './encryption.js';
import type { CaptureStats, TcpSegment, UdpDatagram } from '../../media/pcap/index.js';
import { RtpDemuxer, callSpan, groupCalls, renderCall, streamsOf, strayStreams, RenderError } from '../../media/calls/index.js';
import type { Call, ChannelPolicy, RtpStream, SignallingDirectory } from '../../media/calls/index.js';
import type { AudioFormat, AudioMix, WavEncoding } from '../../domain/index.js';
import { TrackMemory } from '../../media/audio/index.js';
import { prepareLameWasm } from '../../media/audio/index.js';
import type { Id3Tags } from '../../media/audio/index.js';
import type { Mp3EncoderName } from '../../domain/index.js';
import { createSipDirectory } from './sip-directory.js';
import { captureStem } from './inputs.js';
import { OutputExistsError, plural } from '../../platform/util/index.js';
import type { LandingOptions } from '../../platform/util/index.js';

export interface ConvertOptions {
  /** Output directory; by default each recording is written beside its capture. */
  readonly outDir?: string;
  readonly format?: AudioFormat;
  readonly encoding?: WavEncoding;
  /** MP3 bit rate in kbit/s. */
  readonly kbps?: number;
  /** MP3 encoder: LAME in WebAssembly (default) or lamejs. */
  readonly mp3Encoder?: Mp3EncoderName;
  readonly mix?: AudioMix;
  readonly channels?: ChannelPolicy;
  /** Read SIP/SDP in the capture for payload types and party names (default true). */
  readonly useSignalling?: boolean;
  /** Packets held to restore order (default 50). */
  readonly reorderWindow?: number;
  /** fsync each recording before it is renamed into place (default true). */
  readonly durable?: boolean;
  /**
   * Keys: an encrypted capture is decrypted on the fly and its recordings are
   * encrypted under the same key (NAME.wav.enc); plain captures give plain
   * recordings unless `encryptOutputs` is set — as the reference's converter.
   */
  readonly encryption?: ConvertEncryption;
  /**
   * Where this capture's recordings go, as a path without extension (STEM.wav, or STEM_N.wav for several
   * calls); overrides outDir. The batch converter plans these so that no two captures share one.
   */
  readonly outputStem?: string;
  /** How recordings land under their names: replace (default), never replace ('exclusive'), or replace only older files. */
  readonly landing?: LandingOptions;
  /** A truncated capture fails (no recording) instead of giving what was recovered with a warning. */
  readonly strict?: boolean;
}

/** What a caller in the same thread can hook into (functions do not cross into worker threads, so not options). */
export interface ConvertHooks {
  /** Bytes of the capture file read so far (after each chunk). */
  readonly onBytesRead?: (bytes: number) => void;
  /** Share of this capture's recordings written so far, 0 to 1 (after each block). */
  readonly onWritten?: (fraction: number) => void;
}

export interface StreamReport {
  /** Where this stream went in the recording: the left (external) or right (internal) channel, or both parties mixed in 'mono'. */
  readonly channel?: 'left' | 'right' | 'mono' | 'none';
  /** Whose voice it carries, by the call's channel rule. */
  readonly party?: 'external' | 'internal';
  /** The payloads look encrypted (SRTP): not decoded. */
  readonly encryption?: 'srtp';
  /** Payload types no decoder here reads, with the name signalling gives them: "99 iLBC/8000". */
  readonly undecodable?: string[];
  readonly from: string;
  readonly to: string;
  readonly ssrcs: string[];
  readonly codec: string | null;
  readonly payloadTypes: number[];
  readonly packets: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly late: number;
  readonly reordered: number;
  readonly comfortNoise: number;
  readonly timestampJumps: number;
  /** Packets whose capture time or RTP timestamp disagreed with both neighbours: placed between them. */
  readonly timeOutliers: number;
  /** Re-anchors where the capture clock ran away from continuous audio and the RTP timestamps placed the audio. */
  readonly clockRunaways: number;
  readonly dtmf: string;
  /** Packets, lost and duplicates of each SSRC (an SSRC change makes a stream carry several). */
  readonly bySsrc: Array<{ ssrc: string; packets: number; lost: number; duplicates: number }>;
}

export interface OutputReport {
  readonly path: string;
  readonly call: number;
  readonly callId?: string;
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationSeconds: number;
  readonly bytes: number;
  readonly channelRule: Call['channelRule'];
  readonly direction?: 'i' | 'o';
  readonly externalParty?: string;
  readonly internalParty?: string;
  readonly streams: StreamReport[];
  readonly packets: number;
  readonly lost: number;
  readonly duplicates: number;
}

export interface FileReport {
  readonly input: string;
  readonly ok: boolean;
  /** Why the file failed (names the reason; the file name is `input`). */
  readonly error?: string;
  readonly warnings: string[];
  readonly capture?: CaptureStats;
  readonly calls: number;
  readonly streams: number;
  readonly outputs: OutputReport[];
  /** Bytes of capture read (for a truncated capture: up to the cut). */
  readonly bytesRead?: number;
  /** Streams of calls that gave no recording (no decodable audio), so their packets and DTMF are still reported. */
  readonly unrecordedStreams?: StreamReport[];
}

function hex(ssrc: number): string {
  return `0x${ssrc.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** What the reader skipped or repaired, for the report's warnings. */
function describeDamage(stats: CaptureStats): string[] {
  const notes: string[] = [];
  if (stats.damagedRegions > 0) {
    const regions = stats.damagedRegions === 1 ? 'one damaged region' : `${stats.damagedRegions} damaged regions`;
    notes.push(`${regions} of ${plural(stats.damagedBytes, 'byte')} skipped (the first at byte ${stats.firstDamage ?? 0}); reading went on at the next sound record`);
  }
  if (stats.repairedTimestamps > 0) {
    notes.push(`${plural(stats.repairedTimestamps, 'record')} with an impossible timestamp took the time of the record before`);
  }
  return notes;
}

/** Jumps and outliers of the call's timeline: a recording's length must be explainable from its report. */
function describeTiming(streams: readonly RtpStream[]): string {
  const outliers = streams.reduce((n, s) => n + s.stats.timeOutliers, 0);
  const jumps = streams.reduce((n, s) => n + s.stats.timestampJumps, 0);
  const runaways = streams.reduce((n, s) => n + s.stats.clockRunaways, 0);
  const notes: string[] = [];
  if (outliers > 0) notes.push(`${plural(outliers, 'packet')} whose capture time or RTP timestamp disagreed with both neighbours placed between them`);
  if (jumps > 0) notes.push(`timeline re-anchored ${jumps === 1 ? 'once' : `${jumps} times`} where RTP timestamps jumped against capture time`);
  if (runaways > 0) notes.push(`capture clock overruled by the RTP timestamps ${runaways === 1 ? 'once' : `${runaways} times`} (it ran ahead of audio sent without a break faster than clocks drift)`);
  return notes.join('; ');
}

function describeParty(party: { number?: string; name?: string } | undefined): string | undefined {
  if (!party) return undefined;
  if (party.name && party.number) return `${party.name} <${party.number}>`;
  return party.number ?? party.name;
}

function streamReport(stream: RtpStream, party?: 'external' | 'internal', mix?: AudioMix): StreamReport {
  const s = stream.stats;
  return {
    ...(party !== undefined ? { channel: channelOf(party, mix ?? 'stereo'), party } : {}),
    ...(stream.encryption() !== undefined ? { encryption: stream.encryption()! } : {}),
    ...(stream.undecodableNames.size > 0 ? { undecodable: [...stream.undecodableNames].map(([type, name]) => `${type} ${name}`) } : {}),
    from: `${stream.from.address}:${stream.from.port}`,
    to: `${stream.to.address}:${stream.to.port}`,
    ssrcs: s.ssrcs.map(hex),
    codec: stream.codec ?? null,
    payloadTypes: s.payloadTypes,
    packets: s.packets,
    lost: s.lost,
    duplicates: s.duplicates,
    late: s.late,
    reordered: s.reordered,
    comfortNoise: s.comfortNoise,
    timestampJumps: s.timestampJumps,
    timeOutliers: s.timeOutliers,
    clockRunaways: s.clockRunaways,
    dtmf: stream.dtmf.map((d) => d.digit).join(''),
    bySsrc: stream.ssrcCounts().map((c) => ({ ssrc: hex(c.ssrc), packets: c.packets, lost: c.lost, duplicates: c.duplicates })),
  };
}

/** "payload type 99 (iLBC/8000)", "payload types 3 (GSM/8000), 96": what the streams carried that no decoder here reads. */
function describeUndecodable(streams: readonly RtpStream[]): string {
  const names = new Map<number, string | undefined>();
  for (const stream of streams) for (const type of stream.undecodableTypes) names.set(type, names.get(type) ?? stream.undecodableNames.get(type));
  if (names.size === 0) return '';
  const list = [...names].map(([type, name]) => (name !== undefined ? `${type} (${name})` : `${type}`));
  return `payload type${list.length > 1 ? 's' : ''} ${list.join(', ')}`;
}

/** The recording channel a party's streams went to under a mix. */
function channelOf(party: 'external' | 'internal', mix: AudioMix): NonNullable<StreamReport['channel']> {
  if (mix === 'stereo') return party === 'external' ? 'left' : 'right';
  if (mix === 'mono') return 'mono';
  return party === 'internal' ? 'mono' : 'none';
}

/** Why a recording may not be written at `path` (it exists and may not be replaced), or undefined. */
function existingOutputProblem(path: string, landing: LandingOptions | undefined): string | undefined {
  const mode = landing?.mode ?? 'replace';
  if (mode === 'replace') return undefined;
  let modified: number;
  try {
    modified = statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  if (mode === 'exclusive') return `${path} exists; not replaced (--force replaces it)`;
  return modified >= (landing?.replaceBefore ?? Number.POSITIVE_INFINITY) ? `${path} was written by another capture of this run; not replaced` : undefined;
}

/** G.711 in WAV holds 8 kHz audio only: a wide-band (G.722) call cannot be stored so. */
function encodingProblem(call: Call, options: ConvertOptions): string | undefined {
  const encoding = options.encoding ?? 'pcm16';
  if ((options.format ?? 'wav') !== 'wav' || encoding === 'pcm16') return undefined;
  const wide = streamsOf(call).find((s) => s.codec !== undefined && s.sampleRate > 8000);
  if (!wide) return undefined;
  return `--encoding ${encoding} stores 8 kHz G.711 and cannot hold this call's ${wide.sampleRate / 1000} kHz ${wide.codec} audio; not written (use --encoding pcm16)`;
}

/** ID3 tags for an MP3 recording: parties, direction, time and call id. */
function tagsFor(call: Call, input: string): Id3Tags {
  const external = describeParty(call.externalParty);
  const internal = describeParty(call.internalParty);
  // A damaged capture can carry a time no calendar holds (fuzz seed 128454): the tags then go without it.
  const start = new Date(call.startTime * 1000);
  const when = Number.isFinite(start.getTime()) ? start.toISOString().slice(0, 19) : undefined;
  const arrow = call.direction === 'i' ? '←' : call.direction === 'o' ? '→' : '↔';
  return {
    title: `${when !== undefined ? when.replace('T', ' ').slice(0, 16) : 'unknown time'} ${internal ?? 'internal'} ${arrow} ${external ?? 'external'}`,
    artist: [internal, external].filter(Boolean).join(' / ') || basename(input),
    album: 'Recorder',
    ...(when !== undefined ? { recordedAt: when } : {}),
    custom: {
      ...(call.callId ? { 'call id': call.callId } : {}),
      ...(call.direction ? { direction: call.direction === 'i' ? 'incoming' : 'outgoing' } : {}),
      ...(internal ? { internal } : {}),
      ...(external ? { external } : {}),
      capture: basename(input),
    },
  };
}

/** True when the file starts with gzip's magic (a .pcap.gz, whatever its name). */
async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Pass pieces through, telling `onBytes` the running total. */
async function* countBytes(source: AsyncIterable<Uint8Array>, onBytes: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const piece of source) {
    total += piece.length;
    onBytes(total);
    yield piece;
  }
}

/**
 * Gunzip the pieces when they start with gzip's magic, streaming (never the whole capture in memory). A
 * compressed stream that ends early is a truncated capture: what was inflated is kept and `state.truncated` set.
 */
async function* maybeGunzip(source: AsyncIterable<Uint8Array>, state: { compressed: boolean; truncated: boolean }): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => iterator,
  };
  if (!(first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b)) {
    yield first.value;
    yield* rest;
    return;
  }
  state.compressed = true;
  async function* whole(): AsyncGenerator<Uint8Array> {
    yield first.value;
    yield* rest;
  }
  const gunzip = createGunzip();
  // pipeline: a read error of the source reaches the gunzip reader, and stopping early destroys both.
  pipeline(Readable.from(whole()), gunzip, () => {});
  try {
    for await (const piece of gunzip) yield piece as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // zlib's "unexpected end of file": the compressed file was cut short.
    if (code === 'Z_BUF_ERROR') state.truncated = true;
    else if (typeof code === 'string' && code.startsWith('Z_')) throw new Error(`not a valid gzip file (${error instanceof Error ? error.message : String(error)})`);
    else throw error;
  }
}

/** Output file for call `index` of `count` in `input` (beside it, in `outDir`, or at `stem` when given). */
export function outputPathFor(input: string, index: number, count: number, outDir: string | undefined, extension: string, stem?: string): string {
  // An encrypted or compressed capture is NAME.pcap.enc / NAME.pcap.gz: its recording is NAME.wav(.enc).
  const base = stem ?? join(outDir ?? dirname(input), captureStem(basename(input)));
  return count > 1 ? `${base}_${index}.${extension}` : `${base}.${extension}`;
}

/** Audio the recording leaves out as strays (see callSpan); 0 when the call cannot be rendered at all (render says why). */
function strayAudioSeconds(call: Call): number {
  try {
    return callSpan(call)?.leftOutSeconds ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Convert one capture: every call in it becomes one recording. Never throws
 * for bad input: the report says what failed and why.
 */
export async function convertCapture(input: string, options: ConvertOptions = {}, hooks: ConvertHooks = {}): Promise<FileReport> {
  const warnings: string[] = [];
  const signalling: SignallingDirectory | undefined = options.useSignalling === false ? undefined : createSipDirectory();
  let capture: CaptureStats | undefined;
  let readError: CaptureError | undefined;
  let inputKeyId: string | undefined;
  let keyring: Keyring | undefined;
  let sealing: Keyring | undefined;
  try {
    inputKeyId = await encryptedKeyId(input);
    const encryption = options.encryption;
    const hasKeys = encryption !== undefined && (encryption.keyring !== undefined || encryption.keyFiles.length > 0);
    if (inputKeyId !== undefined && !hasKeys) {
      return { input, ok: false, error: `encrypted capture (key ${inputKeyId}): give the key (--key FILE)`, warnings, calls: 0, streams: 0, outputs: [] };
    }
    if (encryption && hasKeys && (inputKeyId !== undefined || encryption.encryptOutputs)) {
      keyring = await keyringFor(encryption);
      sealing = inputKeyId !== undefined ? sealingKeyring(keyring, inputKeyId, input) : encryption.encryptOutputs ? keyring : undefined;
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { input, ok: false, error: reason.startsWith(input) ? reason.slice(input.length + 2) : `cannot read: ${reason}`, warnings, calls: 0, streams: 0, outputs: [] };
  }
  // One memory budget for every stream of the capture: a capture of a thousand calls stays as small as one of one.
  // While encryption is on (an encrypted capture, or encrypted recordings), what spills to disk is encrypted too.
  const memory = new TrackMemory({ encryptSpill: sealing !== undefined });
  const demux = new RtpDemuxer({
    track: { memory },
    ...(signalling ? { signalling } : {}),
    ...(options.reorderWindow !== undefined ? { reorderWindow: options.reorderWindow } : {}),
  });
  const gzip = { compressed: false, truncated: false };
  let bytesRead = 0;
  const onBytesRead = (bytes: number): void => {
    bytesRead = bytes;
    hooks.onBytesRead?.(bytes);
  };
  try {
    const onDatagram = (datagram: UdpDatagram): void => demux.push(datagram);
    // SIP over TCP is read too, for the parties and payload types it names.
    // Damaged records are skipped (and reported) rather than ending the read: one bad length word must not cost the call.
    const readOptions = { recover: true, ...(signalling?.offerTcp ? { onTcpSegment: (segment: TcpSegment) => signalling.offerTcp!(segment) } : {}) };
    if (inputKeyId !== undefined && keyring) {
      capture = await readCaptureStream(maybeGunzip(countBytes(decryptedPieces(input, keyring), onBytesRead), gzip), input, onDatagram, readOptions);
    } else if (await isGzipFile(input)) {
      capture = await readCaptureStream(maybeGunzip(countBytes(createReadStream(input, { highWaterMark: 1 << 20 }), onBytesRead), gzip), input, onDatagram, readOptions);
    } else {
      capture = await readCapture(input, onDatagram, { onProgress: onBytesRead, reuseBuffers: true, ...readOptions });
    }
  } catch (error) {
    if (error instanceof CaptureError) readError = error;
    else {
      const reason = error instanceof Error ? error.message : String(error);
      for (const stream of demux.finish()) stream.dispose();
      memory.dispose();
      return { input, ok: false, error: `cannot read: ${reason}`, warnings, calls: 0, streams: 0, outputs: [] };
    }
  }
  const streams = demux.finish();
  const damage = capture ?? readError?.stats;
  if (damage !== undefined) warnings.push(...describeDamage(damage));
  try {
    if (readError && readError.code !== 'TRUNCATED') {
      return { input, ok: false, error: readError.reason, warnings, calls: 0, streams: 0, outputs: [] };
    }
    const calls = groupCalls(streams, signalling, options.channels ?? {});
    const outputs: OutputReport[] = [];
    const unrecordedStreams: StreamReport[] = [];
    const failures: string[] = [];
    // A truncated capture: what was read before the cut is recovered (with a warning), unless --strict.
    const cut = readError ? readError.reason.replace(/^truncated capture: /, '') : gzip.truncated ? 'the compressed file ends early' : undefined;
    if (cut !== undefined && options.strict) {
      return { input, ok: false, error: `truncated capture: ${cut}; nothing written (--strict)`, warnings, calls: 0, streams: streams.length, outputs: [], bytesRead };
    }
    if (streams.length === 0 && cut !== undefined) {
      failures.push(`truncated capture: ${cut}; no RTP audio before the cut`);
    } else if (streams.length === 0) {
      failures.push(
        capture || readError
          ? `no RTP audio found (${demux.otherDatagrams} other UDP datagrams, ${demux.rtcpPackets} RTCP packets)`
          : 'no RTP audio found',
      );
    }
    const extension = options.format ?? 'wav';
    const mix = options.mix ?? 'stereo';
    // Recordings are written synchronously: the WebAssembly encoder is made ready now, once per thread.
    if (extension === 'mp3' && (options.mp3Encoder ?? 'lame-wasm') === 'lame-wasm' && calls.length > 0) await prepareLameWasm();
    for (const original of calls) {
      // Calls before this one count as written, whether they gave a recording or not.
      const callsBefore = original.index - 1;
      hooks.onWritten?.(callsBefore / calls.length);
      // Encrypted (SRTP) streams are left out of the recording: decoded, they would be full-scale noise.
      const encrypted = streamsOf(original).filter((s) => s.codec !== undefined && s.encryption() !== undefined);
      const decodable: Call = encrypted.length === 0 ? original : { ...original, external: original.external.filter((s) => !encrypted.includes(s)), internal: original.internal.filter((s) => !encrypted.includes(s)) };
      // A few packets far from the rest of the call (a garbled capture time) would stretch the recording by hours of silence.
      const strays = strayStreams(decodable);
      const call: Call = strays.length === 0 ? decodable : { ...decodable, external: decodable.external.filter((s) => !strays.includes(s)), internal: decodable.internal.filter((s) => !strays.includes(s)) };
      if (strays.length > 0) {
        warnings.push(
          `call ${call.index}: ${strays.map((s) => `${s.stats.packets} packet${s.stats.packets === 1 ? '' : 's'} of ${s.from.address}:${s.from.port} → ${s.to.address}:${s.to.port}`).join(', ')} lying over a minute from the rest of the call: left out of the recording (a damaged capture time?)`,
        );
        unrecordedStreams.push(...strays.map((stream) => streamReport(stream)));
      }
      const callStreams = streamsOf(call);
      const undecodable = describeUndecodable(callStreams);
      const encryptedNote = encrypted.length > 0 ? `encrypted media (SRTP: ${encrypted.map((s) => `${s.from.address}:${s.from.port} → ${s.to.address}:${s.to.port}`).join(', ')}): not decodable without its keys` : '';
      if (!callStreams.some((s) => s.codec !== undefined)) {
        const digits = callStreams.flatMap((s) => s.dtmf.map((d) => d.digit)).join('');
        failures.push(
          encrypted.length > 0
            ? `call ${call.index}: ${encryptedNote}`
            : undecodable !== ''
              ? `call ${call.index}: no decodable audio (${undecodable} not supported)`
              : `call ${call.index}: no audio packets${digits ? `, only telephone events (DTMF "${digits}")` : ''}`,
        );
        unrecordedStreams.push(...streamsOf(original).map((stream) => streamReport(stream)));
        continue;
      }
      if (encrypted.length > 0) warnings.push(`call ${call.index}: ${encryptedNote}; left out of the recording`);
      const timing = describeTiming(callStreams);
      if (timing !== '') warnings.push(`call ${call.index}: ${timing}`);
      const leftOut = strayAudioSeconds(call);
      if (leftOut > 0) warnings.push(`call ${call.index}: ${leftOut.toFixed(2)} s of audio lying over a minute from the rest of the call left out of the recording (a damaged capture time?)`);
      if (undecodable !== '') warnings.push(`call ${call.index}: packets of ${undecodable} skipped (codec not supported)`);
      const plainPath = outputPathFor(input, call.index, calls.length, options.outDir, extension, options.outputStem);
      const path = sealing ? `${plainPath}.enc` : plainPath;
      const refusal = existingOutputProblem(path, options.landing) ?? encodingProblem(call, options);
      if (refusal !== undefined) {
        failures.push(`call ${call.index}: ${refusal}`);
        continue;
      }
      try {
        mkdirSync(dirname(path), { recursive: true });
        // An encrypted recording is sealed as it is written: no plaintext copy ever lands on disk.
        const rendered = renderCall(call, {
          path,
          format: extension,
          encoding: options.encoding ?? 'pcm16',
          mix: options.mix ?? 'stereo',
          ...(options.kbps !== undefined ? { kbps: options.kbps } : {}),
          ...(options.mp3Encoder !== undefined ? { mp3Encoder: options.mp3Encoder } : {}),
          tags: tagsFor(call, input),
          durable: options.durable !== false,
          ...(options.landing ? { landing: options.landing } : {}),
          ...(sealing ? { seal: sealing.current } : {}),
          ...(hooks.onWritten ? { onProgress: (done: number, total: number) => hooks.onWritten!((callsBefore + done / Math.max(1, total)) / calls.length) } : {}),
        });
        const reports = [
          ...call.external.map((stream) => streamReport(stream, 'external', mix)),
          ...call.internal.map((stream) => streamReport(stream, 'internal', mix)),
        ];
        const externalParty = describeParty(call.externalParty);
        const internalParty = describeParty(call.internalParty);
        outputs.push({
          path,
          call: call.index,
          ...(call.callId !== undefined ? { callId: call.callId } : {}),
          codec: [...new Set(callStreams.map((s) => s.codec).filter((c) => c !== undefined))].join('+'),
          sampleRate: rendered.sampleRate,
          channels: rendered.channels,
          durationSeconds: rendered.durationSeconds,
          bytes: rendered.bytes,
          channelRule: call.channelRule,
          ...(call.direction ? { direction: call.direction } : {}),
          ...(externalParty !== undefined ? { externalParty } : {}),
          ...(internalParty !== undefined ? { internalParty } : {}),
          streams: reports,
          packets: reports.reduce((n, r) => n + r.packets, 0),
          lost: reports.reduce((n, r) => n + r.lost, 0),
          duplicates: reports.reduce((n, r) => n + r.duplicates, 0),
        });
      } catch (error) {
        if (error instanceof OutputExistsError) {
          failures.push(`call ${call.index}: ${existingOutputProblem(path, options.landing) ?? `${path} exists`}`);
          continue;
        }
        if (!(error instanceof RenderError) && !(error instanceof Error && 'code' in error)) throw error;
        failures.push(`call ${call.index}: ${error.message}`);
      }
    }
    if (cut !== undefined && outputs.length > 0) {
      const seconds = outputs.reduce((n, o) => n + o.durationSeconds, 0);
      warnings.push(`truncated capture: ${cut}; the ${seconds.toFixed(1)} s of audio before the cut were recovered`);
    }
    return {
      input,
      ok: failures.length === 0,
      ...(failures.length > 0 ? { error: failures.join('; ') } : {}),
      warnings,
      ...(capture ? { capture } : {}),
      calls: calls.length,
      streams: streams.length,
      outputs,
      bytesRead,
      ...(unrecordedStreams.length > 0 ? { unrecordedStreams } : {}),
    };
  } finally {
    for (const stream of streams) stream.dispose();
    memory.dispose();
  }
}
