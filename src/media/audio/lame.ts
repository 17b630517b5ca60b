/**
 * lamejs encoders whose internal module graph is reused from one recording to the next.
 *
 * Why: every `new Mp3Encoder()` of @breezystack/lamejs builds a fresh graph of ~14 module
 * objects whose methods and inner constructors are new closures. V8 keys hidden classes and
 * call-target feedback on those closures, so each new encoder de-optimizes and re-compiles
 * the encoder's hot functions (~100 TurboFan compiles per recording, measured with
 * --trace-opt). That costs ~20 % per recording on one core and, worse, runs on a background
 * compiler thread — which a single conversion gets for free from the idle core but two pool
 * workers have to share, so the pool scaled 1.5× instead of 1.9×.
 *
 * lamejs keeps all per-stream state in the flags object that `lame_init()` returns, and
 * `lame_init_params()` re-initializes what the modules derive from it (the tests check
 * that reused graphs produce byte-identical MP3 to fresh encoders). The bundle exports only
 * `Mp3Encoder`, so the graph builder and the stream set-up are lifted, at load time, from
 * the bundle's own `Mp3Encoder` function text (no lamejs code is copied into this project)
 * and evaluated in this realm. If the bundle's shape is not the one recognized, the public
 * `Mp3Encoder` is used unchanged (correct, just slower); `mp3EncoderKind()` says which.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { Mp3Encoder } from '@breezystack/lamejs';
import { openLameWasmStream } from './lame-wasm.js';
import type { Mp3EncoderName } from '../../domain/index.js';

/** One MP3 stream being encoded. */
export interface Mp3EncoderStream {
  /** Encode one block of samples (mono: `right` omitted). Returns the MP3 bytes produced so far. */
  encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array;
  /** Flush the last frames; the stream is done afterwards. */
  flush(): Int8Array;
  /** Give up on the stream without flushing (its resources are not reused). */
  abandon(): void;
}

/** The bundle's internals this module uses (lamejs objects are untyped JS). */
interface LameInternals {
  /** Lame's `lame_encode_buffer(gfp, left, right, samples, out, outOffset, outSize)`. */
  lame_encode_buffer(flags: object, left: Int16Array, right: Int16Array, samples: number, out: Int8Array, offset: number, size: number): number;
  lame_encode_flush(flags: object, out: Int8Array, offset: number, size: number): number;
}

interface LameBundleHooks {
  /** A new, wired module graph; returns its Lame object. */
  buildGraph(): LameInternals;
  /** A new stream's flags on a graph, set up exactly as the bundle's Mp3Encoder does. */
  initStream(channels: number, sampleRate: number, kbps: number, lame: LameInternals): object;
}

/** What was adapted in the evaluated lamejs text (all zero until the hooks load, or if nothing matched). */
export interface Mp3EncoderAdaptations {
  /** Bit-counter constructors given a kept instance (keepBitCounterShapes). */
  readonly bitCounterShapes: number;
  /** Granule-info array fields copied in place (copyGranuleFieldsInPlace). */
  readonly granuleFieldsInPlace: number;
}

let adaptations: Mp3EncoderAdaptations = { bitCounterShapes: 0, granuleFieldsInPlace: 0 };

/**
 * lamejs counts Huffman bits through short-lived one-field objects (`function B(n) { this.bits
 * = n }`, created several times per granule). Their hidden class is reached from the
 * constructor by a weak transition, so when a major GC finds none alive it is dropped, and
 * the quantizer and Huffman functions that embedded it (~10, 0.1–0.3 s of compiler time) are
 * thrown away and compiled again, most recordings over (--trace-deopt: "weak objects").
 * One instance kept on each such constructor (`B.keptShape = new B(0)`, a statement added
 * after its declaration in the text this module evaluates) holds the class. Returns the text
 * and how many constructors were given one; no match leaves the text unchanged (just slower).
 */
function keepBitCounterShapes(text: string): { text: string; kept: number } {
  let kept = 0;
  const adapted = text.replace(/function (\w+)\((\w+)\) \{\s*this\.bits = (?:0 \| )?\2;\s*\}/g, (declaration, name: string) => {
    kept++;
    return `${declaration}\n${name}.keptShape = new ${name}(0);`;
  });
  return { text: adapted, kept };
}

/**
 * lamejs's granule info (gr_info) `assign(other)` copies other's typed arrays into brand-new
 * ones (`this.xr = new Float32Array(other.xr)`, 576 samples, and seven more), thousands of
 * times per recording: ~60 MB of short-lived off-heap buffers per two-minute call, freed by
 * V8's background threads. Copying into the arrays the object already has (`this.xr.set(other.xr)`)
 * gives the same values with no allocation. That is only the same thing if no other object
 * holds one of those arrays, so a field is converted only where the bundle assigns it in
 * exactly two places: the constructor, which makes it at a fixed size, and assign itself
 * (7 of the 8 today: `subblock_gain`, four integers, shares its name with other fields).
 * (Locals that alias a destination array across an assign, in best_huffman_divide, are
 * written the values they already hold.) The MP3 output is byte-identical (tested).
 */
function copyGranuleFieldsInPlace(text: string): { text: string; fields: number } {
  const assign = /(\n\s*this\.assign = function\((\w+)\) \{\s*)([^\n]*\.l3_enc = [^\n]*)/.exec(text);
  if (!assign) return { text, fields: 0 };
  const [whole, head, source, line] = assign as unknown as [string, string, string, string];
  let fields = 0;
  const copied = line.replace(new RegExp(`\\b(\\w+)\\.(\\w+) = (\\w+)\\(${source}\\.\\2\\)`, 'g'), (field, target: string, key: string, wrapper: string) => {
    // The wrapper must be one of the typed-array copy helpers declared beside assign.
    if (!new RegExp(`function ${wrapper}\\((\\w+)\\) \\{\\s*return new (?:Int32|Float32)Array\\(\\1\\);`).test(text)) return field;
    if ((text.match(new RegExp(`\\.${key} = `, 'g')) ?? []).length !== 2) return field;
    fields++;
    return `${target}.${key}.set(${source}.${key})`;
  });
  return { text: text.slice(0, assign.index) + head + copied + text.slice(assign.index + whole.length), fields };
}

/** Lift the graph builder and stream set-up out of the bundle's Mp3Encoder function. */
function loadHooks(): LameBundleHooks | undefined {
  try {
    const require = createRequire(import.meta.url);
    // The package's "require" entry is the IIFE build; the ESM build sits beside it.
    const bundlePath = join(dirname(require.resolve('@breezystack/lamejs')), 'lamejs.js');
    const source = readFileSync(bundlePath, 'utf8');
    const exportsAt = source.lastIndexOf('\nexport {');
    const exported = /^\s*(\w+) as Mp3Encoder\b/m.exec(source.slice(exportsAt));
    if (exportsAt < 0 || !exported) return undefined;
    const ctor = exported[1]!;
    // Resolve `Sr = fa.Mp3Encoder = cr`-style aliases down to the function declaration.
    let fnName = ctor;
    for (let hop = 0; hop < 4 && !new RegExp(`^function ${fnName}\\(`, 'm').test(source); hop++) {
      const alias = new RegExp(`\\b${fnName} = (?:\\w+\\.Mp3Encoder = )?(\\w+)[,;]`).exec(source);
      if (!alias) return undefined;
      fnName = alias[1]!;
    }
    const shape = new RegExp(
      `function ${fnName}\\((\\w+), (\\w+), (\\w+)\\) \\{[^\\n]*\\n[^\\n]*\\n` + // signature; argument-count warning
        `\\s*(var (\\w+) = new \\w+\\(\\)[^;]*;\\s*\\5\\.setModules\\([^;]*;)` + // the module graph and its wiring
        `\\s*var (\\w+) = \\5\\.lame_init\\(\\);\\s*([^;]*\\6\\.disable_reservoir[^;]*;)`, // the stream's flags
    ).exec(source);
    if (!shape) return undefined;
    const [, ch, rate, kbps, graph, lame, flags, setup] = shape;
    const shapes = keepBitCounterShapes(source.slice(0, exportsAt));
    const granules = copyGranuleFieldsInPlace(shapes.text);
    const body = granules.text;
    const factory = runInThisContext(
      `(function () {\n${body}\nreturn {\n` +
        `buildGraph: function () { ${graph} return ${lame}; },\n` +
        `initStream: function (${ch}, ${rate}, ${kbps}, ${lame}) { var ${flags} = ${lame}.lame_init(); ${setup} return ${flags}; }\n` +
        `};\n})`,
      { filename: `${bundlePath} (graph reuse)` },
    ) as () => LameBundleHooks;
    const lifted = factory();
    adaptations = { bitCounterShapes: shapes.kept, granuleFieldsInPlace: granules.fields };
    return lifted;
  } catch {
    return undefined;
  }
}

/** The lifted hooks, loaded on the first MP3 stream (a process that never writes MP3 never reads the bundle again); null: not yet. */
let hooks: LameBundleHooks | undefined | null = null;

function bundleHooks(): LameBundleHooks | undefined {
  if (hooks === null) hooks = loadHooks();
  return hooks;
}

/**
 * A module graph with the flags of the last stream it finished. Why keep those flags, even
 * while the graph encodes the next stream: when a finished stream's objects are collected,
 * V8 drops what its optimized lamejs code embedded from them, and ~10 of the hot quantizer
 * and Huffman functions are thrown away and compiled again on every recording
 * (--trace-deopt: "weak objects"; ~0.2 s of compiler time per two-minute recording, on a
 * background thread that pool workers have to share). One finished stream's state (a few
 * hundred kB) per graph keeps that code alive.
 */
interface ReusableGraph {
  readonly lame: LameInternals;
  lastFlags: object | undefined;
}
/** Idle graphs of this thread, ready for the next stream (one per stream open at a time). */
const idleGraphs: ReusableGraph[] = [];
/** A pool this size covers any number of recordings written in turn or a few at once. */
const MAX_IDLE_GRAPHS = 8;

/** Which encoder construction is in use: 'reused-graph' normally; 'public' if the bundle was not recognized. */
export function mp3EncoderKind(): 'reused-graph' | 'public' {
  return bundleHooks() ? 'reused-graph' : 'public';
}

/** What was adapted in lamejs's text (see keepBitCounterShapes, copyGranuleFieldsInPlace); tests pin it so a lamejs upgrade that changes those shapes is noticed. */
export function mp3EncoderAdaptations(): Mp3EncoderAdaptations {
  bundleHooks();
  return adaptations;
}

/** LAME's worst-case output for n samples: 1.25 n + 7200 bytes. */
function outputBound(samples: number): number {
  return Math.ceil(1.25 * samples) + 7200;
}

/** One shared constructor for the bit-stream header slots (see useSharedHeaderSlots). */
class HeaderSlot {}

/**
 * lamejs builds the header slots of each stream's internal flags with a constructor declared
 * inside the flags constructor, so every stream's slots get a new hidden class and the
 * optimized bit-stream writers de-optimize ("wrong map") on each new recording. Copying the
 * slots' fields, in order, onto objects of one shared constructor keeps their class stable.
 * The slots are plain data (the tests check the MP3 stays byte-identical); anything not of
 * the expected shape is left alone.
 */
function useSharedHeaderSlots(flags: object): void {
  const internal = (flags as { internal_flags?: { header?: unknown } }).internal_flags;
  const slots = internal?.header;
  if (!Array.isArray(slots)) return;
  for (let i = 0; i < slots.length; i++) {
    const slot: unknown = slots[i];
    if (typeof slot === 'object' && slot !== null) slots[i] = Object.assign(new HeaderSlot(), slot);
  }
}

class ReusedGraphStream implements Mp3EncoderStream {
  private graph: ReusableGraph | undefined;
  private readonly flags: object;
  private out: Int8Array = new Int8Array(outputBound(1152));

  constructor(
    hooks: LameBundleHooks,
    private readonly channels: 1 | 2,
    sampleRate: number,
    kbps: number,
  ) {
    const graph = idleGraphs.pop() ?? { lame: hooks.buildGraph(), lastFlags: undefined };
    this.graph = graph;
    this.flags = hooks.initStream(channels, sampleRate, kbps, graph.lame);
    useSharedHeaderSlots(this.flags);
  }

  encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array {
    const { lame } = this.active();
    if (this.channels === 2 && (right === undefined || right.length !== left.length)) throw new Error('MP3 encoder: stereo needs equally long left and right blocks');
    if (outputBound(left.length) > this.out.length) this.out = new Int8Array(outputBound(left.length));
    const n = lame.lame_encode_buffer(this.flags, left, right ?? left, left.length, this.out, 0, this.out.length);
    if (n < 0) throw new Error(`MP3 encoder failed (lame_encode_buffer returned ${n})`);
    return this.out.slice(0, n);
  }

  flush(): Int8Array {
    const graph = this.active();
    const n = graph.lame.lame_encode_flush(this.flags, this.out, 0, this.out.length);
    this.graph = undefined;
    if (n < 0) throw new Error(`MP3 encoder failed (lame_encode_flush returned ${n})`);
    graph.lastFlags = this.flags;
    if (idleGraphs.length < MAX_IDLE_GRAPHS) idleGraphs.push(graph);
    return this.out.slice(0, n);
  }

  abandon(): void {
    // A graph left mid-stream is dropped rather than trusted for the next recording.
    this.graph = undefined;
  }

  private active(): ReusableGraph {
    if (!this.graph) throw new Error('MP3 encoder: the stream is already finished');
    return this.graph;
  }
}

class PublicStream implements Mp3EncoderStream {
  private readonly encoder: Mp3Encoder;
  constructor(channels: 1 | 2, sampleRate: number, kbps: number) {
    this.encoder = new Mp3Encoder(channels, sampleRate, kbps);
  }
  encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array {
    return this.encoder.encodeBuffer(left, right) as unknown as Int8Array;
  }
  flush(): Int8Array {
    return this.encoder.flush() as unknown as Int8Array;
  }
  abandon(): void {}
}

/** Open an MP3 stream: constant bit rate, same settings and output as lamejs's Mp3Encoder. */
export function openMp3Encoder(channels: 1 | 2, sampleRate: number, kbps: number, encoder: Mp3EncoderName = 'lame-wasm'): Mp3EncoderStream {
  if (encoder === 'lame-wasm') return openLameWasmStream(channels, sampleRate, kbps);
  const lifted = bundleHooks();
  return lifted ? new ReusedGraphStream(lifted, channels, sampleRate, kbps) : new PublicStream(channels, sampleRate, kbps);
}
