/**
 * MP3 through LAME compiled to WebAssembly (`wasm-media-encoders`, MIT, LAME 3.100 inside): 2–3× the speed of
 * lamejs, close to Debian's native lame (bench/RESULTS.md), and the same frames a LAME build gives.
 *
 * The package creates an encoder asynchronously (it instantiates the module), while a recording is written
 * synchronously block by block; so each thread keeps a small pool of instantiated encoders, made ahead by
 * `prepareLameWasm()` (awaited by the converter before it renders MP3), and an encoder is configured afresh for
 * each stream (`configure` frees the previous stream's state). A stream opened with the pool empty is refused by
 * name rather than written by another encoder: the choice of encoder never changes behind the caller's back.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Mp3EncoderStream } from './lame.js';
import { mp3BitrateProblem } from '../../domain/index.js';

type WasmEncoder = Awaited<ReturnType<typeof import('wasm-media-encoders').createEncoder<'audio/mpeg'>>>;
type Mp3Bitrate = 8 | 16 | 24 | 32 | 40 | 48 | 64 | 80 | 96 | 112 | 128 | 160 | 192 | 224 | 256 | 320;

const idle: WasmEncoder[] = [];
let wasmBytes: Uint8Array | undefined;
let preparing: Promise<void> | undefined;

/** Samples converted per call into the encoder (its input is 32-bit float). */
const BLOCK = 1152 * 8;
/** 16-bit samples to LAME's float input, whose full scale is ±32767 (so every 16-bit value maps back exactly). */
const FLOAT_SCALE = 1 / 32767;

function moduleBytes(): Uint8Array {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('wasm-media-encoders/wasm/mp3'));
}

async function newEncoder(): Promise<WasmEncoder> {
  const { createEncoder } = await import('wasm-media-encoders');
  // Each encoder is an instance of its own (own memory); a thread makes one or two.
  wasmBytes ??= moduleBytes();
  return createEncoder('audio/mpeg', wasmBytes);
}

/**
 * Make sure this thread has `count` encoders ready (default one: a recording is rendered synchronously, one
 * output at a time). Cheap once done; safe to call before every conversion.
 */
export async function prepareLameWasm(count = 1): Promise<void> {
  while (idle.length < count) {
    preparing ??= newEncoder()
      .then((encoder) => {
        idle.push(encoder);
      })
      .finally(() => {
        preparing = undefined;
      });
    await preparing;
  }
}

/** Encoders ready in this thread (for tests and the bench). */
export function lameWasmReady(): number {
  return idle.length;
}

class WasmStream implements Mp3EncoderStream {
  readonly #left = new Float32Array(BLOCK);
  readonly #right = new Float32Array(BLOCK);
  #encoder: WasmEncoder | undefined;

  constructor(
    encoder: WasmEncoder,
    private readonly channels: 1 | 2,
    sampleRate: number,
    kbps: number,
  ) {
    encoder.configure({ channels, sampleRate, bitrate: kbps as Mp3Bitrate });
    this.#encoder = encoder;
  }

  #active(): WasmEncoder {
    if (!this.#encoder) throw new Error('MP3 stream already finished');
    return this.#encoder;
  }

  encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array {
    const encoder = this.#active();
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (let start = 0; start < left.length; start += BLOCK) {
      const n = Math.min(BLOCK, left.length - start);
      const l = this.#left.subarray(0, n);
      for (let i = 0; i < n; i++) l[i] = left[start + i]! * FLOAT_SCALE;
      let input: Float32Array[] = [l];
      if (this.channels === 2) {
        const r = this.#right.subarray(0, n);
        const source = right ?? left;
        for (let i = 0; i < n; i++) r[i] = source[start + i]! * FLOAT_SCALE;
        input = [l, r];
      }
      // The bytes are a view of the module's memory, valid until its next call: copied out now.
      const bytes = encoder.encode(input).slice();
      pieces.push(bytes);
      total += bytes.length;
    }
    const joined = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, total);
    return new Int8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  }

  flush(): Int8Array {
    const encoder = this.#active();
    const bytes = encoder.finalize().slice();
    this.#release(encoder);
    return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  abandon(): void {
    // The encoder's state is reset by its next configure: it goes back to the pool as it is.
    if (this.#encoder) this.#release(this.#encoder);
  }

  #release(encoder: WasmEncoder): void {
    this.#encoder = undefined;
    idle.push(encoder);
  }
}

/** A LAME (WebAssembly) stream; throws when `prepareLameWasm()` has not made an encoder ready in this thread. */
export function openLameWasmStream(channels: 1 | 2, sampleRate: number, kbps: number): Mp3EncoderStream {
  const problem = mp3BitrateProblem(kbps, 'lame-wasm');
  if (problem) throw new Error(`MP3: ${problem}`);
  const encoder = idle.pop();
  if (!encoder) throw new Error('no MP3 encoder (LAME WebAssembly) ready in this thread: await prepareLameWasm() before writing MP3');
  try {
    return new WasmStream(encoder, channels, sampleRate, kbps);
  } catch (error) {
    idle.push(encoder);
    throw error;
  }
}
