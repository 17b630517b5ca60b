import { describe, expect, it } from 'vitest';
import { phoneId } from '../../../src/embedded/plan/index.js';
import { cdrXmlFor, cdrsFor, pbxUptime, reportXml } from '../../../src/embedded/reporting/index.js';
import { CdrParseError, cdrSummary, parseCallRecords, parseCdrXml } from '../../../src/recorder/pbx/index.js';
import { tanIn } from '../../../src/recorder/rules/index.js';
import type { Cdr } from '../../../src/recorder/pbx/index.js';
import { EXTERNAL, allCalls, blindTransfer, directory, inboundAnswered, noLicence, outboundWithTan, unanswered } from './fixtures.js';

const msgs = (cdr: Cdr): string[] => cdr.events.map((e) => e.msg);

describe('cdrsFor / cdrXmlFor', () => {
  it('inbound answered call: one CDR for the called agent with parties, direction and times', () => {
    const [cdr, ...rest] = cdrsFor(inboundAnswered, directory);
    expect(rest).toHaveLength(0);
    expect(cdr).toMatchObject({
      pbx: 'master',
      cn: 'Agent Smith',
      e164: '24',
      h323: 'u24',
      dir: 'to',
      utc: Math.floor(inboundAnswered.setupTime / 1000),
      conf: inboundAnswered.confId,
      groups: [{ name: 'Sales', active: true }, { name: 'Recording', active: true }],
    });
    expect(msgs(cdr!)).toEqual(['setup-to', 'alert-from', 'conn-from', 'rel-to']);
    expect(cdr!.events[0]).toMatchObject({ time: 0, conf: inboundAnswered.confId, party: { e164: EXTERNAL, external: true } });
    expect(cdr!.events[3]).toMatchObject({ time: 23, cause: 16 });
    const summary = cdrSummary(cdr!);
    expect(summary).toMatchObject({ direction: 'i', call: 'ext', status: 'co', type: '', connectTime: 3, endTime: 23, alertSeconds: 3, callSeconds: 23, connSeconds: 20, remote: { e164: EXTERNAL } });
  });

  it('blind transfer: the transferring agent gets dir=ct with the target, the target gets its own CDR', () => {
    const cdrs = cdrsFor(blindTransfer, directory);
    expect(cdrs.map((c) => c.h323)).toEqual(['u24', 'u25']);
    const [a, b] = cdrs as [Cdr, Cdr];
    expect(a.dir).toBe('ct');
    expect(msgs(a)).toEqual(['setup-to', 'alert-from', 'conn-from', 'transfer-from', 'rel-from']);
    expect(a.events[3]).toMatchObject({ time: 10, party: { e164: EXTERNAL, external: true }, to: { e164: '25', h323: 'u25', dn: 'Agent Jones', external: false } });
    expect(cdrSummary(a)).toMatchObject({ type: 'ct', connectTime: 3, connSeconds: 7, remote: { e164: EXTERNAL } });
    expect(b.dir).toBe('to');
    expect(b.utc).toBe(Math.floor(blindTransfer.setupTime / 1000) + 10);
    expect(b.conf).toBe(blindTransfer.confId);
    expect(msgs(b)).toEqual(['setup-to', 'alert-from', 'conn-from', 'rel-to']);
    expect(cdrSummary(b)).toMatchObject({ connectTime: 2, endTime: 20, remote: { e164: EXTERNAL } });
    expect(a.id).not.toBe(b.id);
  });

  it('TAN entered during an outgoing call is on the agent CDR, with the keyed digits as an event', () => {
    const [cdr] = cdrsFor(outboundWithTan, directory);
    expect(cdr).toMatchObject({ dir: 'from' });
    // The TAN is no attribute of its own: the agent dialled the TAN object (77) and the digits during the call.
    expect(tanIn(cdr!, '77')).toBe('123456');
    expect(cdrXmlFor(outboundWithTan, directory)[0]).toMatch(/<event msg="info-from" time="\d+" e164="77123456" h323="[^"]*"/);
    expect(msgs(cdr!)).toEqual(['setup-from', 'alert-to', 'conn-to', 'dtmf-from', 'rel-from']);
    expect(cdr!.events[3]).toMatchObject({ time: 9, digits: '77123456' });
    expect(cdrSummary(cdr!)).toMatchObject({ direction: 'o', remote: { e164: '00891234', external: true }, connectTime: 4, endTime: 25 });
  });

  it('a user without a reporting licence produces no CDR', () => {
    expect(cdrsFor(noLicence, directory)).toEqual([]);
    expect(cdrXmlFor(noLicence, directory)).toEqual([]);
  });

  it('unanswered call: alerted, never connected, release cause no-answer', () => {
    const [cdr] = cdrsFor(unanswered, directory);
    expect(msgs(cdr!)).toEqual(['setup-to', 'alert-from', 'rel-to']);
    const summary = cdrSummary(cdr!);
    expect(summary.connectTime).toBeUndefined();
    expect(summary).toMatchObject({ status: 'al', cause: 19, alertSeconds: 15, connSeconds: 0, endTime: 15 });
  });

  it('applies the PBX clock skew to the reported times', () => {
    const [cdr] = cdrsFor(inboundAnswered, directory, { clockSkewMs: 5000, localOffsetMinutes: 120 });
    expect(cdr!.utc).toBe(Math.floor(inboundAnswered.setupTime / 1000) + 5);
    expect(cdr!.local).toBe(cdr!.utc + 7200);
  });

  it('writes the innovaphone CDR shape', () => {
    const [xml] = cdrXmlFor(blindTransfer, directory);
    const device = phoneId(directory.users.find((u) => u.name === 'u24')!);
    expect(xml).toMatch(new RegExp(`^<cdr id="[0-9a-f]{32}" guid="[0-9a-f]{32}" sys="master" pbx="master" node="root" device="${device}" cn="Agent Smith" e164="24" h323="u24" dir="ct" utc="\\d+" local="\\d+">`));
    // Event times are the PBX's uptime in seconds, as a V10 PBX writes them.
    const up = pbxUptime(cdrsFor(blindTransfer, directory)[0]!.utc);
    expect(xml).toContain(`<event msg="setup-to" time="${up}" type="ext" e164="${EXTERNAL}" conf="${blindTransfer.confId}"/>`);
    expect(xml).toContain(`<event msg="transfer-from" time="${up + 10}" type="ext" e164="0301234567">\n    <to e164="25" h323="u25" dn="Agent Jones"/>\n  </event>`);
    expect(xml).toContain(`<event msg="rel-from" time="${up + 10}" type="ext" e164="0301234567" cause="16"/>`);
    expect(xml).not.toMatch(/\btan=|\bcf=|\bdigits=|\bconsult=/);
  });
});

const withoutSource = ({ source: _source, ...cdr }: Cdr): Cdr => cdr;

describe('parseCdrXml', () => {
  it('round-trips cdrXmlFor for every call', () => {
    for (const call of allCalls) {
      const expected = cdrsFor(call, directory);
      const parsed = cdrXmlFor(call, directory).flatMap((xml, i) => parseCdrXml(xml, `call${call.index}#${i}`));
      expect(parsed.map(withoutSource)).toEqual(expected);
    }
  });

  it('reads the legs out of a Report XML document, and no <cdr> is in it', () => {
    const cdrs = allCalls.flatMap((call) => cdrsFor(call, directory));
    const xml = reportXml(cdrs);
    expect(xml).not.toContain('<cdr');
    const { format, legs } = parseCallRecords(xml, 'report');
    expect(format).toBe('report-xml');
    const key = (c: Cdr): unknown[] => [c.conf, c.cn, c.e164, c.h323, c.utc, c.local, c.groups];
    expect(legs.map(key)).toEqual(cdrs.map(key));
    expect(parseCallRecords('<?xml version="1.0"?><report/>', 'empty').legs).toEqual([]);
  });

  it('decodes entities and keeps odd characters in names', () => {
    const [cdr] = cdrsFor(inboundAnswered, { ...directory, users: directory.users.map((u) => (u.name === 'u24' ? { ...u, displayName: 'Smith & <Sons> "Ltd"' } : u)) });
    const [parsed] = parseCdrXml(cdrXmlFor(inboundAnswered, { ...directory, users: directory.users.map((u) => (u.name === 'u24' ? { ...u, displayName: 'Smith & <Sons> "Ltd"' } : u)) })[0]!, 'x');
    expect(parsed!.cn).toBe('Smith & <Sons> "Ltd"');
    expect(withoutSource(parsed!)).toEqual(cdr);
  });

  const bad = (xml: string): CdrParseError => {
    try {
      parseCdrXml(xml, 'http://reporting.test/report.php?confid=1');
    } catch (error) {
      expect(error).toBeInstanceOf(CdrParseError);
      return error as CdrParseError;
    }
    throw new Error('expected a CdrParseError');
  };

  it('junk, empty and truncated documents give a typed error naming the source', () => {
    const junk = bad('this is not xml');
    expect(junk.source).toBe('http://reporting.test/report.php?confid=1');
    expect(junk.element).toBe('(document)');
    expect(junk.message).toContain('http://reporting.test/report.php?confid=1');
    expect(bad('').reason).toBe('empty document');
    const full = cdrXmlFor(inboundAnswered, directory)[0]!;
    const truncated = bad(full.slice(0, full.length - 20));
    expect(truncated.element).toBe('(document)');
    expect(truncated.reason).toMatch(/truncated|unterminated/);
    expect(bad('<cdr dir="to" utc="1" cn="a"><event msg="setup-to" time="0" conf="x"/></cdr><cdr/>').reason).toMatch(/second root/);
    expect(bad('<!DOCTYPE x [<!ENTITY a "b">]><cdr/>').reason).toMatch(/DOCTYPE/);
    expect(bad('<cdr cn="a &bogus; b"/>').reason).toMatch(/unknown entity/);
  });

  it('names the element at fault in a well-formed but wrong CDR', () => {
    expect(bad('<html><body>500</body></html>')).toMatchObject({ element: '<html>' });
    expect(bad('<cdr utc="1" cn="a"><event msg="setup-to" time="0" conf="c"/></cdr>')).toMatchObject({ element: 'cdr', reason: expect.stringMatching(/dir/) });
    expect(bad('<cdr dir="to" utc="soon" cn="a"><event msg="setup-to" time="0" conf="c"/></cdr>')).toMatchObject({ element: 'cdr', reason: expect.stringMatching(/utc/) });
    expect(bad('<cdrs><cdr dir="to" utc="1" cn="a"><event msg="setup-to" time="0" conf="c"/><event msg="rel-to" time="x"/></cdr></cdrs>')).toMatchObject({
      element: 'cdrs/cdr[1]/event[2]',
      reason: expect.stringMatching(/time/),
    });
    expect(bad('<cdr dir="to" utc="1" cn="a"><event msg="setup-to" time="0"/></cdr>')).toMatchObject({ element: 'cdr', reason: expect.stringMatching(/conf/) });
    expect(bad('<cdr dir="to" utc="1" cn="a"/>')).toMatchObject({ reason: expect.stringMatching(/no <event>/) });
  });

  it('accepts a real PBX CDR with messages it does not know', () => {
    const real =
      '<cdr guid="e78cb2b8e909d31188ce0090330602e8" sys="PBX" pbx="." node="root" device="a" cn="A" e164="100" h323="a" dir="from" utc="1272551262" local="1272558462">\n' +
      '  <user/>\n  <event msg="setup-from" time="0" e164="101" conf="9ce01d5b1ee56701e054009033300cdb"/>\n' +
      '  <event msg="info-from" time="1" e164="1"/>\n  <event msg="alert-to" time="1" e164="101" h323="b"/>\n' +
      '  <event msg="conn-to" time="2" e164="101" h323="b"/>\n  <event msg="rel-to" time="4" cause="0"/>\n</cdr>';
    const [cdr] = parseCdrXml(real, 'sample');
    expect(cdr).toMatchObject({ cn: 'A', dir: 'from', utc: 1272551262, conf: '9ce01d5b1ee56701e054009033300cdb' });
    expect(cdrSummary(cdr!)).toMatchObject({ direction: 'o', connectTime: 2, endTime: 4, remote: { e164: '101' } });
  });
});
