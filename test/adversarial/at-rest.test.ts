// What lies on disk: quarantined captures are encrypted when a key is set and expire; start-up removes working
// files that no pending capture refers to (a kill between the journal's last step and the clean-up left a 446 KB
// plaintext capture in REC/captures for good); what `recorder run` creates is owner-only.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/platform/config/index.js';
import { Key, Keyring, decryptFile, hasContainerMagic } from '../../src/platform/crypto/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import { Quarantine, RecordingStore } from '../../src/recordings/index.js';
import { Journal } from '../../src/recorder/service/index.js';
import { tempDir } from '../recordings/helpers.js';

const dir = tempDir('at-rest');
afterAll(() => dir.remove());

const PENDING = '0123456789abcdef0123456789abcdef.pcap';
const DONE = 'fedcba9876543210fedcba9876543210.pcap';
const CUT = 'aaaabbbbccccddddeeeeffff00001111.pcap';

describe('adversarial: what lies on disk', () => {
  it('quarantine is encrypted under the store key, and expires after its days', async () => {
    const keyring = new Keyring([Key.generate()]);
    const quarantine = new Quarantine(join(dir.path, 'q-rec'), keyring);
    const capture = join(dir.path, 'abc.pcap');
    const plain = Buffer.from('a capture with call audio in it '.repeat(100));
    writeFileSync(capture, plain);
    const entry = await quarantine.add(capture, 'conversion failed: test');
    expect(entry.name).toBe('abc.pcap.enc');
    expect(existsSync(capture)).toBe(false);
    expect(hasContainerMagic(readFileSync(entry.path))).toBe(true);
    expect(readFileSync(entry.path).includes('call audio')).toBe(false);
    await decryptFile(entry.path, join(dir.path, 'back.pcap'), keyring);
    expect(readFileSync(join(dir.path, 'back.pcap'))).toEqual(plain);
    expect((await quarantine.list()).map((e) => [e.name, e.reason])).toEqual([['abc.pcap.enc', 'conversion failed: test']]);
    expect(await quarantine.expire(90)).toEqual([]);
    expect(await quarantine.expire(90, new Date(Date.now() + 91 * 24 * 3600 * 1000))).toEqual(['abc.pcap.enc']);
    expect(readdirSync(quarantine.dir)).toEqual([]);
  });

  it('start-up removes working files no pending capture refers to, and keeps those that one does', async () => {
    const base = join(dir.path, 'service');
    const config = validateConfig(
      {
        pbx: { url: 'http://127.0.0.1:9/PBX0/user.soap', username: 'u', password: 'p' },
        reporting: { url: 'http://127.0.0.1:9/report.php', username: 'u', password: 'p' },
        drive: { kind: 'local', path: join(base, 'drive') },
        storage: { root: join(base, 'store'), timezone: 'utc' },
      },
      'at-rest',
      base,
    );
    mkdirSync(join(base, 'drive'), { recursive: true });
    const captures = join(config.storage.workDir, 'captures');
    const out = join(config.storage.workDir, 'out');
    mkdirSync(captures, { recursive: true });
    mkdirSync(join(out, PENDING), { recursive: true });
    mkdirSync(join(out, DONE), { recursive: true });
    writeFileSync(join(captures, PENDING), 'still being worked on');
    writeFileSync(join(captures, DONE), 'filed long ago, its clean-up killed');
    writeFileSync(join(captures, `${CUT}.partial`), 'a copy a kill interrupted');
    writeFileSync(join(out, DONE, 'done.wav'), 'decoded audio');
    mkdirSync(join(config.storage.journalPath, '..'), { recursive: true });
    const journal = await Journal.open(config.storage.journalPath);
    await journal.record(PENDING, 'copied', { path: join(captures, PENDING), bytes: 21 });
    await journal.record(DONE, 'copied', { path: join(captures, DONE), bytes: 35 });
    await journal.record(DONE, 'discarded', { reason: 'test' });
    await journal.close();
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, reportingRetryMs: 60_000 });
    await service.start();
    await service.stop();
    expect(readdirSync(captures)).toEqual([PENDING]);
    expect(readdirSync(out)).toEqual([PENDING]);
  });

  it('the store is owner-only: folders 0700, files 0600', async () => {
    const store = await RecordingStore.open({ root: join(dir.path, 'modes'), timeZone: 'utc', keyring: new Keyring([Key.generate()]) });
    const audio = join(dir.path, 'a.wav');
    writeFileSync(audio, Buffer.alloc(4000, 1));
    const { meta } = await import('../recordings/helpers.js');
    const filed = await store.file({ meta: meta(), audioPath: audio, format: 'wav' });
    const loose: string[] = [];
    const walk = (path: string): void => {
      const info = statSync(path);
      if ((info.mode & 0o077) !== 0) loose.push(`${path} ${(info.mode & 0o777).toString(8)}`);
      if (info.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(store.root);
    expect(filed.encrypted).toBe(true);
    expect(loose).toEqual([]);
  });
});
