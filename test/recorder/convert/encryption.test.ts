import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliChild } from '../../helpers/child-cli.js';
import { collectInputs, convertCapture } from '../../../src/recorder/convert/index.js';
import { decryptFile, encryptFile, generateKeyFile, readKeyring } from '../../../src/platform/crypto/index.js';

const FIXTURE = 'fixtures/calls/alaw-20ms-ethernet-be.pcap';
let dir: string;
let key: string;
let otherKey: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convert-enc-'));
  key = join(dir, 'system.key');
  otherKey = join(dir, 'other.key');
  await generateKeyFile(key);
  await generateKeyFile(otherKey);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function plainReference(): Promise<Buffer> {
  const out = join(dir, 'plain');
  const report = await convertCapture(FIXTURE, { outDir: out });
  expect(report.ok).toBe(true);
  return readFileSync(report.outputs[0]!.path);
}

describe('converter and encryption', () => {
  it('an encrypted capture converts to a recording encrypted under the same key, equal to the plain conversion', async () => {
    const keyring = await readKeyring([key]);
    const encrypted = join(dir, 'call.pcap.enc');
    await encryptFile(FIXTURE, encrypted, keyring);
    const out = join(dir, 'enc-out');
    // The other key is current: the output must still use the key that opened the input.
    const report = await convertCapture(encrypted, { outDir: out, encryption: { keyFiles: [otherKey, key] } });
    expect(report.error).toBeUndefined();
    expect(report.outputs[0]!.path).toBe(join(out, 'call.wav.enc'));
    expect(readdirSync(out)).toEqual(['call.wav.enc']);
    const decrypted = join(dir, 'call.wav');
    const result = await decryptFile(report.outputs[0]!.path, decrypted, keyring);
    expect(result.keyId).toBe(keyring.current.id);
    expect(readFileSync(decrypted).equals(await plainReference())).toBe(true);
  });

  it('names the missing or unknown key and the tampered capture, leaving no output', async () => {
    const keyring = await readKeyring([key]);
    const encrypted = join(dir, 'locked.pcap.enc');
    await encryptFile(FIXTURE, encrypted, keyring);
    const noKey = await convertCapture(encrypted, { outDir: join(dir, 'nokey') });
    expect(noKey.ok).toBe(false);
    expect(noKey.error).toMatch(/encrypted capture \(key [0-9a-f]+\): give the key/);
    const wrongKey = await convertCapture(encrypted, { outDir: join(dir, 'wrongkey'), encryption: { keyFiles: [otherKey] } });
    expect(wrongKey.ok).toBe(false);
    expect(wrongKey.error).toMatch(/not in the keyring/);
    const bytes = readFileSync(encrypted);
    bytes[bytes.length - 100] ^= 0x01;
    const tampered = join(dir, 'tampered.pcap.enc');
    writeFileSync(tampered, bytes);
    const out = join(dir, 'tampered-out');
    const report = await convertCapture(tampered, { outDir: out, encryption: { keyFiles: [key] } });
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/tamper|authentic/i);
    expect(existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.wav') || f.endsWith('.enc')) : []).toEqual([]);
  });

  it('plain captures stay plain unless asked, and are encrypted under the current key when asked', async () => {
    const plain = await convertCapture(FIXTURE, { outDir: join(dir, 'p1'), encryption: { keyFiles: [key] } });
    expect(plain.outputs[0]!.path.endsWith('.wav')).toBe(true);
    const sealed = await convertCapture(FIXTURE, { outDir: join(dir, 'p2'), encryption: { keyFiles: [key], encryptOutputs: true } });
    expect(sealed.outputs[0]!.path.endsWith('.wav.enc')).toBe(true);
    const back = join(dir, 'p2.wav');
    await decryptFile(sealed.outputs[0]!.path, back, await readKeyring([key]));
    expect(readFileSync(back).equals(await plainReference())).toBe(true);
  });

  it('walking a tree takes encrypted captures too', async () => {
    const list = await collectInputs([dir]);
    expect(list.files.some((f) => f.endsWith('call.pcap.enc'))).toBe(true);
    expect(list.files.some((f) => f.endsWith('.key'))).toBe(false);
  });
});

describe('recorder convert honours --key and --encrypt on every path', () => {
  const recorder = (args: string[]) => runCliChild(args);
  /** Every file below `folder`, relative. */
  function files(folder: string): string[] {
    return (readdirSync(folder, { recursive: true }) as string[]).filter((f) => f.includes('.')).sort();
  }

  for (const [label, extra] of [
    ['a single file', [] as string[]],
    ['a folder, 1 worker', ['--workers', '1']],
    ['a folder, 2 workers', ['--workers', '2']],
  ] as const) {
    it(`${label}: --encrypt seals plain captures, --key opens encrypted ones`, async () => {
      const keyring = await readKeyring([key]);
      const tree = join(dir, `cli-${label.replace(/\W+/g, '-')}`);
      mkdirSync(join(tree, 'sub'), { recursive: true });
      copyFileSync(FIXTURE, join(tree, 'plain.pcap'));
      await encryptFile(FIXTURE, join(tree, 'sub', 'locked.pcap.enc'), keyring);
      const out = join(tree, '..', `${label.replace(/\W+/g, '-')}-out`);
      const inputs = label === 'a single file' ? [join(tree, 'plain.pcap')] : [tree];
      const r = await recorder(['convert', ...inputs, '-o', out, '--key', key, '--encrypt', '--no-progress', ...extra]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const written = files(out);
      expect(written).toEqual(label === 'a single file' ? ['plain.wav.enc'] : ['plain.wav.enc', 'sub/locked.wav.enc']);
      // Nothing plain: every recording decrypts under the key to the plain conversion.
      for (const name of written) {
        const back = join(dir, `${label.replace(/\W+/g, '-')}-${name.replace(/\W+/g, '-')}.wav`);
        await decryptFile(join(out, name), back, keyring);
        expect(readFileSync(back).equals(await plainReference())).toBe(true);
      }
    });
  }
});
