/**
 * A Report XML record read as a call leg, so that the rules decide from what
 * Reporting's remote interface returns exactly as from CDR-XML.
 *
 * A record is one PBX object's view of the call, summarised: the call flow
 * (which endpoints were in a call, in which state, with which transfer,
 * forward or pickup), durations and groups, but no time per event and no
 * device. The leg is rebuilt from the documented fields:
 *  - the object's own endpoint in the entry event is the one whose display
 *    name or name is the record's `obj` (else: the caller for dir o);
 *  - a party outside the PBX (external) is a number without an object
 *    name in a call marked `ext`;
 *  - ringing lasts `alert-duration` from the record's time, the object is
 *    connected after it when the entry event's status is co, and the call
 *    ends after `call-duration`; the object leaves a transfer after its
 *    `conn-duration`;
 *  - a forward the object made (a later event of type cf to someone else):
 *    CFB when the entry status is bu, CFNR when it rang, CFU otherwise;
 *  - a pickup: the entry event of type pu (the object picked the call up),
 *    a later one (the call was picked away from it);
 *  - a later event the object placed without a type: digits dialled during
 *    the call (TAN, TCR marking), the VM object's number and the digits.
 * Phone captures cannot be told apart by device from records (they name no
 * device); the rules say so rather than guess.
 */
import type { Cdr, CdrEvent, CdrParty } from './cdr.js';
import type { ReportFlowEvent, ReportParty, ReportRecord } from './report-xml.js';

export function legFromReportRecord(record: ReportRecord): Cdr {
  const entryIndex = Math.max(0, record.flow.findIndex((ev) => ev.entry));
  const entry: ReportFlowEvent | undefined = record.flow[entryIndex];
  const outgoing = record.dir === 'o';
  const named = (p: ReportParty): boolean => {
    const obj = record.obj.toLowerCase();
    return p.dn.toLowerCase() === obj || p.name.toLowerCase() === obj;
  };
  let selfSide: 'ep1' | 'ep2' = outgoing ? 'ep1' : 'ep2';
  if (entry) {
    if (named(entry.ep1) && !named(entry.ep2)) selfSide = 'ep1';
    else if (named(entry.ep2) && !named(entry.ep1)) selfSide = 'ep2';
    else if (entry.caller === 'ep2') selfSide = outgoing ? 'ep2' : 'ep1';
  }
  const self: ReportParty = entry ? entry[selfSide] : { number: '', name: '', dn: record.obj };
  const other: ReportParty | undefined = entry ? entry[selfSide === 'ep1' ? 'ep2' : 'ep1'] : undefined;
  const isSelf = (p: ReportParty): boolean => (self.number !== '' && p.number === self.number) || (self.number === '' && named(p));
  const party = (p: ReportParty): CdrParty => ({
    ...(p.number ? { e164: p.number } : {}),
    ...(p.name ? { h323: p.name } : {}),
    ...(p.dn ? { dn: p.dn } : {}),
    external: record.call === 'ext' && p.number !== '' && p.name === '',
  });

  const answerAt = record.alertSeconds;
  const endAt = Math.max(record.callSeconds, answerAt);
  const leaveAt = Math.min(endAt, answerAt + record.connSeconds);
  const events: CdrEvent[] = [];
  const otherParty = other ? party(other) : undefined;
  const withParty = otherParty ? { party: otherParty } : {};
  events.push({ msg: outgoing ? 'setup-from' : 'setup-to', time: 0, conf: record.conf, ...withParty });
  const entryStatus = entry?.status ?? record.status;
  if (record.alertSeconds > 0 || entryStatus === 'al' || entryStatus === 'co') events.push({ msg: outgoing ? 'alert-to' : 'alert-from', time: 0, ...withParty });

  const later = record.flow.slice(entryIndex + 1);
  const forward = later.find((ev) => ev.type === 'cf' && !isSelf(ev.ep2));
  const pickedAway = later.find((ev) => ev.type === 'pu' && !isSelf(ev.ep2));
  let dir: Cdr['dir'] = outgoing ? 'from' : 'to';
  if (forward) {
    dir = 'cf';
    const cf = entryStatus === 'bu' ? 'cfb' : record.alertSeconds > 0 ? 'cfnr' : 'cfu';
    events.push({ msg: 'cf-from', time: answerAt, cf, ...withParty, to: party(forward.ep2) });
  } else if (pickedAway) {
    events.push({ msg: 'pickup-to', time: answerAt, ...withParty, to: party(pickedAway.ep2) });
  } else {
    if (entry?.type === 'pu') events.push({ msg: 'pickup-from', time: answerAt, ...withParty });
    if (entryStatus === 'co') events.push({ msg: outgoing ? 'conn-to' : 'conn-from', time: answerAt, ...withParty });
    for (const ev of later) {
      if (ev.type === 'ct' || ev.type === 'cct') {
        const consult = ev.type === 'cct' ? { consult: true } : {};
        if (isSelf(ev.ep2)) events.push({ msg: 'transfer-to', time: answerAt, party: party(ev.ep1), to: party(ev.ep2), ...consult });
        else if (isSelf(ev.ep1)) events.push({ msg: 'transfer-to', time: answerAt, ...withParty, to: party(ev.ep2), ...consult });
        else {
          dir = 'ct';
          events.push({ msg: 'transfer-from', time: leaveAt, party: party(ev.ep1), to: party(ev.ep2), ...consult });
        }
      } else if (ev.type === '' && ev.caller !== '' && isSelf(ev[ev.caller]) && ev[ev.caller === 'ep1' ? 'ep2' : 'ep1'].number !== '') {
        const dialled = ev[ev.caller === 'ep1' ? 'ep2' : 'ep1'];
        events.push({ msg: 'dtmf-from', time: answerAt, digits: dialled.number, ...(dialled.name ? { party: { h323: dialled.name, external: false } } : {}) });
      }
    }
  }
  events.push({ msg: outgoing ? 'rel-from' : 'rel-to', time: endAt, ...withParty, ...(record.cause !== undefined ? { cause: record.cause } : {}) });
  events.sort((a, b) => a.time - b.time);

  return {
    guid: '',
    pbx: record.pbx,
    node: record.node,
    cn: record.obj,
    e164: self.number,
    h323: self.name,
    dir,
    utc: record.utc,
    local: record.localTime,
    conf: record.conf,
    groups: record.groups.map((name) => ({ name, active: true })),
    events,
    ...(record.source !== undefined ? { source: record.source } : {}),
  };
}
