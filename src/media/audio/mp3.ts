import { openMp3Encoder } from './lame.js';
import type { Mp3EncoderStream } from './lame.js';
import type { Mp3EncoderName } from '../../domain/index.js';
import { openRecordingFile } from './recording-file.js';
import type { RecordingFile, RecordingFileOptions } from './recording-file.js';

/** ID3v2.4 text fields written at the start of an MP3 recording. */
export interface Id3Tags {
  /** TIT2: e.g. "2024-06-10 08:13 201 ← +390612345678". */
  readonly title?: string;
  /** TPE1: the parties. */
  readonly artist?: string;
  /** TALB: e.g. the recording system's name. */
  readonly album?: string;
  /** TDRC: recording time, ISO 8601 (yyyy-MM-ddTHH:mm:ss). */
  readonly recordedAt?: string;
  /** TXXX frames: description → value (call id, direction, parties…). */
  readonly custom?: Readonly<Record<string, string>>;
}

export interface Mp3Format {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  /** Constant bit rate in kbit/s. */
  readonly kbps: number;
  /** The encoder (default LAME in WebAssembly, which the thread must have prepared: prepareLameWasm). */
  readonly encoder?: Mp3EncoderName;
}

/** Default bit rate: 32 kbit/s stereo ≈ 240 kB per minute (the reference's ~250 kB/min for MP3). */

const utf8 = new TextEncoder();

function syncsafe(n: number): number[] {
  return [(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f];
}

function textFrame(id: string, text: string): Uint8Array {
  const body = utf8.encode(text);
  const frame = new Uint8Array(10 + 1 + body.length);
  frame.set(utf8.encode(id), 0);
  frame.set(syncsafe(1 + body.length), 4);
  frame[10] = 3; // UTF-8
  frame.set(body, 11);
  return frame;
}

function customFrame(description: string, value: string): Uint8Array {
  return textFrame('TXXX', `${description}\u0000${value}`);
}

/** Build an ID3v2.4 tag (empty array when there is nothing to say). */
export function buildId3Tag(tags: Id3Tags): Uint8Array {
  const frames: Uint8Array[] = [];
  if (tags.title) frames.push(textFrame('TIT2', tags.title));
  if (tags.artist) frames.push(textFrame('TPE1', tags.artist));
  if (tags.album) frames.push(textFrame('TALB', tags.album));
  if (tags.recordedAt) frames.push(textFrame('TDRC', tags.recordedAt));
  for (const [description, value] of Object.entries(tags.custom ?? {})) frames.push(customFrame(description, value));
  if (frames.length === 0) return new Uint8Array(0);
  const size = frames.reduce((n, f) => n + f.length, 0);
  const tag = new Uint8Array(10 + size);
  tag.set([0x49, 0x44, 0x33, 4, 0, 0, ...syncsafe(size)], 0);
  let offset = 10;
  for (const f of frames) {
    tag.set(f, offset);
    offset += f.length;
  }
  return tag;
}

const ENCODE_FRAMES = 1152 * 8;
/** LAME's encoder delay in samples (the decoder's own 529 come on top; decoders that read the tag trim both). */
const ENCODER_DELAY = 576;

/** Frame geometry from a Layer III frame header. */
function frameGeometry(header: Uint8Array): { frameBytes: number; samplesPerFrame: number; sideInfoBytes: number } | undefined {
  if (header.length < 4 || header[0] !== 0xff || (header[1]! & 0xe0) !== 0xe0) return undefined;
  const version = (header[1]! >> 3) & 3; // 0 = 2.5, 2 = 2, 3 = 1
  const bitrateIndex = header[2]! >> 4;
  const rateIndex = (header[2]! >> 2) & 3;
  const mono = header[3]! >> 6 === 3;
  const mpeg1 = version === 3;
  const bitrates = mpeg1 ? [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] : [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
  const baseRates = [44100, 48000, 32000];
  const sampleRate = (baseRates[rateIndex] ?? 0) / (version === 3 ? 1 : version === 2 ? 2 : 4);
  const kbps = bitrates[bitrateIndex] ?? 0;
  if (!kbps || !sampleRate) return undefined;
  return {
    frameBytes: Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / sampleRate),
    samplesPerFrame: mpeg1 ? 1152 : 576,
    sideInfoBytes: mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17,
  };
}

/** CRC-16 (polynomial 0x8005, reflected) as LAME uses for its tag. */
function crc16(bytes: Uint8Array, crc = 0): number {
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc & 0xffff;
}

/**
 * The "Info" frame (Xing header with LAME extension) of a CBR file: frame
 * count, byte count, encoder delay and padding, so decoders give back exactly
 * the samples that went in and know the duration without scanning.
 */
function buildInfoFrame(firstHeader: Uint8Array, geometry: { frameBytes: number; sideInfoBytes: number }, frames: number, totalBytes: number, delay: number, padding: number, kbps: number): Uint8Array {
  const frame = new Uint8Array(geometry.frameBytes);
  frame.set(firstHeader.subarray(0, 4));
  frame[2] = frame[2]! & ~0x02; // no padding slot
  const view = new DataView(frame.buffer);
  let o = 4 + geometry.sideInfoBytes;
  frame.set(utf8.encode('Info'), o);
  view.setUint32(o + 4, 0x0b); // frames, bytes, quality (no TOC: CBR seeks by arithmetic)
  view.setUint32(o + 8, frames);
  view.setUint32(o + 12, totalBytes);
  view.setUint32(o + 16, 0);
  o += 20;
  frame.set(utf8.encode('LAME3.100'), o);
  frame[o + 9] = 0x01; // tag revision 0, CBR
  frame[o + 20] = Math.min(255, kbps);
  frame[o + 21] = (delay >> 4) & 0xff;
  frame[o + 22] = ((delay & 0x0f) << 4) | ((padding >> 8) & 0x0f);
  frame[o + 23] = padding & 0xff;
  view.setUint32(o + 28, totalBytes);
  const crcOffset = o + 34;
  view.setUint16(crcOffset, crc16(frame.subarray(0, crcOffset)));
  return frame;
}

/**
 * Streams interleaved 16-bit frames into a constant-bit-rate MP3 file with
 * an ID3v2.4 tag. Like the WAV writer: a temporary name, renamed into place
 * on finish (after fsync unless `durable: false`).
 */
export class Mp3FileWriter {
  private readonly file: RecordingFile;
  private readonly encoder: Mp3EncoderStream;
  private readonly left = new Int16Array(ENCODE_FRAMES);
  private readonly right = new Int16Array(ENCODE_FRAMES);
  private frames = 0;
  /** Where the Info frame goes (after the ID3 tag), and what it needs once known. */
  private infoOffset = -1;
  private firstHeader: Uint8Array | undefined;
  private geometry: ReturnType<typeof frameGeometry>;

  constructor(
    readonly path: string,
    readonly format: Mp3Format,
    tags: Id3Tags = {},
    options: RecordingFileOptions = {},
  ) {
    this.encoder = openMp3Encoder(format.channels, format.sampleRate, format.kbps, format.encoder);
    this.file = openRecordingFile(path, options);
    this.append(buildId3Tag(tags));
  }

  /** Append interleaved samples (mono: one per frame). */
  write(interleaved: Int16Array): void {
    const channels = this.format.channels;
    const total = interleaved.length / channels;
    for (let start = 0; start < total; start += ENCODE_FRAMES) {
      const n = Math.min(ENCODE_FRAMES, total - start);
      const l = this.left.subarray(0, n);
      if (channels === 1) {
        l.set(interleaved.subarray(start, start + n));
        this.append(this.encoder.encodeBuffer(l));
      } else {
        const r = this.right.subarray(0, n);
        for (let i = 0; i < n; i++) {
          l[i] = interleaved[2 * (start + i)]!;
          r[i] = interleaved[2 * (start + i) + 1]!;
        }
        this.append(this.encoder.encodeBuffer(l, r));
      }
    }
    this.frames += total;
  }

  finish(): { bytes: number; frames: number } {
    this.append(this.encoder.flush());
    if (this.firstHeader && this.geometry && this.geometry.frameBytes >= 4 + this.geometry.sideInfoBytes + 56) {
      const total = this.file.position - this.infoOffset;
      const frames = Math.round((total - this.geometry.frameBytes) / this.geometry.frameBytes);
      const padding = Math.max(0, Math.min(4095, frames * this.geometry.samplesPerFrame - ENCODER_DELAY - this.frames));
      this.file.writeAt(buildInfoFrame(this.firstHeader, this.geometry, frames, total, ENCODER_DELAY, padding, this.format.kbps), this.infoOffset);
    }
    this.file.commit();
    return { bytes: this.file.storedBytes, frames: this.frames };
  }

  abort(): void {
    this.encoder.abandon();
    this.file.discard();
  }

  private append(data: Uint8Array | Int8Array): void {
    if (data.length === 0) return;
    // lamejs hands back Int8Array whatever its typings say: look at the bytes unsigned.
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.infoOffset < 0 && this.firstHeader === undefined && bytes[0] === 0xff) {
      // The first audio: leave room for the Info frame, written at finish() when the counts are known.
      this.firstHeader = bytes.slice(0, 4);
      this.geometry = frameGeometry(this.firstHeader);
      if (this.geometry) {
        this.infoOffset = this.file.position;
        this.file.skip(this.geometry.frameBytes);
      }
    }
    this.file.append(bytes);
  }
}
