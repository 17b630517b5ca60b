/**
 * ITU-T test vectors (G.729 Software Package Release 2): every decoder vector of the main
 * body (full decoder), Annex A (reduced-complexity decoder) and Annex B (G.729+B and
 * G.729A+B) decoded and compared sample by sample with the reference decoder output, once with
 * the WebAssembly kernels and once with the TypeScript loops.
 * The vectors stay in ../shared/codecs/g729/itu-test-vectors (never copied into the repo).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeItuSerial } from '../../../../src/media/codecs/g729/index.js';
import type { G729Kernels, G729Variant } from '../../../../src/media/codecs/g729/index.js';

const VECTORS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/codecs/g729/itu-test-vectors');

interface Comparison {
  samples: number;
  differing: number;
  firstIndex: number;
  lengthMismatch: boolean;
}

function readPcm(path: string): Int16Array {
  const b = readFileSync(path);
  const out = new Int16Array(b.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i);
  return out;
}

function compareVector(bitPath: string, refPath: string, variant: G729Variant, kernels: G729Kernels): Comparison {
  const decoded = decodeItuSerial(new Uint8Array(readFileSync(bitPath)), variant, kernels);
  const ref = readPcm(refPath);
  const n = Math.min(decoded.length, ref.length);
  let differing = 0;
  let firstIndex = -1;
  for (let i = 0; i < n; i++) {
    if (decoded[i] !== ref[i]) {
      if (firstIndex < 0) firstIndex = i;
      differing++;
    }
  }
  // Missing or extra samples count as differing, starting where the shorter output ends.
  if (decoded.length !== ref.length) {
    differing += Math.abs(decoded.length - ref.length);
    if (firstIndex < 0) firstIndex = n;
  }
  return { samples: ref.length, differing, firstIndex, lengthMismatch: decoded.length !== ref.length };
}

function describeFailure(name: string, c: Comparison): string {
  if (c.differing === 0) return '';
  const frame = Math.floor(c.firstIndex / 80);
  return `${name}: ${c.differing} of ${c.samples} samples differ; first at sample ${c.firstIndex} (frame ${frame}, sample ${c.firstIndex % 80})` +
    (c.lengthMismatch ? ' (length mismatch)' : '');
}

interface Suite {
  title: string;
  dir: string;
  variant: G729Variant;
  vectors: Array<{ bit: string; ref: string }>;
  /** Annex B vectors are optional in shared/: skip with a message when they are absent. */
  optional: boolean;
}

const mainNames = ['ALGTHM', 'FIXED', 'LSP', 'PITCH', 'SPEECH', 'TAME', 'ERASURE', 'PARITY', 'OVERFLOW'];
const suites: Suite[] = [
  { title: 'G.729', dir: 'g729', variant: 'g729', optional: false, vectors: mainNames.map((n) => ({ bit: `${n}.BIT`, ref: `${n}.PST` })) },
  {
    title: 'G.729 Annex A', dir: 'g729AnnexA', variant: 'g729a', optional: false,
    vectors: [...mainNames.map((n) => ({ bit: `${n}.BIT`, ref: `${n}.PST` })), { bit: 'TEST.BIT', ref: 'TEST.pst' }],
  },
  {
    title: 'G.729 Annex B (G.729+B)', dir: 'g729AnnexB', variant: 'g729', optional: true,
    vectors: [1, 2, 3, 4, 5, 6].map((n) => ({ bit: `tstseq${n}.bit`, ref: `tstseq${n}.out` })),
  },
  {
    title: 'G.729 Annex B (G.729A+B)', dir: 'g729AnnexB', variant: 'g729a', optional: true,
    vectors: [
      ...[1, 2, 3, 4].map((n) => ({ bit: `tstseq${n}a.bit`, ref: `tstseq${n}a.out` })),
      ...[5, 6].map((n) => ({ bit: `tstseq${n}.bit`, ref: `tstseq${n}a.out` })),
    ],
  },
];

for (const suite of suites) {
  describe(`${suite.title} decoder test vectors (${suite.variant})`, () => {
    let passed = 0;
    let run = 0;
    let differing = 0;
    const missing: string[] = [];
    afterAll(() => {
      if (run > 0) console.log(`${suite.title} vectors: ${passed}/${run} passed, ${differing} samples differing`);
      if (missing.length > 0) console.log(`${suite.title}: skipped, missing in ${suite.dir}/: ${missing.join(', ')}`);
    });
    for (const v of suite.vectors) {
      const bitPath = resolve(VECTORS, suite.dir, v.bit);
      const refPath = resolve(VECTORS, suite.dir, v.ref);
      const present = existsSync(bitPath) && existsSync(refPath);
      if (!present && suite.optional) {
        missing.push(existsSync(bitPath) ? v.ref : v.bit);
        it.skip(`${v.bit} → ${v.ref} (vector files not present in ../shared/codecs/g729/itu-test-vectors/${suite.dir}/)`, () => {});
        continue;
      }
      // Both implementations of the hot loops: the WebAssembly kernels (the default) and the TypeScript loops.
      for (const kernels of ['wasm', 'js'] as const) {
        it(`${v.bit} decodes bit-exactly to ${v.ref} (${kernels === 'wasm' ? 'WebAssembly kernels' : 'TypeScript loops'})`, () => {
          expect(present, `missing test vector ${bitPath} or ${refPath}`).toBe(true);
          const c = compareVector(bitPath, refPath, suite.variant, kernels);
          run++;
          differing += c.differing;
          if (c.differing === 0) passed++;
          expect(c.differing, describeFailure(v.bit, c)).toBe(0);
          expect(c.samples).toBeGreaterThan(0);
        });
      }
    }
  });
}
