import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PbxLink, ReportingClient } from '../../recorder/pbx/index.js';
import type { PbxLinkStatus } from '../../recorder/pbx/index.js';
import { readCapture } from '../../media/pcap/index.js';
import { cdrsFor } from '../reporting/index.js';
import type { EmbeddedPbx } from './pbx.js';

/** How a run of the embedded PBX agrees with its own plan, seen through the recorder's clients. */
export interface RunAgreement {
  readonly calls: number;
  readonly capturesPlanned: number;
  readonly capturesOnDrive: number;
  /** Planned captures missing on the drive, or on the drive but unplanned, or unreadable / without packets. */
  readonly captureMismatches: readonly string[];
  readonly soapEndsExpected: number;
  readonly soapEndsReceived: number;
  readonly soapMismatches: readonly string[];
  readonly cdrsExpected: number;
  readonly cdrsReceived: number;
  readonly cdrMismatches: readonly string[];
  readonly ok: boolean;
}

/**
 * Connects the recorder-side SOAP link before the run; call `finish()` after
 * `pbx.run()` to compare captures on the drive, SOAP call ends and the
 * reporting's CDRs with the plan, one to one.
 */
export async function watchRun(pbx: EmbeddedPbx, options: { onLinkStatus?: (status: PbxLinkStatus) => void } = {}): Promise<{ finish(): Promise<RunAgreement> }> {
  const endpoints = pbx.endpoints;
  const link = new PbxLink({ url: endpoints.soapUrl, username: endpoints.username, password: endpoints.password });
  if (options.onLinkStatus) link.on('status', options.onLinkStatus);
  const ends: string[] = [];
  link.on('call-end', (end) => ends.push(end.confId));
  const up = new Promise<void>((resolve) => link.on('status', (status) => status.up && resolve()));
  link.start();
  await up;
  return {
    async finish(): Promise<RunAgreement> {
      // The last call's end reaches the link within a poll and the end grace.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await link.stop();
      const directory = pbx.directory;
      const agents = new Set(directory.users.filter((user) => user.recordingGroup).map((user) => user.name));
      const soapMismatches: string[] = [];
      // Every conference a monitored user takes part in ends once: a call's own, and a marking call placed after it.
      const expectedEnds = [
        ...new Set(pbx.calls.flatMap((call) => call.events.filter((event) => agents.has(event.user)).map((event) => event.conf ?? call.confId))),
      ];
      const received = new Map<string, number>();
      for (const id of ends) received.set(id, (received.get(id) ?? 0) + 1);
      for (const id of expectedEnds) if (!received.has(id)) soapMismatches.push(`no SOAP call end for ${id}`);
      for (const [id, count] of received) {
        if (!expectedEnds.includes(id)) soapMismatches.push(`unexpected SOAP call end for ${id}`);
        if (count > 1) soapMismatches.push(`${count} SOAP call ends for ${id}`);
      }

      const reporting = new ReportingClient({ url: endpoints.reportingUrl, username: endpoints.username, password: endpoints.password });
      const cdrMismatches: string[] = [];
      let cdrsExpected = 0;
      let cdrsReceived = 0;
      for (const call of pbx.calls) {
        for (const conference of new Set([call.confId, ...call.events.flatMap((event) => (event.conf ? [event.conf] : []))])) {
          const got = (await reporting.cdrsForConference(conference)).map((cdr) => `${cdr.e164}/${cdr.dir}`).sort();
          const want = cdrsFor(call, directory, { conference }).map((cdr) => `${cdr.e164}/${cdr.dir}`).sort();
          cdrsExpected += want.length;
          cdrsReceived += got.length;
          if (got.join(',') !== want.join(',')) cdrMismatches.push(`${conference}: CDRs ${got.join(',') || 'none'}, planned ${want.join(',') || 'none'}`);
        }
      }

      const captureMismatches: string[] = [];
      const onDrive = (await readdir(endpoints.recDir)).filter((name) => name.endsWith('.pcap')).sort();
      const planned = pbx.calls.flatMap((call) => call.captures.map((capture) => capture.fileName)).sort();
      const plannedSet = new Set(planned);
      for (const name of planned) if (!onDrive.includes(name)) captureMismatches.push(`${name}: planned, not on the drive`);
      for (const name of onDrive) {
        if (!plannedSet.has(name)) {
          captureMismatches.push(`${name}: on the drive, not planned`);
          continue;
        }
        let datagrams = 0;
        try {
          await readCapture(join(endpoints.recDir, name), () => datagrams++);
        } catch (error) {
          captureMismatches.push(`${name}: unreadable (${error instanceof Error ? error.message : String(error)})`);
          continue;
        }
        if (datagrams === 0) captureMismatches.push(`${name}: no packets`);
      }
      return {
        calls: pbx.calls.length,
        capturesPlanned: planned.length,
        capturesOnDrive: onDrive.length,
        captureMismatches,
        soapEndsExpected: expectedEnds.length,
        soapEndsReceived: ends.length,
        soapMismatches,
        cdrsExpected,
        cdrsReceived,
        cdrMismatches,
        ok: captureMismatches.length === 0 && soapMismatches.length === 0 && cdrMismatches.length === 0,
      };
    },
  };
}
