// The reference's PCAP recording mode with its converter: `recorder run` keeps each call's capture (sealed) as the
// recording; `recorder convert --store` later turns those into WAV in place. Checked: every recording is
// converted once (audio, sidecar, signature, index, backup), `recorder verify` and the index agree, a second run
// converts nothing, a converter killed with SIGKILL mid-run is finished by the next one, and a second converter
// on the same store is refused while one runs.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { ScenarioCall } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { generateKeyFile, hasContainerMagic, readKeyring } from '../../src/platform/crypto/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import { openRecordings } from '../../src/recordings/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { connectCdrInterface, filesUnder, serviceConfigInput, until, wavSeconds } from './helpers/service-harness.js';
import { writeOfflineConfig } from '../helpers/offline-config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'test/helpers/run-cli.ts');
const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const audioOf = (root: string, extension: string): string[] => filesUnder(root).filter((file) => /\/\d{4}_\d{2}\//.test(file) && file.endsWith(`.${extension}`));

describe('keep-PCAP recording and recorder convert --store', () => {
  it('converts every kept capture in place once, resumes after a SIGKILL, and agrees with verify and the index', { timeout: 180_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'store-converter-'));
    dirs.push(base);
    const directory = defaultDirectory();
    const plan: ScenarioCall[] = ['20', '21', '22', '23', '24', '25'].map((to, i) => ({ at: 1 + i * 6, kind: 'inbound', from: E, to, ringSeconds: 1, talkSeconds: 6 }));
    const pbx = new EmbeddedPbx({ scenario: { seed: 8, calls: plan }, directory, driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const keyFile = join(base, 'system.key');
    await generateKeyFile(keyFile);
    const input = {
      // Patient with the CDRs (a loaded machine may post them late): a capture is never quarantined for want of one here.
      ...serviceConfigInput(base, endpoints, { cdrInterface: true, trials: 40 }),
      recording: { format: 'pcap' },
      storage: { root: join(base, 'store'), timezone: 'utc', backup: join(base, 'backup') },
      encryption: { enabled: true, keyFiles: [keyFile] },
    };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input, null, 2));
    const config = validateConfig(input, configPath, base);
    const service = new RecorderService({ config, keyring: await readKeyring([keyFile]), logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 });
    await service.start();
    connectCdrInterface(pbx, service);
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 45_000, 'every capture filed');
    } finally {
      await service.stop();
      await pbx.stop();
    }
    const store = config.storage.root;
    const backup = join(base, 'backup');
    const kept = audioOf(store, 'pcap');
    expect(kept, JSON.stringify([...(await readJournal(config.storage.journalPath)).items.values()].map((item) => [item.key, item.state, item.data.reason]))).toHaveLength(6);
    for (const file of kept) expect(hasContainerMagic(readFileSync(file).subarray(0, 64)), `${file}: ${readFileSync(file).subarray(0, 8).toString('hex')}`).toBe(true);
    expect(audioOf(backup, 'pcap'), 'backup captures').toHaveLength(6);

    // A converter killed with SIGKILL once it has converted something.
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'convert', '--store', store, '-c', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    await until(() => out.includes('converted to wav') || child.exitCode !== null, 90_000, 'the first conversion');
    // While it runs, a second converter on the store is refused.
    const second = await runInProcess(['convert', '--store', '-c', configPath]);
    if (child.exitCode === null) {
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/another converter \(pid \d+\) works on this store/);
    }
    child.kill('SIGKILL');
    await exited;
    const convertedBefore = audioOf(store, 'wav').length;
    expect(convertedBefore).toBeGreaterThanOrEqual(1);

    // An interrupted replacement's leftover (new audio placed, sidecar not switched): written again, not kept.
    const stillKept = audioOf(store, 'pcap').filter((file) => !existsSync(file.replace(/\.pcap$/, '.wav')));
    if (stillKept.length > 0) writeFileSync(stillKept[0]!.replace(/\.pcap$/, '.wav'), 'half-written');

    const finish = await runInProcess(['convert', '--store', store, '-c', configPath, '--json']);
    expect(finish.stderr).toBe('');
    expect(finish.code).toBe(0);
    const summary = JSON.parse(finish.stdout) as { found: number; converted: number; failed: number };
    expect(summary.failed).toBe(0);
    expect(summary.converted).toBe(summary.found);

    // Every recording is WAV now (sealed like the capture was), once: no capture left, no temporary file.
    const wavs = audioOf(store, 'wav');
    expect(wavs, `converted: ${JSON.stringify(filesUnder(store))}`).toHaveLength(6);
    for (const stale of audioOf(store, 'pcap')) {
      // A capture the killed converter had not removed yet (its sidecar already names the WAV): gone at the next open once settled.
      utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    }
    expect(filesUnder(store).filter((file) => file.includes('.tmp-') || file.endsWith('.partial'))).toEqual([]);
    const keyring = await readKeyring([keyFile]);
    const recordings = await openRecordings(config, keyring, { follow: false });
    try {
      expect(audioOf(store, 'pcap')).toEqual([]);
      const rows = recordings.search({}).rows;
      expect(rows, 'index rows').toHaveLength(6);
      for (const row of rows) expect(row.format, JSON.stringify(row)).toBe('wav');
      for (const wav of wavs) {
        const name = wav.split('/').pop()!.replace(/\.wav$/, '');
        expect(await recordings.verify(name)).toBe('intact');
        const { sidecar } = (await recordings.readSidecar(name))!;
        expect(sidecar.audio).toMatchObject({ format: 'wav', encrypted: true });
        expect(sidecar.audio.durationMs).toBeGreaterThan(5000);
      }
    } finally {
      await recordings.close();
    }
    const verify = await runInProcess(['verify', ...wavs, '--key', keyFile, '--json']);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ files: 6, intact: 6 });
    // The backup tree follows: the WAV and its sidecar, the capture gone (also for one the kill caught in between).
    expect(audioOf(backup, 'wav'), `backup: ${JSON.stringify(filesUnder(backup))}`).toHaveLength(6);
    expect(audioOf(backup, 'pcap')).toEqual([]);
    // A decrypted copy plays as a WAV of the call's length.
    const plainDir = join(base, 'plain');
    expect((await runInProcess(['decrypt', wavs[0]!, '-o', plainDir, '--key', keyFile])).code).toBe(0);
    const [plain] = filesUnder(plainDir);
    expect(wavSeconds(plain!)).toBeGreaterThan(5);

    // A second run converts nothing.
    const again = await runInProcess(['convert', '--store', '-c', configPath, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ found: 0, converted: 0, failed: 0 });
  });

  it('--watch converts recordings as a running service files them, and stops cleanly on Ctrl-C (SIGINT)', { timeout: 180_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'store-converter-watch-'));
    dirs.push(base);
    const plan: ScenarioCall[] = ['20', '21', '22'].map((to, i) => ({ at: 1 + i * 8, kind: 'inbound', from: E, to, ringSeconds: 1, talkSeconds: 5 }));
    const pbx = new EmbeddedPbx({ scenario: { seed: 9, calls: plan }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const input = { ...serviceConfigInput(base, endpoints, { cdrInterface: true, trials: 40 }), recording: { format: 'pcap' } };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input, null, 2));
    const config = validateConfig(input, configPath, base);
    const store = config.storage.root;
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 });
    await service.start();
    connectCdrInterface(pbx, service);
    // Watching from before the first call: each pass finds what the service filed since.
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'convert', '--store', '-c', configPath, '--watch', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 60_000, 'every capture filed');
      await until(() => audioOf(store, 'wav').length === 3 || child.exitCode !== null, 90_000, `the watcher converting all three (stdout: ${out}, stderr: ${err})`);
      expect(child.exitCode, err).toBeNull();
      child.kill('SIGINT');
      expect(await exited, err).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await service.stop();
      await pbx.stop();
    }
    expect(err).toBe('');
    expect(out.match(/converted to wav/g)).toHaveLength(3);
    // Stopped between passes: the lock released, no capture or temporary file left, the index all WAV.
    expect(existsSync(join(dirname(config.storage.indexPath), 'converter.lock'))).toBe(false);
    expect(audioOf(store, 'pcap')).toEqual([]);
    expect(filesUnder(store).filter((file) => file.includes('.tmp-') || file.endsWith('.partial'))).toEqual([]);
    const recordings = await openRecordings(config, undefined, { follow: false });
    try {
      expect(recordings.search({}).rows.map((row) => row.format)).toEqual(['wav', 'wav', 'wav']);
    } finally {
      await recordings.close();
    }
  });

  it('refuses what does not apply: capture paths with --store, another store, --watch without --store', async () => {
    const base = await mkdtemp(join(tmpdir(), 'store-converter-usage-'));
    dirs.push(base);
    const configPath = writeOfflineConfig(base, 'recorder.json', join(base, 'store'));
    const withPaths = await runInProcess(['convert', '--store', '-c', configPath, 'a.pcap']);
    expect(withPaths).toMatchObject({ code: 2, stderr: expect.stringContaining('give no capture paths with it') });
    const other = await runInProcess(['convert', '--store', join(base, 'elsewhere'), '-c', configPath]);
    expect(other).toMatchObject({ code: 2, stderr: expect.stringContaining('is not the store of') });
    const watch = await runInProcess(['convert', '--watch', '5', 'a.pcap']);
    expect(watch).toMatchObject({ code: 2, stderr: expect.stringContaining('--watch goes with --store') });
    const empty = await runInProcess(['convert', '--store', '-c', configPath, '--json']);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ found: 0, converted: 0 });
  });
});
