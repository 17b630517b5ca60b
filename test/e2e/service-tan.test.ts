// TAN end to end: the agent enters a TAN during the call through the PBX's TAN object (hold, prefix + 6 digits,
// retrieve); the service files the recording with it in the name (`_T123456`), the sidecar and the index. In the
// player a TAN can be changed but not removed, and a change renames the recording's files in the store and in
// the backup tree together.
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { AccountStore, PlayerServer, defaultAccountsPath } from '../../src/player/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import { parseRecordingName } from '../../src/recordings/index.js';
import { Client, recPath } from '../player/helpers.js';
import { connectCdrInterface, filesUnder, serviceConfigInput, until, wavProblem, wavSeconds } from './helpers/service-harness.js';

const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Base names of the recordings under a tree (month folders), by TAN ('' for none), each with its file endings. */
function byTan(root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of filesUnder(root).filter((f) => /\/\d{4}_\d{2}\//.test(f))) {
    const parsed = parseRecordingName(basename(file));
    found.set(parsed.tan ?? '', [...(found.get(parsed.tan ?? '') ?? []), parsed.extension ?? ''].sort());
  }
  return found;
}

describe('TAN through recorder run and the player', () => {
  it('files the TAN entered in the call in name, sidecar and index; the player changes it in store and backup, never removes it', { timeout: 150_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-tan-'));
    dirs.push(base);
    const calls = [
      { at: 1, kind: 'inbound' as const, from: E, to: '20', ringSeconds: 1, talkSeconds: 16, tan: '123456' },
      { at: 20, kind: 'outbound' as const, from: '21', to: E, ringSeconds: 1, talkSeconds: 16, tan: '654321' },
      { at: 40, kind: 'inbound' as const, from: E, to: '22', ringSeconds: 1, talkSeconds: 5 },
    ];
    const pbx = new EmbeddedPbx({ scenario: { seed: 4, calls }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    expect(endpoints.tanPrefix).toBeDefined();
    const backup = join(base, 'backup');
    const input = { ...serviceConfigInput(base, endpoints, { cdrInterface: true }), storage: { root: join(base, 'store'), timezone: 'utc', backup } };
    const config = validateConfig(input, 'e2e-config', base);
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 });
    await service.start();
    connectCdrInterface(pbx, service);
    let player: PlayerServer | undefined;
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 60_000, 'every capture filed');
      const store = config.storage.root;
      await until(() => filesUnder(backup).filter((f) => f.endsWith('.xml')).length === 3, 30_000, 'the backup copies');

      // Name, sidecar, index.
      expect(byTan(store)).toEqual(new Map([['123456', ['wav', 'xml']], ['654321', ['wav', 'xml']], ['', ['wav', 'xml']]]));
      expect(byTan(backup)).toEqual(byTan(store));
      const recordings = service.recordings!;
      const [row] = recordings.search({ tan: '123456' }).rows;
      expect(row).toMatchObject({ tan: '123456', internal: '20', external: E });
      expect(recordings.search({ tan: '654321' }).rows.map((r) => r.internal)).toEqual(['21']);
      const sidecarFile = filesUnder(store).find((f) => f.endsWith(`${row!.name}.xml`))!;
      expect(readFileSync(sidecarFile, 'utf8')).toContain('<tan>123456</tan>');

      // The player: a supervisor allowed to edit TANs changes it; removing it is refused.
      const accountsPath = defaultAccountsPath(config.storage.indexPath);
      const accounts = new AccountStore(accountsPath);
      await accounts.add({ name: 'sue', password: 'sue-password-1', role: 'supervisor', numbers: [], permissions: ['tan'] });
      accounts.close();
      player = new PlayerServer({ recordings, accountsPath, port: 0 });
      const client = new Client((await player.listen()).url);
      expect((await client.login('sue', 'sue-password-1')).status).toBe(200);
      const removed = await client.fetch(recPath(row!.name, 'tan'), { method: 'PUT', json: { tan: '' } });
      expect(removed.status).toBe(400);
      expect(await removed.text()).toContain('a TAN cannot be removed');
      const changed = await client.json<{ name: string }>(recPath(row!.name, 'tan'), { method: 'PUT', json: { tan: '777777' } });
      expect(changed.name).toMatch(/_T777777$/);
      await until(() => byTan(backup).has('777777') && !byTan(backup).has('123456'), 30_000, 'the backup copy renamed');
      expect(byTan(store)).toEqual(new Map([['777777', ['wav', 'xml']], ['654321', ['wav', 'xml']], ['', ['wav', 'xml']]]));
      expect(byTan(backup)).toEqual(byTan(store));
      expect(recordings.search({ tan: '123456' }).rows).toEqual([]);
      expect(recordings.search({ tan: '777777' }).rows.map((r) => r.name)).toEqual([changed.name]);
      // Unsigned here (no keys): the renamed audio is the same whole WAV.
      const renamedAudio = filesUnder(store).find((f) => f.endsWith(`${changed.name}.wav`))!;
      expect(wavProblem(renamedAudio)).toBeUndefined();
      expect(wavSeconds(renamedAudio)).toBeGreaterThan(10);
    } finally {
      await player?.close();
      await service.stop();
      await pbx.stop();
    }
  });
});
