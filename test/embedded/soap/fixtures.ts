import type { CallEvent, FaultState, PartyRef, PbxDirectory, PlannedCall, SimClock } from '../../../src/embedded/model.js';
import { defaultFaults } from '../../../src/embedded/model.js';

export const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

/** A clock that stands still: the service only reads it for Calls. */
export const fixedClock: SimClock = {
  speed: 1,
  now: () => T0,
  sleepUntil: async () => {},
};

export function faults(overrides: Partial<FaultState> = {}): FaultState {
  return { ...defaultFaults(), ...overrides };
}

export const directory: PbxDirectory = {
  pbxName: 'pbx-test',
  gatewaySerial: '009033000001',
  users: [
    { name: 'alice', displayName: 'Alice Agent', number: '210', reporting: true, recording: true, recordingGroup: true },
    { name: 'bob', displayName: 'Bob Backoffice', number: '220', reporting: true, recording: false, recordingGroup: false },
    { name: 'carol', displayName: 'Carol Agent', number: '230', reporting: true, recording: true, recordingGroup: true },
  ],
  trunks: [{ name: 'trunk', prefix: '0', recording: true }],
  groups: [],
  vmObjects: [],
};

const external: PartyRef = { number: '004930123456', external: true };
const bobRef: PartyRef = { number: '220', name: 'Bob Backoffice', object: 'bob', external: false };
const carolRef: PartyRef = { number: '230', name: 'Carol Agent', object: 'carol', external: false };

/** External caller → alice: rings, answered, held and retrieved, released by the caller. */
export function inboundCall(confId = '0123456789abcdef0123456789abcdef', leg = 501): PlannedCall {
  const ev = (at: number, type: CallEvent['type'], detail?: string): CallEvent => ({
    at,
    type,
    user: 'alice',
    leg,
    peer: external,
    outgoing: false,
    ...(detail !== undefined ? { detail } : {}),
  });
  return {
    index: 1,
    confId,
    scenario: { at: 0, kind: 'inbound', from: external.number, to: '210' },
    setupTime: T0,
    answerAt: 3000,
    endAt: 25_000,
    direction: 'inbound',
    caller: external,
    called: { number: '210', name: 'Alice Agent', object: 'alice', external: false },
    events: [ev(0, 'setup'), ev(200, 'alert'), ev(3000, 'connect'), ev(10_000, 'hold'), ev(12_000, 'retrieve'), ev(25_000, 'release', 'normal')],
    captures: [],
    expected: { agent: '210', external: external.number, rule: 'test' },
  };
}

/** bob → carol, internal: bob's leg is not in the recording group, carol's is. */
export function internalCall(confId = 'fedcba9876543210fedcba9876543210'): PlannedCall {
  const bobLeg = (at: number, type: CallEvent['type']): CallEvent => ({ at, type, user: 'bob', leg: 601, peer: carolRef, outgoing: true });
  const carolLeg = (at: number, type: CallEvent['type']): CallEvent => ({ at, type, user: 'carol', leg: 602, peer: bobRef, outgoing: false });
  return {
    index: 2,
    confId,
    scenario: { at: 0, kind: 'internal', from: '220', to: '230' },
    setupTime: T0 + 60_000,
    answerAt: 2000,
    endAt: 9000,
    direction: 'internal',
    caller: bobRef,
    called: carolRef,
    events: [
      bobLeg(0, 'setup'),
      carolLeg(0, 'setup'),
      carolLeg(100, 'alert'),
      bobLeg(100, 'alert'),
      carolLeg(2000, 'connect'),
      bobLeg(2000, 'connect'),
      bobLeg(9000, 'release'),
      carolLeg(9000, 'release'),
    ],
    captures: [],
    expected: { agent: '230', external: null, rule: 'test' },
  };
}

/** Feeds a planned call's events and its end to an observer, as the call runner does. */
export function play(observer: { onCallEvent(call: PlannedCall, event: CallEvent): void; onCallEnd(call: PlannedCall): void }, call: PlannedCall): void {
  for (const event of call.events) observer.onCallEvent(call, event);
  observer.onCallEnd(call);
}

/** A raw rpc SOAP request (no client library), for status codes and malformed input. */
export async function rawSoap(
  url: string,
  operation: string,
  parts: Record<string, string | number | boolean>,
  auth?: { username: string; password: string },
): Promise<{ status: number; body: string }> {
  const inner = Object.entries(parts)
    .map(([name, value]) => `<${name}>${String(value)}</${name}>`)
    .join('');
  const envelope =
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inno="http://innovaphone.com/pbx">' +
    `<soap:Body><inno:${operation}>${inner}</inno:${operation}></soap:Body></soap:Envelope>`;
  return post(url, envelope, auth);
}

export async function post(url: string, body: string, auth?: { username: string; password: string }): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'Content-Type': 'text/xml; charset=utf-8' };
  if (auth) headers['Authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: await response.text() };
}

/** The text of the first `<name>` element in a SOAP answer. */
export function element(xml: string, name: string): string | undefined {
  const match = new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`).exec(xml);
  return match?.[1];
}
