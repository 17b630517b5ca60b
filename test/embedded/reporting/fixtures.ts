import type { CallEvent, PartyRef, PbxDirectory, PlannedCall, ScenarioCall } from '../../../src/embedded/model.js';

export const directory: PbxDirectory = {
  pbxName: 'master',
  gatewaySerial: '009033000001',
  users: [
    { name: 'u24', displayName: 'Agent Smith', number: '24', reporting: true, recording: true, recordingGroup: true },
    { name: 'u25', displayName: 'Agent Jones', number: '25', reporting: true, recording: true, recordingGroup: true },
    { name: 'u26', displayName: 'Plain User', number: '26', reporting: false, recording: true, recordingGroup: false },
  ],
  trunks: [{ name: 'trunk', prefix: '0', recording: true }],
  groups: [{ name: 'Sales', number: '300', kind: 'broadcast', members: ['u24', 'u25'] }],
  vmObjects: [{ name: 'tan', number: '77', role: 'tan' }],
};

export const EXTERNAL = '0301234567';
export const T0 = Date.UTC(2024, 4, 12, 14, 0, 0); // 2024-05-12 14:00:00Z

export const ext = (number: string): PartyRef => ({ number, external: true });
export const user = (name: string): PartyRef => {
  const u = directory.users.find((candidate) => candidate.name === name)!;
  return { number: u.number, name: u.displayName, object: u.name, external: false };
};

type EventSpec = [at: number, type: CallEvent['type'], user: string, leg: number, peer: PartyRef, outgoing: boolean, detail?: string];

export function plannedCall(options: {
  index: number;
  scenario: ScenarioCall;
  setupTime?: number;
  direction: PlannedCall['direction'];
  caller: PartyRef;
  called: PartyRef;
  events: EventSpec[];
  answerAt?: number;
  endAt: number;
  tan?: string;
  agent?: string | null;
}): PlannedCall {
  return {
    index: options.index,
    confId: (0xabc000 + options.index).toString(16).padStart(32, '0'),
    scenario: options.scenario,
    setupTime: options.setupTime ?? T0 + options.index * 60_000,
    ...(options.answerAt !== undefined ? { answerAt: options.answerAt } : {}),
    endAt: options.endAt,
    direction: options.direction,
    caller: options.caller,
    called: options.called,
    events: options.events.map(([at, type, u, leg, peer, outgoing, detail]) => ({ at, type, user: u, leg, peer, outgoing, ...(detail !== undefined ? { detail } : {}) })),
    captures: [],
    ...(options.tan ? { tan: options.tan } : {}),
    expected: { agent: options.agent === undefined ? '24' : options.agent, external: EXTERNAL, rule: 'test' },
  };
}

/** External caller → 24, answered after 3 s, 20 s of talk. */
export const inboundAnswered = plannedCall({
  index: 1,
  scenario: { at: 0, kind: 'inbound', from: EXTERNAL, to: '24' },
  direction: 'inbound',
  caller: ext(EXTERNAL),
  called: user('u24'),
  answerAt: 3000,
  endAt: 23_000,
  events: [
    [0, 'setup', 'u24', 11, ext(EXTERNAL), false],
    [200, 'alert', 'u24', 11, ext(EXTERNAL), false],
    [3000, 'connect', 'u24', 11, ext(EXTERNAL), false],
    [23_000, 'release', 'u24', 11, ext(EXTERNAL), false, '16'],
  ],
});

/** External → 24; 24 transfers blind to 25 after 10 s; 25 answers 2 s later and talks 18 s. */
export const blindTransfer = plannedCall({
  index: 2,
  scenario: { at: 60, kind: 'blind-transfer', from: EXTERNAL, to: '24', via: '25' },
  direction: 'inbound',
  caller: ext(EXTERNAL),
  called: user('u24'),
  answerAt: 3000,
  endAt: 30_000,
  events: [
    [0, 'setup', 'u24', 21, ext(EXTERNAL), false],
    [0, 'alert', 'u24', 21, ext(EXTERNAL), false],
    [3000, 'connect', 'u24', 21, ext(EXTERNAL), false],
    [10_000, 'transfer', 'u24', 21, ext(EXTERNAL), false, '25'],
    [10_000, 'release', 'u24', 21, ext(EXTERNAL), false],
    [10_000, 'setup', 'u25', 22, ext(EXTERNAL), false],
    [10_000, 'alert', 'u25', 22, ext(EXTERNAL), false],
    [12_000, 'connect', 'u25', 22, ext(EXTERNAL), false],
    [30_000, 'release', 'u25', 22, ext(EXTERNAL), false],
  ],
});

/** 24 calls out, keys the TAN 123456 through the TAN object during the call. */
export const outboundWithTan = plannedCall({
  index: 3,
  scenario: { at: 120, kind: 'outbound', from: '24', to: '00891234', tan: '123456' },
  direction: 'outbound',
  caller: user('u24'),
  called: ext('00891234'),
  answerAt: 4000,
  endAt: 25_000,
  tan: '123456',
  events: [
    [0, 'setup', 'u24', 31, ext('00891234'), true],
    [500, 'alert', 'u24', 31, ext('00891234'), true],
    [4000, 'connect', 'u24', 31, ext('00891234'), true],
    [9000, 'dtmf', 'u24', 31, { number: '77', name: 'TAN', object: 'tan', external: false }, true, '123456'],
    [25_000, 'release', 'u24', 31, ext('00891234'), true],
  ],
});

/** External → 26, whose user has no reporting licence. */
export const noLicence = plannedCall({
  index: 4,
  scenario: { at: 180, kind: 'inbound', from: EXTERNAL, to: '26' },
  direction: 'inbound',
  caller: ext(EXTERNAL),
  called: user('u26'),
  answerAt: 2000,
  endAt: 12_000,
  agent: null,
  events: [
    [0, 'setup', 'u26', 41, ext(EXTERNAL), false],
    [0, 'alert', 'u26', 41, ext(EXTERNAL), false],
    [2000, 'connect', 'u26', 41, ext(EXTERNAL), false],
    [12_000, 'release', 'u26', 41, ext(EXTERNAL), false],
  ],
});

/** External → 25 rings 15 s; the caller gives up. */
export const unanswered = plannedCall({
  index: 5,
  scenario: { at: 240, kind: 'unanswered', from: EXTERNAL, to: '25', ringSeconds: 15 },
  direction: 'inbound',
  caller: ext(EXTERNAL),
  called: user('u25'),
  endAt: 15_000,
  agent: null,
  events: [
    [0, 'setup', 'u25', 51, ext(EXTERNAL), false],
    [100, 'alert', 'u25', 51, ext(EXTERNAL), false],
    [15_000, 'release', 'u25', 51, ext(EXTERNAL), false, 'no-answer'],
  ],
});

export const allCalls = [inboundAnswered, blindTransfer, outboundWithTan, noLicence, unanswered];
