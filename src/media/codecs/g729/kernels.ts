/**
 * The G.729 kernels compiled to WebAssembly from ./assembly (our own AssemblyScript source, built by
 * scripts/build-wasm.mjs into ./assembly/kernels.wasm, beside this file in src and in dist). A decoder that
 * uses them keeps the arrays they touch in a memory of its own (a KernelArena: one instance, 64 KiB), so a
 * kernel call passes addresses and copies nothing. Where the module is absent (a checkout not yet built) or
 * the engine has no WebAssembly SIMD, `kernelsAvailable()` is false and the decoders run their TypeScript
 * loops, which give the same samples (tested on every ITU vector and on random frames).
 */
import { readFileSync } from 'node:fs';
import { inter3l } from './tables.js';

/** The part of the WebAssembly JS API used here (the project's lib settings declare none). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
}
type WasmModule = { readonly wasmModule: unique symbol };
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const WASM_URL = new URL('./assembly/kernels.wasm', import.meta.url);
const PAGE_BYTES = 65536;

interface KernelExports {
  phaseSearch(x: number, xo: number, past0: number, taps: number, yUp: number, out: number, scratch: number): void;
  longFilter(x: number, p0: number, xo: number, taps: number, y: number, out: number): void;
  predLt3(exc: number, off: number, t0: number, frac: number, L: number, table: number): void;
  residu(a: number, x: number, y: number, lg: number): number;
  lagCorrelations(x: number, s: number, dMin: number, count: number, out: number): void;
}

let compiled: WasmModule | null | undefined;

/** The compiled module, or null when it cannot be had here (why: `kernelsUnavailableReason`). */
function kernelModule(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = new wasm.Module(readFileSync(WASM_URL));
  } catch (error) {
    unavailableReason = `${WASM_URL.pathname}: ${error instanceof Error ? error.message : String(error)}`;
    compiled = null;
  }
  return compiled;
}

let unavailableReason = '';

/** True when the WebAssembly kernels load here (built module, engine with SIMD). */
export function kernelsAvailable(): boolean {
  return kernelModule() !== null;
}

/** Why the kernels are unavailable ('' when they are available). */
export function kernelsUnavailableReason(): string {
  kernelModule();
  return unavailableReason;
}

/** Which implementation of the hot loops a decoder uses: 'auto' takes WebAssembly when available. */
export type G729Kernels = 'auto' | 'wasm' | 'js';

/**
 * One decoder's kernel instance and its memory, handed out front to back: arrays allocated here are
 * ordinary typed arrays (the TypeScript code reads and writes them as before) whose byte offsets are the
 * addresses the kernels take. The memory never grows, so the views stay valid.
 */
export class KernelArena {
  readonly exports: KernelExports;
  private readonly buffer: ArrayBuffer;
  private next = 64;
  /** Where inter3l (predLt3's taps) is in this memory. */
  readonly inter3lAddress: number;

  private constructor(module: WasmModule) {
    const memory = new wasm.Memory({ initial: 1, maximum: 1 });
    const instance = new wasm.Instance(module, { env: { memory, abort: () => { throw new Error('G.729 kernel aborted'); } } });
    this.exports = instance.exports as unknown as KernelExports;
    this.buffer = memory.buffer;
    this.inter3lAddress = this.copy(inter3l).byteOffset;
  }

  /** An arena for `choice`: null for 'js', or for 'auto' where the module is unavailable; 'wasm' throws then. */
  static open(choice: G729Kernels): KernelArena | null {
    if (choice === 'js') return null;
    const module = kernelModule();
    if (module === null) {
      if (choice === 'wasm') throw new Error(`G.729 WebAssembly kernels unavailable: ${unavailableReason} (npm run build makes them)`);
      return null;
    }
    return new KernelArena(module);
  }

  private take(bytes: number): number {
    const at = (this.next + 15) & ~15;
    if (at + bytes > PAGE_BYTES) throw new RangeError('G.729 kernel arena full');
    this.next = at + bytes;
    return at;
  }

  int16(length: number): Int16Array {
    return new Int16Array(this.buffer, this.take(length * 2), length);
  }

  int32(length: number): Int32Array {
    return new Int32Array(this.buffer, this.take(length * 4), length);
  }

  /** A copy of `table` in this memory (for the kernels' filter taps). */
  copy(table: Int16Array): Int16Array {
    const view = this.int16(table.length);
    view.set(table);
    return view;
  }
}
