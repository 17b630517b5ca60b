// Erasure with per-recording data keys (crypto-shredding): each recording is sealed under its own key, wrapped by
// the system key in the vault; a TAN change keeps it on that key; `recorder erase` removes the files (store and
// backup tree), destroys the key and leaves a tombstone — a copy taken before (a tape) cannot be opened any more
// and `recorder verify --data-keys` calls it "erased", not tampered; erasure is refused under a legal hold and
// within a mandatory retention policy; the player's erase needs a supervisor who may delete, and a reason.
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WavFileWriter } from '../../src/media/audio/index.js';
import { configKeyring, validateConfig } from '../../src/platform/config/index.js';
import type { RecorderConfigInput } from '../../src/platform/config/index.js';
import { HEADER_BYTES, decryptFile, generateKeyFile, parseHeader, readKeyring } from '../../src/platform/crypto/index.js';
import { Approvals, PlayerServer } from '../../src/player/index.js';
import { DATA_KEYS_DIR, openRecordings } from '../../src/recordings/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { Client, stereoTones } from '../player/helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const keyIdOf = (path: string): string => parseHeader(readFileSync(path).subarray(0, HEADER_BYTES)).keyId;

describe('erasure and crypto-shredding', () => {
  it('seals each recording under its own key; erasing destroys it, so a copy made before is unreadable and verified as erased', { timeout: 60_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'erasure-'));
    dirs.push(base);
    const keyFile = join(base, 'system.key');
    await generateKeyFile(keyFile);
    const input: RecorderConfigInput = {
      pbx: { url: 'http://127.0.0.1:9/PBX0/user.soap', username: 'u', password: 'p' },
      reporting: { url: 'http://127.0.0.1:9/report.php', username: 'u', password: 'p' },
      drive: { kind: 'local', path: join(base, 'drive') },
      storage: { root: join(base, 'store'), backup: join(base, 'backup'), timezone: 'utc', retentionPolicies: [{ name: 'traders', months: 60, agents: ['30*'], mandatory: true }] },
      encryption: { enabled: true, keyFiles: [keyFile], perRecordingKeys: true },
    };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input));
    const config = validateConfig(input, configPath, base);
    const keyring = (await configKeyring(config))!;
    const master = keyring.current.id;

    const recordings = await openRecordings(config, keyring, { follow: false });
    const names: Record<string, string> = {};
    for (const [id, agent] of [['subject', '20'], ['other', '21'], ['trader', '301']] as const) {
      const audio = join(base, `${id}.wav`);
      const writer = new WavFileWriter(audio, { sampleRate: 8000, channels: 2, encoding: 'alaw' }, { durable: false });
      writer.write(stereoTones(1));
      writer.finish();
      const filed = await recordings.file({ meta: { callId: id, start: new Date(Date.now() - 86_400_000), secondsToAnswer: 2, direction: 'in', internal: agent, external: '0301234567' }, audioPath: audio, format: 'wav', mix: 'stereo', cdrXml: [] });
      names[id] = filed.name;
    }
    // Each recording under its own data key (audio and sidecar alike), none under the system key; all verify.
    const vault = join(base, 'store', 'TMP', DATA_KEYS_DIR);
    const files = (name: string): { audio: string; xml: string } => {
      const month = readdirSync(join(base, 'store')).find((d) => /^\d{4}_\d{2}$/.test(d))!;
      return { audio: join(base, 'store', month, `${name}.wav`), xml: join(base, 'store', month, `${name}.xml`) };
    };
    const keys = Object.values(names).map((name) => keyIdOf(files(name).audio));
    expect(new Set(keys).size).toBe(3);
    expect(keys).not.toContain(master);
    for (const name of Object.values(names)) expect(keyIdOf(files(name).xml)).toBe(keyIdOf(files(name).audio));
    expect(readdirSync(vault).sort()).toEqual(keys.map((id) => `${id}.key`).sort());
    for (const name of Object.values(names)) expect(await recordings.checkIntegrity(name)).toBe('intact');
    // A TAN change rewrites the sidecar under the same data key.
    const renamed = await recordings.updateTan(names.subject!, '424242');
    expect(keyIdOf(files(renamed.name).xml)).toBe(keys[0]);
    names.subject = renamed.name;
    const tape = join(base, 'tape-copy.wav');
    copyFileSync(files(names.subject).audio, tape); // a copy outside the store, made before the erasure
    await recordings.close();

    const erase = (name: string, ...extra: string[]) => runInProcess(['erase', name, '-c', configPath, ...extra]);
    // A mandatory policy's recording cannot be erased within its period; nor can a held one.
    const mandatory = await erase(names.trader!, '--reason', 'subject request 7');
    expect(mandatory.code).toBe(1);
    expect(mandatory.stderr).toMatch(/retention policy traders is mandatory/);
    expect((await runInProcess(['hold', 'place', '--agent', '21', '--reason', 'litigation', '-c', configPath])).code).toBe(0);
    const held = await erase(names.other!, '--reason', 'subject request 8');
    expect(held.code).toBe(1);
    expect(held.stderr).toMatch(/under legal hold H-[0-9a-f]{10}/);
    expect((await erase(names.subject!, '--reason', ' ')).code).toBe(2);

    const done = await erase(names.subject!, '--reason', 'GDPR Art. 17 request 42', '--by', 'dpo');
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`data key ${keys[0]} destroyed`);
    expect(existsSync(files(names.subject!).audio)).toBe(false);
    expect(readdirSync(join(base, 'backup'), { recursive: true }).map(String).filter((f) => f.includes('subject'))).toEqual([]);
    expect(existsSync(join(vault, `${keys[0]}.key`))).toBe(false);
    expect(JSON.parse(readFileSync(join(vault, `${keys[0]}.erased`), 'utf8'))).toMatchObject({ id: keys[0], by: 'cli:dpo', reason: 'GDPR Art. 17 request 42', recording: names.subject });
    // The tape copy: the system key alone never opened it, and its data key is gone.
    await expect(decryptFile(tape, join(base, 'tape.plain.wav'), new (await import('../../src/platform/crypto/index.js')).Keyring([...(await readKeyring([keyFile])).ids.map((id) => keyring.get(id)!)]))).rejects.toThrow(/unknown|key/i);
    const verified = await runInProcess(['verify', tape, '--key', keyFile, '--data-keys', vault]);
    expect(verified.stdout).toContain(`${tape}: erased (by cli:dpo at `);
    expect(verified.stdout).toContain('0/1 intact, 1 erased');
    expect(verified.code).toBe(0);
    const unknown = await runInProcess(['verify', tape, '--key', keyFile]);
    expect(unknown.code).toBe(1); // without the vault: an unknown key, as before
    // The other recordings are untouched and still open.
    const after = await openRecordings(config, keyring, { follow: false });
    expect(after.search({}).rows.map((row) => row.name).sort()).toEqual([names.other, names.trader].sort());
    expect(await after.checkIntegrity(names.other!)).toBe('intact');

    // The player: only a supervisor who may delete erases, with a reason; the trail keeps it.
    const player = new PlayerServer({ recordings: after, accountsPath: join(base, 'store', 'TMP', 'accounts.sqlite'), port: 0, keyring: after.keyring! });
    const { url } = await player.listen();
    try {
      await player.accounts.add({ name: 'sue', password: 'a long enough password', role: 'supervisor', permissions: ['delete'] });
      await player.accounts.add({ name: 'rita', password: 'a long enough password', role: 'supervisor', permissions: [] });
      const sue = new Client(url);
      const rita = new Client(url);
      expect((await sue.login('sue', 'a long enough password')).status).toBe(200);
      expect((await rita.login('rita', 'a long enough password')).status).toBe(200);
      const path = `/api/recordings/${encodeURIComponent(names.trader!)}/erase`;
      expect((await rita.fetch(path, { method: 'POST', json: { reason: 'x' } })).status).toBe(403);
      expect((await sue.fetch(path, { method: 'POST', json: {} })).status).toBe(400);
      const refused = await sue.fetch(path, { method: 'POST', json: { reason: 'request 9' } });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toMatch(/mandatory/);
      expect((await sue.fetch(`/api/recordings/${encodeURIComponent(names.other!)}/erase`, { method: 'POST', json: { reason: 'request 9' } })).status).toBe(409);
    } finally {
      await player.close();
      await after.close();
    }
    // Four-eyes from the command line: the same store, erasure needing an approval asked for by --by and given by another.
    const fourEyesPath = join(base, 'four-eyes.json');
    writeFileSync(fourEyesPath, JSON.stringify({ ...input, server: { fourEyes: ['erase'] } }));
    const refusedBare = await runInProcess(['erase', names.other!, '-c', fourEyesPath, '--reason', 'request 10', '--by', 'dpo']);
    expect(refusedBare.code).toBe(2);
    expect(refusedBare.stderr).toMatch(/server.fourEyes includes erase: ask for an approval in the player and give --approval ID/);
    const approvals = new Approvals(join(base, 'store', 'TMP', 'accounts.sqlite'));
    const asked = approvals.request('erase', [names.other!], 'request 10', 'dpo');
    approvals.decide(asked.id, 'approved', 'carl');
    approvals.close();
    expect((await runInProcess(['hold', 'list', '--json', '-c', configPath])).stdout).toContain('"agent": "21"');
    const wrongPerson = await runInProcess(['erase', names.other!, '-c', fourEyesPath, '--reason', 'request 10', '--by', 'someone', '--approval', asked.id]);
    expect(wrongPerson.code).toBe(1);
    expect(wrongPerson.stderr).toMatch(/asked for by dpo, not someone/);
    // Key use from the command line: an export decrypted with the configuration's keys (its data key found in the vault) is in the trail.
    const exported = await runInProcess(['export', files(names.trader!).audio, '-o', join(base, 'out'), '--decrypt', '-c', configPath, '--by', 'auditor']);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(readFileSync(join(base, 'out', `${names.trader}.wav`)).subarray(0, 4).toString()).toBe('RIFF');
    // recorder decrypt under the configuration: its keys (the data key from the vault), each file on the record;
    // the erased recording's tape copy is refused (its key destroyed), and that refusal is on the record too.
    const decrypted = await runInProcess(['decrypt', files(names.trader!).audio, tape, '-c', configPath, '--by', 'auditor', '-o', join(base, 'dec')]);
    expect(decrypted.code, decrypted.stderr).toBe(1);
    expect(decrypted.stdout).toMatch(/1\/2 files decrypted, 1 failed/);
    // The store's files keep their names when sealed: the plain copy is NAME.wav.dec.
    expect(readFileSync(join(base, 'dec', `${names.trader}.wav.dec`)).subarray(0, 4).toString()).toBe('RIFF');
    expect((await runInProcess(['decrypt', files(names.trader!).audio, '--by', 'x', '--key', join(base, 'system.key')])).stderr).toMatch(/--by names who decrypts in the audit trail of -c CONFIG/);
    const trail = readFileSync(config.storage.auditPath, 'utf8');
    expect(trail).toMatch(new RegExp(`"user":"cli:auditor","action":"decrypt","file":"[^"]*${names.trader}\\.wav","output":"[^"]+","keyId":"[0-9a-f]{16}"`));
    expect(trail).toMatch(/"user":"cli:auditor","action":"decrypt","file":"[^"]*tape-copy\.wav","refused":"/);
    expect((await runInProcess(['audit', 'verify', '-c', configPath, '--service'])).code).toBe(0);
    expect(trail).toMatch(new RegExp(`"user":"cli:auditor","action":"export","recording":"${names.trader}","decrypted":true`));
    expect(trail).toMatch(/"user":"cli:dpo","action":"erase","recording":"[^"]+","reason":"GDPR Art. 17 request 42","shreddedKeys":\["[0-9a-f]{16}"\]/);
  });
});
