// Ogg Opus recordings (RFC 7845): libopus compiled to WebAssembly (the `opusscript` package) codes 20 ms frames at
// the call's own rate (8 or 16 kHz: Opus takes both as they are, no resampling here); the Ogg pages around them are
// ours (ogg.ts). Browsers play the file natively; at 16 kbit/s a stereo call takes half the room of 32 kbit/s MP3.
import { createRequire } from 'node:module';
import { OggPacketReader, OggStreamWriter } from './ogg.js';
import { openRecordingFile } from './recording-file.js';
import type { RecordingFile, RecordingFileOptions } from './recording-file.js';
import type { Id3Tags } from './mp3.js';

/** The part of opusscript's class used here (its own typings declare a module name that ESM imports do not see). */
interface OpusCodec {
  encode(pcm: Buffer, frameSize: number): Buffer;
  decode(packet: Buffer): Buffer;
  setBitrate(bitsPerSecond: number): void;
  encoderCTL(request: number, value: number): void;
  delete(): void;
}
interface OpusCodecClass {
  new (sampleRate: number, channels: number, application: number): OpusCodec;
  readonly Application: { readonly VOIP: number; readonly AUDIO: number };
}

const require = createRequire(import.meta.url);
let codecClass: OpusCodecClass | undefined;
/** Loaded on first use: a service writing WAV never instantiates the WebAssembly module. */
function opusCodecClass(): OpusCodecClass {
  codecClass ??= require('opusscript') as OpusCodecClass;
  return codecClass;
}

/** The rates Opus codes as they are. */
const OPUS_RATES: ReadonlySet<number> = new Set([8000, 12000, 16000, 24000, 48000]);
/** Granule positions count 48 kHz samples whatever the input rate. */
const GRANULE_RATE = 48000;
/** libopus's look-ahead outside the restricted-low-delay mode: 2.5 ms plus 4 ms of delay compensation. */
const LOOKAHEAD_SECONDS = 0.0065;
const FRAME_SECONDS = 0.02;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;
/**
 * Encoder complexity (0–10). Measured here on 8 kHz speech at 8 kbit/s a channel: 10 (libopus's default) codes 76×
 * realtime, 5 271×, 3 349×, 1 532×, with the decoded speech's correlation to the original 0.915, 0.902, 0.910 and
 * 0.905 — no difference a listener to a call would hear for 4.6× the speed of the default.
 */
export const OPUS_COMPLEXITY = 3;
const VENDOR = 'Recorder (libopus via opusscript)';

export interface OpusFormat {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  /** Bit rate in kbit/s for all channels together. */
  readonly kbps: number;
}

export class OpusFormatError extends Error {
  override readonly name = 'OpusFormatError';
}

/** Pre-skip in 48 kHz samples: what a decoder drops from the start (the encoder's look-ahead). */
export function opusPreSkip(): number {
  return Math.round(LOOKAHEAD_SECONDS * GRANULE_RATE);
}

/**
 * The identification header (RFC 7845 §5.1), no output gain. Mono: channel mapping family 0. Stereo: family 1 with
 * two uncoupled streams, one a channel: the parties of a call are two independent voices, and coupled stereo at a
 * call's bit rates starves the quieter one (16 kbit/s coupled: the quieter party's correlation with what was said
 * 0.37; two 8 kbit/s streams: 0.95, measured).
 */
export function buildOpusHead(channels: 1 | 2, inputRate: number, preSkip: number): Uint8Array {
  const head = new Uint8Array(channels === 1 ? 19 : 23);
  const view = new DataView(head.buffer);
  head.set(Buffer.from('OpusHead', 'latin1'), 0);
  head[8] = 1;
  head[9] = channels;
  view.setUint16(10, preSkip, true);
  view.setUint32(12, inputRate, true);
  view.setInt16(16, 0, true);
  if (channels === 1) {
    head[18] = 0;
    return head;
  }
  head[18] = 1; // family 1 (Vorbis channel order: left, right)
  head[19] = 2; // streams
  head[20] = 0; // of them coupled
  head[21] = 0; // left ← stream 0
  head[22] = 1; // right ← stream 1
  return head;
}

/** A frame length as Opus codes it: one byte below 252, else two (RFC 6716 §3.2.1). */
function frameLengthBytes(length: number): number[] {
  if (length < 252) return [length];
  const first = 252 + ((length - 252) & 3);
  return [first, (length - first) >> 2];
}

/** Reads a frame length at `at`: [length, bytes used]. */
function readFrameLength(packet: Uint8Array, at: number): [number, number] {
  const first = packet[at]!;
  if (first < 252) return [first, 1];
  return [first + 4 * packet[at + 1]!, 2];
}

/**
 * A packet in self-delimiting framing (RFC 6716 Appendix B), as every stream but the last of a multistream packet
 * is: the length of the frame that the normal framing leaves implicit is written out.
 */
export function selfDelimited(packet: Uint8Array): Uint8Array {
  const code = packet[0]! & 3;
  let headerEnd = 1;
  let implicit: number;
  if (code === 0) implicit = packet.length - 1;
  else if (code === 1) implicit = (packet.length - 1) / 2;
  else if (code === 2) {
    const [first, used] = readFrameLength(packet, 1);
    headerEnd = 1 + used;
    implicit = packet.length - headerEnd - first;
  } else {
    const count = packet[1]! & 0x3f;
    const vbr = (packet[1]! & 0x80) !== 0;
    let at = 2;
    let padding = 0;
    if (packet[1]! & 0x40) {
      for (;;) {
        const byte = packet[at++]!;
        padding += byte === 255 ? 254 : byte;
        if (byte !== 255) break;
      }
    }
    let listed = 0;
    if (vbr) {
      for (let i = 0; i < count - 1; i++) {
        const [length, used] = readFrameLength(packet, at);
        listed += length;
        at += used;
      }
    }
    headerEnd = at;
    const data = packet.length - at - padding;
    implicit = vbr ? data - listed : data / count;
  }
  const length = frameLengthBytes(implicit);
  const out = new Uint8Array(packet.length + length.length);
  out.set(packet.subarray(0, headerEnd), 0);
  out.set(length, headerEnd);
  out.set(packet.subarray(headerEnd), headerEnd + length.length);
  return out;
}

/**
 * Splits a self-delimited packet off the front of `bytes`: the packet in normal framing (what a decoder takes) and
 * how many bytes it took. Only the framings libopus writes for one 20 ms frame (codes 0 and 1) are read here.
 */
function splitSelfDelimited(bytes: Uint8Array, label: string): { packet: Uint8Array; used: number } {
  const code = bytes[0]! & 3;
  if (code > 1) throw new OpusFormatError(`${label}: a multistream packet with frame code ${code} (codes 0 and 1 are read here)`);
  const [length, used] = readFrameLength(bytes, 1);
  const data = code === 0 ? length : 2 * length;
  if (1 + used + data > bytes.length) throw new OpusFormatError(`${label}: a multistream packet cut short`);
  const packet = new Uint8Array(1 + data);
  packet[0] = bytes[0]!;
  packet.set(bytes.subarray(1 + used, 1 + used + data), 1);
  return { packet, used: 1 + used + data };
}

/**
 * The comment header (RFC 7845 §5.2, Vorbis comments): the same facts as an MP3's ID3 tag, under the field names
 * players know (TITLE, ARTIST, ALBUM, DATE); the call's own facts as upper-case fields without spaces.
 */
export function buildOpusTags(tags: Id3Tags): Uint8Array {
  const comments: string[] = [];
  if (tags.title) comments.push(`TITLE=${tags.title}`);
  if (tags.artist) comments.push(`ARTIST=${tags.artist}`);
  if (tags.album) comments.push(`ALBUM=${tags.album}`);
  if (tags.recordedAt) comments.push(`DATE=${tags.recordedAt}`);
  for (const [description, value] of Object.entries(tags.custom ?? {})) comments.push(`${description.toUpperCase().replace(/[^\x20-\x7d]|[ =]/g, '')}=${value}`);
  const vendor = Buffer.from(VENDOR, 'utf8');
  const encoded = comments.map((comment) => Buffer.from(comment, 'utf8'));
  const out = Buffer.alloc(8 + 4 + vendor.length + 4 + encoded.reduce((n, c) => n + 4 + c.length, 0));
  out.write('OpusTags', 0, 'latin1');
  let at = out.writeUInt32LE(vendor.length, 8);
  at += vendor.copy(out, at);
  at = out.writeUInt32LE(encoded.length, at);
  for (const comment of encoded) {
    at = out.writeUInt32LE(comment.length, at);
    at += comment.copy(out, at);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** A stream serial number from the path: two recordings chained together would still tell their streams apart. */
function serialFor(path: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** One mono Opus encoder at `rate` coding `kbps`, set for speech. */
function openSpeechEncoder(rate: number, kbps: number): OpusCodec {
  const Codec = opusCodecClass();
  const codec = new Codec(rate, 1, Codec.Application.VOIP);
  try {
    codec.setBitrate(Math.round(kbps * 1000));
    codec.encoderCTL(OPUS_SET_COMPLEXITY, OPUS_COMPLEXITY);
    codec.encoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    return codec;
  } catch (error) {
    codec.delete();
    throw new OpusFormatError(`the Opus encoder refused ${kbps} kbit/s: ${(error as Error).message}`);
  }
}

/**
 * Streams interleaved 16-bit frames into an Ogg Opus file: each channel (party) its own mono stream at half the
 * bit rate (see buildOpusHead). Like the other writers: a temporary name, renamed into place on finish (after fsync
 * unless `durable: false`). The last page's granule position makes decoders give back exactly the frames written,
 * the look-ahead at the start dropped by the pre-skip.
 */
export class OpusFileWriter {
  private readonly file: RecordingFile;
  /** One encoder a channel. */
  private readonly codecs: OpusCodec[];
  private readonly ogg: OggStreamWriter;
  private readonly frameSize: number;
  /** One 20 ms frame a channel waiting to be coded, and the same memory as bytes for the codec. */
  private readonly frames20: Int16Array[];
  private readonly frameBytes: Buffer[];
  private filled = 0;
  private frames = 0;
  private codedFrames = 0;
  private readonly granuleStep: number;
  private readonly preSkip = opusPreSkip();
  private closed = false;

  constructor(
    readonly path: string,
    readonly format: OpusFormat,
    tags: Id3Tags = {},
    options: RecordingFileOptions = {},
  ) {
    if (!OPUS_RATES.has(format.sampleRate)) throw new OpusFormatError(`Opus codes 8, 12, 16, 24 or 48 kHz, not ${format.sampleRate} Hz`);
    this.codecs = [];
    try {
      for (let c = 0; c < format.channels; c++) this.codecs.push(openSpeechEncoder(format.sampleRate, format.kbps / format.channels));
    } catch (error) {
      for (const codec of this.codecs) codec.delete();
      throw error;
    }
    this.frameSize = Math.round(format.sampleRate * FRAME_SECONDS);
    this.granuleStep = GRANULE_RATE / format.sampleRate;
    this.frames20 = this.codecs.map(() => new Int16Array(this.frameSize));
    this.frameBytes = this.frames20.map((frame) => Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    this.file = openRecordingFile(path, options);
    this.ogg = new OggStreamWriter(serialFor(path), (page) => this.file.append(page));
    this.ogg.header(buildOpusHead(format.channels, format.sampleRate, this.preSkip));
    this.ogg.header(buildOpusTags(tags));
  }

  /** Append interleaved samples (mono: one per frame). */
  write(interleaved: Int16Array): void {
    const channels = this.format.channels;
    const total = interleaved.length / channels;
    let at = 0;
    while (at < total) {
      const take = Math.min(this.frameSize - this.filled, total - at);
      if (channels === 1) this.frames20[0]!.set(interleaved.subarray(at, at + take), this.filled);
      else {
        const left = this.frames20[0]!;
        const right = this.frames20[1]!;
        for (let i = 0; i < take; i++) {
          left[this.filled + i] = interleaved[2 * (at + i)]!;
          right[this.filled + i] = interleaved[2 * (at + i) + 1]!;
        }
      }
      this.filled += take;
      at += take;
      if (this.filled === this.frameSize) this.#code();
    }
    this.frames += total;
  }

  finish(): { bytes: number; frames: number } {
    // Silence after the end until the look-ahead is out too: the last written sample is then in a coded packet.
    const needed = this.frames + Math.round(LOOKAHEAD_SECONDS * this.format.sampleRate);
    while (this.codedFrames * this.frameSize < needed) {
      for (const frame of this.frames20) frame.fill(0, this.filled);
      this.#code();
    }
    this.ogg.finish(BigInt(this.preSkip + this.frames * this.granuleStep));
    this.#release();
    this.file.commit();
    return { bytes: this.file.storedBytes, frames: this.frames };
  }

  abort(): void {
    this.#release();
    this.file.discard();
  }

  #code(): void {
    const packets = this.codecs.map((codec, c) => codec.encode(this.frameBytes[c]!, this.frameSize));
    // A multistream packet: every stream's packet self-delimited but the last's.
    // (opusscript hands back a copy of each packet: it is kept as it is.)
    const packet = packets.length === 1 ? packets[0]! : Buffer.concat([selfDelimited(packets[0]!), packets[1]!]);
    this.codedFrames++;
    this.filled = 0;
    this.ogg.packet(packet, BigInt(this.codedFrames * this.frameSize * this.granuleStep));
  }

  #release(): void {
    if (this.closed) return;
    this.closed = true;
    for (const codec of this.codecs) codec.delete();
  }
}

/** What an Ogg Opus stream decodes to, at its input rate. */
export interface DecodedOpusBlock {
  readonly channels: number;
  readonly sampleRate: number;
  /** Interleaved samples. */
  readonly samples: Int16Array;
}

/**
 * Decodes an Ogg Opus stream piece by piece at the rate it was recorded at (the header says which), dropping the
 * pre-skip and what lies after the last page's granule position: the frames that were written, no more.
 */
export class OggOpusDecoder {
  readonly #reader: OggPacketReader;
  /** One decoder a stream: the whole stream (family 0), or one a channel (our family-1 stereo). */
  #codecs: OpusCodec[] = [];
  #channels = 0;
  #sampleRate = 0;
  /** The header's pre-skip, in 48 kHz samples. */
  #preSkip = 0;
  /** What is still to drop of it, in the stream's own rate. */
  #skip = 0;
  #step = 1;
  #headers = 0;
  /** Frames handed out so far, and the last page's granule position (where the audio ends) once it is read. */
  #emitted = 0;
  #endGranule: bigint | undefined;

  constructor(private readonly label = 'Opus stream') {
    this.#reader = new OggPacketReader(label);
  }

  push(piece: Uint8Array): DecodedOpusBlock[] {
    const blocks: DecodedOpusBlock[] = [];
    const packets = this.#reader.push(piece);
    // The last page's granule position says where the audio ends: known before its packets are decoded.
    this.#endGranule ??= [...packets].reverse().find((packet) => packet.lastPage && packet.granule >= 0n)?.granule;
    for (const packet of packets) {
      if (this.#headers === 0) this.#head(packet.data);
      else if (this.#headers === 1) this.#tags(packet.data);
      else {
        const block = this.#audio(packet.data);
        if (block) blocks.push(block);
      }
    }
    return blocks;
  }

  end(): void {
    try {
      this.#reader.end();
    } finally {
      this.#close();
    }
  }

  #close(): void {
    for (const codec of this.#codecs) codec.delete();
    this.#codecs = [];
  }

  #head(data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.length < 19 || Buffer.from(data.subarray(0, 8)).toString('latin1') !== 'OpusHead') throw new OpusFormatError(`${this.label}: no OpusHead header`);
    if (data[8]! >> 4 !== 0) throw new OpusFormatError(`${this.label}: Opus header version ${data[8]}`);
    this.#channels = data[9]!;
    const family = data[18]!;
    const dualMono = family === 1 && this.#channels === 2 && data.length >= 23 && data[19] === 2 && data[20] === 0 && data[21] === 0 && data[22] === 1;
    const plain = family === 0 && (this.#channels === 1 || this.#channels === 2);
    if (!plain && !dualMono) throw new OpusFormatError(`${this.label}: ${this.#channels} channels in mapping family ${family} (read here: mono or stereo, or stereo as two mono streams)`);
    const rate = view.getUint32(12, true);
    // Decoded at the recorded rate where Opus can: a call's 8 kHz stays 8 kHz.
    this.#sampleRate = OPUS_RATES.has(rate) ? rate : GRANULE_RATE;
    this.#step = GRANULE_RATE / this.#sampleRate;
    this.#preSkip = view.getUint16(10, true);
    this.#skip = Math.round(this.#preSkip / this.#step);
    const Codec = opusCodecClass();
    this.#codecs = dualMono ? [new Codec(this.#sampleRate, 1, Codec.Application.VOIP), new Codec(this.#sampleRate, 1, Codec.Application.VOIP)] : [new Codec(this.#sampleRate, this.#channels, Codec.Application.VOIP)];
    this.#headers = 1;
  }

  #tags(data: Uint8Array): void {
    if (Buffer.from(data.subarray(0, 8)).toString('latin1') !== 'OpusTags') throw new OpusFormatError(`${this.label}: no OpusTags header`);
    this.#headers = 2;
  }

  /** One packet's frames, interleaved. */
  #decodePacket(data: Uint8Array): Int16Array {
    if (this.#codecs.length === 1) {
      const decoded = this.#codecs[0]!.decode(Buffer.from(data));
      return new Int16Array(decoded.buffer.slice(decoded.byteOffset, decoded.byteOffset + decoded.byteLength));
    }
    const first = splitSelfDelimited(data, this.label);
    const left = this.#codecs[0]!.decode(Buffer.from(first.packet));
    const right = this.#codecs[1]!.decode(Buffer.from(data.subarray(first.used)));
    const frames = Math.min(left.length, right.length) / 2;
    const out = new Int16Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      out[2 * i] = left.readInt16LE(2 * i);
      out[2 * i + 1] = right.readInt16LE(2 * i);
    }
    return out;
  }

  #audio(data: Uint8Array): DecodedOpusBlock | undefined {
    const samples = this.#decodePacket(data);
    const channels = this.#channels;
    let frames = samples.length / channels;
    let start = 0;
    if (this.#skip > 0) {
      start = Math.min(this.#skip, frames);
      this.#skip -= start;
    }
    // Past the end the last granule position gives: padding the encoder coded to flush its look-ahead.
    if (this.#endGranule !== undefined) {
      const endFrames = (Number(this.#endGranule) - this.#preSkip) / this.#step;
      frames = Math.min(frames, start + Math.max(0, Math.round(endFrames - this.#emitted)));
    }
    if (frames <= start) return undefined;
    this.#emitted += frames - start;
    return { channels, sampleRate: this.#sampleRate, samples: samples.subarray(start * channels, frames * channels) };
  }
}
