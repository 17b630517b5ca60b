// Replacing a kept capture's audio (the store converter): the sidecar is the commit point, and every state a
// crash can leave is read right and finished.
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Key, Keyring } from '../../src/platform/crypto/index.js';
import { convertStore } from '../../src/recorder/convert/index.js';
import { RecordingStore, Recordings, StoreError } from '../../src/recordings/index.js';
import { meta, tempDir, writeAudio } from './helpers.js';

const dirs: Array<{ remove: () => void }> = [];
afterAll(() => dirs.forEach((dir) => dir.remove()));

async function keptCapture(options: { keyring?: Keyring; backup?: boolean } = {}) {
  const dir = tempDir('replace-audio');
  dirs.push(dir);
  const root = join(dir.path, 'store');
  const backupRoot = options.backup ? join(dir.path, 'backup') : undefined;
  const open = () =>
    Recordings.open({ root, indexPath: join(root, 'TMP', 'index.sqlite'), timeZone: 'utc', ...(backupRoot ? { backupRoot } : {}), ...(options.keyring ? { keyring: options.keyring } : {}), follow: false });
  const recordings = await open();
  const filed = await recordings.file({ meta: meta(), audioPath: writeAudio(dir.path, 'capture.pcap', 4000, 1), format: 'pcap', cdrXml: ['<cdr/>'] });
  return { dir: dir.path, root, backupRoot, recordings, filed, open };
}

describe('replacing a kept capture with its conversion', () => {
  it('replaces audio, sidecar, signature, index row and backup copy; the call data stays', async () => {
    const keyring = new Keyring([Key.generate()]);
    const { dir, recordings, filed, backupRoot } = await keptCapture({ keyring, backup: true });
    const wav = writeAudio(dir, 'converted.wav', 9000, 2);
    const replaced = await recordings.replaceAudio(filed.name, { audioPath: wav, format: 'wav', mix: 'stereo', codec: 'pcma', durationMs: 4500 });
    expect(replaced.format).toBe('wav');
    expect(existsSync(filed.audioPath)).toBe(false);
    expect(existsSync(wav)).toBe(false);
    expect(await recordings.verify(filed.name)).toBe('intact');
    const { sidecar } = (await recordings.readSidecar(filed.name))!;
    expect(sidecar.audio).toMatchObject({ format: 'wav', mix: 'stereo', codec: 'pcma', durationMs: 4500, bytes: 9000 });
    expect(sidecar.cdr).toEqual(['<cdr/>']);
    expect(sidecar.meta.internal).toBe('39');
    expect(recordings.row(filed.name)?.format).toBe('wav');
    expect(existsSync(join(backupRoot!, filed.month, `${filed.name}.wav`))).toBe(true);
    expect(existsSync(join(backupRoot!, filed.month, `${filed.name}.pcap`))).toBe(false);
    await expect(recordings.replaceAudio(filed.name, { audioPath: writeAudio(dir, 'again.wav'), format: 'wav' })).rejects.toThrow(StoreError);
    await recordings.close();
  });

  it('a new audio file the sidecar does not name yet (a crash before the commit) is written again', async () => {
    const { dir, root, recordings, filed } = await keptCapture();
    const leftover = join(root, filed.month, `${filed.name}.wav`);
    writeFileSync(leftover, 'half-written');
    // Two audio files: the sidecar says which is the recording.
    expect((await recordings.files(filed.name)).format).toBe('pcap');
    await recordings.replaceAudio(filed.name, { audioPath: writeAudio(dir, 'converted.wav', 7000, 3), format: 'wav' });
    expect(readFileSync(leftover).length).toBe(7000);
    await recordings.close();
  });

  it('a crash after the commit: the sidecar names the new audio, the old one goes once settled, the index follows', async () => {
    const { dir, root, recordings, filed, open } = await keptCapture();
    await recordings.close();
    // The store replaced, but the process died before the old audio and the index were done.
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    await store.replaceAudio(filed.name, { audioPath: writeAudio(dir, 'converted.wav', 6000, 4), format: 'wav' });
    writeFileSync(filed.audioPath, readFileSync(join(root, filed.month, `${filed.name}.wav`)).subarray(0, 10));
    const reopened = await open();
    expect((await reopened.files(filed.name)).format).toBe('wav');
    expect(existsSync(filed.audioPath)).toBe(true); // too fresh to be taken for abandoned by another process
    await reopened.close();
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(filed.audioPath, old, old);
    const later = await open();
    expect(existsSync(filed.audioPath)).toBe(false); // settled: removed at open
    expect(later.row(filed.name)?.format).toBe('pcap');
    await later.refreshIndex(filed.name); // the converter's own finish: the index follows
    expect(later.row(filed.name)?.format).toBe('wav');
    await later.close();
  });

  it('the converter finishes a replacement cut short after its commit: old audio out of the month folder and the backup, the backup given the new files', async () => {
    const { dir, root, backupRoot, recordings, filed, open } = await keptCapture({ backup: true });
    await recordings.close();
    const store = await RecordingStore.open({ root, backupRoot: backupRoot!, timeZone: 'utc' });
    await store.replaceAudio(filed.name, { audioPath: writeAudio(dir, 'converted.wav', 6000, 5), format: 'wav' });
    // As if killed before the backup and the removal of the old audio: both are back.
    writeFileSync(filed.audioPath, 'old capture');
    rmSync(join(backupRoot!, filed.month, `${filed.name}.wav`));
    writeFileSync(join(backupRoot!, filed.month, `${filed.name}.pcap`), 'old capture');
    const reopened = await open();
    await reopened.refreshIndex(filed.name);
    expect(existsSync(filed.audioPath)).toBe(false);
    expect(existsSync(join(backupRoot!, filed.month, `${filed.name}.pcap`))).toBe(false);
    expect(readFileSync(join(backupRoot!, filed.month, `${filed.name}.wav`)).length).toBe(6000);
    expect(reopened.row(filed.name)?.format).toBe('wav');
    await reopened.close();
  });

  it('a converter killed after the store was done but before the index was told: the next run sets the row right, converting nothing', async () => {
    const { dir, root, recordings, filed, open } = await keptCapture();
    await recordings.close();
    // The whole replacement on disk (old audio gone), the index row still the capture's.
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    await store.replaceAudio(filed.name, { audioPath: writeAudio(dir, 'converted.wav', 6000, 6), format: 'wav' });
    expect(existsSync(filed.audioPath)).toBe(false);
    const reopened = await open();
    expect(reopened.row(filed.name)?.format).toBe('pcap');
    const summary = await convertStore({ recordings: reopened, format: 'wav', mix: 'stereo', encoding: 'pcm16', kbps: 64, workDir: join(dir, 'work') });
    expect(summary).toMatchObject({ found: 0, converted: 0, failed: 0 });
    expect(reopened.row(filed.name)).toMatchObject({ format: 'wav', size: 6000 });
    await reopened.close();
  });
});
