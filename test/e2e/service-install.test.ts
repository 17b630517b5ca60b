// `recorder service install`: the systemd units it writes pass `systemd-analyze verify` and confine the service to
// its own folders; the Windows definition (WinSW) is well-formed with absolute paths; uninstall removes the units.
// (Enabling them needs a machine where systemd runs as PID 1; this one's does not — the note says what was run.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../src/platform/xml/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { writeOfflineConfig } from '../helpers/offline-config.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('recorder service install', () => {
  it('writes units systemd-analyze accepts, writable only where the store, work, backup and logs are; uninstall removes them', async () => {
    const base = mkdtempSync(join(tmpdir(), 'service-install-'));
    dirs.push(base);
    const configPath = writeOfflineConfig(base, 'recorder.json', join(base, 'store'), { storage: { backup: join(base, 'backup') }, log: { dir: join(base, 'logs') } });
    const units = join(base, 'units');
    const install = await runInProcess(['service', 'install', '-c', configPath, '--unit-dir', units, '--with-player', '--dry-run']);
    expect(install.code, install.stderr).toBe(0);
    const unit = readFileSync(join(units, 'recorder.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} `);
    expect(unit).toMatch(/ExecStart=\S+ \S+\/bin\/recorder\.js run -c \S+recorder\.json/);
    for (const line of ['User=recorder', 'Restart=on-failure', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'KillSignal=SIGTERM', 'WantedBy=multi-user.target']) expect(unit).toContain(line);
    const writable = /^ReadWritePaths=(.*)$/m.exec(unit)![1]!.split(' ');
    expect(writable).toEqual([join(base, 'backup'), join(base, 'drive'), join(base, 'logs'), join(base, 'store'), join(base, 'store', 'REC'), join(base, 'store', 'TMP')]);
    expect(readFileSync(join(units, 'recorder-player.service'), 'utf8')).toMatch(/ExecStart=\S+ \S+ serve -c /);
    const verify = spawnSync('systemd-analyze', ['verify', join(units, 'recorder.service'), join(units, 'recorder-player.service')], { encoding: 'utf8' });
    expect(verify.error, 'systemd-analyze (Debian package systemd) is needed').toBeUndefined();
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toBe('');

    const removed = await runInProcess(['service', 'uninstall', '--unit-dir', units]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(join(units, 'recorder.service')) || existsSync(join(units, 'recorder-player.service'))).toBe(false);
    expect((await runInProcess(['service', 'uninstall', '--unit-dir', units])).code).toBe(2);
  });

  it('writes a WinSW definition for Windows: well-formed, absolute paths, restart on failure', async () => {
    const base = mkdtempSync(join(tmpdir(), 'service-windows-'));
    dirs.push(base);
    const configPath = writeOfflineConfig(base, 'recorder.json', join(base, 'store'));
    const result = await runInProcess(['service', 'install', '-c', configPath, '--windows', join(base, 'win')]);
    expect(result.code, result.stderr).toBe(0);
    const root = parseXml(readFileSync(join(base, 'win', 'recorder.xml'), 'utf8'));
    expect(root.name).toBe('service');
    const text = (name: string): string => root.children.find((c) => c.name === name)?.text ?? '';
    expect(text('id')).toBe('recorder');
    expect(isAbsolute(text('executable'))).toBe(true);
    expect(text('arguments')).toMatch(/^".+bin[/\\]recorder\.js" run -c ".+recorder\.json"$/);
    expect(root.children.filter((c) => c.name === 'onfailure').map((c) => c.attributes.get('action'))).toEqual(['restart', 'restart', 'restart']);
    expect(text('startmode')).toBe('Automatic');
  });

  it('a worker unit for the job queue: recorder worker, writable only in the work folder and logs; refused without [cluster]', async () => {
    const base = mkdtempSync(join(tmpdir(), 'service-worker-'));
    dirs.push(base);
    const plain = writeOfflineConfig(base, 'plain.json', join(base, 'store'));
    const refused = await runInProcess(['service', 'install', '-c', plain, '--unit-dir', join(base, 'units'), '--worker-only', '--dry-run']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/plain\.json has no \[cluster\] section/);
    const configPath = writeOfflineConfig(base, 'recorder.json', join(base, 'store'), { log: { dir: join(base, 'logs') }, cluster: { redis: 'redis://127.0.0.1:6379/0' } });
    const units = join(base, 'units');
    const install = await runInProcess(['service', 'install', '-c', configPath, '--unit-dir', units, '--with-worker', '--dry-run']);
    expect(install.code, install.stderr).toBe(0);
    const unit = readFileSync(join(units, 'recorder-worker.service'), 'utf8');
    expect(unit).toMatch(/ExecStart=\S+ \S+\/bin\/recorder\.js worker -c \S+recorder\.json/);
    expect(/^ReadWritePaths=(.*)$/m.exec(unit)![1]!.split(' ')).toEqual([join(base, 'logs'), join(base, 'store', 'REC')]);
    const verify = spawnSync('systemd-analyze', ['verify', join(units, 'recorder.service'), join(units, 'recorder-worker.service')], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toBe('');
    // A machine that only converts: the worker unit alone.
    const only = join(base, 'only');
    expect((await runInProcess(['service', 'install', '-c', configPath, '--unit-dir', only, '--worker-only', '--dry-run'])).code).toBe(0);
    expect(readdirSync(only)).toEqual(['recorder-worker.service']);
    const removed = await runInProcess(['service', 'uninstall', '--unit-dir', units]);
    expect(removed.stdout).toContain('recorder.service, recorder-worker.service removed');
  });
});
