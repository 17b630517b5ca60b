import { z } from 'zod';
import { mulberry32 } from '../../platform/util/index.js';
import type { CallKind, PbxDirectory, PbxTrunk, PbxUser, Scenario, ScenarioCall, SimCodec } from '../model.js';
import { PbxInputError, zodIssues } from './directory.js';
import { checkScenarioCalls, isAgent } from './planner.js';

/** Every kind of call a scenario can ask for. */
export const CALL_KINDS: readonly CallKind[] = [
  'inbound',
  'outbound',
  'internal',
  'pickup',
  'group',
  'queue',
  'blind-transfer',
  'attended-transfer',
  'consult',
  'cfu',
  'cfb',
  'cfnr',
  'unanswered',
];

const digits = z.string().regex(/^[0-9]+$/, 'must be a number (digits only)');
const fraction = z.number().min(0, 'must be a fraction 0..1').max(1, 'must be a fraction 0..1');

const callSchema = z.strictObject({
  at: z.number().min(0, 'must be >= 0 seconds'),
  kind: z.enum(CALL_KINDS as [CallKind, ...CallKind[]]),
  from: digits,
  to: digits,
  via: digits.optional(),
  by: digits.optional(),
  ringSeconds: z.number().min(0).max(600).optional(),
  talkSeconds: z.number().min(1).max(3600).optional(),
  secondTalkSeconds: z.number().min(1).max(3600).optional(),
  codec: z.enum(['pcma', 'pcmu', 'g722', 'g729']).optional(),
  packetMs: z
    .number()
    .int()
    .refine((ms) => ms >= 10 && ms <= 60 && ms % 10 === 0, 'must be 10..60 ms in steps of 10')
    .optional(),
  tan: z.string().regex(/^[0-9]{6}$/, 'a TAN is exactly 6 digits').optional(),
  tcr: z.enum(['during', 'after']).optional(),
  tcrAfterSeconds: z.number().min(0).max(86_400).optional(),
  recordKey: z.array(z.number().min(0).max(3600)).max(50).optional(),
  impairments: z
    .strictObject({
      loss: fraction.optional(),
      jitterMs: z.number().min(0).max(1000).optional(),
      reorder: fraction.optional(),
      duplicate: fraction.optional(),
    })
    .optional(),
  captureSide: z.enum(['gateway', 'phone']).optional(),
  captureLost: z.boolean().optional(),
});

const scenarioSchema = z.strictObject({
  seed: z.number().int('must be a whole number').min(0).max(0xffffffff),
  calls: z.array(callSchema),
});

/**
 * Parse a scenario file (JSON `{ seed, calls: [...] }`) and check every call
 * against the directory: the numbers each kind needs exist (users, groups,
 * queues, forward targets), TAN/TCR objects exist, a TAN fits in the talk.
 * Throws PbxInputError naming `source`, e.g. `calls.json: calls[2].via: ...`.
 */
export function parseScenario(text: string, source: string, directory: PbxDirectory): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PbxInputError(source, [{ path: '', reason: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  const parsed = scenarioSchema.safeParse(value);
  if (!parsed.success) throw new PbxInputError(source, zodIssues(parsed.error));
  const scenario: Scenario = parsed.data;
  const issues = checkScenarioCalls(directory, scenario.calls);
  if (issues.length > 0) throw new PbxInputError(source, issues.slice(0, 20));
  return scenario;
}

export interface RandomScenarioOptions {
  readonly calls: number;
  readonly seed: number;
  /** Mean seconds between call setups (exponential gaps; default 12). */
  readonly meanGapSeconds?: number;
  /** Only these kinds (default: all the directory allows). */
  readonly kinds?: readonly CallKind[];
  /** Share of answered calls in which the agent enters a TAN (default 0.12). */
  readonly tanShare?: number;
}

/** How often each kind comes up: a call centre is mostly plain inbound and outbound calls. */
const KIND_WEIGHTS: Readonly<Record<CallKind, number>> = {
  inbound: 30,
  outbound: 24,
  internal: 4,
  pickup: 4,
  group: 6,
  queue: 6,
  'blind-transfer': 4,
  'attended-transfer': 4,
  consult: 4,
  cfu: 3,
  cfb: 3,
  cfnr: 3,
  unanswered: 5,
};

const CODEC_WEIGHTS: readonly (readonly [SimCodec, number])[] = [
  ['pcma', 60],
  ['pcmu', 15],
  ['g722', 15],
  ['g729', 10],
];

const AREA_CODES = ['7031', '89', '30', '711', '40', '221', '69', '351'] as const;

/** Why a kind cannot be made with this directory, or undefined when it can. */
function impossible(kind: CallKind, directory: PbxDirectory): string | undefined {
  const users = directory.users.length;
  const trunks = directory.trunks.length;
  const hasMembers = (kindOfGroup: 'broadcast' | 'queue'): boolean =>
    directory.groups.some((g) => g.kind === kindOfGroup && g.members.some((m) => directory.users.some((u) => u.name === m)));
  if (kind === 'internal') return users < 2 ? 'it needs two users' : undefined;
  if (kind === 'unanswered') return users < 1 || (trunks < 1 && users < 2) ? 'it needs a trunk or two users' : undefined;
  if (trunks < 1) return 'the directory has no trunk for external numbers';
  if (kind === 'group') return hasMembers('broadcast') ? undefined : 'the directory has no broadcast group with members';
  if (kind === 'queue') return hasMembers('queue') ? undefined : 'the directory has no waiting queue with members';
  if (kind === 'inbound' || kind === 'outbound') return users < 1 ? 'it needs a user' : undefined;
  return users < 2 ? 'it needs two users' : undefined;
}

/**
 * A random but repeatable scenario: the same directory, seed and options give
 * the same calls. Kinds come with call-centre frequencies (mostly inbound and
 * outbound), Agents are picked more often than Users, codecs are mostly
 * G.711 A-law, some calls carry a TAN, a few a TCR marking, impairments or
 * phone-side capture. Every call can be planned (checked before returning).
 */
export function randomScenario(directory: PbxDirectory, options: RandomScenarioOptions): Scenario {
  const { calls: count, seed } = options;
  if (!Number.isInteger(count) || count < 0 || count > 1_000_000) throw new RangeError(`randomScenario: calls must be 0..1000000, got ${String(count)}`);
  if (!Number.isInteger(seed)) throw new RangeError(`randomScenario: seed must be an integer, got ${String(seed)}`);
  const meanGap = options.meanGapSeconds ?? 12;
  if (!(meanGap > 0 && Number.isFinite(meanGap))) throw new RangeError(`randomScenario: meanGapSeconds must be > 0, got ${String(meanGap)}`);
  let kinds: CallKind[];
  if (options.kinds) {
    if (options.kinds.length === 0) throw new RangeError('randomScenario: kinds must not be empty');
    for (const kind of options.kinds) {
      if (!CALL_KINDS.includes(kind)) throw new RangeError(`randomScenario: unknown kind ${JSON.stringify(kind)}`);
      const why = impossible(kind, directory);
      if (why) throw new RangeError(`randomScenario: cannot make "${kind}" calls: ${why}`);
    }
    kinds = [...new Set(options.kinds)];
  } else {
    kinds = CALL_KINDS.filter((kind) => !impossible(kind, directory));
    if (kinds.length === 0 && count > 0) throw new RangeError('randomScenario: the directory allows no kind of call');
  }

  const random = mulberry32((seed ^ 0x5ce7a210) >>> 0);
  const chance = (p: number): boolean => random() < p;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const between = (min: number, max: number): number => Math.round((min + random() * (max - min)) * 10) / 10;
  const weighted = <T>(entries: readonly (readonly [T, number])[]): T => {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = random() * total;
    for (const [value, w] of entries) {
      x -= w;
      if (x < 0) return value;
    }
    return entries[entries.length - 1]![0];
  };
  const someDigits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');

  const agents = directory.users.filter((u) => isAgent(u));
  const plain = directory.users.filter((u) => !isAgent(u));
  const pickUser = (...exclude: string[]): PbxUser => {
    const a = agents.filter((u) => !exclude.includes(u.number));
    const p = plain.filter((u) => !exclude.includes(u.number));
    if (a.length > 0 && (p.length === 0 || chance(0.65))) return pick(a);
    return pick(p);
  };

  const maxInternal = Math.max(0, ...[...directory.users, ...directory.groups, ...directory.vmObjects].map((x) => x.number.length));
  const recordingTrunk: PbxTrunk | undefined = directory.trunks.find((t) => t.recording) ?? directory.trunks[0];
  const otherTrunk = directory.trunks.find((t) => t !== recordingTrunk);
  const freshNumber = (trunk: PbxTrunk): string => {
    let number = `${trunk.prefix}0${pick(AREA_CODES)}${someDigits(5 + Math.floor(random() * 4))}`;
    while (number.length <= maxInternal) number += someDigits(1);
    return number;
  };
  // Customers call again: most outside numbers come from a pool.
  const pool = recordingTrunk ? Array.from({ length: 30 }, () => freshNumber(recordingTrunk)) : [];
  const outside = (): string => {
    if (otherTrunk && chance(0.04)) return freshNumber(otherTrunk);
    if (chance(0.6)) return pick(pool);
    return freshNumber(recordingTrunk!);
  };

  const weights = kinds.map((kind) => [kind, KIND_WEIGHTS[kind]] as const);
  const tanObject = directory.vmObjects.some((vm) => vm.role === 'tan');
  const tcrObject = directory.vmObjects.some((vm) => vm.role === 'tcr');
  const tanShare = options.tanShare ?? 0.12;
  if (!(tanShare >= 0 && tanShare <= 1)) throw new RangeError(`tanShare must be a fraction 0..1, got ${String(options.tanShare)}`);
  // Numbers of users whose phone recording is switched by a key (manual or optional).
  const switchable = directory.users.filter((user) => user.phoneRecording !== undefined && user.phoneRecording.mode !== 'transparent').map((user) => user.number);
  const calls: ScenarioCall[] = [];
  let time = 1;
  for (let i = 0; i < count; i++) {
    const kind = weighted(weights);
    const call: { -readonly [K in keyof ScenarioCall]: ScenarioCall[K] } = { at: Math.round(time * 1000) / 1000, kind, from: '', to: '' };
    time += -Math.log(1 - random()) * meanGap;
    switch (kind) {
      case 'inbound':
        call.from = outside();
        call.to = pickUser().number;
        break;
      case 'outbound':
        call.from = pickUser().number;
        call.to = outside();
        break;
      case 'internal': {
        call.from = pickUser().number;
        call.to = pickUser(call.from).number;
        break;
      }
      case 'pickup': {
        call.from = outside();
        call.to = pickUser().number;
        call.via = pickUser(call.to).number;
        break;
      }
      case 'group':
      case 'queue': {
        const group = pick(directory.groups.filter((g) => g.kind === (kind === 'group' ? 'broadcast' : 'queue') && g.members.length > 0));
        const members = directory.users.filter((u) => group.members.includes(u.name));
        call.from = outside();
        call.to = group.number;
        call.via = pick(members).number;
        break;
      }
      case 'blind-transfer':
      case 'attended-transfer':
      case 'consult': {
        const pattern = weighted([
          ['outside-calls', 40],
          ['calls-outside', 40],
          ['to-outside', 20],
        ] as const);
        if (pattern === 'outside-calls') {
          call.from = outside();
          call.to = pickUser().number;
          call.via = pickUser(call.to).number;
        } else if (pattern === 'calls-outside') {
          call.from = pickUser().number;
          call.to = outside();
          call.via = pickUser(call.from).number;
        } else {
          call.from = pickUser().number;
          call.to = pickUser(call.from).number;
          call.via = outside();
          if (chance(0.3)) call.by = call.from;
        }
        call.secondTalkSeconds = between(5, 30);
        break;
      }
      case 'cfu':
      case 'cfb':
      case 'cfnr': {
        const forwarding = directory.users.filter((u) => u.forward?.[kind] !== undefined);
        call.from = outside();
        if (forwarding.length > 0 && chance(0.6)) {
          call.to = pick(forwarding).number;
        } else {
          call.to = pickUser().number;
          call.via = pickUser(call.to).number;
        }
        break;
      }
      case 'unanswered': {
        const broadcast = directory.groups.filter((g) => g.kind === 'broadcast' && g.members.length > 0);
        const shape = directory.trunks.length === 0 ? 'internal' : weighted([['in', 60], ['out', 25], ['group', broadcast.length > 0 ? 15 : 0]] as const);
        if (shape === 'in') {
          call.from = outside();
          call.to = pickUser().number;
        } else if (shape === 'out') {
          call.from = pickUser().number;
          call.to = outside();
        } else if (shape === 'group') {
          call.from = outside();
          call.to = pick(broadcast).number;
        } else {
          call.from = pickUser().number;
          call.to = pickUser(call.from).number;
        }
        call.ringSeconds = between(8, 30);
        break;
      }
    }
    if (kind !== 'unanswered') {
      call.ringSeconds = between(1, 8);
      call.talkSeconds = between(5, 60);
    }
    call.codec = weighted(CODEC_WEIGHTS);
    const packetMs = call.codec === 'g729' ? pick([10, 20, 20, 20, 30, 40, 60]) : chance(0.9) ? 20 : pick([10, 30]);
    if (packetMs !== 20) call.packetMs = packetMs;
    if (kind !== 'unanswered') {
      if (tanObject && chance(tanShare)) {
        call.tan = someDigits(6);
        // Room for the TAN entry (it needs a few seconds of talk).
        call.talkSeconds = Math.max(call.talkSeconds ?? 20, 16);
        if (call.secondTalkSeconds !== undefined) call.secondTalkSeconds = Math.max(call.secondTalkSeconds, 8);
      }
      if (tcrObject && chance(0.06)) call.tcr = chance(0.5) ? 'during' : 'after';
    }
    if (chance(0.08)) {
      call.impairments = {
        loss: Math.round(random() * 50) / 1000,
        jitterMs: Math.floor(random() * 31),
        ...(chance(0.5) ? { reorder: Math.round(random() * 20) / 1000 } : {}),
        ...(chance(0.3) ? { duplicate: Math.round(random() * 10) / 1000 } : {}),
      };
    }
    if (chance(0.04)) call.captureSide = 'phone';
    // Record-key presses only where a phone has a switchable mode (drawn only then: other directories' runs stay as they were).
    if (switchable.length > 0 && kind !== 'unanswered' && [call.from, call.to, call.via].some((n) => switchable.includes(n ?? '')) && chance(0.5)) {
      const talk = call.talkSeconds ?? 20;
      const presses: number[] = [];
      for (let at = between(1, 4); at < talk - 1 && presses.length < 4; at += between(2, 8)) presses.push(Math.round(at * 10) / 10);
      // The switchable user may not talk in this call (forwarded away, rung but not answering): then no presses.
      if (presses.length > 0 && checkScenarioCalls(directory, [{ ...call, recordKey: presses }]).length === 0) call.recordKey = presses;
    }
    calls.push(call);
  }
  const scenario: Scenario = { seed: seed >>> 0, calls };
  const issues = checkScenarioCalls(directory, calls);
  if (issues.length > 0) throw new Error(`randomScenario made an impossible call (a bug): ${issues[0]!.path}: ${issues[0]!.reason}`);
  return scenario;
}
