import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, cdrsFor, defaultDirectory, randomScenario } from '../../src/embedded/index.js';
import { WebDavDrive } from '../../src/ingest/index.js';
import { PbxLink, ReportingClient } from '../../src/pbx/index.js';
import type { CallEndInfo } from '../../src/pbx/index.js';
import { readCapture } from '../../src/pcap/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('recorder pbx: the embedded PBX end to end, seen through the recorder-side clients', () => {
  it('20 random calls (seed 1): captures on the WebDAV drive, SOAP call ends and CDRs agree one to one with the plan', async () => {
    const driveRoot = await mkdtemp(join(tmpdir(), 'pbx-e2e-'));
    dirs.push(driveRoot);
    const directory = defaultDirectory();
    const pbx = new EmbeddedPbx({ scenario: randomScenario(directory, { calls: 20, seed: 1, meanGapSeconds: 6 }), directory, driveRoot, speed: 40, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const link = new PbxLink({ url: endpoints.soapUrl, username: endpoints.username, password: endpoints.password, pollTimeoutMs: 10_000 });
    const ends: CallEndInfo[] = [];
    link.on('call-end', (end) => ends.push(end));
    const linkUp = new Promise<void>((resolve) => link.on('status', (status) => status.up && resolve()));
    link.start();
    await linkUp;
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      expect(result.calls).toBe(20);
      // The last call's end reaches the link within one poll.
      await new Promise((resolve) => setTimeout(resolve, 600));

      const agentsByName = new Set(directory.users.filter((u) => u.recordingGroup).map((u) => u.name));
      const expectedEnds = pbx.calls.filter((call) => call.events.some((event) => agentsByName.has(event.user))).map((call) => call.confId);
      const endIds = ends.map((end) => end.confId);
      expect(endIds.sort()).toEqual([...expectedEnds].sort());

      const reporting = new ReportingClient({ url: endpoints.reportingUrl, username: endpoints.username, password: endpoints.password });
      let cdrTotal = 0;
      for (const call of pbx.calls) {
        const cdrs = await reporting.cdrsForConference(call.confId);
        const expected = cdrsFor(call, directory);
        expect(cdrs.map((cdr) => cdr.e164).sort()).toEqual(expected.map((cdr) => cdr.e164).sort());
        cdrTotal += cdrs.length;
      }
      expect(cdrTotal).toBeGreaterThan(0);

      const drive = new WebDavDrive({ url: endpoints.recUrl, username: endpoints.username, password: endpoints.password });
      const listed = (await drive.list()).map((entry) => entry.name).sort();
      const planned = pbx.calls.flatMap((call) => call.captures.map((capture) => capture.fileName)).sort();
      expect(planned.length).toBeGreaterThan(0);
      expect(listed).toEqual(planned);
      for (const name of planned) {
        let datagrams = 0;
        await readCapture(join(endpoints.recDir, name), () => datagrams++);
        expect(datagrams, name).toBeGreaterThan(0);
        expect((await stat(join(endpoints.recDir, name))).size).toBeGreaterThan(24);
      }
    } finally {
      await link.stop();
      await pbx.stop();
    }
  });
});
