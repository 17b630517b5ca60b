import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { CaptureError, readCapture, readCaptureStream } from '../pcap/index.js';
import type { Keyring } from '../crypto/index.js';
import { decryptedPieces, encryptedKeyId, keyringFor, sealFile, sealingKeyring, withScratchDirectory } from './encryption.js';
import type { ConvertEncryption } from './encryption.js';
import type { CaptureStats } from '../pcap/index.js';
import { RtpDemuxer, groupCalls, renderCall, streamsOf, RenderError } from '../calls/index.js';
import type { Call, ChannelMix, ChannelPolicy, RecordingFormat, RtpStream, SignallingDirectory } from '../calls/index.js';
import type { Id3Tags } from '../audio/index.js';
import type { WavEncoding } from '../audio/index.js';
import { createSipDirectory } from './sip-directory.js';

export interface ConvertOptions {
  /** Output directory; by default each recording is written beside its capture. */
  readonly outDir?: string;
  readonly format?: RecordingFormat;
  readonly encoding?: WavEncoding;
  /** MP3 bit rate in kbit/s. */
  readonly kbps?: number;
  readonly mix?: ChannelMix;
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
}

export interface StreamReport {
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
  /** Streams of calls that gave no recording (no decodable audio), so their packets and DTMF are still reported. */
  readonly unrecordedStreams?: StreamReport[];
}

function hex(ssrc: number): string {
  return `0x${ssrc.toString(16).toUpperCase().padStart(8, '0')}`;
}

function describeParty(party: { number?: string; name?: string } | undefined): string | undefined {
  if (!party) return undefined;
  if (party.name && party.number) return `${party.name} <${party.number}>`;
  return party.number ?? party.name;
}

function streamReport(stream: RtpStream): StreamReport {
  const s = stream.stats;
  return {
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
    dtmf: stream.dtmf.map((d) => d.digit).join(''),
    bySsrc: stream.ssrcCounts().map((c) => ({ ssrc: hex(c.ssrc), packets: c.packets, lost: c.lost, duplicates: c.duplicates })),
  };
}

/** ID3 tags for an MP3 recording: parties, direction, time and call id. */
function tagsFor(call: Call, input: string): Id3Tags {
  const external = describeParty(call.externalParty);
  const internal = describeParty(call.internalParty);
  const when = new Date(call.startTime * 1000).toISOString().slice(0, 19);
  const arrow = call.direction === 'i' ? '←' : call.direction === 'o' ? '→' : '↔';
  return {
    title: `${when.replace('T', ' ').slice(0, 16)} ${internal ?? 'internal'} ${arrow} ${external ?? 'external'}`,
    artist: [internal, external].filter(Boolean).join(' / ') || basename(input),
    album: 'Recorder',
    recordedAt: when,
    custom: {
      ...(call.callId ? { 'call id': call.callId } : {}),
      ...(call.direction ? { direction: call.direction === 'i' ? 'incoming' : 'outgoing' } : {}),
      ...(internal ? { internal } : {}),
      ...(external ? { external } : {}),
      capture: basename(input),
    },
  };
}

/** Output file for call `index` of `count` in `input`. */
export function outputPathFor(input: string, index: number, count: number, outDir: string | undefined, extension: string): string {
  // An encrypted capture is NAME.pcap.enc: its recording is NAME.wav(.enc).
  const plainName = basename(input).replace(/\.enc$/i, '');
  const stem = basename(plainName, extname(plainName));
  const name = count > 1 ? `${stem}_${index}.${extension}` : `${stem}.${extension}`;
  return join(outDir ?? dirname(input), name);
}

/**
 * Convert one capture: every call in it becomes one recording. Never throws
 * for bad input: the report says what failed and why.
 */
export async function convertCapture(input: string, options: ConvertOptions = {}): Promise<FileReport> {
  const warnings: string[] = [];
  const signalling: SignallingDirectory | undefined = options.useSignalling === false ? undefined : createSipDirectory();
  const demux = new RtpDemuxer({
    ...(signalling ? { signalling } : {}),
    ...(options.reorderWindow !== undefined ? { reorderWindow: options.reorderWindow } : {}),
  });
  let capture: CaptureStats | undefined;
  let readError: CaptureError | undefined;
  let inputKeyId: string | undefined;
  let keyring: Keyring | undefined;
  let sealing: Keyring | undefined;
  try {
    inputKeyId = await encryptedKeyId(input);
    const encryption = options.encryption;
    if (inputKeyId !== undefined && (!encryption || encryption.keyFiles.length === 0)) {
      return { input, ok: false, error: `encrypted capture (key ${inputKeyId}): give the key (--key FILE)`, warnings, calls: 0, streams: 0, outputs: [] };
    }
    if (encryption && encryption.keyFiles.length > 0 && (inputKeyId !== undefined || encryption.encryptOutputs)) {
      keyring = await keyringFor(encryption);
      sealing = inputKeyId !== undefined ? sealingKeyring(keyring, inputKeyId, input) : encryption.encryptOutputs ? keyring : undefined;
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { input, ok: false, error: reason.startsWith(input) ? reason.slice(input.length + 2) : `cannot read: ${reason}`, warnings, calls: 0, streams: 0, outputs: [] };
  }
  try {
    capture =
      inputKeyId !== undefined && keyring
        ? await readCaptureStream(decryptedPieces(input, keyring), input, (datagram) => demux.push(datagram))
        : await readCapture(input, (datagram) => demux.push(datagram));
  } catch (error) {
    if (error instanceof CaptureError) readError = error;
    else {
      const reason = error instanceof Error ? error.message : String(error);
      return { input, ok: false, error: `cannot read: ${reason}`, warnings, calls: 0, streams: 0, outputs: [] };
    }
  }
  const streams = demux.finish();
  try {
    if (readError && readError.code !== 'TRUNCATED') {
      return { input, ok: false, error: readError.reason, warnings, calls: 0, streams: 0, outputs: [] };
    }
    const calls = groupCalls(streams, signalling, options.channels ?? {});
    const outputs: OutputReport[] = [];
    const unrecordedStreams: StreamReport[] = [];
    const failures: string[] = [];
    if (readError) failures.push(`truncated capture: ${readError.reason}; the audio before the cut was recovered`);
    if (streams.length === 0) {
      failures.push(
        capture || readError
          ? `no RTP audio found (${demux.otherDatagrams} other UDP datagrams, ${demux.rtcpPackets} RTCP packets)`
          : 'no RTP audio found',
      );
    }
    const extension = options.format ?? 'wav';
    if (options.outDir) mkdirSync(options.outDir, { recursive: true });
    for (const call of calls) {
      const callStreams = streamsOf(call);
      const undecodable = new Set(callStreams.flatMap((s) => [...s.undecodableTypes]));
      if (!callStreams.some((s) => s.codec !== undefined)) {
        const digits = callStreams.flatMap((s) => s.dtmf.map((d) => d.digit)).join('');
        failures.push(
          undecodable.size > 0
            ? `call ${call.index}: no decodable audio (payload type${undecodable.size > 1 ? 's' : ''} ${[...undecodable].join(', ')} not supported)`
            : `call ${call.index}: no audio packets${digits ? `, only telephone events (DTMF "${digits}")` : ''}`,
        );
        unrecordedStreams.push(...callStreams.map(streamReport));
        continue;
      }
      if (undecodable.size > 0) warnings.push(`call ${call.index}: packets of payload type ${[...undecodable].join(', ')} skipped (codec not supported)`);
      const plainPath = outputPathFor(input, call.index, calls.length, options.outDir, extension);
      const path = sealing ? `${plainPath}.enc` : plainPath;
      try {
        const render = (target: string): ReturnType<typeof renderCall> =>
          renderCall(call, {
            path: target,
            format: extension,
            encoding: options.encoding ?? 'pcm16',
            mix: options.mix ?? 'stereo',
            ...(options.kbps !== undefined ? { kbps: options.kbps } : {}),
            tags: tagsFor(call, input),
            durable: options.durable !== false && !sealing,
          });
        const sealWith = sealing;
        const rendered = sealWith
          ? await withScratchDirectory(async (scratch) => {
              const plain = render(join(scratch, basename(plainPath)));
              const bytes = await sealFile(join(scratch, basename(plainPath)), path, sealWith, options.durable !== false);
              return { ...plain, bytes };
            })
          : render(path);
        const reports = callStreams.map(streamReport);
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
        if (!(error instanceof RenderError) && !(error instanceof Error && 'code' in error)) throw error;
        failures.push(`call ${call.index}: ${error.message}`);
      }
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
      ...(unrecordedStreams.length > 0 ? { unrecordedStreams } : {}),
    };
  } finally {
    for (const stream of streams) stream.dispose();
  }
}
