// A recording's audio as plaintext bytes at any position: plain files read directly, encrypted containers
// decrypted chunk by chunk (only the chunks a range touches). G.711 WAVs are offered to browsers as 16-bit PCM
// (a virtual file: a PCM header, then every G.711 byte as two bytes), because not every browser plays A-/µ-law.
import { RECORDING_CONTENT_TYPES } from '../domain/index.js';
import type { RecordingFormat } from '../domain/index.js';
import { open } from 'node:fs/promises';
import { ALAW_DECODE_TABLE, ULAW_DECODE_TABLE } from '../media/codecs/index.js';
import { openEncryptedFile } from '../platform/crypto/index.js';
import type { Keyring, PositionalFile } from '../platform/crypto/index.js';
import { buildWavHeader } from '../media/audio/index.js';

/** Plaintext bytes of a file at any position. */
export interface ByteSource {
  readonly size: number;
  /** Bytes [start, end) in pieces. */
  stream(start: number, end: number): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

const PIECE = 64 * 1024;

class PlainSource implements ByteSource {
  constructor(
    private readonly handle: PositionalFile,
    readonly size: number,
  ) {}

  async *stream(start: number, end: number): AsyncGenerator<Buffer> {
    for (let at = start; at < Math.min(end, this.size); ) {
      const length = Math.min(PIECE, end - at);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await this.handle.read(buffer, 0, length, at);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
      at += bytesRead;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Open a stored audio file; encrypted ones need the keyring (CryptoError otherwise). */
export async function openByteSource(source: string | { readonly file: PositionalFile; readonly path: string }, encrypted: boolean, keyring: Keyring | undefined): Promise<ByteSource> {
  const path = typeof source === 'string' ? source : source.path;
  if (encrypted) {
    if (!keyring) {
      if (typeof source !== 'string') await source.file.close();
      throw Object.assign(new Error(`${path}: encrypted, and the server has no key`), { code: 'unknown-key' });
    }
    const file = await openEncryptedFile(source, keyring);
    return { size: file.plaintextSize, stream: (start, end) => file.stream(start, end), close: () => file.close() };
  }
  const handle = typeof source === 'string' ? await open(source, 'r') : source.file;
  try {
    const { size } = await handle.stat();
    return new PlainSource(handle, size);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export async function readRange(source: ByteSource, start: number, end: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of source.stream(start, end)) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

export interface WavLayout {
  readonly formatTag: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly dataOffset: number;
  readonly dataBytes: number;
}

/** The fmt and data chunks of a RIFF/WAVE file, from its first bytes; undefined when it is not one. */
export function parseWavLayout(head: Buffer, fileSize: number): WavLayout | undefined {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let fmt: Omit<WavLayout, 'dataOffset' | 'dataBytes'> | undefined;
  for (let at = 12; at + 8 <= head.length; ) {
    const id = head.toString('latin1', at, at + 4);
    const size = head.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && body + 16 <= head.length) {
      let formatTag = head.readUInt16LE(body);
      if (formatTag === 0xfffe && size >= 40 && body + 26 <= head.length) formatTag = head.readUInt16LE(body + 24); // extensible: sub-format
      fmt = { formatTag, channels: head.readUInt16LE(body + 2), sampleRate: head.readUInt32LE(body + 4), bitsPerSample: head.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt || fmt.channels < 1 || fmt.sampleRate < 1) return undefined;
      return { ...fmt, dataOffset: body, dataBytes: Math.max(0, Math.min(size, fileSize - body)) };
    }
    at = body + size + (size % 2);
  }
  return undefined;
}

/** What a browser is given for a recording: the file as it is, or G.711 WAV widened to 16-bit PCM. */
export interface PlayableAudio extends ByteSource {
  readonly contentType: string;
  /** The WAV layout of what is served (undefined for MP3 and Opus). */
  readonly wav?: WavLayout;
}

const HEAD_BYTES = 4096;

export async function playable(source: ByteSource, format: RecordingFormat): Promise<PlayableAudio> {
  // Compressed audio and kept captures are served as they are; only WAV is looked into.
  if (format !== 'wav') return { size: source.size, stream: (s, e) => source.stream(s, e), close: () => source.close(), contentType: RECORDING_CONTENT_TYPES[format] };
  const layout = parseWavLayout(await readRange(source, 0, Math.min(source.size, HEAD_BYTES)), source.size);
  const g711 = layout && (layout.formatTag === 6 || layout.formatTag === 7) && layout.bitsPerSample === 8 ? layout : undefined;
  if (!g711) return { size: source.size, stream: (s, e) => source.stream(s, e), close: () => source.close(), contentType: 'audio/wav', ...(layout ? { wav: layout } : {}) };
  const table = g711.formatTag === 6 ? ALAW_DECODE_TABLE : ULAW_DECODE_TABLE;
  const frames = Math.floor(g711.dataBytes / g711.channels);
  const header = Buffer.from(buildWavHeader({ sampleRate: g711.sampleRate, channels: g711.channels, encoding: 'pcm16' }, frames));
  const dataBytes = frames * g711.channels * 2;
  const size = header.length + dataBytes;
  async function* stream(start: number, end: number): AsyncGenerator<Buffer> {
    const stop = Math.min(end, size);
    if (start < header.length && start < stop) yield header.subarray(start, Math.min(header.length, stop));
    const from = Math.max(start, header.length) - header.length;
    const to = stop - header.length;
    if (to <= from) return;
    // PCM byte i comes from G.711 byte floor(i / 2): decode the covering source bytes, then trim.
    const srcStart = g711!.dataOffset + Math.floor(from / 2);
    const srcEnd = g711!.dataOffset + Math.ceil(to / 2);
    let produced = Math.floor(from / 2) * 2;
    for await (const piece of source.stream(srcStart, srcEnd)) {
      const out = Buffer.alloc(piece.length * 2);
      for (let i = 0; i < piece.length; i++) out.writeInt16LE(table[piece[i]!]!, i * 2);
      const lo = Math.max(0, from - produced);
      const hi = Math.min(out.length, to - produced);
      if (hi > lo) yield out.subarray(lo, hi);
      produced += out.length;
    }
  }
  return {
    size,
    stream,
    close: () => source.close(),
    contentType: 'audio/wav',
    wav: { formatTag: 1, channels: g711.channels, sampleRate: g711.sampleRate, bitsPerSample: 16, dataOffset: header.length, dataBytes },
  };
}
