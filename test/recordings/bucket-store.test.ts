// Recordings in an S3-compatible bucket (s3rver on loopback): filed in the tree, moved to the bucket, then read,
// played by ranges, verified, edited (notes, TAN), backed up, swept by retention, reindexed from the bucket and
// deleted there; an outage leaves a recording complete in the tree, and a move cut short is finished.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WavFileWriter } from '../../src/media/audio/index.js';
import { Key, Keyring, decryptBytes } from '../../src/platform/crypto/index.js';
import { BucketError, RecordingBucket, Recordings, recordingsOptions } from '../../src/recordings/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import type { RecordingMeta } from '../../src/recordings/index.js';
import { stereoTones } from '../player/helpers.js';
import { writeToneCall } from '../helpers/tone-call.js';
import { convertStore } from '../../src/recorder/convert/index.js';
import { startS3 } from '../helpers/s3.js';
import type { S3Server } from '../helpers/s3.js';

let s3: S3Server;
const dirs: string[] = [];
beforeAll(async () => {
  s3 = await startS3(['recordings']);
});
afterAll(async () => {
  await s3?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const keyring = new Keyring([Key.generate()]);

function bucketOf(prefix: string): RecordingBucket {
  return new RecordingBucket({ endpoint: s3.endpoint, region: 'us-east-1', name: 'recordings', prefix, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
}

async function openStore(prefix: string, dir = mkdtempSync(join(tmpdir(), 'bucket-store-'))): Promise<{ dir: string; recordings: Recordings; bucket: RecordingBucket }> {
  dirs.push(dir);
  const bucket = bucketOf(prefix);
  const recordings = await Recordings.open({ root: join(dir, 'rec'), indexPath: join(dir, 'index.sqlite'), backupRoot: join(dir, 'backup'), timeZone: 'utc', keyring, bucket, follow: false });
  return { dir, recordings, bucket };
}

let n = 0;
async function fileCall(recordings: Recordings, dir: string, start: Date, seconds = 3, internal = '201'): Promise<string> {
  const audioPath = join(dir, `work-${n++}.wav`);
  const writer = new WavFileWriter(audioPath, { sampleRate: 8000, channels: 2, encoding: 'alaw' }, { durable: false });
  writer.write(stereoTones(seconds));
  writer.finish();
  const meta: RecordingMeta = {
    callId: `call-${n}`,
    start,
    answered: new Date(start.getTime() + 2000),
    end: new Date(start.getTime() + 2000 + seconds * 1000),
    secondsToAnswer: 2,
    direction: 'in',
    internal,
    internalName: `Agent ${internal}`,
    external: '0301234567',
    agentRule: 'agents',
  };
  return (await recordings.file({ meta, audioPath, format: 'wav', mix: 'stereo', codec: 'pcma', durationMs: seconds * 1000 })).name;
}

describe('recordings in an S3-compatible bucket', () => {
  it('a filed recording moves whole: read, ranges, verified, notes, TAN, backup, reindex, delete — all from the bucket', async () => {
    const { dir, recordings, bucket } = await openStore('tenant-a/');
    try {
      const name = await fileCall(recordings, dir, new Date(Date.UTC(2026, 10, 3, 9, 30)));
      const local = await recordings.files(name);
      const sealed = readFileSync(local.audioPath);
      const plain = decryptBytes(sealed, keyring);
      await recordings.writeNotes(name, 'called back on Monday');

      const moved = await recordings.moveToBucket(name);
      expect(moved.location).toBe('bucket');
      expect(moved.audioPath).toBe(`s3://recordings/tenant-a/2026_11/${name}.wav`);
      expect(readdirSync(join(dir, 'rec', '2026_11'))).toEqual([]);
      expect((await bucket.list('2026_11')).map((o) => o.file).sort()).toEqual([`${name}.txt`, `${name}.wav`, `${name}.xml`]);
      expect((await bucket.getBytes('2026_11', `${name}.wav`))!.equals(sealed)).toBe(true);
      // Moving again changes nothing.
      expect((await recordings.moveToBucket(name)).location).toBe('bucket');

      // Read back through the store: sidecar, notes, integrity, and the audio at any position.
      const stored = await recordings.files(name);
      expect(stored).toMatchObject({ location: 'bucket', encrypted: true, bytes: sealed.length });
      expect((await recordings.readSidecar(stored))!.sidecar.meta.internal).toBe('201');
      expect(await recordings.readNotes(name)).toBe('called back on Monday');
      expect(await recordings.verify(stored)).toBe('intact');
      const { openEncryptedFile } = await import('../../src/platform/crypto/index.js');
      const opened = await openEncryptedFile(await recordings.openAudio(stored), keyring);
      expect(opened.plaintextSize).toBe(plain.length);
      expect((await opened.read(1001, 5000)).equals(plain.subarray(1001, 6001))).toBe(true);
      expect((await opened.read(plain.length - 10, 100)).equals(plain.subarray(plain.length - 10))).toBe(true);
      await opened.close();
      expect(s3.requests.RANGE).toBeGreaterThan(0);

      // The backup tree has the files (copied while the recording was in the tree) and still matches.
      expect(await recordings.backupState(stored)).toEqual({ state: 'same' });

      // Notes and TAN edited in the bucket; the TAN renames every object and re-signs the sidecar.
      await recordings.writeNotes(name, 'edited in the bucket');
      expect(await recordings.readNotes(name)).toBe('edited in the bucket');
      const renamed = await recordings.updateTan(name, '123456');
      expect(renamed.name).toBe(`${name}_T123456`);
      expect(renamed.location).toBe('bucket');
      expect((await bucket.list('2026_11')).map((o) => o.file).sort()).toEqual([`${name}_T123456.txt`, `${name}_T123456.wav`, `${name}_T123456.xml`]);
      expect(await recordings.verify(renamed.name)).toBe('intact');
      expect(recordings.row(renamed.name)?.tan).toBe('123456');
      expect(await recordings.backupState(renamed)).toEqual({ state: 'same' });

      // The index is rebuilt from the bucket: a fresh index on another machine finds the recording.
      await recordings.close();
      const elsewhere = await Recordings.open({ root: join(dir, 'rec2'), indexPath: join(dir, 'index2.sqlite'), timeZone: 'utc', keyring, bucket: bucketOf('tenant-a/'), follow: false });
      try {
        const result = await elsewhere.reindex({ verify: true });
        expect(result).toMatchObject({ indexed: 1 });
        expect(elsewhere.row(renamed.name)).toMatchObject({ tan: '123456', integrity: 'intact', hasNotes: true });
        await elsewhere.remove(renamed.name);
        expect(await bucket.list('2026_11')).toEqual([]);
        await expect(elsewhere.files(renamed.name)).rejects.toThrow(/no such recording .* or s3:\/\/recordings\/tenant-a\//);
      } finally {
        await elsewhere.close();
      }
    } finally {
      await recordings.close().catch(() => undefined);
    }
  });

  it('an outage leaves the recording complete in the tree; a move cut short is finished by the next one', async () => {
    const { dir, recordings, bucket } = await openStore('outage/');
    try {
      const name = await fileCall(recordings, dir, new Date(Date.UTC(2026, 10, 4, 10, 0)));
      s3.down();
      try {
        await expect(recordings.moveToBucket(name)).rejects.toBeInstanceOf(BucketError);
      } finally {
        s3.up();
      }
      const still = await recordings.files(name);
      expect(still.location).toBeUndefined();
      expect(await recordings.verify(still)).toBe('intact');

      // A move killed after its uploads, before the tree's files went: both places hold it; the tree's is the one.
      for (const file of readdirSync(join(dir, 'rec', '2026_11'))) await bucket.putFile('2026_11', file, join(dir, 'rec', '2026_11', file));
      expect((await recordings.files(name)).location).toBeUndefined();
      expect((await recordings.moveToBucket(name)).location).toBe('bucket');
      expect(readdirSync(join(dir, 'rec', '2026_11'))).toEqual([]);
      // Only the audio's upload is the commit point: a sidecar alone in the bucket is no recording.
      await bucket.putBytes('2026_12', '2026_12_01_0900_201_i_0301234567_2_orphan.xml', Buffer.from('<recording/>'));
      const names: string[] = [];
      for await (const entry of recordings.scan()) names.push(entry.name);
      expect(names).toEqual([name]);
    } finally {
      await recordings.close();
    }
  });

  it('retention deletes old recordings in the bucket; object lock makes a TAN change refuse, not half-rename', async () => {
    const { dir, recordings, bucket } = await openStore('retention/');
    try {
      const old = await fileCall(recordings, dir, new Date(Date.UTC(2025, 0, 10, 8, 0)));
      const recent = await fileCall(recordings, dir, new Date(Date.UTC(2026, 10, 20, 8, 0)));
      await recordings.moveToBucket(old);
      await recordings.moveToBucket(recent);
      const swept = await recordings.sweep({ retentionMonths: 6, now: new Date(Date.UTC(2026, 11, 1)) });
      expect(swept.removed).toEqual([old]);
      expect(swept.failed).toEqual([]);
      expect(await bucket.list('2025_01')).toEqual([]);
      expect(recordings.row(old)).toBeUndefined();
      expect((await recordings.files(recent)).location).toBe('bucket');

      const locked = new RecordingBucket({ endpoint: s3.endpoint, region: 'us-east-1', name: 'recordings', prefix: 'retention/', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true, objectLock: { mode: 'COMPLIANCE', days: 30 } });
      const lockedStore = await Recordings.open({ root: join(dir, 'rec'), indexPath: join(dir, 'index.sqlite'), timeZone: 'utc', keyring, bucket: locked, follow: false });
      try {
        await expect(lockedStore.updateTan(recent, '654321')).rejects.toThrow(/object lock/);
        expect((await bucket.list('2026_11')).map((o) => o.file)).toContain(`${recent}.wav`);
        // Every object written under the lock carries it (the server enforces it where the bucket has it on).
        await lockedStore.writeNotes(recent, 'kept for 30 days at least');
        const headers = s3.puts.get(`/recordings/retention/2026_11/${recent}.txt`)!;
        expect(headers['x-amz-object-lock-mode']).toBe('COMPLIANCE');
        const until = Date.parse(String(headers['x-amz-object-lock-retain-until-date']));
        expect(Math.abs(until - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
        expect(headers['content-md5']).toBeDefined();
      } finally {
        await lockedStore.close();
      }
    } finally {
      await recordings.close();
    }
  });

  it("the object lock mirrors the retention policy: each object is locked until its recording's policy ends", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bucket-lock-'));
    dirs.push(dir);
    const config = validateConfig(
      {
        pbx: { url: 'http://127.0.0.1:9/', username: 'u', password: 'p' },
        reporting: { url: 'http://127.0.0.1:9/', username: 'u', password: 'p' },
        drive: { kind: 'local', path: join(dir, 'drive') },
        storage: {
          root: join(dir, 'rec'),
          timezone: 'utc',
          retentionMonths: 12,
          retentionPolicies: [{ name: 'traders', months: 60, agents: ['30?'], mandatory: true }, { name: 'short', days: 400, agents: ['4*'] }],
          bucket: { endpoint: s3.endpoint, name: 'recordings', prefix: 'policy/', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, objectLock: { mode: 'COMPLIANCE', days: 30 } },
        },
      },
      'cfg',
      dir,
    );
    const recordings = await Recordings.open({ ...recordingsOptions(config, keyring), follow: false });
    try {
      const start = new Date(Date.UTC(2026, 1, 28, 9, 30));
      const trader = await fileCall(recordings, dir, start, 1, '301');
      const other = await fileCall(recordings, dir, start, 1, '201');
      const short = await fileCall(recordings, dir, start, 1, '41');
      for (const name of [trader, other, short]) await recordings.moveToBucket(name);
      const until = (name: string, ext: string): string => String(s3.puts.get(`/recordings/policy/2026_02/${name}.${ext}`)!['x-amz-object-lock-retain-until-date']);
      expect(new Date(until(trader, 'wav')).toISOString()).toBe('2031-02-28T09:30:00.000Z'); // 60 months
      expect(new Date(until(trader, 'xml')).toISOString()).toBe('2031-02-28T09:30:00.000Z');
      expect(new Date(until(other, 'wav')).toISOString()).toBe('2027-02-28T09:30:00.000Z'); // the default 12 months
      expect(new Date(until(short, 'wav')).toISOString()).toBe(new Date(start.getTime() + 400 * 86_400_000).toISOString());
    } finally {
      await recordings.close();
    }
  });

  it('a bucket refusing the credentials is a BucketError naming the object and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bucket-store-'));
    dirs.push(dir);
    const wrong = new RecordingBucket({ endpoint: s3.endpoint, region: 'us-east-1', name: 'no-such-bucket', prefix: '', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
    writeFileSync(join(dir, 'x.txt'), 'x');
    const error = await wrong.putFile('2026_11', 'x.txt', join(dir, 'x.txt')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BucketError);
    expect(String((error as Error).message)).toMatch(/^PUT 2026_11\/x\.txt: .*(NoSuchBucket|does not exist)/);
    wrong.close();
    expect(existsSync(join(dir, 'x.txt'))).toBe(true);
  });

  it('a kept capture in the bucket is counted and left as it is by the store converter, not converted in place', async () => {
    const { dir, recordings } = await openStore('kept-pcap/');
    try {
      const audioPath = join(dir, 'kept.pcap');
      writeToneCall(audioPath, { seconds: 2 });
      const start = new Date(Date.UTC(2026, 10, 5, 9, 0));
      const meta: RecordingMeta = { callId: 'kept', start, answered: start, end: new Date(start.getTime() + 2000), secondsToAnswer: 0, direction: 'in', internal: '201', external: '0301234567', agentRule: 'agents' };
      const { name } = await recordings.file({ meta, audioPath, format: 'pcap' });
      await recordings.moveToBucket(name);
      const summary = await convertStore({ recordings, format: 'wav', mix: 'stereo', encoding: 'pcm16', kbps: 32, workDir: join(dir, 'work') });
      expect(summary).toMatchObject({ found: 0, converted: 0, failed: 0, inBucket: 1 });
      expect((await recordings.files(name)).format).toBe('pcap');
    } finally {
      await recordings.close();
    }
  });
});
