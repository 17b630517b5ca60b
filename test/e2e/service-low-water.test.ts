// The store's low-water mark: with less free space than [storage] minFreeMegabytes the DISK lamp is red, with the
// reason, before the disk is full (the service goes on recording); with the mark below the free space it is green.
import { statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RecorderService, readStatus } from '../../src/recorder/service/index.js';
import { serviceConfigInput, until } from './helpers/service-harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the low-water mark of the store', () => {
  it('DISK red with the reason while the free space is below it, green when the mark is below the free space', { timeout: 60_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-low-water-'));
    dirs.push(base);
    const pbx = new EmbeddedPbx({ scenario: { seed: 1, calls: [] }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 10 });
    const endpoints = await pbx.start();
    const fs = statfsSync(base);
    const freeMb = Math.floor((fs.bavail * fs.bsize) / 1048576);
    const input = serviceConfigInput(base, endpoints);
    try {
      for (const [mark, lamp] of [
        [freeMb + 100_000, 'red'],
        [1, 'green'],
      ] as const) {
        const config = validateConfig({ ...input, storage: { root: join(base, `store-${mark}`), timezone: 'utc', minFreeMegabytes: mark } }, 'e2e-config', base);
        const service = new RecorderService({ config, logger: pino({ level: 'silent' }), statusIntervalMs: 100 });
        await service.start();
        try {
          await until(() => service.status().lamps.DISK === lamp, 10_000, `DISK ${lamp} with a mark of ${mark} MB`);
          if (lamp === 'red') {
            await until(async () => {
              const reading = await readStatus(config.storage.workDir);
              return reading.kind === 'found' && (reading.status.reasons.DISK ?? '').includes(`below the low-water mark of ${mark} MB`);
            }, 10_000, 'the reason in the status');
            expect(service.status().lastErrors).toEqual([]);
          }
        } finally {
          await service.stop();
        }
      }
    } finally {
      await pbx.stop();
    }
  });
});
