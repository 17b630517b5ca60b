// The service with its recordings in an S3-compatible bucket (s3rver on loopback behind a switchable proxy), against
// the embedded PBX: each recording is filed, then moved to the bucket, and only then does its capture leave the
// drive. The bucket goes down during the calls and the service is stopped and started again while it is down:
// the recordings wait complete in the store's tree, the captures stay on the drive, DISK is red; once the bucket
// is back everything moves, nothing is lost or doubled, and the player plays the recordings from the bucket by
// HTTP ranges.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { ScenarioCall } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import type { RecorderConfig } from '../../src/platform/config/index.js';
import { PlayerServer } from '../../src/player/index.js';
import { RecordingBucket, openRecordings } from '../../src/recordings/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { startS3 } from '../helpers/s3.js';
import type { S3Server } from '../helpers/s3.js';
import { Client, PASSWORD, recPath } from '../player/helpers.js';
import { connectCdrInterface, scanStore, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const CALLS = 6;
let s3: S3Server | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await s3?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function startService(config: RecorderConfig): RecorderService {
  return new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 2000, endedSettleMs: 150, settleMs: 600 });
}

describe('recordings in an S3-compatible bucket, through the service', () => {
  it('an outage and a restart during the calls: every recording ends in the bucket once, none on the drive, played by ranges', { timeout: 150_000 }, async () => {
    s3 = await startS3(['calls']);
    const base = await mkdtemp(join(tmpdir(), 'service-bucket-'));
    dirs.push(base);
    const calls: ScenarioCall[] = Array.from({ length: CALLS }, (_, i) => ({ kind: 'inbound', from: E, to: String(20 + i), at: 1 + i * 6, ringSeconds: 1, talkSeconds: 4 }));
    const pbx = new EmbeddedPbx({ scenario: { seed: 11, calls }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const input = {
      ...serviceConfigInput(base, endpoints, { cdrInterface: true }),
      storage: { root: join(base, 'store'), timezone: 'utc' as const, minFreeMegabytes: 0, bucket: { endpoint: s3.endpoint, name: 'calls', prefix: 'tenant-a/', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
    };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input));
    const config = validateConfig(input, configPath, base);
    const bucket = new RecordingBucket({ endpoint: s3.endpoint, region: 'us-east-1', name: 'calls', prefix: 'tenant-a/', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
    const filedStates = async (): Promise<number> => [...(await readJournal(config.storage.journalPath)).items.values()].filter((item) => item.state === 'filed').length;

    // Down from the start: the first recordings are filed and wait.
    s3.down();
    let service = startService(config);
    await service.start();
    connectCdrInterface(pbx, service);
    try {
      const run = pbx.run();
      await until(async () => (await filedStates()) >= 2, 60_000, 'two recordings filed, waiting for the bucket');
      // A recording is filed before its move is tried: DISK goes red when the move fails, a moment later.
      await until(() => service.status().lamps.DISK === 'red', 30_000, 'DISK red while the bucket is down');
      expect(readdirSync(endpoints.recDir).length).toBeGreaterThanOrEqual(2); // their captures are still on the drive

      // Stopped and started again while the bucket is down (the CDR interface's port changes: connected again).
      await service.stop();
      service = startService(config);
      await service.start();
      connectCdrInterface(pbx, service);
      expect((await run).failures).toEqual([]);
      await until(async () => (await filedStates()) >= CALLS, 60_000, 'every recording filed, waiting for the bucket');
      expect(readdirSync(endpoints.recDir)).toHaveLength(CALLS);
      expect(scanStore(config.storage.root).audio.size).toBe(CALLS);

      s3.up();
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 60_000, 'every capture released after its move');
      await until(() => service.status().lamps.DISK === 'green', 10_000, 'DISK green again');
    } finally {
      await service.stop();
      await pbx.stop();
    }

    // Nothing left in the tree, each call once in the bucket, each recording complete (sidecar with it).
    expect(scanStore(config.storage.root).audio.size).toBe(0);
    const months = await bucket.months();
    const objects = (await Promise.all(months.map((month) => bucket.list(month)))).flat().map((o) => o.file);
    const audio = objects.filter((file) => file.endsWith('.wav'));
    expect(audio).toHaveLength(CALLS);
    expect(new Set(pbx.calls.map((call) => call.confId))).toEqual(new Set(audio.map((file) => /_([0-9a-f]{32})\.wav$/.exec(file)?.[1])));
    for (const file of audio) expect(objects).toContain(file.replace(/\.wav$/, '.xml'));

    // The index is disposable: `recorder reindex` rebuilds it from the bucket.
    rmSync(config.storage.indexPath, { force: true });
    const reindexed = await runInProcess(['reindex', '-c', configPath, '--json']);
    expect(reindexed.code, reindexed.stderr).toBe(0);
    expect(JSON.parse(reindexed.stdout)).toMatchObject({ indexed: CALLS });

    // The player serves them from the bucket: the index knows them, ranges are ranged reads of the objects.
    const recordings = await openRecordings(config, undefined, { follow: false });
    const player = new PlayerServer({ recordings, accountsPath: join(base, 'accounts.sqlite'), host: '127.0.0.1', port: 0, waveformDir: join(base, 'waveforms') });
    try {
      await player.accounts.add({ name: 'sue', password: PASSWORD, role: 'supervisor', permissions: ['tan', 'notes', 'export', 'delete'] });
      const { url } = await player.listen();
      const sue = new Client(url);
      expect((await sue.login('sue')).status).toBe(200);
      const rows = (await sue.json<{ rows: Array<{ name: string }> }>('/api/recordings?limit=50')).rows;
      expect(rows).toHaveLength(CALLS);
      const name = rows[0]!.name;
      const object = (await bucket.getBytes(name.slice(0, 7), `${name}.wav`))!;
      const rangesBefore = s3.requests.RANGE ?? 0;
      const part = await sue.fetch(recPath(name, 'audio'), { headers: { Range: 'bytes=1000-1999' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${object.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(object.subarray(1000, 2000))).toBe(true);
      expect(s3.requests.RANGE ?? 0).toBeGreaterThan(rangesBefore);
      const whole = await sue.fetch(recPath(name, 'audio'));
      expect(Buffer.from(await whole.arrayBuffer()).equals(object)).toBe(true);

      // Every other path a supervisor takes, on a recording that is in the bucket only.
      const month = name.slice(0, 7);
      const wave = await sue.json<{ channels: number; durationMs: number }>(recPath(name, 'waveform'));
      expect(wave).toMatchObject({ channels: 2 });
      expect(wave.durationMs).toBeGreaterThan(3000);
      expect((await sue.json<{ integrity: string }>(recPath(name, 'verify'), { method: 'POST' })).integrity).toBe('unchecked'); // no keys: nothing signed
      await sue.json(recPath(name, 'notes'), { method: 'PUT', json: { text: 'customer asked for a callback' } });
      expect((await bucket.getBytes(month, `${name}.txt`))?.toString()).toBe('customer asked for a callback');
      const renamed = (await sue.json<{ name: string }>(recPath(name, 'tan'), { method: 'PUT', json: { tan: '424242' } })).name;
      expect(renamed).toBe(`${name}_T424242`);
      expect((await bucket.list(month)).map((o) => o.file).filter((file) => file.startsWith(name)).sort()).toEqual([`${renamed}.txt`, `${renamed}.wav`, `${renamed}.xml`]);
      const zip = await sue.fetch(`/api/export?name=${encodeURIComponent(renamed)}`);
      expect(zip.status).toBe(200);
      const zipPath = join(base, 'export.zip');
      writeFileSync(zipPath, Buffer.from(await zip.arrayBuffer()));
      expect(execFileSync('unzip', ['-Z1', zipPath], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual([`${renamed}.txt`, `${renamed}.wav`, `${renamed}.xml`]);
      expect(execFileSync('unzip', ['-p', zipPath, `${renamed}.wav`]).equals(object)).toBe(true);
      expect((await sue.fetch(recPath(renamed), { method: 'DELETE' })).status).toBe(204);
      expect((await bucket.list(month)).map((o) => o.file).filter((file) => file.startsWith(name))).toEqual([]);
      expect((await sue.json<{ rows: unknown[] }>('/api/recordings?limit=50')).rows).toHaveLength(CALLS - 1);
    } finally {
      await player.close();
      await recordings.close();
      bucket.close();
    }
  });
});
