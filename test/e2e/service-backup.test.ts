// The backup copy that fails is tried again until it works, across a restart: `RecorderService` against the
// embedded PBX, its backup folder broken (turned into a file) while calls are filed, then mended. BACKUP is red
// while copies wait, green once they are all there; `recorder backup verify` agrees at each step.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { connectCdrInterface, filesUnder, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('backup that retries', () => {
  it('copies that failed wait (BACKUP red), survive a restart, and all land once the backup is back; verify agrees', { timeout: 120_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-backup-'));
    dirs.push(base);
    const calls = ['20', '21', '22'].map((to, i) => ({ at: 1 + i * 5, kind: 'inbound' as const, from: E, to, ringSeconds: 1, talkSeconds: 4 }));
    const pbx = new EmbeddedPbx({ scenario: { seed: 19, calls }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const backup = join(base, 'backup');
    mkdirSync(backup);
    const input = { ...serviceConfigInput(base, endpoints, { cdrInterface: true }), storage: { root: join(base, 'store'), timezone: 'utc', backup } };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input));
    const config = validateConfig(input, configPath, base);
    const options = { logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600, backupRetryMs: [200, 800] as const };
    const pending = (): string[] => (existsSync(join(config.storage.workDir, 'backup-pending.json')) ? (JSON.parse(readFileSync(join(config.storage.workDir, 'backup-pending.json'), 'utf8')) as { pending: [string, string][] }).pending.map(([name]) => name) : []);
    const audio = (root: string): string[] => filesUnder(root).filter((f) => /\/\d{4}_\d{2}\/[^/]+\.wav$/.test(f));

    let service = new RecorderService({ config, ...options });
    await service.start();
    connectCdrInterface(pbx, service);
    try {
      // The backup share goes wrong: its folder is a file now.
      rmSync(backup, { recursive: true });
      writeFileSync(backup, 'not a folder any more');
      expect((await pbx.run()).failures).toEqual([]);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 60_000, 'every call filed');
      expect(audio(config.storage.root)).toHaveLength(3);
      await until(() => pending().length === 3, 10_000, 'three copies waiting');
      expect(service.status().lamps.BACKUP).toBe('red');
      const broken = await runInProcess(['backup', 'verify', '-c', configPath]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('cannot be read');

      // A restart while the backup is still away: the copies still wait.
      await service.stop();
      service = new RecorderService({ config, ...options });
      await service.start();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(service.status().lamps.BACKUP).toBe('red');
      expect(pending()).toHaveLength(3);

      // The share is back: the next round copies everything, BACKUP green, verify finds all equal.
      rmSync(backup, { force: true });
      mkdirSync(backup);
      await until(() => service.status().lamps.BACKUP === 'green', 30_000, 'BACKUP green');
      // The list on disk follows the one in memory a moment later (replaced atomically).
      await until(() => pending().length === 0, 10_000, 'the pending list emptied on disk');
      expect(audio(backup)).toHaveLength(3);
      const verify = await runInProcess(['backup', 'verify', '-c', configPath, '--json']);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ checked: 3, same: 3, missing: 0, different: 0 });

      // One copy damaged and one deleted by hand: verify finds both, --repair mends them.
      const [first, second] = audio(backup);
      writeFileSync(first!, 'damaged');
      rmSync(second!);
      const found = await runInProcess(['backup', 'verify', '-c', configPath, '--json']);
      expect(found.code).toBe(1);
      expect(JSON.parse(found.stdout)).toMatchObject({ checked: 3, same: 1, missing: 1, different: 1 });
      const repaired = await runInProcess(['backup', 'verify', '-c', configPath, '--repair']);
      expect(repaired.code, repaired.stdout).toBe(0);
      expect(repaired.stdout).toContain('2 repaired');
      expect((await runInProcess(['backup', 'verify', '-c', configPath])).code).toBe(0);
    } finally {
      await service.stop();
      await pbx.stop();
    }
  });
});
