// A call whose records straddle a recorder restart: the PBX posts one CDR per record and keeps what it could not
// post while the recorder was down for its next try, so at start the CDR interface's inbox may hold only part of a
// call's records. Deciding on them would file the call under the wrong agent or discard it; the recorder gives such
// records twice the time it was down to be completed. Here the recorder was down 5 s; the agent's record is not in
// the inbox at start (the PBX has not posted it again yet) and comes 2 s after the start.
import { mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { parseCdrXml } from '../../src/recorder/pbx/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import { CdrInterface } from '../../src/recorder/service/cdr-interface.js';
import { CDR_INTERFACE_PASSWORD, CDR_INTERFACE_USER, scanStore, serviceConfigInput, until } from './helpers/service-harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('CDRs posted before a restart', () => {
  it('a call with only part of its records in the inbox waits for the rest the PBX held back, then is filed under its agent', { timeout: 60_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-cdr-restart-'));
    dirs.push(base);
    const pbx = new EmbeddedPbx({
      // The caller reaches 30 (a user, no agent), who transfers the call to agent 21: it is 21's recording.
      scenario: { seed: 9, calls: [{ kind: 'blind-transfer', from: '0070317300912', to: '30', via: '21', by: '30', at: 1, ringSeconds: 1, talkSeconds: 4 }] },
      directory: defaultDirectory(),
      driveRoot: join(base, 'drive'),
      speed: 20,
      captureFlushMs: 50,
    });
    const endpoints = await pbx.start();
    const config = validateConfig(serviceConfigInput(base, endpoints, { cdrInterface: true }), 'e2e-config', base);
    const inboxDir = join(config.storage.workDir, 'cdr-inbox');
    const inbox = new CdrInterface({ host: '127.0.0.1', port: 0, path: '/cdr', username: CDR_INTERFACE_USER, password: CDR_INTERFACE_PASSWORD, inboxDir });
    pbx.addCdrInterface({ url: await inbox.listen(), username: CDR_INTERFACE_USER, password: CDR_INTERFACE_PASSWORD });
    let service: RecorderService | undefined;
    try {
      expect((await pbx.run()).failures).toEqual([]);
      const call = pbx.calls[0]!;
      await until(() => inbox.received >= 2, 20_000, `the call's records posted (${inbox.received}; expected agent ${call.expected.agent})`);
      await inbox.close();
      // The agent's record has not reached the recorder yet: only the others are in the inbox.
      const folder = join(inboxDir, call.confId);
      const kept: string[] = [];
      let heldBack = '';
      for (const file of readdirSync(folder)) {
        const xml = readFileSync(join(folder, file), 'utf8');
        const e164 = parseCdrXml(xml, file)[0]?.e164;
        if (e164 !== call.expected.agent) kept.push(e164 ?? '?');
        else {
          heldBack = xml;
          rmSync(join(folder, file));
        }
      }
      expect(kept.length).toBeGreaterThan(0);
      expect(heldBack).not.toBe('');
      // The last run's journal: last written 5 s ago, when it went down.
      mkdirSync(dirname(config.storage.journalPath), { recursive: true });
      writeFileSync(config.storage.journalPath, '');
      const down = new Date(Date.now() - 5000);
      utimesSync(config.storage.journalPath, down, down);

      service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 });
      await service.start();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const posted = await fetch(service.cdrInterfaceUrl!, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', authorization: `Basic ${Buffer.from(`${CDR_INTERFACE_USER}:${CDR_INTERFACE_PASSWORD}`).toString('base64')}` },
        body: heldBack,
      });
      expect(posted.status).toBe(200);
      await until(async () => (await readJournal(config.storage.journalPath)).items.get(`${call.confId}.pcap`)?.state === 'source-deleted', 30_000, 'the call filed');
      const filed = [...scanStore(config.storage.root).audio.values()].flat();
      expect(filed).toHaveLength(1);
      expect(filed[0]).toContain(`_${call.expected.agent}_`);
      expect(service.status().counters).toMatchObject({ decidedFromCdrInterface: 1, decidedFromReporting: 0 });
    } finally {
      await service?.stop();
      await inbox.close();
      await pbx.stop();
    }
  });
});
