// The audit trail: hash-chained lines sealed by checkpoints under the system key. Every kind of tampering is found
// and located; an auditor checks the chain with sha256sum and a checkpoint with openssl, without our code; the
// player's audit log is such a trail; `recorder audit verify` exits 1 naming the line.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_GENESIS, AuditTrail, auditLineHash, verifyAuditTrail } from '../../../src/platform/audit/index.js';
import { Keyring, generateKeyFile, readKeyring } from '../../../src/platform/crypto/index.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { requireTool } from '../../helpers/tools.js';
import { Client, makeFixture, recPath, startServer } from '../../player/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'audit-trail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keyFile = join(dir, 'system.key');
let keyring: Keyring;

/** A trail of `count` entries (checkpoints every 100) written and closed. */
async function writeTrail(name: string, count: number): Promise<string> {
  keyring ??= await generateKeyFile(keyFile).then(() => readKeyring([keyFile]));
  const path = join(dir, name);
  const trail = new AuditTrail(path, { keyring, checkpointEvery: 100 });
  for (let i = 0; i < count; i++) void trail.append(`user${i % 7}`, i % 3 === 0 ? 'play' : 'search', { recording: `2026_12_04_1000_20_i_0301234_2_${String(i).padStart(32, '0')}`, reason: i % 10 === 0 ? 'complaint ü' : undefined });
  await trail.close();
  return path;
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').trimEnd().split('\n');
const rewrite = (path: string, all: string[]): void => writeFileSync(path, `${all.join('\n')}\n`);

describe('audit trail', () => {
  it('written in order, chained from the genesis, checkpoints every 100 entries and at close: verified whole', async () => {
    const path = await writeTrail('whole.log', 250);
    const all = lines(path);
    expect(all).toHaveLength(253); // 250 entries + checkpoints after 100, 200 and at close
    const first = JSON.parse(all[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ seq: 0, user: 'user0', action: 'play', prev: AUDIT_GENESIS, reason: 'complaint ü' });
    expect(JSON.parse(all[1]!)).toMatchObject({ seq: 1, prev: auditLineHash(all[0]!) });
    expect(all.map((l) => (JSON.parse(l) as { action: string }).action).filter((a) => a === 'checkpoint')).toHaveLength(3);
    expect(await verifyAuditTrail(path, keyring)).toMatchObject({ entries: 253, checkpoints: 3, checkpointsVerified: 3, checkpointsUnchecked: 0, unsealed: 0, problems: [] });
    // Without the key the chain is still checked; the checkpoints are counted as not checked.
    expect(await verifyAuditTrail(path)).toMatchObject({ checkpointsVerified: 0, checkpointsUnchecked: 3, problems: [] });
  });

  it('two writers on one trail (the service and a command, as two processes would) chain one after the other under the lock file', async () => {
    keyring ??= await generateKeyFile(keyFile).then(() => readKeyring([keyFile]));
    const path = join(dir, 'two-writers.log');
    const service = new AuditTrail(path, { keyring, checkpointEvery: 100 });
    const command = new AuditTrail(path, { keyring, checkpointEvery: 100 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? service : command).append(i % 2 === 0 ? 'system' : 'cli', 'entry', { i })));
    await Promise.all([service.close(), command.close()]);
    const all = lines(path).map((line) => JSON.parse(line) as { seq: number; action: string; i?: number });
    expect(all.map((entry) => entry.seq)).toEqual(all.map((_, index) => index));
    expect(all.filter((entry) => entry.action === 'entry')).toHaveLength(300);
    expect(await verifyAuditTrail(path, keyring)).toMatchObject({ problems: [], unsealed: 0 });
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a quiet writer seals its last entries after checkpointAfterMs, without waiting for the 100th or its stop', async () => {
    keyring ??= await generateKeyFile(keyFile).then(() => readKeyring([keyFile]));
    const path = join(dir, 'quiet.log');
    const trail = new AuditTrail(path, { keyring, checkpointAfterMs: 100 });
    await trail.append('system', 'service-start');
    await trail.append('system', 'call-recorded', { conf: 'a' });
    await expect.poll(() => lines(path).at(-1)).toMatch(/"action":"checkpoint"/);
    expect(await verifyAuditTrail(path, keyring)).toMatchObject({ entries: 3, checkpointsVerified: 1, unsealed: 0, problems: [] });
    await trail.close();
    expect(lines(path)).toHaveLength(3); // nothing after the last checkpoint: close adds none
  });

  it('an edited, a removed, an inserted and two swapped lines are each found at their line', async () => {
    const path = await writeTrail('tampered.log', 50);
    const original = lines(path);
    const edited = [...original];
    edited[10] = edited[10]!.replace('"user3"', '"user4"');
    rewrite(path, edited);
    expect((await verifyAuditTrail(path, keyring)).problems).toEqual([expect.objectContaining({ line: 12, kind: 'broken-chain' })]);

    rewrite(path, original.filter((_, i) => i !== 20));
    expect((await verifyAuditTrail(path, keyring)).problems.map((p) => [p.line, p.kind])).toEqual([[21, 'broken-chain'], [21, 'out-of-sequence']]);

    rewrite(path, [...original.slice(0, 30), original[5]!, ...original.slice(30)]);
    expect((await verifyAuditTrail(path, keyring)).problems.map((p) => p.line)).toEqual([31, 31, 32, 32]);

    const swapped = [...original];
    [swapped[40], swapped[41]] = [swapped[41]!, swapped[40]!];
    rewrite(path, swapped);
    expect((await verifyAuditTrail(path, keyring)).problems.map((p) => p.line)).toContain(41);
  });

  it('a chain rewritten from an edit to its end (every prev recomputed) is caught by the next checkpoint', async () => {
    const path = await writeTrail('rechained.log', 150);
    const all = lines(path).map((l) => JSON.parse(l) as Record<string, unknown>);
    all[20]!.user = 'someone-else';
    let prev = AUDIT_GENESIS;
    const rechained = all.map((entry) => {
      const line = JSON.stringify({ ...entry, prev });
      prev = auditLineHash(line);
      return line;
    });
    rewrite(path, rechained);
    const result = await verifyAuditTrail(path, keyring);
    expect(result.problems).toEqual([expect.objectContaining({ line: 101, kind: 'bad-checkpoint' }), expect.objectContaining({ line: 152, kind: 'bad-checkpoint' })]);
  });

  it('a line torn by a crash is named; the trail goes on after it, chained to its bytes', async () => {
    const path = await writeTrail('torn.log', 5);
    appendFileSync(path, '{"seq":6,"at":"2026-12-04T10:00:00.000Z","user":"ann","act');
    const trail = new AuditTrail(path, { keyring });
    await trail.append('ann', 'login', { address: '127.0.0.1' });
    await trail.close();
    const result = await verifyAuditTrail(path, keyring);
    expect(result.problems).toEqual([expect.objectContaining({ line: 7, kind: 'unparsable' })]);
    expect(JSON.parse(lines(path)[7]!)).toMatchObject({ seq: 7, action: 'login', prev: auditLineHash(lines(path)[6]!) });
  });

  it("an auditor's check with standard tools: sha256sum for the chain, openssl for a checkpoint", async () => {
    requireTool('openssl');
    const path = await writeTrail('auditor.log', 120);
    // The README's recipe: the hash of line N (its bytes, no newline) is line N+1's prev.
    const hashOfLine5 = execFileSync('bash', ['-c', `sed -n 5p "$1" | head -c -1 | sha256sum | cut -d' ' -f1`, 'recipe', path], { encoding: 'utf8' }).trim();
    expect(hashOfLine5).toBe((JSON.parse(lines(path)[5]!) as { prev: string }).prev);
    // A checkpoint's MAC: HMAC-SHA-256 under HKDF(system key, "recorder audit checkpoint v1") of "recorder-audit-checkpoint-v1 SEQ PREV".
    const checkpoint = JSON.parse(lines(path)[100]!) as { seq: number; prev: string; mac: string; action: string };
    expect(checkpoint.action).toBe('checkpoint');
    const recipe = [
      'key=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:"$(cat "$1")" -kdfopt info:"recorder audit checkpoint v1" HKDF | tr -d :)',
      'printf "recorder-audit-checkpoint-v1 %s %s" "$2" "$3" | openssl dgst -sha256 -mac HMAC -macopt hexkey:"$key" | sed "s/.*= //"',
    ].join('\n');
    const mac = execFileSync('bash', ['-c', recipe, 'recipe', keyFile, String(checkpoint.seq), checkpoint.prev], { encoding: 'utf8' }).trim().toLowerCase();
    expect(mac).toBe(checkpoint.mac);
  });

  it('recorder audit verify: exit 0 and "intact"; exit 1 naming the broken line; no key: the chain alone', async () => {
    const path = await writeTrail('cli.log', 30);
    const ok = await runInProcess(['audit', 'verify', path, '--key', keyFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/31 entries, 1 checkpoints \(1 verified, 0 not checked: no key\).*\nintact/);
    const all = lines(path);
    all[3] = all[3]!.replace('"play"', '"delete"');
    rewrite(path, all);
    const bad = await runInProcess(['audit', 'verify', path, '--key', keyFile, '--json', '-c', join(dir, 'none.toml')]);
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.stdout) as { problems: Array<{ line: number; kind: string }> }).problems).toEqual([expect.objectContaining({ line: 5, kind: 'broken-chain' })]);
    const keyless = await runInProcess(['audit', 'verify', path, '-c', join(dir, 'none.toml')]);
    expect(keyless.code).toBe(1);
    expect(keyless.stdout).toMatch(/1 not checked: no key/);
    expect((await runInProcess(['audit', 'verify', join(dir, 'missing.log'), '--key', keyFile])).code).toBe(2);
  });

  it("the player's audit log is such a trail: log-in, play and export chained, sealed when the player stops", async () => {
    const fixture = await makeFixture({ encrypted: true });
    try {
      const filed = await fixture.file({ callId: 'audit-1', start: new Date(Date.UTC(2026, 11, 4, 9)), internal: '201', external: '0301234567', seconds: 2 });
      const { server, url } = await startServer(fixture);
      const sue = new Client(url);
      expect((await sue.login('sue')).status).toBe(200);
      expect((await sue.fetch(recPath(filed.name, 'audio'))).status).toBe(200);
      expect((await sue.fetch(`/api/export?name=${encodeURIComponent(filed.name)}`)).status).toBe(200);
      await server.close();
      const path = join(fixture.dir, 'player-audit.log');
      const actions = lines(path).map((l) => (JSON.parse(l) as { action: string }).action);
      expect(actions).toEqual(expect.arrayContaining(['login', 'play', 'export']));
      expect(actions.at(-1)).toBe('checkpoint');
      expect(await verifyAuditTrail(path, fixture.keyring)).toMatchObject({ checkpointsVerified: 1, unsealed: 0, problems: [] });
    } finally {
      await fixture.cleanup();
    }
  });
});
