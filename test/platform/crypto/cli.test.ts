import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { readKeyFile, parseHeader, Keyring, decryptBytes } from '../../../src/platform/crypto/index.js';
import { runCryptoCli } from './run-crypto-cli.js';
import { decryptSecret } from '../../../src/platform/config/index.js';
import { seededBytes, tempDir } from './helpers.js';
import { runCliChild } from '../../helpers/child-cli.js';

const dir = tempDir('crypto-cli');
afterAll(() => dir.remove());
const at = (name: string): string => join(dir.path, name);

/** Run in this process, capturing what the command writes. */
async function recorder(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await runCryptoCli(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Run in a separate Node process (through tsx, no build needed). */
const recorderProcess = (args: string[]) => runCliChild(args, { script: 'test/platform/crypto/run-crypto-cli.ts' });

describe('recorder key / encrypt / decrypt / sign / verify', () => {
  const audio = seededBytes(300_000, 9);
  const leaks: string[] = [];

  it('key generate writes a 0600 key, refuses to overwrite, prints only the key id', async () => {
    const run = await recorder(['key', 'generate', at('system.key'), '--json']);
    expect(run.code).toBe(0);
    const key = await readKeyFile(at('system.key'));
    expect(JSON.parse(run.stdout)).toEqual({ file: at('system.key'), keyId: key.id, kind: 'random' });
    expect(statSync(at('system.key')).mode & 0o777).toBe(0o600);
    const again = await recorder(['key', 'generate', at('system.key')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/never overwritten/);
    expect((await recorder(['key', 'generate', at('customer.key')])).code).toBe(0);
    leaks.push(run.stdout, again.stderr);
  });

  it('key encrypt-secret: a password from standard input becomes an "enc:" value the configuration decrypts', async () => {
    const result = await runCliChild(['key', 'encrypt-secret', '--key', at('system.key')], { input: 'mail-password-1\n' });
    expect(result.code, result.stderr).toBe(0);
    const value = result.stdout.trim();
    expect(value).toMatch(/^enc:[A-Za-z0-9_-]+$/);
    expect(value).not.toContain('mail-password-1');
    expect(decryptSecret(value, new Keyring([await readKeyFile(at('system.key'))]))).toBe('mail-password-1');
    const empty = await runCliChild(['key', 'encrypt-secret', '--key', at('system.key')], { input: '' });
    expect(empty.code).toBe(2);
  });

  it('key generate --from-passphrase stores salt and cost, not the passphrase', async () => {
    const run = await recorder(['key', 'generate', at('pass.json'), '--from-passphrase', '--json'], { RECORDER_PASSPHRASE: 'MySuperSecret007Key' });
    expect(run.code).toBe(0);
    expect(readFileSync(at('pass.json'), 'utf8')).not.toContain('MySuperSecret007Key');
    const missing = await recorder(['key', 'generate', at('pass2.json'), '--from-passphrase'], { RECORDER_PASSPHRASE: '' });
    expect(missing.code).toBe(2);
    const plain = Buffer.from('passphrase protected');
    writeFileSync(at('note.txt'), plain);
    const enc = await recorder(['encrypt', at('note.txt'), '--key', at('pass.json'), '--json'], { RECORDER_PASSPHRASE: 'MySuperSecret007Key' });
    expect(enc.code).toBe(0);
    const wrong = await recorder(['decrypt', at('note.txt.enc'), '--key', at('pass.json'), '-o', at('out-pass')], { RECORDER_PASSPHRASE: 'wrong one' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong passphrase/);
    leaks.push(run.stdout, enc.stdout, wrong.stderr);
  });

  it('encrypt then decrypt with a keyring of several keys, JSON results', async () => {
    writeFileSync(at('call.wav'), audio);
    writeFileSync(at('empty.wav'), Buffer.alloc(0));
    const enc = await recorder(['encrypt', at('call.wav'), at('empty.wav'), '--key', at('customer.key'), '-o', at('enc'), '--json']);
    expect(enc.code).toBe(0);
    const report = JSON.parse(enc.stdout) as { files: number; ok: number; results: Array<{ output: string; encryptedBytes: number; plaintextBytes: number }> };
    expect(report).toMatchObject({ files: 2, ok: 2, failed: 0 });
    expect(report.results[0]!.output).toBe(join(at('enc'), 'call.wav.enc'));
    expect(report.results[0]!.encryptedBytes - report.results[0]!.plaintextBytes).toBe(64 + 5 * 16);
    const customer = await readKeyFile(at('customer.key'));
    expect(parseHeader(readFileSync(join(at('enc'), 'call.wav.enc'))).keyId).toBe(customer.id);
    const dec = await recorder(['decrypt', join(at('enc'), 'call.wav.enc'), join(at('enc'), 'empty.wav.enc'), '--key', at('system.key'), '--key', at('customer.key'), '-o', at('dec'), '--json']);
    expect(dec.code).toBe(0);
    expect(readFileSync(join(at('dec'), 'call.wav')).equals(audio)).toBe(true);
    expect(readFileSync(join(at('dec'), 'empty.wav')).length).toBe(0);
    // Existing outputs are not replaced without --force.
    const again = await recorder(['decrypt', join(at('enc'), 'call.wav.enc'), '--key', at('customer.key'), '-o', at('dec')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists/);
    expect((await recorder(['decrypt', join(at('enc'), 'call.wav.enc'), '--key', at('customer.key'), '-o', at('dec'), '--force'])).code).toBe(0);
    leaks.push(enc.stdout, dec.stdout, again.stderr);
  });

  it('decrypt names the failure per file: unknown key, tampered, not encrypted, truncated; no output left behind', async () => {
    const sealed = readFileSync(join(at('enc'), 'call.wav.enc'));
    const tampered = Buffer.from(sealed);
    tampered[100_000]! ^= 2;
    writeFileSync(at('tampered.wav.enc'), tampered);
    writeFileSync(at('cut.wav.enc'), sealed.subarray(0, 64 + 2 * (65536 + 16) + 1000));
    const run = await recorder(['decrypt', join(at('enc'), 'call.wav.enc'), at('tampered.wav.enc'), at('call.wav'), at('cut.wav.enc'), '--key', at('system.key'), '-o', at('dec2'), '--json']);
    expect(run.code).toBe(1);
    const codes = (JSON.parse(run.stdout) as { results: Array<{ code?: string }> }).results.map((r) => r.code);
    expect(codes).toEqual(['unknown-key', 'unknown-key', 'not-encrypted', 'unknown-key']);
    const withKey = await recorder(['decrypt', at('tampered.wav.enc'), at('call.wav'), at('cut.wav.enc'), '--key', at('customer.key'), '-o', at('dec2'), '--json']);
    expect((JSON.parse(withKey.stdout) as { results: Array<{ code?: string }> }).results.map((r) => r.code)).toEqual(['tampered', 'not-encrypted', 'truncated']);
    expect(existsSync(join(at('dec2'), 'tampered.wav'))).toBe(false);
    expect(existsSync(join(at('dec2'), 'tampered.wav.partial'))).toBe(false);
    expect(existsSync(join(at('dec2'), 'cut.wav'))).toBe(false);
    const human = await recorder(['decrypt', at('tampered.wav.enc'), '--key', at('customer.key'), '-o', at('dec2')]);
    expect(human.stderr).toMatch(/tampered\.wav\.enc: tampered or wrong key: chunk 1 does not authenticate/);
    leaks.push(run.stdout, withKey.stdout, human.stderr, human.stdout);
  });

  it('sign and verify: intact, tampered, unknown key, unsigned; exit 1 unless all intact', async () => {
    writeFileSync(at('signed.wav'), audio);
    writeFileSync(at('unsigned.wav'), audio);
    const sign = await recorder(['sign', at('signed.wav'), '--key', at('system.key'), '--json']);
    expect(sign.code).toBe(0);
    expect(readFileSync(at('signed.xml')).subarray(1, 7).toString()).toBe('RECENC');
    const good = await recorder(['verify', at('signed.wav'), join(at('enc'), 'call.wav.enc'), '--key', at('system.key'), '--key', at('customer.key'), '--json']);
    expect(good.code).toBe(0);
    expect((JSON.parse(good.stdout) as { results: Array<{ status: string; kind: string }> }).results.map((r) => [r.status, r.kind])).toEqual([
      ['intact', 'signed'],
      ['intact', 'encrypted'],
    ]);
    const changed = Buffer.from(audio);
    changed[12345]! ^= 1;
    writeFileSync(at('signed.wav'), changed);
    const mixed = await recorder(['verify', at('signed.wav'), at('unsigned.wav'), at('tampered.wav.enc'), join(at('enc'), 'call.wav.enc'), '--key', at('system.key'), '--json']);
    expect(mixed.code).toBe(1);
    expect((JSON.parse(mixed.stdout) as { results: Array<{ status: string }> }).results.map((r) => r.status)).toEqual(['tampered', 'unsigned', 'unknown-key', 'unknown-key']);
    const human = await recorder(['verify', at('unsigned.wav'), at('tampered.wav.enc'), '--key', at('customer.key')]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/unsigned\.wav: not encrypted and unsigned/);
    expect(human.stdout).toMatch(/tampered\.wav\.enc: tampered/);
    expect(human.stdout).toMatch(/0\/2 intact/);
    const noKeys = await recorder(['verify', join(at('enc'), 'call.wav.enc')]);
    expect(noKeys.code).toBe(1);
    expect(noKeys.stdout).toMatch(/unknown key/);
    // The signature binds the name: the signed pair moved under another name no longer verifies.
    writeFileSync(at('signed.wav'), audio);
    expect((await recorder(['verify', at('signed.wav'), '--key', at('system.key')])).code).toBe(0);
    renameSync(at('signed.wav'), at('renamed.wav'));
    renameSync(at('signed.xml'), at('renamed.xml'));
    const renamed = await recorder(['verify', at('renamed.wav'), '--key', at('system.key')]);
    expect(renamed.code).toBe(1);
    expect(renamed.stdout).toMatch(/renamed\.wav: tampered.*signed as signed but found as renamed/);
    leaks.push(sign.stdout, good.stdout, mixed.stdout, human.stdout, noKeys.stdout, renamed.stdout);
  });

  it('usage errors exit 2', async () => {
    expect((await recorder(['encrypt', at('call.wav')])).code).toBe(2);
    expect((await recorder(['decrypt'])).code).toBe(2);
    expect((await recorder(['encrypt', at('call.wav'), '--key', at('system.key'), '--chunk-size', 'x'])).code).toBe(2);
    expect((await recorder(['encrypt', at('missing.wav'), '--key', at('system.key')])).code).toBe(1);
    const badKey = await recorder(['decrypt', at('call.wav'), '--key', at('call.wav'), '--json']);
    expect(badKey.code).toBe(1);
    expect(JSON.parse(badKey.stdout)).toMatchObject({ code: 'bad-key' });
  });

  it('a file encrypted by another process decrypts here, and the other way round', async () => {
    writeFileSync(at('other.wav'), audio);
    const child = await recorderProcess(['encrypt', at('other.wav'), '--key', at('system.key'), '--json']);
    expect(child.code).toBe(0);
    const ring = new Keyring([await readKeyFile(at('system.key'))]);
    expect(decryptBytes(readFileSync(at('other.wav.enc')), ring).equals(audio)).toBe(true);
    const back = await recorderProcess(['decrypt', join(at('enc'), 'call.wav.enc'), '--key', at('customer.key'), '-o', at('child-out'), '--json']);
    expect(back.code).toBe(0);
    expect(readFileSync(join(at('child-out'), 'call.wav')).equals(audio)).toBe(true);
    leaks.push(child.stdout, child.stderr, back.stdout, back.stderr);
  });

  it('no output, JSON or error message contains key material or the passphrase', async () => {
    const secrets: string[] = ['MySuperSecret007Key'];
    for (const name of ['system.key', 'customer.key']) {
      const hex = readFileSync(at(name), 'utf8').trim();
      const bytes = Buffer.from(hex, 'hex');
      secrets.push(hex, bytes.toString('base64'), bytes.toString('base64url'));
      leaks.push(inspect(await readKeyFile(at(name))), JSON.stringify(await readKeyFile(at(name))));
    }
    expect(leaks.length).toBeGreaterThan(20);
    for (const text of leaks) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
