import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultFaults } from '../../../src/embedded/model.js';
import type { FaultState } from '../../../src/embedded/model.js';
import { ManualClock } from '../../../src/embedded/run/clock.js';
import { ReportingService, cdrsFor } from '../../../src/embedded/reporting/index.js';
import { parseCallRecords } from '../../../src/recorder/pbx/index.js';
import type { Cdr } from '../../../src/recorder/pbx/index.js';
import { tanIn } from '../../../src/recorder/rules/index.js';
import { EXTERNAL, T0, allCalls, blindTransfer, directory, inboundAnswered, noLicence, outboundWithTan, unanswered } from './fixtures.js';

const AUTH = `Basic ${Buffer.from('recorder:secret').toString('base64')}`;

describe('ReportingService (report.php)', () => {
  let clock: ManualClock;
  let faults: FaultState;
  let service: ReportingService;
  let url: string;

  beforeEach(async () => {
    clock = new ManualClock(T0 + 3_600_000);
    faults = defaultFaults();
    service = new ReportingService({ directory, faults, clock, username: 'recorder', password: 'secret' });
    ({ url } = await service.listen(0, '127.0.0.1'));
  });

  afterEach(async () => {
    await service.close();
  });

  const get = (query: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${url}?${query}`, { ...init, headers: { authorization: AUTH, ...(init.headers as Record<string, string> | undefined) } });

  const records = async (query: string): Promise<Cdr[]> => {
    const res = await get(query);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/xml/);
    return parseCallRecords(await res.text(), `${url}?${query}`).legs;
  };

  it('listens on the report.php path and stores CDRs only for licensed users', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apps\/innovaphone-reporting\/report\.php$/);
    for (const call of allCalls) service.onCallEnd(call);
    // inbound 1 + transfer 2 + tan 1 + no-licence 0 + unanswered 1
    expect(service.cdrCount()).toBe(5);
  });

  it('answers a confid query with that conference CDRs, matching the call', async () => {
    for (const call of allCalls) service.onCallEnd(call);
    const cdrs = await records(`remote=1&confid=${blindTransfer.confId}`);
    const leg = (c: Cdr): unknown[] => [c.conf, c.cn, c.e164, c.h323, c.dir, c.utc, c.local, c.groups];
    expect(cdrs.map(leg)).toEqual(cdrsFor(blindTransfer, directory).map(leg));
    expect((await records(`remote=1&confid=${blindTransfer.confId.toUpperCase()}`)).length).toBe(2);
    expect(await records(`remote=1&confid=${noLicence.confId}`)).toEqual([]);
    const [tan] = await records(`remote=1&confid=${outboundWithTan.confId}`);
    // The TAN is the number the agent dialled during the call: the TAN object's number (77) and the six digits.
    expect(tanIn(tan!, '77')).toBe('123456');
  });

  it('the report XML carries the summary fields of the Reporting appendix', async () => {
    service.onCallEnd(inboundAnswered);
    const res = await get(`remote=1&confid=${inboundAnswered.confId}`);
    const body = await res.text();
    expect(body).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<report>\n {2}<record>/);
    expect(body).toContain(`<time time="${Math.floor(inboundAnswered.setupTime / 1000)}" utc="${Math.floor(inboundAnswered.setupTime / 1000)}">2024-05-12 14:01:00</time>`);
    expect(body).toContain('<obj>Agent Smith</obj>');
    expect(body).toContain(`<id>${inboundAnswered.confId}</id>`);
    expect(body).toContain('<call>ext</call>');
    expect(body).toContain('<alert-duration seconds="3">0:03</alert-duration>');
    expect(body).toContain('<conn-duration seconds="20">0:20</conn-duration>');
    expect(body).toContain('<dir>i</dir>');
    expect(body).toContain('<status>co</status>');
    expect(body).toContain(`<remote number="${EXTERNAL}" name="" dn=""/>`);
    expect(body).toContain('<ev caller="ep1" ep1_number="0301234567" ep1_name="" ep1_dn="" ep2_number="24" ep2_name="u24" ep2_dn="Agent Smith" status="co" entry="true"/>');
  });

  it('selects by from/to as UNIX timestamps or dates, and by pbxobject pattern', async () => {
    for (const call of allCalls) service.onCallEnd(call);
    const base = Math.floor(T0 / 1000);
    // Calls start at T0 + index minutes; the transfer target leg starts 10 s later.
    expect((await records(`remote=1&from=${base + 60}&to=${base + 60}`)).map((c) => c.conf)).toEqual([inboundAnswered.confId]);
    expect((await records(`remote=1&from=${base + 120}&to=${base + 179}`)).map((c) => c.h323)).toEqual(['u24', 'u25']);
    expect(await records(`remote=1&from=2024-05-12&to=2024-05-12`)).toHaveLength(5);
    expect(await records(`remote=1&from=2024-05-11&to=2024-05-11`)).toHaveLength(0);
    expect(await records(`remote=1&from=2024-05-12T14:02:00Z&to=2024-05-12%2014:03:30`)).toHaveLength(3);
    expect((await records(`remote=1&from=2024-05-12&to=2024-05-12&pbxobject=AGENT%20J%25`)).map((c) => c.h323)).toEqual(['u25', 'u25']);
    expect((await records(`remote=1&from=2024-05-12&to=2024-05-12&pbxobject=u2_`)).length).toBe(5);
    expect(await records(`remote=1&from=2024-05-12&to=2024-05-12&pbxobject=u2`)).toHaveLength(0);
    expect(await records(`remote=1&from=2024-05-12&to=2024-05-12&pbx=MASTER`)).toHaveLength(5);
    expect(await records(`remote=1&from=2024-05-12&to=2024-05-12&pbx=other`)).toHaveLength(0);
    const descending = await records(`remote=1&from=2024-05-12&to=2024-05-12&sortorder=descending`);
    expect(descending.map((c) => c.conf)[0]).toBe(unanswered.confId);
  });

  it('accepts POST with a form body', async () => {
    service.onCallEnd(inboundAnswered);
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ remote: '1', confid: inboundAnswered.confId }).toString(),
    });
    expect(res.status).toBe(200);
    expect(parseCallRecords(await res.text(), 'post').legs).toHaveLength(1);
  });

  it('answers CSV with a header row and one quoted row per CDR', async () => {
    service.onCallEnd(outboundWithTan);
    const res = await get(`remote=1&confid=${outboundWithTan.confId}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^"Time","UTC","PBX Object","Conference ID"/);
    expect(lines[1]).toContain(`"Agent Smith","${outboundWithTan.confId}","ext","o","co"`);
  });

  it('hides a CDR until the reporting delay has passed on the simulated clock', async () => {
    faults.reportingDelayMs = 30_000;
    service.onCallEnd(inboundAnswered);
    expect(service.cdrCount()).toBe(1);
    expect(await records(`remote=1&confid=${inboundAnswered.confId}`)).toHaveLength(0);
    await clock.advance(29_999);
    expect(await records(`remote=1&confid=${inboundAnswered.confId}`)).toHaveLength(0);
    await clock.advance(1);
    expect(await records(`remote=1&confid=${inboundAnswered.confId}`)).toHaveLength(1);
  });

  it('answers 503 while the reporting-down fault is on', async () => {
    service.onCallEnd(inboundAnswered);
    faults.reportingDown = true;
    const res = await get(`remote=1&confid=${inboundAnswered.confId}`);
    expect(res.status).toBe(503);
    faults.reportingDown = false;
    expect((await get(`remote=1&confid=${inboundAnswered.confId}`)).status).toBe(200);
  });

  it('requires basic authentication', async () => {
    const none = await fetch(`${url}?remote=1&confid=${inboundAnswered.confId}`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const wrong = await fetch(`${url}?remote=1&confid=${inboundAnswered.confId}`, { headers: { authorization: `Basic ${Buffer.from('recorder:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
  });

  it('answers malformed requests with 400 and a reason, and keeps serving', async () => {
    const cases: [string, number, RegExp][] = [
      [`confid=${inboundAnswered.confId}`, 400, /remote: missing/],
      [`remote=2&confid=${inboundAnswered.confId}`, 400, /remote: must be 1/],
      [`remote=1&remote=1&confid=${inboundAnswered.confId}`, 400, /remote: given more than once/],
      ['remote=1', 400, /from: missing/],
      ['remote=1&from=2024-05-12', 400, /to: missing/],
      ['remote=1&from=yesterday&to=2024-05-12', 400, /from: not a UNIX timestamp/],
      ['remote=1&from=2024-02-30&to=2024-05-12', 400, /from: not a valid date/],
      ['remote=1&from=2024-05-13&to=2024-05-12', 400, /to: is before from/],
      ['remote=1&confid=xyz', 400, /confid: must be 32 hex digits/],
      [`remote=1&confid=${inboundAnswered.confId}&format=json`, 400, /format: unknown format/],
      [`remote=1&confid=${inboundAnswered.confId}&format=pdf`, 501, /pdf is not supported/],
      [`remote=1&confid=${inboundAnswered.confId}&sortby=colour`, 400, /sortby/],
      [`remote=1&confid=${inboundAnswered.confId}&sortorder=up`, 400, /sortorder/],
      ['remote=1&confid=%E0%A4%A', 400, /confid/],
    ];
    for (const [query, status, reason] of cases) {
      const res = await get(query);
      expect(res.status, query).toBe(status);
      expect(await res.text(), query).toMatch(reason);
    }
    const elsewhere = await fetch(url.replace('report.php', 'other.php'), { headers: { authorization: AUTH } });
    expect(elsewhere.status).toBe(404);
    const put = await fetch(`${url}?remote=1`, { method: 'PUT', headers: { authorization: AUTH } });
    expect(put.status).toBe(405);
    const json = await fetch(url, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    service.onCallEnd(inboundAnswered);
    expect(await records(`remote=1&confid=${inboundAnswered.confId}`)).toHaveLength(1);
  });
});

describe('ReportingService without credentials', () => {
  it('serves without authentication when no username is configured', async () => {
    const service = new ReportingService({ directory, faults: defaultFaults(), clock: new ManualClock(T0 + 3_600_000) });
    const { url } = await service.listen();
    try {
      service.onCallEnd(inboundAnswered);
      const res = await fetch(`${url}?remote=1&confid=${inboundAnswered.confId}`);
      expect(res.status).toBe(200);
      expect(parseCallRecords(await res.text(), url).legs).toHaveLength(1);
    } finally {
      await service.close();
    }
  });
});
