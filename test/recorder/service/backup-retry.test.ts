import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BackupRetry } from '../../../src/recorder/service/backup-retry.js';
import { StateFileError } from '../../../src/platform/util/index.js';
import { until } from '../../e2e/helpers/service-harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('BackupRetry', () => {
  it('keeps the waiting copies on disk, tries them again until they work, and refuses a damaged list by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backup-retry-'));
    dirs.push(dir);
    const file = join(dir, 'backup-pending.json');
    let broken = true;
    const copied: string[] = [];
    const options = {
      file,
      retryMs: [20, 40] as const,
      log: pino({ level: 'silent' }),
      onChange: () => undefined,
      copy: async (name: string) => {
        if (broken) return { status: 'failed' as const, error: 'ENOTDIR' };
        copied.push(name);
        return name === 'gone' ? ('gone' as const) : { status: 'copied' as const };
      },
    };
    const retry = await BackupRetry.open(options);
    retry.add('a', 'ENOTDIR');
    retry.add('gone', 'ENOTDIR');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pending: [['a', 'ENOTDIR'], ['gone', 'ENOTDIR']] });
    await retry.stop();
    // A restart goes on with them; once the copies work, the list empties.
    broken = false;
    const again = await BackupRetry.open(options);
    expect(again.size).toBe(2);
    await until(() => again.size === 0, 5_000, 'the copies done');
    expect(copied).toEqual(['a', 'gone']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pending: [] });
    await again.stop();

    writeFileSync(file, '{"pending": [["a", "x"]');
    await expect(BackupRetry.open(options)).rejects.toThrow(`${file}: the backup copies to retry are not JSON`);
    writeFileSync(file, '{"waiting": 3}');
    await expect(BackupRetry.open(options)).rejects.toThrow(StateFileError);
  });
});
