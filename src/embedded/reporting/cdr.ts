/**
 * The CDRs the embedded PBX writes for a planned call (format and parser:
 * src/recorder/pbx/cdr.ts).
 *
 * `device` is the registered device the user's leg ran on, as on the real
 * PBX: here the user's phone id (`phoneId(user)`, the id a recording phone
 * puts into its v11 capture names `<confId>-<phoneId>-<counter>.pcap`), so
 * the recorder can tell whose phone wrote a capture.
 */
import { createHash } from 'node:crypto';
import type { CallEvent, PartyRef, PbxDirectory, PbxUser, PlannedCall } from '../model.js';
import { cdrToXml } from '../../recorder/pbx/index.js';
import { phoneId } from '../plan/index.js';
import type { Cdr, CdrDir, CdrEvent, CdrGroup, CdrParty } from '../../recorder/pbx/index.js';

export interface CdrOptions {
  /** Only the records of this conference (a call's own, or a marking call placed after it). */
  readonly conference?: string;
  /** Added to every reported time (the PBX clock's error), ms. */
  readonly clockSkewMs?: number;
  /** The PBX's local time offset from UTC, minutes (default 0). */
  readonly localOffsetMinutes?: number;
  /** Name the recording group appears under in `<group>` (default "Recording"). */
  readonly recordingGroupName?: string;
}

/** The CDRs the PBX writes at the end of `call`: one per user leg of a user with a reporting licence. */
export function cdrsFor(call: PlannedCall, directory: PbxDirectory, options: CdrOptions = {}): Cdr[] {
  const skew = options.clockSkewMs ?? 0;
  const localOffset = (options.localOffsetMinutes ?? 0) * 60;
  const legs = new Map<string, CallEvent[]>();
  const ordered = call.events.map((event, order) => ({ event, order })).sort((a, b) => a.event.at - b.event.at || a.order - b.order);
  for (const { event } of ordered) {
    const key = `${event.user}\u0000${event.leg}`;
    const list = legs.get(key);
    if (list) list.push(event);
    else legs.set(key, [event]);
  }
  const cdrs: Cdr[] = [];
  for (const events of legs.values()) {
    const first = events[0]!;
    const user = directory.users.find((candidate) => candidate.name === first.user);
    if (!user?.reporting) continue;
    const conf = first.conf ?? call.confId;
    if (options.conference !== undefined && conf !== options.conference) continue;
    const startMs = call.setupTime + first.at + skew;
    const utc = Math.floor(startMs / 1000);
    const timeOf = (at: number): number => Math.max(0, Math.floor((call.setupTime + at + skew) / 1000) - utc);
    const cdrEvents: CdrEvent[] = [];
    const transferrer = transferringNumber(call);
    for (const event of events) {
      const mapped = mapEvent(event, user, call, directory, transferrer);
      if (!mapped) continue;
      cdrEvents.push({ ...mapped, time: timeOf(event.at), ...(cdrEvents.length === 0 ? { conf } : {}) });
    }
    if (cdrEvents.length === 0) continue;
    if (!cdrEvents[cdrEvents.length - 1]!.msg.startsWith('rel-')) {
      // The PBX always closes a CDR with the release; add it when the plan ended the leg implicitly.
      cdrEvents.push({ msg: first.outgoing ? 'rel-from' : 'rel-to', time: timeOf(call.endAt), cause: 16, party: partyOf(events[events.length - 1]!.peer) });
    }
    const dir: CdrDir = cdrEvents.some((e) => e.msg === 'transfer-from')
      ? 'ct'
      : cdrEvents.some((e) => e.msg === 'cf-from')
        ? 'cf'
        : first.outgoing
          ? 'from'
          : 'to';
    const groups: CdrGroup[] = directory.groups.filter((group) => group.members.includes(user.name)).map((group) => ({ name: group.name, active: true }));
    if (user.recordingGroup) groups.push({ name: options.recordingGroupName ?? 'Recording', active: true });
    cdrs.push({
        id: md5Hex(`cdr:${directory.pbxName}:${conf}:${user.name}:${first.leg}`),
        guid: md5Hex(`object:${directory.pbxName}:${user.name}`),
        sys: directory.pbxName,
        pbx: directory.pbxName,
        node: 'root',
        device: phoneId(user),
        cn: user.displayName,
        e164: user.number,
        h323: user.name,
        dir,
        utc,
        local: utc + localOffset,
        conf,
        groups,
        events: cdrEvents,
    });
  }
  return cdrs;
}

/** The CDR XML documents the PBX sends for `call` (one `<cdr>` each). */
export function cdrXmlFor(call: PlannedCall, directory: PbxDirectory, options: CdrOptions = {}): string[] {
  return cdrsFor(call, directory, options).map((cdr) => cdrToXml(cdr, '', pbxUptime(cdr.utc)));
}

/** The simulated PBX has been up since 2020-01-01 UTC: its event times are uptime seconds, as a V10 PBX writes them. */
export function pbxUptime(utc: number): number {
  return Math.max(0, utc - Date.UTC(2020, 0, 1) / 1000);
}

// ---------------------------------------------------------------- generation

function mapEvent(event: CallEvent, user: PbxUser, call: PlannedCall, directory: PbxDirectory, transferrer: string | undefined): Omit<CdrEvent, 'time'> | undefined {
  const party = partyOf(event.peer);
  const out = event.outgoing;
  switch (event.type) {
    case 'setup':
      return { msg: out ? 'setup-from' : 'setup-to', party };
    case 'alert':
      return { msg: out ? 'alert-to' : 'alert-from', party };
    case 'connect':
      return { msg: out ? 'conn-to' : 'conn-from', party };
    case 'transfer': {
      const target = event.detail ?? call.scenario.via;
      const consult = call.scenario.kind === 'attended-transfer';
      return {
        msg: user.number === transferrer ? 'transfer-from' : 'transfer-to',
        party,
        ...(target ? { to: partyOf(lookupParty(target, directory)) } : {}),
        ...(consult ? { consult: true } : {}),
      };
    }
    case 'forward': {
      const cf = forwardKind(event.detail) ?? forwardKind(call.scenario.kind);
      const forwarding = user.number === call.scenario.to;
      const target = call.scenario.via ?? (cf ? user.forward?.[cf] : undefined);
      return {
        msg: forwarding ? 'cf-from' : 'cf-to',
        party,
        ...(cf ? { cf } : {}),
        ...(forwarding && target ? { to: partyOf(lookupParty(target, directory)) } : {}),
      };
    }
    case 'pickup': {
      const picker = call.scenario.via;
      if (user.number === picker) return { msg: 'pickup-from', party };
      return { msg: 'pickup-to', party, ...(picker ? { to: partyOf(lookupParty(picker, directory)) } : {}) };
    }
    case 'dtmf': {
      // What the phone dialled: the VM object's number, then the keyed digits (a TCR mark is the number alone).
      // CDR-XML names the dialled number and the object it reached (info-from), nothing else of the party.
      const detail = event.detail ?? '';
      const vm = event.peer.external ? '' : (event.peer.number ?? '');
      const digits = detail.startsWith(vm) ? detail : `${vm}${detail}`;
      return { msg: 'dtmf-from', ...(!event.peer.external && event.peer.object ? { party: { h323: event.peer.object, external: false } } : {}), digits };
    }
    case 'release': {
      const leftByUser = out || user.number === transferrer;
      return { msg: leftByUser ? 'rel-from' : 'rel-to', party, cause: releaseCause(event.detail) };
    }
    case 'hold':
    case 'retrieve':
      return undefined;
  }
}

/** Which internal party transfers: the scenario's `by`, else the internal end of the call. */
function transferringNumber(call: PlannedCall): string | undefined {
  if (call.scenario.kind !== 'blind-transfer' && call.scenario.kind !== 'attended-transfer') return undefined;
  if (call.scenario.by) return call.scenario.by;
  // Inbound and internal calls: the called user; outbound: the calling user.
  return call.direction === 'outbound' ? call.caller.number : call.called.number;
}

function forwardKind(value: string | undefined): 'cfu' | 'cfb' | 'cfnr' | undefined {
  return value === 'cfu' || value === 'cfb' || value === 'cfnr' ? value : undefined;
}

const CAUSE_WORDS: Readonly<Record<string, number>> = {
  normal: 16,
  busy: 17,
  'no-response': 18,
  'no-answer': 19,
  noanswer: 19,
  unanswered: 19,
  rejected: 21,
};

function releaseCause(detail: string | undefined): number {
  if (detail === undefined || detail === '') return 16;
  if (/^\d{1,3}$/.test(detail)) return Number(detail);
  return CAUSE_WORDS[detail.toLowerCase()] ?? 16;
}

function partyOf(ref: PartyRef): CdrParty {
  return {
    ...(ref.number ? { e164: ref.number } : {}),
    ...(ref.object ? { h323: ref.object } : {}),
    ...(ref.name ? { dn: ref.name } : {}),
    external: ref.external,
  };
}

function lookupParty(number: string, directory: PbxDirectory): PartyRef {
  const user = directory.users.find((u) => u.number === number);
  if (user) return { number, name: user.displayName, object: user.name, external: false };
  const group = directory.groups.find((g) => g.number === number);
  if (group) return { number, name: group.name, object: group.name, external: false };
  const vm = directory.vmObjects.find((v) => v.number === number);
  if (vm) return { number, name: vm.name, object: vm.name, external: false };
  return { number, external: true };
}

function md5Hex(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

