// `recorder reconcile` refusals (each names the option or setting), an unreachable reporting (exit 1, named), and
// the service trail's own entries: a start with the configuration's digest, a changed configuration, retention
// deletions and an alarm command — read back by verify and by reconciliation's deletion lookup.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/platform/config/index.js';
import type { RecorderConfigInput } from '../../../src/platform/config/index.js';
import { generateKeyFile, readKeyring } from '../../../src/platform/crypto/index.js';
import { verifyAuditTrail } from '../../../src/platform/audit/index.js';
import { CONFIG_DIGEST_FILE, ServiceAudit, configDigest } from '../../../src/recorder/service/index.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { freePort } from '../../e2e/helpers/service-harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function setUp(extra: Partial<RecorderConfigInput> = {}): Promise<{ base: string; configPath: string; input: RecorderConfigInput }> {
  const base = await mkdtemp(join(tmpdir(), 'reconcile-cli-'));
  dirs.push(base);
  const port = await freePort(); // nothing listens there
  const input: RecorderConfigInput = {
    pbx: { url: `http://127.0.0.1:${port}/PBX0/user.soap`, username: 'u', password: 'p' },
    reporting: { url: `http://127.0.0.1:${port}/report.php`, username: 'u', password: 'p' },
    drive: { kind: 'local', path: join(base, 'drive') },
    storage: { root: join(base, 'store'), timezone: 'utc' },
    ...extra,
  };
  const configPath = join(base, 'recorder.json');
  writeFileSync(configPath, JSON.stringify(input));
  return { base, configPath, input };
}

describe('recorder reconcile', () => {
  it('refuses a period it cannot read, and a configuration without the PBX name, naming each', async () => {
    const { configPath } = await setUp();
    const run = (...args: string[]) => runInProcess(['reconcile', '-c', configPath, ...args]);
    const noPbx = await run('--from', '2026-12-01', '--to', '2026-12-02');
    expect(noPbx.code).toBe(2);
    expect(noPbx.stderr).toMatch(/reporting\.pbx: not set.*--pbx/);
    const badFrom = await run('--from', '1.12.2026', '--to', '2026-12-02', '--pbx', 'p');
    expect(badFrom.code).toBe(2);
    expect(badFrom.stderr).toMatch(/--from: expected YYYY-MM-DD/);
    const badMonth = await run('--from', '2026-13-01', '--to', '2026-12-02', '--pbx', 'p');
    expect(badMonth.stderr).toMatch(/--from: not a valid date/);
    const badDay = await run('--from', '2026-02-01', '--to', '2026-02-30', '--pbx', 'p');
    expect(badDay.code).toBe(2);
    expect(badDay.stderr).toMatch(/--to: not a valid date\/time: "2026-02-30"/);
    const backwards = await run('--from', '2026-12-02', '--to', '2026-12-01', '--pbx', 'p');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--to: .* is before --from/);
    const settle = await run('--from', '2026-12-01', '--to', '2026-12-02', '--pbx', 'p', '--settle-minutes', 'soon');
    expect(settle.stderr).toMatch(/--settle-minutes: expected a whole number/);
  });

  it('says which reporting did not answer, and exits 1', async () => {
    const { configPath } = await setUp();
    const result = await runInProcess(['reconcile', '-c', configPath, '--from', '2026-12-01', '--to', '2026-12-01', '--pbx', 'pbx-1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/recorder reconcile: reporting http:\/\/127\.0\.0\.1:\d+\/report\.php: not reachable/);
  });
});

describe('the service audit trail', () => {
  it('records each start with the configuration digest, a change of configuration, retention deletions and alarm commands; sealed and verifiable', async () => {
    const { base, input } = await setUp();
    const keyFile = join(base, 'system.key');
    await generateKeyFile(keyFile);
    const keyring = await readKeyring([keyFile]);
    const config = validateConfig(input, 'cfg', base);
    const digestFile = join(base, CONFIG_DIGEST_FILE);
    const path = join(base, 'service-audit.log');

    const first = new ServiceAudit(path, keyring, (error) => {
      throw error;
    });
    await first.started(config, '1.2.3', digestFile);
    await first.retentionDeleted(['2020_01_01_0900_20_i_0301_3_aa.wav', '2020_01_02_0900_20_i_0301_3_bb.wav'].map((recording) => ({ recording, policy: 'default: retentionMonths = 60' })));
    await first.alarmCommand('reset', 'cli');
    await first.close();

    const changed = validateConfig({ ...input, storage: { ...input.storage, retentionMonths: 24 } }, 'cfg', base);
    expect(configDigest(changed)).not.toBe(configDigest(config));
    const second = new ServiceAudit(path, keyring, () => undefined);
    await second.started(changed, '1.2.3', digestFile);
    await second.started(changed, '1.2.3', digestFile); // the same again: no change entry
    await second.close();

    const entries = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((entry) => entry.action)).toEqual(['service-start', 'retention-delete', 'retention-delete', 'alarm-reset', 'checkpoint', 'service-start', 'config-changed', 'service-start', 'checkpoint']);
    expect(entries[0]).toMatchObject({ user: 'system', version: '1.2.3', config: configDigest(config), mode: 'std', format: 'wav' });
    expect(entries[1]).toMatchObject({ recording: '2020_01_01_0900_20_i_0301_3_aa.wav', policy: 'default: retentionMonths = 60' });
    expect(entries[3]).toMatchObject({ user: 'cli', action: 'alarm-reset' });
    expect(entries[6]).toMatchObject({ from: configDigest(config), to: configDigest(changed) });
    expect(entries[5]).toMatchObject({ retentionMonths: 24 });
    // No secret in the trail: the digest is of the redacted configuration.
    expect(readFileSync(path, 'utf8')).not.toContain('"p"');
    const verified = await verifyAuditTrail(path, keyring);
    expect(verified).toMatchObject({ problems: [], checkpoints: 2, checkpointsVerified: 2, unsealed: 0 });
  });
});
