/**
 * The G.729 kernels compiled to WebAssembly from ./assembly (our own AssemblyScript source, built by
 * scripts/build-wasm.mjs into ./assembly/kernels.wasm, beside this file in src and in dist). A decoder that
 * uses them keeps the arrays they touch in a slot of a shared instance's memory (a KernelArena), so a kernel
 * call passes addresses and copies nothing. Where the module is absent (a checkout not yet built) or
 * the engine has no WebAssembly SIMD, `kernelsAvailable()` is false and the decoders run their TypeScript
 * loops, which give the same samples (tested on every ITU vector and on random frames).
 */
import { readFileSync } from 'node:fs';
import { inter3l, tabHupL, tabHupS } from './tables.js';

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

/** Bytes of one decoder's slot: its arrays take about 5 KiB (the arena refuses to overrun it). */
const SLOT_BYTES = 8192;
/** Slots per shared instance: one 512 KiB memory for 63 decoders, the first slot holding the tables. */
const POOL_PAGES = 8;
const POOL_SLOTS = (POOL_PAGES * PAGE_BYTES) / SLOT_BYTES;

/**
 * One instance of the module and its memory, shared by up to 63 decoders, each with a slot of its own. A
 * memory per decoder would cost ~100 µs to set up and reserve gigabytes of address space each (V8 guards
 * every WebAssembly memory), so that some 12,900 live decoders exhaust a process; in pools, a decoder costs a
 * slot. A slot returns to its pool when its decoder is garbage (FinalizationRegistry): the memory never grows,
 * so the typed-array views on it stay valid.
 */
class KernelPool {
  readonly exports: KernelExports;
  readonly buffer: ArrayBuffer;
  readonly inter3lAddress: number;
  readonly hupSAddress: number;
  readonly hupLAddress: number;
  readonly free: number[] = [];

  constructor(module: WasmModule) {
    const memory = new wasm.Memory({ initial: POOL_PAGES, maximum: POOL_PAGES });
    const instance = new wasm.Instance(module, { env: { memory, abort: () => { throw new Error('G.729 kernel aborted'); } } });
    this.exports = instance.exports as unknown as KernelExports;
    this.buffer = memory.buffer;
    // Slot 0: the filter tables every decoder of the pool reads.
    let at = 64;
    const place = (table: Int16Array): number => {
      new Int16Array(this.buffer, at, table.length).set(table);
      const address = at;
      at = (at + table.length * 2 + 15) & ~15;
      return address;
    };
    this.inter3lAddress = place(inter3l);
    this.hupSAddress = place(tabHupS);
    this.hupLAddress = place(tabHupL);
    if (at > SLOT_BYTES) throw new RangeError('G.729 kernel tables overrun their slot');
    for (let slot = POOL_SLOTS - 1; slot >= 1; slot--) this.free.push(slot);
  }
}

const pools: KernelPool[] = [];
const released = new FinalizationRegistry<{ pool: KernelPool; slot: number }>(({ pool, slot }) => pool.free.push(slot));

/** The pools' occupancy (for tests and diagnostics): instances, and slots in use by live decoders. */
export function kernelPoolStats(): { pools: number; slotsInUse: number } {
  let free = 0;
  for (const pool of pools) free += pool.free.length;
  return { pools: pools.length, slotsInUse: pools.length * (POOL_SLOTS - 1) - free };
}

/**
 * One decoder's slot of a pool: arrays allocated here are ordinary typed arrays (the TypeScript code reads
 * and writes them as before) whose byte offsets are the addresses the kernels take. Every object that keeps
 * such an array also keeps its arena, so the slot is not handed out again while any of them is in use.
 */
export class KernelArena {
  readonly exports: KernelExports;
  /** Where the kernels' tables are: inter3l (predLt3), tab_hup_s and tab_hup_l (the full postfilter). */
  readonly inter3lAddress: number;
  readonly hupSAddress: number;
  readonly hupLAddress: number;
  private readonly buffer: ArrayBuffer;
  private next: number;
  private readonly end: number;

  private constructor(pool: KernelPool, slot: number) {
    this.exports = pool.exports;
    this.buffer = pool.buffer;
    this.inter3lAddress = pool.inter3lAddress;
    this.hupSAddress = pool.hupSAddress;
    this.hupLAddress = pool.hupLAddress;
    this.next = slot * SLOT_BYTES;
    this.end = this.next + SLOT_BYTES;
    // A reused slot holds its last decoder's state: zeroed, as a new typed array is.
    new Uint8Array(this.buffer, this.next, SLOT_BYTES).fill(0);
    released.register(this, { pool, slot });
  }

  /** An arena for `choice`: null for 'js', or for 'auto' where the module is unavailable; 'wasm' throws then. */
  static open(choice: G729Kernels): KernelArena | null {
    if (choice === 'js') return null;
    const module = kernelModule();
    if (module === null) {
      if (choice === 'wasm') throw new Error(`G.729 WebAssembly kernels unavailable: ${unavailableReason} (npm run build makes them)`);
      return null;
    }
    let pool = pools.find((p) => p.free.length > 0);
    if (!pool) {
      try {
        pool = new KernelPool(module);
      } catch (error) {
        // No address space for one more memory: the TypeScript loops give the same samples.
        if (choice === 'wasm') throw error;
        return null;
      }
      pools.push(pool);
    }
    return new KernelArena(pool, pool.free.pop()!);
  }

  private take(bytes: number): number {
    const at = (this.next + 15) & ~15;
    if (at + bytes > this.end) throw new RangeError('G.729 kernel arena full');
    this.next = at + bytes;
    return at;
  }

  int16(length: number): Int16Array {
    return new Int16Array(this.buffer, this.take(length * 2), length);
  }

  int32(length: number): Int32Array {
    return new Int32Array(this.buffer, this.take(length * 4), length);
  }
}

/** An Int16Array in `arena`, or an ordinary one where a decoder runs without the kernels. */
export function int16In(arena: KernelArena | null, length: number): Int16Array {
  return arena ? arena.int16(length) : new Int16Array(length);
}

/** An Int32Array in `arena`, or an ordinary one where a decoder runs without the kernels. */
export function int32In(arena: KernelArena | null, length: number): Int32Array {
  return arena ? arena.int32(length) : new Int32Array(length);
}
