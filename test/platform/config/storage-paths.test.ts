// Storage paths that a schema cannot judge alone: how they stand to each other, and what is on disk there.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliChild } from '../../helpers/child-cli.js';
import { ConfigError, loadConfig, validateConfig } from '../../../src/platform/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'recorder-storage-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(storage: Record<string, unknown>): Record<string, unknown> {
  return {
    pbx: { url: 'http://127.0.0.1:1', username: 'u', password: 'p' },
    reporting: { url: 'http://127.0.0.1:2', username: 'u', password: 'p' },
    drive: { kind: 'local', path: join(dir, 'drive') },
    storage,
  };
}

function issues(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.reason}`);
    throw error;
  }
  return [];
}

async function loadIssues(storage: Record<string, unknown>): Promise<string[]> {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config(storage)));
  try {
    await loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.reason}`);
    throw error;
  }
  return [];
}

describe('storage paths', () => {
  it('a backup equal to or inside the storage root, or holding it, is refused', () => {
    expect(issues(() => validateConfig(config({ root: '/srv/rec', backup: '/srv/rec' }), 'r.json'))).toEqual(['storage.backup: /srv/rec is the storage root itself: a backup must be apart from what it backs up']);
    expect(issues(() => validateConfig(config({ root: '/srv/rec', backup: '/srv/rec/backup' }), 'r.json'))[0]).toMatch(/^storage\.backup: .*inside the storage root/);
    expect(issues(() => validateConfig(config({ root: '/srv/rec', backup: '/srv' }), 'r.json'))[0]).toMatch(/^storage\.backup: the storage root \/srv\/rec is inside the backup folder/);
    expect(issues(() => validateConfig(config({ root: '/srv/rec', backup: '/srv/rec-backup' }), 'r.json'))).toEqual([]);
  });

  it('a work folder inside a month folder is refused; ROOT/REC (the default) is fine', () => {
    expect(issues(() => validateConfig(config({ root: '/srv/rec', workDir: '/srv/rec/2026_12/work' }), 'r.json'))).toEqual([
      'storage.workDir: /srv/rec/2026_12/work is inside the month folder 2026_12: retention would delete it with the month',
    ]);
    expect(issues(() => validateConfig(config({ root: '/srv/rec' }), 'r.json'))).toEqual([]);
  });

  it('storage on /proc, /sys or /dev is refused', () => {
    for (const root of ['/proc/self/rec', '/sys/rec', '/dev/shm/../rec', '/proc']) {
      const found = issues(() => validateConfig(config({ root }), 'r.json'));
      expect(found[0]).toMatch(/^storage\.root: .* is on \/(proc|sys|dev), a kernel pseudo-file system, not storage/);
    }
  });

  it('a storage root that is a file, or under a file, is refused when the file is loaded', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(await loadIssues({ root: file })).toEqual([`storage.root: ${file} is a file, not a folder`, `storage.workDir: ${file} is a file, so ${join(file, 'REC')} cannot be created`]);
    expect((await loadIssues({ root: join(file, 'below') }))[0]).toBe(`storage.root: ${file} is a file, so ${join(file, 'below')} cannot be created`);
    mkdirSync(join(dir, 'fine'), { recursive: true });
    expect(await loadIssues({ root: join(dir, 'fine', 'not-yet') })).toEqual([]);
  });

  it('recorder run --check exits 2 naming the path, instead of starting', async () => {
    const file = join(dir, 'run-check.json');
    writeFileSync(file, JSON.stringify(config({ root: '/proc/recordings' })));
    const result = await runCliChild(['run', '-c', file, '--check']);
    expect(result.stderr).toMatch(/storage\.root: \/proc\/recordings is on \/proc/);
    expect(result.code).toBe(2);
  });
});
