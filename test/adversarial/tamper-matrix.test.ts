// Tamper matrix over stored recordings: every way of changing, swapping, renaming, cutting or removing the files of
// a recording is detected by `verify` (store and file level), for each of the store's encryption settings.
import { copyFileSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Key, Keyring, verifyFile } from '../../src/platform/crypto/index.js';
import { RecordingStore } from '../../src/recordings/index.js';
import type { StoredRecording } from '../../src/recordings/index.js';
import { meta, tempDir, writeAudio } from '../recordings/helpers.js';

const dir = tempDir('tamper-matrix');
afterAll(() => dir.remove());

type Setting = { readonly name: string; readonly encryptAudio: boolean; readonly encryptSidecar: boolean };
const SETTINGS: readonly Setting[] = [
  { name: 'audio and sidecar encrypted', encryptAudio: true, encryptSidecar: true },
  { name: 'plain audio, encrypted sidecar', encryptAudio: false, encryptSidecar: true },
  { name: 'plain audio, plain signed sidecar', encryptAudio: false, encryptSidecar: false },
];

interface Pair {
  readonly a: StoredRecording;
  readonly b: StoredRecording;
}

/** Each attack changes the files of recording A (using B where it swaps); the verdict on A must not be 'intact'. */
const ATTACKS: ReadonlyArray<readonly [string, (pair: Pair) => void]> = [
  ['audio byte flipped', ({ a }) => flip(a.audioPath, 200)],
  ['sidecar byte flipped', ({ a }) => flip(a.xmlPath!, 150)],
  ['audio cut short', ({ a }) => truncateSync(a.audioPath, 3000)],
  ['audio emptied', ({ a }) => truncateSync(a.audioPath, 0)],
  ['sidecar emptied', ({ a }) => truncateSync(a.xmlPath!, 0)],
  ['audio replaced by the other call\'s', ({ a, b }) => copyFileSync(b.audioPath, a.audioPath)],
  ['sidecar replaced by the other call\'s', ({ a, b }) => copyFileSync(b.xmlPath!, a.xmlPath!)],
  ['both replaced by the other call\'s pair', ({ a, b }) => {
    copyFileSync(b.audioPath, a.audioPath);
    copyFileSync(b.xmlPath!, a.xmlPath!);
  }],
  ['sidecar removed', ({ a }) => rmSync(a.xmlPath!)],
];

function flip(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[Math.min(at, bytes.length - 1)]! ^= 0x04;
  writeFileSync(path, bytes);
}

describe('adversarial: tamper matrix over store pairs', () => {
  for (const setting of SETTINGS) {
    it(`${setting.name}: every attack is detected`, async () => {
      const keyring = new Keyring([Key.generate()]);
      const missed: string[] = [];
      let cases = 0;
      for (const [attack, apply] of [...ATTACKS, ['pair renamed to another call\'s name', renamePair] as const]) {
        const root = join(dir.path, `${setting.name}-${cases}`.replace(/[^a-z0-9-]/gi, '_'));
        const work = join(root, 'work');
        const store = await RecordingStore.open({ root: join(root, 'rec'), timeZone: 'utc', keyring, encryptAudio: setting.encryptAudio, encryptSidecar: setting.encryptSidecar });
        const { mkdirSync } = await import('node:fs');
        mkdirSync(work, { recursive: true });
        const a = await store.file({ meta: meta({ callId: 'a1a1a1a1', external: '0301234' }), audioPath: writeAudio(work, 'a.wav', 9000, 1), format: 'wav' });
        const b = await store.file({ meta: meta({ callId: 'b2b2b2b2', external: '0409876' }), audioPath: writeAudio(work, 'b.wav', 9000, 2), format: 'wav' });
        expect([await store.verify(a.name), await store.verify(b.name)]).toEqual(['intact', 'intact']);
        const target = apply({ a, b }) ?? a;
        cases++;
        const fresh = new RecordingStore({ root: join(root, 'rec'), timeZone: 'utc', keyring });
        const storeVerdict = await fresh.verify(target.name).catch((error: Error) => `error: ${error.message}`);
        const fileVerdict = (await verifyFile(target.audioPath, keyring)).status;
        // A lone encrypted file verifies by itself (its container is authenticated); only the store knows that its signed sidecar must exist.
        const fileCanTell = !(setting.encryptAudio && attack === 'sidecar removed');
        if (storeVerdict === 'intact' || (fileCanTell && fileVerdict === 'intact')) missed.push(`${attack}: store ${storeVerdict}, file ${fileVerdict}`);
      }
      console.log(`tamper matrix (${setting.name}): ${cases} attacks, ${cases - missed.length} detected, ${missed.length} missed`);
      expect(missed).toEqual([]);
    });
  }
});

/** Move B's whole pair under A's name (A's own files gone): the files are B's own, untouched, but not A's. */
function renamePair({ a, b }: Pair): StoredRecording {
  rmSync(a.audioPath);
  rmSync(a.xmlPath!);
  renameSync(b.audioPath, a.audioPath);
  renameSync(b.xmlPath!, a.xmlPath!);
  return a;
}
