// A file sealed as it is written (recordings when encryption is on): the container decrypts to exactly what a
// plain PartialFile would hold after the same appends, skips and header patches, at every chunk boundary; and
// no plaintext ever reaches the disk, not even while it is being written.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Key, Keyring, SealedPartialFile, decryptBytes } from '../../../src/platform/crypto/index.js';
import { PartialFile, mulberry32 } from '../../../src/platform/util/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sealed-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = Key.generate();
const keyring = new Keyring([key]);

type Step = { kind: 'append'; bytes: Uint8Array } | { kind: 'skip'; bytes: number } | { kind: 'patch'; bytes: Uint8Array; offset: number };

function apply(file: PartialFile | SealedPartialFile, steps: Step[]): void {
  for (const step of steps) {
    if (step.kind === 'append') file.append(step.bytes);
    else if (step.kind === 'skip') file.skip(step.bytes);
    else file.writeAt(step.bytes, step.offset);
  }
  file.commit();
}

/** A writer's life: a header skipped, audio appended in pieces of any size, the header patched at the end. */
function writerSteps(seed: number, total: number, chunkSize: number): Step[] {
  const random = mulberry32(seed);
  const steps: Step[] = [{ kind: 'append', bytes: Uint8Array.from({ length: 3 }, (_, i) => i + 1) }, { kind: 'skip', bytes: 5 }];
  let written = 8;
  while (written < total) {
    const size = Math.min(total - written, 1 + Math.floor(random() * chunkSize * 3));
    steps.push({ kind: 'append', bytes: Uint8Array.from({ length: size }, () => Math.floor(random() * 256)) });
    written += size;
  }
  steps.push({ kind: 'patch', bytes: Uint8Array.from({ length: 5 }, (_, i) => 0xa0 + i), offset: 3 });
  return steps;
}

describe('SealedPartialFile', () => {
  const chunk = 16;
  // Around every boundary: empty, inside the held chunks, exactly at their end, one chunk past, many chunks.
  for (const total of [8, 9, 15, 16, 17, 63, 64, 65, 80, 81, 1000]) {
    it(`${total} bytes in ${chunk}-byte chunks decrypt to what a plain file holds`, () => {
      const steps = writerSteps(total, total, chunk);
      const plainPath = join(dir, `plain-${total}`);
      const sealedPath = join(dir, `sealed-${total}`);
      apply(new PartialFile(plainPath, false), steps);
      const sealed = new SealedPartialFile(sealedPath, key, false, {}, chunk);
      apply(sealed, steps);
      const container = readFileSync(sealedPath);
      expect(container.length).toBe(sealed.storedBytes);
      expect(decryptBytes(container, keyring)).toEqual(readFileSync(plainPath));
    });
  }

  it('an empty file is one empty final chunk', () => {
    const path = join(dir, 'empty');
    const file = new SealedPartialFile(path, key, false);
    file.commit();
    expect(decryptBytes(readFileSync(path), keyring).length).toBe(0);
  });

  it('while it is written, the temporary file holds only ciphertext; a patch of sealed bytes is refused; discard leaves nothing', () => {
    const path = join(dir, 'watch.wav');
    const file = new SealedPartialFile(path, key, false, { tag: 'x' }, 64);
    const marker = Buffer.from('PLAINTEXT-MARKER-'.repeat(8));
    for (let i = 0; i < 40; i++) file.append(marker);
    const partial = readFileSync(file.partialPath);
    expect(partial.length).toBeGreaterThan(1000);
    expect(partial.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
    expect(() => file.writeAt(new Uint8Array(4), 600)).toThrow(/sealed already/);
    file.discard();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('watch.wav'))).toEqual([]);
  });
});
