// Legal holds from the command line and the service's retention sweep: `recorder hold place/list/release` (each
// refusal named, four-eyes when configured), every change in the service's audit trail; then the service, started
// on that store, deletes by policy, keeps what is held, and writes each deletion with its policy and the held ones.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditTrail } from '../../src/platform/audit/index.js';
import { configKeyring, validateConfig } from '../../src/platform/config/index.js';
import type { RecorderConfigInput } from '../../src/platform/config/index.js';
import { generateKeyFile } from '../../src/platform/crypto/index.js';
import { openRecordings, parseRecordingName } from '../../src/recordings/index.js';
import type { LegalHold } from '../../src/recordings/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { freePort } from '../e2e/helpers/service-harness.js';
import { stereoTones } from '../player/helpers.js';
import { WavFileWriter } from '../../src/media/audio/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('legal holds: the command and the service', () => {
  it('placed and released from the command line, in the service trail; the service sweep deletes by policy and keeps what is held', { timeout: 60_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'holds-cli-'));
    dirs.push(base);
    const keyFile = join(base, 'system.key');
    await generateKeyFile(keyFile);
    const port = await freePort(); // nothing answers there: the service's links stay down, its sweep runs
    const input: RecorderConfigInput = {
      pbx: { url: `http://127.0.0.1:${port}/PBX0/user.soap`, username: 'u', password: 'p' },
      reporting: { url: `http://127.0.0.1:${port}/report.php`, username: 'u', password: 'p' },
      drive: { kind: 'local', path: join(base, 'drive') },
      storage: { root: join(base, 'store'), timezone: 'utc', minFreeMegabytes: 0, retentionMonths: 12, fourEyesHolds: true, retentionPolicies: [{ name: 'traders', months: 60, agents: ['30?'] }] },
      encryption: { enabled: true, keyFiles: [keyFile] },
      log: { level: 'silent' },
    };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input));
    const config = validateConfig(input, configPath, base);
    const keyring = (await configKeyring(config))!;

    // Recordings of 6 years, 2 years and 1 month ago for a trader (301) and a support agent (41).
    const recordings = await openRecordings(config, keyring, { follow: false });
    const names: Record<string, string> = {};
    for (const [id, agent, days] of [['t6y', '301', 6 * 365], ['t2y', '301', 2 * 365], ['s2y', '41', 2 * 365], ['s1m', '41', 30], ['s2y-b', '42', 2 * 365]] as const) {
      const audio = join(base, `${id}.wav`); // filing takes the file
      const writer = new WavFileWriter(audio, { sampleRate: 8000, channels: 2, encoding: 'alaw' }, { durable: false });
      writer.write(stereoTones(1));
      writer.finish();
      const filed = await recordings.file({ meta: { callId: id, start: new Date(Date.now() - days * 86_400_000), secondsToAnswer: 2, direction: 'in', internal: agent, external: '0301234567' }, audioPath: audio, format: 'wav', mix: 'stereo', cdrXml: [] });
      names[id] = filed.name;
    }
    await recordings.close();

    const hold = (...args: string[]) => runInProcess(['hold', ...args, '-c', configPath]);
    // Refusals, each named.
    expect((await hold('place', '--agent', '41', '--recording', names.t6y!, '--reason', 'x')).stderr).toMatch(/exactly one of --recording, --agent, or --from with --to/);
    expect((await hold('place', '--from', '2026-01-01', '--reason', 'x')).stderr).toMatch(/--to: a period needs both/);
    expect((await hold('place', '--from', '1.1.2026', '--to', '2026-01-02', '--reason', 'x')).stderr).toMatch(/--from: expected YYYY-MM-DD/);
    const february = await hold('place', '--from', '2026-02-01', '--to', '2026-02-30', '--reason', 'x');
    expect(february.code).toBe(2);
    expect(february.stderr).toMatch(/hold: to: expected YYYY-MM-DD HH:MM, got "2026-02-30 23:59"/);
    expect((await hold('place', '--recording', 'nope', '--reason', 'x')).code).toBe(2);
    // A hold on the old trader call and on agent 41.
    const onCall = await hold('place', '--recording', names.t6y!, '--reason', 'case 17', '--by', 'sue', '--json');
    expect(onCall.code).toBe(0);
    const callHold = JSON.parse(onCall.stdout) as LegalHold;
    const onAgent = JSON.parse((await hold('place', '--agent', '41', '--reason', 'regulator R-9', '--by', 'sue', '--json')).stdout) as LegalHold;
    expect((await hold('list')).stdout).toContain(`${onAgent.id}  agent 41 — placed by cli:sue`);
    // Four-eyes: sue placed it, sue cannot release it (exit 1, said why); rita can.
    const selfRelease = await hold('release', onAgent.id, '--reason', 'done', '--by', 'sue');
    expect(selfRelease.code).toBe(1);
    expect(selfRelease.stderr).toMatch(/four-eyes: another person must release it/);
    expect((await hold('release', onAgent.id, '--reason', 'closed', '--by', 'rita')).code).toBe(0);
    expect((await hold('list')).stdout).not.toContain(onAgent.id);
    expect((await hold('list', '--all')).stdout).toContain(`${onAgent.id}  agent 41 — placed by cli:sue at`);
    // A new hold on 41 that stays.
    const kept = JSON.parse((await hold('place', '--agent', '41', '--reason', 'litigation', '--by', 'sue', '--json')).stdout) as LegalHold;

    // The service starts and sweeps: policy "traders" (60 months) and the default (12 months), holds respected.
    const service = new RecorderService({ config, keyring, logger: pino({ level: 'silent' }) });
    await service.start();
    await service.stop();
    const after = await openRecordings(config, keyring, { follow: false });
    const left = after.search({}).rows.map((row) => parseRecordingName(row.name).callId).sort();
    await after.close();
    expect(left).toEqual(['s1m', 's2y', 't2y', 't6y']); // s2y-b (42, default, 2 years) gone; t6y and s2y held

    const trail = readFileSync(config.storage.auditPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const actions = trail.map((entry) => `${String(entry.user)} ${String(entry.action)}`);
    expect(actions.filter((a) => a.includes('hold-'))).toEqual(['cli:sue hold-place', 'cli:sue hold-place', 'cli:rita hold-release', 'cli:sue hold-place']);
    expect(trail.find((entry) => entry.action === 'retention-delete')).toMatchObject({ recording: names['s2y-b'], policy: 'default: retentionMonths = 12' });
    const heldEntry = trail.find((entry) => entry.action === 'retention-held')!;
    expect(heldEntry).toMatchObject({ count: 2 });
    expect([...(heldEntry.holds as string[])].sort()).toEqual([callHold.id, kept.id].sort());
    expect(await verifyAuditTrail(config.storage.auditPath, keyring)).toMatchObject({ problems: [], unsealed: 0 });
  });
});
