// The player link beside the service: `recorder run` (RecorderService) sees an agent's call connect on the SOAP
// link and announces it on the store's change feed; the player side (its own Recordings on the same store, as
// `recorder serve` opens them) sends FRST to the AppServer at once and LAST when the recording is filed. In
// thread-call recording an unmarked call gets its FRST and never a LAST; a User's call (not in the recording
// group) gets neither.
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedAppServer, EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { PlayerLink, PlayerServer } from '../../src/player/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import { openRecordings } from '../../src/recordings/index.js';
import { connectCdrInterface, scanStore, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the player link beside recorder run', () => {
  it('FRST as the agent answers, LAST once filed; an unmarked TCR call has no LAST, a User call no record at all', { timeout: 120_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-player-link-'));
    dirs.push(base);
    const calls = [
      { at: 1, kind: 'inbound' as const, from: E, to: '20', ringSeconds: 1, talkSeconds: 6, tcr: 'during' as const },
      { at: 12, kind: 'inbound' as const, from: E, to: '21', ringSeconds: 1, talkSeconds: 6 },
      { at: 24, kind: 'inbound' as const, from: E, to: '30', ringSeconds: 1, talkSeconds: 6 },
    ];
    const pbx = new EmbeddedPbx({ scenario: { seed: 13, calls }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 10, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const config = validateConfig(
      { ...serviceConfigInput(base, endpoints, { cdrInterface: true }), recording: { format: 'wav', encoding: 'pcm16', mode: 'tcr' }, tcr: { number: endpoints.tcrNumber!, markWindowSeconds: 3 } },
      'e2e-config',
      base,
    );
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 });
    await service.start();
    connectCdrInterface(pbx, service);
    // The player side: its own view of the store, as `recorder serve` has.
    const serveSide = await openRecordings(config, undefined);
    const server = new PlayerServer({ recordings: serveSide, accountsPath: join(base, 'accounts.sqlite'), port: 0 });
    await server.listen();
    const appServer = new EmbeddedAppServer();
    const { address } = await appServer.start();
    const link = new PlayerLink({ recordings: serveSide, server, logger: pino({ level: 'silent' }), appServer: { host: '127.0.0.1', port: Number(address.split(':')[1]) } });
    await link.start();
    try {
      await until(() => appServer.connections === 1, 10_000, 'the link connected');
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      await until(
        async () => readdirSync(endpoints.recDir).length === 0 && [...(await readJournal(config.storage.journalPath)).items.values()].every((item) => ['source-deleted', 'discarded'].includes(item.state)),
        60_000,
        'every capture decided',
        200,
      );
      const [marked, unmarked, user] = pbx.calls;
      const store = scanStore(config.storage.root);
      expect([...store.audio.keys()]).toEqual([marked!.confId]);
      const track = store.audio.get(marked!.confId)![0]!.split('/').pop()!;
      await until(() => appServer.messages.some((m) => m.line.startsWith('!LAST!')), 10_000, 'the LAST');
      const lines = appServer.messages.map((m) => m.line).filter((line) => line !== 'RecKA');
      expect(lines).toEqual([`!FRST!20!${marked!.confId}!Mario Rossi`, `!FRST!21!${unmarked!.confId}!Laura Bianchi`, `!LAST!20!${marked!.confId}!${track}!Mario Rossi`]);
      expect(lines.some((line) => line.includes(user!.confId))).toBe(false);
      const frst = appServer.calls.get(marked!.confId)!;
      expect(frst.firstAt!).toBeLessThan(frst.lastAt!);
    } finally {
      await link.stop();
      await appServer.stop();
      await server.close();
      await serveSide.close();
      await service.stop();
      await pbx.stop();
    }
  });
});
