import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Key, Keyring, decryptFile, hasContainerMagic, verifyFile } from '../../src/platform/crypto/index.js';
import { Quarantine, RecordingStore, StoreError, parseRecordingName } from '../../src/recordings/index.js';
import type { StoredRecording } from '../../src/recordings/index.js';
import { meta, tempDir, writeAudio } from './helpers.js';

let dir: { path: string; remove: () => void };
let root: string;
let work: string;
beforeEach(() => {
  dir = tempDir('store');
  root = join(dir.path, 'rec');
  work = join(dir.path, 'work');
  mkdirSync(work);
});
afterEach(() => dir.remove());

async function all(store: RecordingStore): Promise<StoredRecording[]> {
  const out: StoredRecording[] = [];
  for await (const r of store.scan()) out.push(r);
  return out;
}

const NAME = '2013_06_24_1638_39_o_0800102_7_75c1f48e909d31188fc00903306225f';

describe('RecordingStore.file', () => {
  it('files audio and sidecar into the month folder and consumes the input', async () => {
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    const audio = writeAudio(work, 'a.wav');
    const original = readFileSync(audio);
    const filed = await store.file({ meta: meta(), audioPath: audio, format: 'wav', mix: 'stereo', codec: 'pcma', durationMs: 5000, cdrXml: ['<cdr/>'] });
    expect(filed.name).toBe(NAME);
    expect(filed.alreadyFiled).toBe(false);
    expect(filed.audioPath).toBe(join(root, '2013_06', `${NAME}.wav`));
    expect(readFileSync(filed.audioPath)).toEqual(original);
    expect(readFileSync(join(root, '2013_06', `${NAME}.xml`), 'utf8')).toContain('<![CDATA[<cdr/>]]>');
    expect(existsSync(audio)).toBe(false);
    expect(readdirSync(join(root, '2013_06')).sort()).toEqual([`${NAME}.wav`, `${NAME}.xml`]);
    expect(filed.sidecar?.audio).toEqual({ format: 'wav', mix: 'stereo', codec: 'pcma', durationMs: 5000, bytes: 5000, encrypted: false });
    expect(filed.backup).toEqual({ status: 'none' });
    expect((await store.readSidecar(NAME))?.sidecar.meta.internalName).toBe('Anna Agent');
  });

  it('is idempotent: the same call filed twice gives one recording', async () => {
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    const first = await store.file({ meta: meta(), audioPath: writeAudio(work, 'a.wav', 4000, 1), format: 'wav' });
    const second = await store.file({ meta: meta(), audioPath: writeAudio(work, 'b.wav', 4100, 2), format: 'wav' });
    expect(second.alreadyFiled).toBe(true);
    expect(second.name).toBe(first.name);
    expect(second.bytes).toBe(4000); // the first filing stands
    expect(existsSync(join(work, 'b.wav'))).toBe(false);
    // Even after a TAN change (another name) and in another format, the call id finds it.
    await store.updateTan(first.name, '123456');
    const third = await store.file({ meta: meta(), audioPath: writeAudio(work, 'c.mp3'), format: 'mp3' });
    expect(third.alreadyFiled).toBe(true);
    expect(third.name).toBe(`${NAME}_T123456`);
    expect(await all(store)).toHaveLength(1);
    // Concurrent filings of the same call: still one.
    const other = meta({ callId: 'other-call' });
    const results = await Promise.all([1, 2, 3].map((i) => store.file({ meta: other, audioPath: writeAudio(work, `o${i}.wav`, 100 + i, i), format: 'wav' })));
    expect(results.filter((r) => !r.alreadyFiled)).toHaveLength(1);
    expect(await all(store)).toHaveLength(2);
  });

  it('reports a missing input as input-missing, unless the call is already filed', async () => {
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    await expect(store.file({ meta: meta(), audioPath: join(work, 'gone.wav'), format: 'wav' })).rejects.toMatchObject({ code: 'input-missing' });
    await store.file({ meta: meta(), audioPath: writeAudio(work, 'a.wav'), format: 'wav' });
    await expect(store.file({ meta: meta(), audioPath: join(work, 'gone.wav'), format: 'wav' })).resolves.toMatchObject({ alreadyFiled: true });
  });

  it('recovers from a crash: temp files and uncommitted sidecars are removed, the call files again', async () => {
    mkdirSync(join(root, '2013_06'), { recursive: true });
    // State after a crash between the sidecar rename and the audio rename, with temp files left behind.
    writeFileSync(join(root, '2013_06', '.tmp-0123456789ab.wav'), 'half');
    writeFileSync(join(root, '2013_06', '.tmp-0123456789ab.wav.partial'), 'half');
    writeFileSync(join(root, '2013_06', `${NAME}.xml`), 'stale sidecar');
    // A crash mid TAN change: notes already renamed, audio not.
    writeFileSync(join(root, '2013_06', '2013_06_24_1000_1_i_2_0_cid2.wav'), 'audio');
    writeFileSync(join(root, '2013_06', '2013_06_24_1000_1_i_2_0_cid2_T111111.txt'), 'my notes');
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    expect(readdirSync(join(root, '2013_06')).sort()).toEqual(['2013_06_24_1000_1_i_2_0_cid2.txt', '2013_06_24_1000_1_i_2_0_cid2.wav']);
    expect((await all(store)).map((r) => r.name)).toEqual(['2013_06_24_1000_1_i_2_0_cid2']);
    const filed = await store.file({ meta: meta(), audioPath: writeAudio(work, 'a.wav'), format: 'wav' });
    expect(filed.alreadyFiled).toBe(false);
    expect((await store.readSidecar(NAME))?.sidecar.meta.callId).toBe(meta().callId);
    // scan ignores temp files that appear later (another crash while running).
    writeFileSync(join(root, '2013_06', `.tmp-ffffffffffff.wav`), 'x');
    expect(await all(store)).toHaveLength(2);
  });

  it('never overwrites a different existing file', async () => {
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    const a = await store.file({ meta: meta({ callId: 'a' }), audioPath: writeAudio(work, 'a.wav'), format: 'wav' });
    const b = await store.file({ meta: meta({ callId: 'b' }), audioPath: writeAudio(work, 'b.wav'), format: 'wav' });
    // Renaming b onto a's TAN-less name is impossible by construction; a TAN rename onto an existing name is refused.
    writeFileSync(join(root, '2013_06', `${b.name}_T222222.wav`), 'squatter');
    await expect(store.updateTan(b.name, '222222')).rejects.toMatchObject({ code: 'conflict' });
    expect(readFileSync(join(root, '2013_06', `${b.name}_T222222.wav`), 'utf8')).toBe('squatter');
    expect(existsSync(a.audioPath) && existsSync(b.audioPath)).toBe(true);
  });

  it('encrypts audio and sidecar with the keyring; they open and verify', async () => {
    const key = Key.generate();
    const keyring = new Keyring([key]);
    const store = await RecordingStore.open({ root, timeZone: 'utc', keyring });
    const audio = writeAudio(work, 'a.wav', 70_000, 3);
    const original = readFileSync(audio);
    const filed = await store.file({ meta: meta(), audioPath: audio, format: 'wav' });
    expect(filed.encrypted).toBe(true);
    expect(hasContainerMagic(readFileSync(filed.audioPath))).toBe(true);
    expect(hasContainerMagic(readFileSync(filed.xmlPath!))).toBe(true);
    await decryptFile(filed.audioPath, join(work, 'plain.wav'), keyring);
    expect(readFileSync(join(work, 'plain.wav'))).toEqual(original);
    expect((await verifyFile(filed.audioPath, keyring)).status).toBe('intact');
    expect(await store.verify(filed.name)).toBe('intact');
    expect((await store.readSidecar(filed.name))?.sidecar.signature?.keyId).toBe(key.id);
    // Another reader with only another key: unknown key.
    const stranger = new RecordingStore({ root, timeZone: 'utc', keyring: new Keyring([Key.generate()]) });
    expect(await stranger.verify(filed.name)).toBe('unknown-key');
    await expect(stranger.readSidecar(filed.name)).rejects.toMatchObject({ code: 'unknown-key' });
  });

  it('signs plain audio when only the sidecar is encrypted, and detects tampering', async () => {
    const keyring = new Keyring([Key.generate()]);
    const store = await RecordingStore.open({ root, timeZone: 'utc', keyring, encryptAudio: false });
    const filed = await store.file({ meta: meta(), audioPath: writeAudio(work, 'a.wav'), format: 'wav' });
    expect(filed.encrypted).toBe(false);
    expect(await store.verify(filed.name)).toBe('intact');
    const bytes = readFileSync(filed.audioPath);
    bytes[100] ^= 1;
    writeFileSync(filed.audioPath, bytes);
    expect(await store.verify(filed.name)).toBe('tampered');
  });

  it('copies to the backup tree, and reports a failing backup without failing the filing', async () => {
    const backupRoot = join(dir.path, 'backup');
    const store = await RecordingStore.open({ root, backupRoot, timeZone: 'utc' });
    const filed = await store.file({ meta: meta(), audioPath: writeAudio(work, 'a.wav'), format: 'wav' });
    expect(filed.backup).toEqual({ status: 'copied' });
    expect(readdirSync(join(backupRoot, '2013_06')).sort()).toEqual([`${NAME}.wav`, `${NAME}.xml`]);
    expect(readFileSync(join(backupRoot, '2013_06', `${NAME}.wav`))).toEqual(readFileSync(filed.audioPath));
    // A backup root that is a file cannot take directories.
    const broken = join(dir.path, 'not-a-dir');
    writeFileSync(broken, 'x');
    const store2 = new RecordingStore({ root, backupRoot: broken, timeZone: 'utc' });
    const other = await store2.file({ meta: meta({ callId: 'x2' }), audioPath: writeAudio(work, 'b.wav'), format: 'wav' });
    expect(other.backup.status).toBe('failed');
    expect(existsSync(other.audioPath)).toBe(true);
  });
});

describe('TAN, notes, retention, quarantine', () => {
  it('sets and changes a TAN (renaming every file) but never removes it', async () => {
    const keyring = new Keyring([Key.generate()]);
    const backupRoot = join(dir.path, 'backup');
    const store = await RecordingStore.open({ root, backupRoot, timeZone: 'utc', keyring });
    const filed = await store.file({ meta: meta(), audioPath: writeAudio(work, 'a.wav'), format: 'wav' });
    await store.writeNotes(filed.name, 'call back on Monday');
    const tanned = await store.updateTan(filed.name, '123456');
    expect(tanned.name).toBe(`${NAME}_T123456`);
    expect(readdirSync(join(root, '2013_06')).sort()).toEqual([`${NAME}_T123456.txt`, `${NAME}_T123456.wav`, `${NAME}_T123456.xml`]);
    expect((await store.readSidecar(tanned.name))?.sidecar.meta.tan).toBe('123456');
    expect(await store.verify(tanned.name)).toBe('intact');
    expect(await store.readNotes(tanned.name)).toBe('call back on Monday');
    expect(readdirSync(join(backupRoot, '2013_06')).sort()).toEqual([`${NAME}_T123456.txt`, `${NAME}_T123456.wav`, `${NAME}_T123456.xml`]);
    const changed = await store.updateTan(tanned.name, '000000');
    expect(changed.parsed.tan).toBe('000000');
    for (const bad of ['', '12345', '1234567', 'abcdef', undefined as unknown as string]) {
      await expect(store.updateTan(changed.name, bad)).rejects.toMatchObject({ code: 'bad-tan' });
    }
    await expect(store.updateTan(`${NAME}_T999999`, '111111')).rejects.toMatchObject({ code: 'not-found' });
    await store.writeNotes(changed.name, 'abc');
    await store.writeNotes(changed.name, 'xyz'); // same size: the backup copy must still follow
    expect(readFileSync(join(backupRoot, '2013_06', `${changed.name}.txt`), 'utf8')).toBe('xyz');
    await store.writeNotes(changed.name, '');
    expect(await store.readNotes(changed.name)).toBe('');
  });

  it('applies retention: whole recordings older than N months, and empty month folders', async () => {
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    const at = (iso: string, id: string): Promise<unknown> => store.file({ meta: meta({ callId: id, start: new Date(iso) }), audioPath: writeAudio(work, `${id}.wav`), format: 'wav' });
    await at('2024-01-10T08:00:00Z', 'jan');
    await at('2024-02-14T08:00:00Z', 'feb-old');
    await at('2024-02-16T08:00:00Z', 'feb-new');
    await at('2024-04-01T08:00:00Z', 'apr');
    await store.writeNotes((await all(store))[0]!.name, 'note');
    mkdirSync(join(root, '2023_12')); // empty month folder
    mkdirSync(join(root, 'TMP')); // not a month folder: untouched
    const result = await store.applyRetention(2, new Date('2024-04-15T12:00:00Z'));
    expect(result.removed.map((n) => parseRecordingName(n).callId).sort()).toEqual(['feb-old', 'jan']);
    expect(result.removedFolders).toEqual(['2023_12', '2024_01']);
    expect(readdirSync(root).sort()).toEqual(['2024_02', '2024_04', 'TMP']);
    expect((await all(store)).map((r) => r.parsed.callId)).toEqual(['feb-new', 'apr']);
    await expect(store.applyRetention(0)).rejects.toThrow(StoreError);
  });

  it('quarantines files with a reason and lists them', async () => {
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    const quarantine = new Quarantine(root, undefined);
    const bad = writeAudio(work, 'call-17.pcap', 10);
    const entry = await quarantine.add(bad, 'truncated PCAP: ends inside a packet header');
    expect(existsSync(bad)).toBe(false);
    expect(entry.path).toBe(join(root, '_quarantine', 'call-17.pcap'));
    const again = await quarantine.add(writeAudio(work, 'call-17.pcap', 11), 'second copy');
    expect(again.name).toBe('call-17-1.pcap');
    const list = await quarantine.list();
    expect(list.map((e) => [e.name, e.reason, e.bytes])).toEqual([
      ['call-17.pcap', 'truncated PCAP: ends inside a packet header', 10],
      ['call-17-1.pcap', 'second copy', 11],
    ]);
    expect(list[0]!.originalPath).toBe(bad);
    expect(await all(store)).toEqual([]); // quarantine is not a month folder
    await expect(quarantine.add(join(work, 'nope.pcap'), 'x')).rejects.toMatchObject({ code: 'input-missing' });
  });

  it('scans recordings in order with their parts', async () => {
    const store = await RecordingStore.open({ root, timeZone: 'Europe/Berlin' });
    await store.file({ meta: meta({ callId: 'b', start: new Date('2024-03-31T22:30:00Z') }), audioPath: writeAudio(work, 'b.wav'), format: 'mp3' });
    await store.file({ meta: meta({ callId: 'a', start: new Date('2024-03-01T10:00:00Z') }), audioPath: writeAudio(work, 'a.wav'), format: 'wav' });
    writeFileSync(join(root, '2024_03', 'readme.txt'), 'not a recording');
    const list = await all(store);
    expect(list.map((r) => [r.month, r.parsed.callId, r.format])).toEqual([
      ['2024_03', 'a', 'wav'],
      ['2024_04', 'b', 'mp3'],
    ]);
    expect(list[1]!.name.startsWith('2024_04_01_0030_')).toBe(true);
    expect(list[1]!.start.toISOString()).toBe('2024-03-31T22:30:00.000Z');
    await store.remove(list[0]!.name);
    expect(await all(store)).toHaveLength(1);
  });
});
