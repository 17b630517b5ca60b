import { DEFAULT_MP3_KBPS, DEFAULT_OPUS_KBPS } from '../../domain/index.js';
import type { AudioFormat, AudioMix, Mp3EncoderName } from '../../domain/index.js';
import { Mp3FileWriter, OpusFileWriter, WavFileWriter, readStereoFrames, upsample2x, UPSAMPLE_HALF_TAPS } from '../audio/index.js';
import type { Id3Tags, RecordingWriter, WavEncoding } from '../audio/index.js';
import type { LandingOptions } from '../../platform/util/index.js';
import type { Key } from '../../platform/crypto/index.js';
import type { Call } from './calls.js';
import type { RtpStream } from './rtp-stream.js';
import { ISLAND_GAP_S } from './rtp-stream.js';

export interface RenderOptions {
  readonly path: string;
  readonly format?: AudioFormat;
  /** WAV only. */
  readonly encoding: WavEncoding;
  readonly mix: AudioMix;
  /** MP3 and Opus: bit rate in kbit/s (default 32 for MP3, 16 for Opus). */
  readonly kbps?: number;
  /** MP3 and Opus: the recording's tags (ID3 in MP3, comments in Opus). */
  readonly tags?: Id3Tags;
  /** MP3 only: the encoder (default LAME in WebAssembly, prepared in this thread). */
  readonly mp3Encoder?: Mp3EncoderName;
  /** fsync before the file is renamed into place (default true). */
  readonly durable?: boolean;
  /** How the finished file lands under its name (default: replace). */
  readonly landing?: LandingOptions;
  /** Encrypt the file under this key as it is written (nothing readable reaches the disk). */
  readonly seal?: Key;
  /** Told after each block written: frames written and the call's total (for progress bars). */
  readonly onProgress?: (framesDone: number, framesTotal: number) => void;
}

export interface RenderedRecording {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly frames: number;
  readonly bytes: number;
  readonly durationSeconds: number;
}

export class RenderError extends Error {
  override readonly name = 'RenderError';
}

const CHUNK_FRAMES = 8192;
/** A call longer than this is taken for a corrupt capture (bogus capture times), not written. */
export const MAX_CALL_SECONDS = 24 * 3600;

/** Scratch buffers for reading one stream into the call's rate. */
interface ChannelScratch {
  direct: Int16Array;
  context: Int16Array;
  upsampled: Int16Array;
}

function makeScratch(frames: number): ChannelScratch {
  const inputFrames = Math.ceil(frames / 2) + 1;
  return {
    direct: new Int16Array(frames),
    context: new Int16Array(inputFrames + 2 * UPSAMPLE_HALF_TAPS),
    upsampled: new Int16Array(2 * inputFrames),
  };
}

/** Read `out.length` samples of one stream at call position `position`, upsampling an 8 kHz stream in a 16 kHz call. */
function readStream(stream: RtpStream, factor: number, position: number, out: Int16Array, scratch: ChannelScratch): Int16Array {
  if (factor === 1) return stream.track.read(position, scratch.direct.subarray(0, out.length));
  const inputStart = Math.floor(position / 2);
  const inputFrames = Math.ceil((position + out.length) / 2) - inputStart + 1;
  const context = scratch.context.subarray(0, inputFrames + 2 * UPSAMPLE_HALF_TAPS);
  stream.track.read(inputStart - UPSAMPLE_HALF_TAPS, context);
  const upsampled = scratch.upsampled.subarray(0, 2 * inputFrames);
  upsample2x(context, upsampled);
  const skip = position - 2 * inputStart;
  return upsampled.subarray(skip, skip + out.length);
}

/** The one stream of a channel when it is read straight into place (one audible stream at the call's rate), else undefined. */
function soleStream(streams: RtpStream[], rate: number): RtpStream | undefined {
  let sole: RtpStream | undefined;
  for (const stream of streams) {
    if (stream.codec === undefined) continue;
    if (sole !== undefined) return undefined;
    sole = stream;
  }
  return sole !== undefined && sole.sampleRate === rate ? sole : undefined;
}

/** Sum the tracks of one channel into `out` (saturating): several streams of one party follow each other in time. */
function readChannel(streams: RtpStream[], rate: number, position: number, out: Int16Array, scratch: ChannelScratch): void {
  const sole = soleStream(streams, rate);
  if (sole !== undefined) {
    // The common case: one stream at the call's rate is read straight into place.
    sole.track.read(position, out);
    return;
  }
  const audible = streams.filter((s) => s.codec !== undefined);
  out.fill(0);
  for (const stream of audible) {
    const factor = rate / stream.sampleRate;
    if (position >= stream.endPosition * factor + factor || position + out.length <= stream.startPosition * factor - factor * UPSAMPLE_HALF_TAPS) continue;
    const samples = readStream(stream, factor, position, out, scratch);
    for (let i = 0; i < out.length; i++) {
      const s = out[i]! + samples[i]!;
      out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
    }
  }
}

/** A cluster of audio under this many seconds, a minute or more from the rest of its call, is not recorded. */
const STRAY_AUDIO_S = 1;

/** Audio of a call within the island gap of itself: where it lies (call positions), how much, and whose. */
interface AudioCluster {
  start: number;
  end: number;
  samples: number;
  readonly streams: Set<RtpStream>;
}

/**
 * The audio islands (RtpStream.islands) of a call's streams at `sampleRate`, merged where they come within the
 * island gap of each other; `kept` are those that make the recording: every cluster of a second or more, and at
 * least the one with the most audio (a call cut short by a damaged capture may hold less than a second in all).
 * The others lie a minute or more from the rest with under a second of audio: packets a damaged capture time put
 * there, which would stretch the recording by hours of silence.
 */
function audioClusters(audible: readonly RtpStream[], sampleRate: number): { clusters: AudioCluster[]; kept: AudioCluster[] } {
  const islands: Array<{ start: number; end: number; samples: number; stream: RtpStream }> = [];
  for (const stream of audible) {
    const factor = sampleRate / stream.sampleRate;
    for (let i = 0; i < stream.islands.length; i += 3) {
      islands.push({ start: stream.islands[i]! * factor, end: stream.islands[i + 1]! * factor, samples: stream.islands[i + 2]! * factor, stream });
    }
  }
  islands.sort((a, b) => a.start - b.start);
  const gap = ISLAND_GAP_S * sampleRate;
  const clusters: AudioCluster[] = [];
  for (const island of islands) {
    const last = clusters.at(-1);
    if (last && island.start <= last.end + gap) {
      last.end = Math.max(last.end, island.end);
      last.samples += island.samples;
      last.streams.add(island.stream);
    } else clusters.push({ start: island.start, end: island.end, samples: island.samples, streams: new Set([island.stream]) });
  }
  if (clusters.length === 0) return { clusters, kept: [] };
  const largest = clusters.reduce((a, b) => (b.samples > a.samples ? b : a));
  return { clusters, kept: clusters.filter((c) => c === largest || c.samples >= STRAY_AUDIO_S * sampleRate) };
}

function audibleStreams(call: Call): RtpStream[] {
  return [...call.external, ...call.internal].filter((s) => s.codec !== undefined && s.endPosition > s.startPosition);
}

/**
 * The span and rate of a call's recording, from the streams that carried audio. An 8 kHz party in a 16 kHz call
 * is upsampled. The span covers the kept audio clusters (see audioClusters); `leftOutSeconds` says how much
 * audio lay outside them.
 */
export function callSpan(call: Call): { start: number; end: number; sampleRate: number; leftOutSeconds: number } | undefined {
  const audible = audibleStreams(call);
  if (audible.length === 0) return undefined;
  const sampleRate = Math.max(...audible.map((s) => s.sampleRate));
  for (const s of audible) {
    if (s.sampleRate !== sampleRate && s.sampleRate * 2 !== sampleRate) {
      throw new RenderError(`call ${call.index} mixes sample rates ${s.sampleRate} and ${sampleRate} Hz, which this build cannot combine`);
    }
  }
  const { clusters, kept } = audioClusters(audible, sampleRate);
  const leftOut = clusters.filter((c) => !kept.includes(c)).reduce((n, c) => n + c.samples, 0);
  return {
    start: Math.min(...kept.map((c) => c.start)),
    end: Math.max(...kept.map((c) => c.end)),
    sampleRate,
    leftOutSeconds: leftOut / sampleRate,
  };
}

/**
 * Streams of a call whose audio lies wholly outside the clusters the recording keeps (see audioClusters): a
 * datagram whose capture time and address a damaged capture garbled, not a party. Rendered, one such packet three
 * hours after a 1.5 s call made a three-hour recording of silence.
 */
export function strayStreams(call: Call): RtpStream[] {
  const audible = audibleStreams(call);
  if (audible.length === 0) return [];
  const { kept } = audioClusters(audible, Math.max(...audible.map((s) => s.sampleRate)));
  return audible.filter((stream) => !kept.some((cluster) => cluster.streams.has(stream)));
}

// The per-sample loops live in their own small functions rather than in renderCall: a loop
// inside renderCall made V8 compile renderCall (with the writer inlined) on the stack and
// throw that code away again on every recording (--trace-opt/--trace-deopt), ~25 ms of
// compiler time per two-minute call; these stay compiled from one call to the next.

/** Stereo frames from two channels: one 32-bit store per frame, left in the low half, right in the high half (WAV is little-endian, so is every host Node runs on). */
function interleaveStereo(left: Int16Array, right: Int16Array, out: Int16Array): void {
  const frames32 = new Uint32Array(out.buffer, out.byteOffset, left.length);
  for (let i = 0; i < left.length; i++) frames32[i] = (left[i]! & 0xffff) | (right[i]! << 16);
}

/** Mono: the average of both parties, so two loud parties never clip. */
function downmixMono(left: Int16Array, right: Int16Array, out: Int16Array): void {
  for (let i = 0; i < left.length; i++) out[i] = (left[i]! + right[i]!) >> 1;
}

/** Write one call as a WAV, MP3 or Opus file, streaming block by block (never the whole call in memory). */
export function renderCall(call: Call, options: RenderOptions): RenderedRecording {
  const span = callSpan(call);
  if (!span) throw new RenderError(`call ${call.index} has no decodable audio`);
  if (span.end - span.start > MAX_CALL_SECONDS * span.sampleRate) {
    throw new RenderError(`call ${call.index} would last ${Math.round((span.end - span.start) / span.sampleRate / 3600)} hours: its capture times are implausible`);
  }
  const channels = options.mix === 'stereo' ? 2 : 1;
  const durable = { durable: options.durable !== false, ...(options.landing ? { landing: options.landing } : {}), ...(options.seal ? { seal: options.seal } : {}) };
  const writer: RecordingWriter =
    options.format === 'opus'
      ? new OpusFileWriter(options.path, { sampleRate: span.sampleRate, channels: channels as 1 | 2, kbps: options.kbps ?? DEFAULT_OPUS_KBPS }, options.tags ?? {}, durable)
      : options.format === 'mp3'
      ? new Mp3FileWriter(
          options.path,
          { sampleRate: span.sampleRate, channels: channels as 1 | 2, kbps: options.kbps ?? DEFAULT_MP3_KBPS, ...(options.mp3Encoder ? { encoder: options.mp3Encoder } : {}) },
          options.tags ?? {},
          durable,
        )
      : new WavFileWriter(options.path, { sampleRate: span.sampleRate, channels, encoding: options.encoding }, durable);
  try {
    const left = new Int16Array(CHUNK_FRAMES);
    const right = new Int16Array(CHUNK_FRAMES);
    const scratch = makeScratch(CHUNK_FRAMES);
    const rate = span.sampleRate;
    const interleaved = new Int16Array(CHUNK_FRAMES * channels);
    // The common call: one stream a side at the call's rate, stereo. Its frames come straight from the two tracks.
    const soleLeft = options.mix === 'stereo' ? soleStream(call.external, rate) : undefined;
    const soleRight = soleLeft !== undefined ? soleStream(call.internal, rate) : undefined;
    const frames32 = new Uint32Array(interleaved.buffer, interleaved.byteOffset, (CHUNK_FRAMES * channels) >> 1);
    for (let position = span.start; position < span.end; position += CHUNK_FRAMES) {
      const frames = Math.min(CHUNK_FRAMES, span.end - position);
      if (soleLeft !== undefined && soleRight !== undefined) {
        readStereoFrames(soleLeft.track, soleRight.track, position, frames32.subarray(0, frames), left, right);
        writer.write(interleaved.subarray(0, frames * 2));
        options.onProgress?.(position + frames - span.start, span.end - span.start);
        continue;
      }
      const l = left.subarray(0, frames);
      const r = right.subarray(0, frames);
      readChannel(call.internal, rate, position, r, scratch);
      if (options.mix === 'internal') {
        writer.write(r);
        options.onProgress?.(position + frames - span.start, span.end - span.start);
        continue;
      }
      readChannel(call.external, rate, position, l, scratch);
      const out = interleaved.subarray(0, frames * channels);
      if (options.mix === 'stereo') interleaveStereo(l, r, out);
      else downmixMono(l, r, out);
      writer.write(out);
      options.onProgress?.(position + frames - span.start, span.end - span.start);
    }
    const { bytes, frames } = writer.finish();
    return { path: options.path, sampleRate: span.sampleRate, channels, frames, bytes, durationSeconds: frames / span.sampleRate };
  } catch (error) {
    writer.abort();
    throw error;
  }
}
