// The player link between the store and an AppServer (the embedded one, which reads the protocol on its own):
// FRST/LAST from another process's changes (a second Recordings on the same store, as `recorder run` is), the
// AppServer's commands to named players with their permissions, the URL interface on 127.0.0.1, and 100 players.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedAppServer } from '../../../src/embedded/index.js';
import { PlayerLink } from '../../../src/player/index.js';
import type { PlayerServer } from '../../../src/player/index.js';
import { Recordings } from '../../../src/recordings/index.js';
import { capturingLogger, until } from '../../e2e/helpers/service-harness.js';
import { Client, PASSWORD, makeFixture, openEvents, startServer } from '../helpers.js';
import type { Fixture } from '../helpers.js';
import { join } from 'node:path';

let fixture: Fixture;
let server: PlayerServer;
let url: string;
let serveSide: Recordings;
let appServer: EmbeddedAppServer;
let link: PlayerLink;
let logs: Record<string, unknown>[];

const utc = (h: number, m: number): Date => new Date(Date.UTC(2024, 4, 12, h, m, 0));

beforeEach(async () => {
  fixture = await makeFixture();
  ({ server, url } = await startServer(fixture));
  // The link's process follows the store like `recorder serve` does; fixture.recordings files like `recorder run`.
  serveSide = await Recordings.open({ root: join(fixture.dir, 'rec'), indexPath: join(fixture.dir, 'index.sqlite'), timeZone: 'utc' });
  appServer = new EmbeddedAppServer();
  const { address } = await appServer.start();
  const captured = capturingLogger('info');
  logs = captured.records;
  link = new PlayerLink({ recordings: serveSide, server, logger: captured.logger, appServer: { host: '127.0.0.1', port: Number(address.split(':')[1]), reconnectMs: [50, 200] }, urlPort: 0 });
  await link.start();
  await until(() => appServer.connections === 1, 10_000, 'the link connected');
});

afterEach(async () => {
  await link.stop();
  await appServer.stop();
  await server.close();
  await serveSide.close();
  await fixture.cleanup();
});

describe('PlayerLink', () => {
  it('tells the AppServer FRST when a recorded call starts and LAST once its recording is filed, from another process', async () => {
    await fixture.recordings.announceCallStart({ callId: 'c03a55c2e909d311b6450090331b3e3b', extension: '201', agent: 'Anna Meyer' });
    const first = await appServer.waitFor((m) => m.line.startsWith('!FRST!'), 10_000, 0);
    expect(first.line).toBe('!FRST!201!c03a55c2e909d311b6450090331b3e3b!Anna Meyer');
    const filed = await fixture.file({ callId: 'c03a55c2e909d311b6450090331b3e3b', start: utc(14, 0), internal: '201', internalName: 'Anna Meyer', external: '0301234567' });
    const last = await appServer.waitFor((m) => m.line.startsWith('!LAST!'), 10_000, 0);
    expect(last.line).toBe(`!LAST!201!c03a55c2e909d311b6450090331b3e3b!${filed.name}.wav!Anna Meyer`);
    expect(appServer.calls.get('c03a55c2e909d311b6450090331b3e3b')).toMatchObject({ extension: '201', agent: 'Anna Meyer', track: `${filed.name}.wav` });
    expect(appServer.calls.get('c03a55c2e909d311b6450090331b3e3b')!.firstAt!).toBeLessThanOrEqual(last.at);
    // A phone's capture carries device and counter after the conference id: the UID stays the conference id.
    const phone = await fixture.file({ callId: 'd03a55c2e909d311b6450090331b3e3b-009033aabbcc-2', start: utc(14, 5), internal: '201', external: '0301234567' });
    expect((await appServer.waitFor((m) => m.line.includes(phone.name), 10_000)).line).toBe(`!LAST!201!d03a55c2e909d311b6450090331b3e3b!${phone.name}.wav!Agent 201`);
    expect(link.status().appServer).toMatchObject({ connected: true, sent: 3, dropped: 0 });
  });

  it("routes the AppServer's commands to the named player, never past its account's permissions", async () => {
    const anna = await fixture.file({ callId: 'call-a', start: utc(9, 0), internal: '201', external: '0301111' });
    const bobs = await fixture.file({ callId: 'call-b', start: utc(9, 5), internal: '202', external: '0302222' });
    const ann = new Client(url);
    await ann.login('ann', PASSWORD);
    const rossi = await openEvents(ann, 'Rossi');
    expect(await rossi.next('hello')).toEqual({ user: 'ann', player: 'Rossi' });
    await until(() => link.status().players.Rossi === 1, 5_000, 'Rossi connected');

    appServer.send(`TRAC!Rossi!${anna.name}.wav`);
    expect(await rossi.next('remote')).toMatchObject({ verb: 'TRAC', track: anna.name, recording: { name: anna.name } });
    for (const verb of ['PAUS', 'PLAY', 'STOP', 'EJEC']) {
      appServer.send(`${verb}!Rossi`);
      expect(await rossi.next('remote')).toEqual({ verb });
    }
    // Bob's call is not Ann's to hear: nothing reaches her player; the refusal is logged.
    appServer.send(`TRAC!Rossi!${bobs.name}.wav`);
    appServer.send('STOP!Rossi'); // a marker: the next event Ann's player gets
    expect(await rossi.next('remote')).toEqual({ verb: 'STOP' });
    await until(() => logs.some((r) => String(r.msg).includes('TRAC refused')), 5_000, 'the refusal logged');
    // Unknown tracks and unknown players: nothing happens, both logged.
    appServer.send('TRAC!Rossi!2024_05_12_0900_00_i_0301111_3_no-such-call.wav');
    appServer.send('PLAY!Nobody');
    await until(() => logs.some((r) => String(r.msg).includes('track the store does not have')) && logs.some((r) => String(r.msg).includes('no such player')), 5_000, 'both logged');
    rossi.close();
  });

  it('the URL interface on 127.0.0.1 drives the players of this machine; GET as from a browser', async () => {
    const call = await fixture.file({ callId: 'call-u', start: utc(10, 0), internal: '201', external: '0303333' });
    const sue = new Client(url);
    await sue.login('sue', PASSWORD);
    const local = await openEvents(sue, 'Desk');
    await local.next('hello');
    const base = link.status().urlInterface!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const trac = await fetch(`${base}/IPLTRAC${call.name}.wav`);
    expect([trac.status, await trac.text()]).toEqual([200, 'ok: 1 player\n']);
    expect(await local.next('remote')).toMatchObject({ verb: 'TRAC', track: call.name });
    for (const [path, verb] of [['IPLPAUS', 'PAUS'], ['IPLPLAY', 'PLAY'], ['IPLSTOP', 'STOP'], ['IPLEJECT', 'EJEC']] as const) {
      expect((await fetch(`${base}/${path}`)).status).toBe(200);
      expect(await local.next('remote')).toEqual({ verb });
    }
    expect((await fetch(`${base}/IPLPLAY?player=Elsewhere`)).status).toBe(200); // no local player of that name: nobody told
    expect((await fetch(`${base}/IPLJUMP`)).status).toBe(404);
    expect((await fetch(`${base}/IPLTRAC`)).status).toBe(400);
    expect((await fetch(`${base}/IPLPLAY`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/IPLTRAC%E0%A4%A`)).status).toBe(400);
    local.close();
  });

  it('100 named players at once: a TRAC to each reaches exactly that one', async () => {
    const call = await fixture.file({ callId: 'call-100', start: utc(11, 0), internal: '201', external: '0304444' });
    const sue = new Client(url);
    await sue.login('sue', PASSWORD);
    const players = await Promise.all(Array.from({ length: 100 }, (_, i) => openEvents(sue, `P${i}`)));
    for (const player of players) await player.next('hello');
    await until(() => Object.keys(link.status().players).length === 100, 10_000, '100 players');
    const latencies: number[] = [];
    await Promise.all(
      players.map(async (player, i) => {
        const sent = performance.now();
        appServer.send(`TRAC!P${i}!${call.name}.wav`);
        const event = await player.next('remote');
        latencies.push(performance.now() - sent);
        expect(event).toMatchObject({ verb: 'TRAC', track: call.name });
      }),
    );
    latencies.sort((a, b) => a - b);
    const p95 = latencies[Math.ceil(latencies.length * 0.95) - 1]!;
    console.log(`100 players: AppServer TRAC → player event, p50 ${latencies[49]!.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);
    expect(latencies).toHaveLength(100);
    // Each got its own TRAC only: after a STOP to every one, the STOP is the next thing each stream holds.
    for (let i = 0; i < players.length; i++) appServer.send(`STOP!P${i}`);
    for (const player of players) expect(await player.next('remote')).toEqual({ verb: 'STOP' });
    for (const player of players) player.close();
  });
});
