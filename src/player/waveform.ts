// Waveform summaries: min/max per bucket and channel, computed once per recording and cached as JSON under the
// cache directory (file name = hash of recording name and size, so a changed file or TAN gets a new one).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MPEGDecoder } from 'mpg123-decoder';
import { OggOpusDecoder } from '../media/audio/index.js';
import type { PlayableAudio } from './audio-source.js';
import { HttpError } from './errors.js';

export const WAVEFORM_BUCKETS = 1000;

export interface Waveform {
  readonly version: 1;
  readonly channels: number;
  readonly sampleRate: number;
  readonly durationMs: number;
  readonly buckets: number;
  /** Per channel: minimum and maximum of each bucket, scaled to −127…127. */
  readonly min: number[][];
  readonly max: number[][];
}

/** Min/max per 10 ms block while samples stream in; reduced to the bucket count at the end. */
class BlockAccumulator {
  readonly #mins: number[][];
  readonly #maxs: number[][];
  #inBlock = 0;
  #frames = 0;
  readonly #blockFrames: number;

  constructor(
    readonly channels: number,
    readonly sampleRate: number,
  ) {
    this.#blockFrames = Math.max(1, Math.round(sampleRate / 100));
    this.#mins = Array.from({ length: channels }, () => []);
    this.#maxs = Array.from({ length: channels }, () => []);
  }

  /** Interleaved 16-bit little-endian frames (whole frames only). */
  add(pcm: Buffer): void {
    const channels = this.channels;
    const frames = Math.floor(pcm.length / (2 * channels));
    for (let f = 0; f < frames; f++) {
      if (this.#inBlock === 0) for (let c = 0; c < channels; c++) this.#mins[c]!.push(0), this.#maxs[c]!.push(0);
      const last = this.#mins[0]!.length - 1;
      for (let c = 0; c < channels; c++) {
        const v = pcm.readInt16LE((f * channels + c) * 2);
        if (v < this.#mins[c]![last]!) this.#mins[c]![last] = v;
        if (v > this.#maxs[c]![last]!) this.#maxs[c]![last] = v;
      }
      if (++this.#inBlock === this.#blockFrames) this.#inBlock = 0;
    }
    this.#frames += frames;
  }

  /** Decoded float channels (−1…1), `frames` samples each: scaled to 16 bits as the PCM path sees them. */
  addFloat(channelData: readonly Float32Array[], frames: number): void {
    const pcm = Buffer.alloc(frames * this.channels * 2);
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < this.channels; c++) {
        const v = Math.round(channelData[c]![f]! * 32768);
        pcm.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, (f * this.channels + c) * 2);
      }
    }
    this.add(pcm);
  }

  finish(buckets: number): Waveform {
    const blocks = this.#mins[0]?.length ?? 0;
    const count = Math.max(1, Math.min(buckets, blocks));
    const scale = (v: number): number => Math.round((v / 32768) * 127);
    const min: number[][] = [];
    const max: number[][] = [];
    for (let c = 0; c < this.channels; c++) {
      const lo: number[] = [];
      const hi: number[] = [];
      for (let b = 0; b < count; b++) {
        const from = Math.floor((b * blocks) / count);
        const to = Math.max(from + 1, Math.floor(((b + 1) * blocks) / count));
        let mn = 0;
        let mx = 0;
        for (let i = from; i < Math.min(to, blocks); i++) {
          mn = Math.min(mn, this.#mins[c]![i]!);
          mx = Math.max(mx, this.#maxs[c]![i]!);
        }
        lo.push(scale(mn));
        hi.push(scale(mx));
      }
      min.push(lo);
      max.push(hi);
    }
    return { version: 1, channels: this.channels, sampleRate: this.sampleRate, durationMs: Math.round((this.#frames * 1000) / this.sampleRate), buckets: count, min, max };
  }
}

/** Feed a byte stream as whole 16-bit frames (a frame may straddle two pieces). */
async function accumulate(pieces: AsyncIterable<Buffer>, acc: BlockAccumulator): Promise<void> {
  const frameBytes = 2 * acc.channels;
  let carry = Buffer.alloc(0);
  for await (const piece of pieces) {
    const data = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
    const whole = data.length - (data.length % frameBytes);
    acc.add(data.subarray(0, whole));
    carry = Buffer.from(data.subarray(whole));
  }
}

async function computeWav(audio: PlayableAudio, buckets: number): Promise<Waveform> {
  const wav = audio.wav!;
  if (wav.formatTag !== 1 || wav.bitsPerSample !== 16) throw new HttpError(415, `no waveform for WAV format ${wav.formatTag} with ${wav.bitsPerSample}-bit samples`);
  const acc = new BlockAccumulator(wav.channels, wav.sampleRate);
  await accumulate(audio.stream(wav.dataOffset, wav.dataOffset + wav.dataBytes), acc);
  return acc.finish(buckets);
}

/**
 * MP3: decoded in the process (mpg123 compiled to WebAssembly: no system tool, so the demo's player draws MP3
 * waveforms on a bare machine), piece by piece as the audio streams in; its own channels and rate.
 */
async function computeMp3(audio: PlayableAudio, buckets: number): Promise<Waveform> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  let acc: BlockAccumulator | undefined;
  let errors = 0;
  try {
    for await (const piece of audio.stream(0, audio.size)) {
      const decoded = decoder.decode(piece);
      errors += decoded.errors.length;
      if (decoded.samplesDecoded === 0) continue;
      acc ??= new BlockAccumulator(decoded.channelData.length, decoded.sampleRate);
      acc.addFloat(decoded.channelData, decoded.samplesDecoded);
    }
  } finally {
    decoder.free();
  }
  if (!acc) throw new HttpError(422, `the MP3 could not be decoded for a waveform${errors > 0 ? ` (${errors} bad frames)` : ' (no audio frames)'}`);
  return acc.finish(buckets);
}

/** Opus: decoded in the process (libopus in WebAssembly, as it was written) at the rate the call was recorded at. */
async function computeOpus(audio: PlayableAudio, buckets: number): Promise<Waveform> {
  const decoder = new OggOpusDecoder('the Opus recording');
  let acc: BlockAccumulator | undefined;
  try {
    for await (const piece of audio.stream(0, audio.size)) {
      for (const block of decoder.push(piece)) {
        acc ??= new BlockAccumulator(block.channels, block.sampleRate);
        acc.add(Buffer.from(block.samples.buffer, block.samples.byteOffset, block.samples.byteLength));
      }
    }
    decoder.end();
  } catch (error) {
    throw new HttpError(422, `the Opus recording could not be decoded for a waveform: ${(error as Error).message}`);
  }
  if (!acc) throw new HttpError(422, 'the Opus recording could not be decoded for a waveform (no audio packets)');
  return acc.finish(buckets);
}

export class WaveformCache {
  readonly #inFlight = new Map<string, Promise<Waveform>>();

  constructor(readonly dir: string) {}

  #file(name: string, size: number): string {
    return join(this.dir, `${createHash('sha256').update(`${name}\0${size}`).digest('hex').slice(0, 32)}.json`);
  }

  /** The cached summary, or computed from `open()` (called only on a cache miss) and stored. */
  async get(name: string, size: number, format: string, open: () => Promise<PlayableAudio>, buckets = WAVEFORM_BUCKETS): Promise<Waveform> {
    const file = this.#file(name, size);
    try {
      const cached = JSON.parse(await readFile(file, 'utf8')) as Waveform;
      if (cached.version === 1 && Array.isArray(cached.min)) return cached;
    } catch {
      // not cached yet (or unreadable): compute
    }
    let pending = this.#inFlight.get(file);
    if (!pending) {
      pending = (async () => {
        const audio = await open();
        try {
          let waveform: Waveform;
          if (format === 'mp3') waveform = await computeMp3(audio, buckets);
          else if (format === 'opus') waveform = await computeOpus(audio, buckets);
          else if (format === 'wav' && audio.wav) waveform = await computeWav(audio, buckets);
          else throw new HttpError(415, `no waveform for ${format} recordings`);
          await mkdir(this.dir, { recursive: true });
          const temp = `${file}.${process.pid}.tmp`;
          await writeFile(temp, JSON.stringify(waveform));
          await rename(temp, file);
          return waveform;
        } finally {
          await audio.close();
        }
      })().finally(() => this.#inFlight.delete(file));
      this.#inFlight.set(file, pending);
    }
    return pending;
  }
}
