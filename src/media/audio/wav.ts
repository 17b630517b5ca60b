import { encodeG711 } from '../codecs/index.js';
import { openRecordingFile } from './recording-file.js';
import type { RecordingFile, RecordingFileOptions } from './recording-file.js';

/** Sample encodings a WAV file can carry here: 16-bit PCM (format tag 1), A-law (6), µ-law (7). */
import type { WavEncoding } from '../../domain/index.js';

export type { WavEncoding };

export interface WavFormat {
  readonly sampleRate: number;
  readonly channels: number;
  readonly encoding: WavEncoding;
}

const FORMAT_TAG: Record<WavEncoding, number> = { pcm16: 1, alaw: 6, ulaw: 7 };

/** Bytes of the header this writer produces: RIFF + fmt (16 or 18) + [fact] + data chunk header. */
export function wavHeaderLength(encoding: WavEncoding): number {
  return encoding === 'pcm16' ? 44 : 58;
}

/** Build a canonical WAV header for `frames` sample frames. */
export function buildWavHeader(format: WavFormat, frames: number): Uint8Array {
  const bytesPerSample = format.encoding === 'pcm16' ? 2 : 1;
  const dataBytes = frames * format.channels * bytesPerSample;
  const headerLength = wavHeaderLength(format.encoding);
  const header = new Uint8Array(headerLength);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) header[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  // RIFF sizes are 32-bit; a data chunk over 4 GiB is clamped (readers then use the file length).
  view.setUint32(4, Math.min(0xffffffff, headerLength - 8 + dataBytes), true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  const pcm = format.encoding === 'pcm16';
  view.setUint32(16, pcm ? 16 : 18, true);
  view.setUint16(20, FORMAT_TAG[format.encoding], true);
  view.setUint16(22, format.channels, true);
  view.setUint32(24, format.sampleRate, true);
  view.setUint32(28, format.sampleRate * format.channels * bytesPerSample, true);
  view.setUint16(32, format.channels * bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let offset = 36;
  if (!pcm) {
    view.setUint16(36, 0, true); // cbSize
    ascii(38, 'fact'); // non-PCM formats carry the frame count in a fact chunk
    view.setUint32(42, 4, true);
    view.setUint32(46, Math.min(0xffffffff, frames), true);
    offset = 50;
  }
  ascii(offset, 'data');
  view.setUint32(offset + 4, Math.min(0xffffffff, dataBytes), true);
  return header;
}

/**
 * Streams interleaved 16-bit frames into a WAV file. The file is written under
 * a temporary name and renamed into place on `finish()` (after fsync unless
 * `durable: false`), so a reader never sees a half-written recording and a
 * crash leaves no partial file under the final name.
 */
export class WavFileWriter {
  private readonly file: RecordingFile;
  private frames = 0;

  constructor(
    readonly path: string,
    readonly format: WavFormat,
    options: RecordingFileOptions = {},
  ) {
    this.file = openRecordingFile(path, options);
    this.file.append(buildWavHeader(format, 0));
  }

  /** Append interleaved samples (length a multiple of the channel count). */
  write(interleaved: Int16Array): void {
    if (interleaved.length % this.format.channels !== 0) {
      throw new RangeError(`${this.path}: ${interleaved.length} samples is not a whole number of ${this.format.channels}-channel frames`);
    }
    const bytes =
      this.format.encoding === 'pcm16'
        ? new Uint8Array(interleaved.buffer, interleaved.byteOffset, interleaved.byteLength)
        : encodeG711(this.format.encoding, interleaved);
    this.file.append(bytes);
    this.frames += interleaved.length / this.format.channels;
  }

  /** Patch the header, then land the file (fsync unless not durable, rename). Returns bytes written and sample frames. */
  finish(): { bytes: number; frames: number } {
    this.file.writeAt(buildWavHeader(this.format, this.frames), 0);
    this.file.commit();
    return { bytes: this.file.storedBytes, frames: this.frames };
  }

  /** Abandon the file (on error): the partial file is removed, nothing appears under the final name. */
  abort(): void {
    this.file.discard();
  }
}
