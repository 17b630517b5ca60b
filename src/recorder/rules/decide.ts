/**
 * The recorder's rules engine: from a capture's file name and its
 * conference's CDRs (what the reporting returns for the conf id), decide
 * whether the recording is filed, under which Agent, and with what name data.
 * It knows nothing of the PBX's directory: an Agent is a user whose CDR shows
 * the recording group; a user without reporting licence writes no CDR and so
 * is never an Agent.
 */
import type { Cdr } from '../pbx/index.js';
import {
  DEFAULT_RECORDING_GROUP,
  externalClaims,
  externalDirection,
  externalNumber,
  externalSecondsToAnswer,
  isAgentCdr,
  legDirection,
  legSecondsToAnswer,
  longestOtherNumber,
  longestPartnerNumber,
} from './call-facts.js';
import type { Claim } from './call-facts.js';
import { parseCaptureName } from './capture-name.js';
import type { CaptureName } from './capture-name.js';
import { CaptureNameError, CdrConfMismatchError, DeviceUnknownError, NoCdrError } from './errors.js';
import { gatewayRuleName } from './rule-name.js';

export interface RecordingDecision {
  readonly action: 'file' | 'delete';
  /** The Agent's number the recording is filed under; null when deleted. */
  readonly agent: string | null;
  /** cn of the agent. */
  readonly agentName?: string;
  /** The external party's number (the reference: the longest number involved). */
  readonly external: string | null;
  /** For the file name: i = the external party called in, o = it was called out. */
  readonly direction: 'i' | 'o';
  /** Ringing time before the answer, whole seconds. */
  readonly secondsToAnswer: number;
  /** Unix ms of the call's setup as the CDRs show it (whole seconds): the earliest CDR's `utc`. */
  readonly start: number;
  /** The rule applied: the planner's rule names, or one of ENGINE_RULES. */
  readonly rule: string;
  readonly executive?: boolean;
  /** A TAN found in the CDRs (the Agent's CDR first). */
  readonly tan?: string;
  /** Why, in one sentence (logs, XML sidecar). */
  readonly reason: string;
}

export interface RecordingInput {
  /** The capture's file name on the drive (no directory part). */
  readonly captureName: string;
  /** The capture name already parsed (the service parses each name once). */
  readonly parsedName?: CaptureName;
  /** The CDRs the reporting returned for the capture's conference id. */
  readonly cdrs: readonly Cdr[];
  /** The recording group's name (default "Recording"). */
  readonly recordingGroup?: string;
  /**
   * Device ids of the recording gateways. A v11 name `<confId>-<device>-<n>.pcap`
   * is a gateway's when its device is listed here, a phone's when a CDR's
   * `device` names it. A device neither names is, when this list is given, a
   * phone without licensed user (deleted); without the list, a v11 gateway
   * (the gateway rules apply).
   */
  readonly gatewayIds?: readonly string[];
  /**
   * Number of the TAN object (TAN.xml) the agent dials before the 6-digit
   * TAN during the call (config `tan.prefix`): a number dialled during the
   * call that is this prefix and six digits gives the recording its TAN.
   */
  readonly tanPrefix?: string;
  /**
   * Whether a member of the recording group holds a recording licence (config `[licences]`): a member beyond the
   * licences is no Agent for the rules, like a user outside the group. Without it every member is licensed.
   */
  readonly licensed?: (number: string) => boolean;
}

/** The TAN a leg's dialled digits carry: the prefix and exactly six digits. */
export function tanIn(cdr: Cdr, prefix: string | undefined): string | undefined {
  if (!prefix) return undefined;
  for (const event of cdr.events) {
    if (event.msg !== 'dtmf-from' || !event.digits?.startsWith(prefix)) continue;
    const rest = event.digits.slice(prefix.length);
    if (/^[0-9]{6}$/.test(rest)) return rest;
  }
  return undefined;
}

/**
 * Decide what becomes of a capture. Throws CaptureNameError for a name that
 * is no capture name, NoCdrError when `cdrs` is empty (retry later; delete
 * when retries run out) and CdrConfMismatchError when a CDR belongs to
 * another conference.
 */
export function decideRecording(input: RecordingInput): RecordingDecision {
  const { captureName, cdrs } = input;
  const name = input.parsedName ?? parseCaptureName(captureName);
  if (!name) throw new CaptureNameError(captureName);
  const foreign = [...new Set(cdrs.map((cdr) => cdr.conf.toLowerCase()).filter((conf) => conf !== name.confId))];
  if (foreign.length > 0) throw new CdrConfMismatchError(captureName, name.confId, foreign);
  if (cdrs.length === 0) throw new NoCdrError(captureName, name.confId);

  const group = input.recordingGroup ?? DEFAULT_RECORDING_GROUP;
  const licensed = input.licensed;
  const isAgent = (cdr: Cdr): boolean => isAgentCdr(cdr, group) && (licensed === undefined || licensed(cdr.e164));
  const start = Math.min(...cdrs.map((cdr) => cdr.utc)) * 1000;
  const agentCdr = (number: string | null | undefined): Cdr | undefined =>
    number ? cdrs.find((cdr) => cdr.e164 === number && isAgent(cdr)) : undefined;
  const tanOf = (agent: string | null): string | undefined => {
    const own = agent !== null ? cdrs.filter((c) => c.e164 === agent) : [];
    for (const cdr of [...own, ...cdrs]) {
      const tan = tanIn(cdr, input.tanPrefix);
      if (tan !== undefined) return tan;
    }
    return undefined;
  };

  const device = name.device;
  const isGatewayName = device === undefined || (input.gatewayIds ?? []).some((id) => id.toLowerCase() === device);
  if (!isGatewayName) {
    const phoneCdr = cdrs.find((cdr) => cdr.device?.toLowerCase() === device);
    // Report XML names no device, so whose phone wrote the capture is unknown: the user of any leg, or a user
    // without reporting licence who has no record at all. It waits for CDR-XML (the CDR interface), never a guess.
    if (!phoneCdr && cdrs.every((cdr) => cdr.device === undefined) && (input.gatewayIds ?? []).length > 0) {
      throw new DeviceUnknownError(captureName, name.confId, device, [...new Set(cdrs.filter(isAgent).map((cdr) => cdr.e164))]);
    }
    if (phoneCdr || input.gatewayIds !== undefined) return decidePhone(device, phoneCdr, cdrs, group, isAgent, start, tanOf);
  }

  const external = externalNumber(cdrs);
  const claims = externalClaims(cdrs);
  const filedBy = claims.find((claim) => isAgent(claim.cdr));
  const agent = filedBy?.cdr.e164 ?? null;
  const direction = external !== null ? externalDirection(cdrs) : legDirection(earliest(cdrs));
  const rule = gatewayRuleName(cdrs, (number) => agentCdr(number) !== undefined, direction);
  const tan = tanOf(agent);
  const shownExternal = external ?? longestOtherNumber(cdrs, new Set(agent !== null ? [agent] : []));
  return {
    action: agent !== null ? 'file' : 'delete',
    agent,
    ...(filedBy ? { agentName: filedBy.cdr.cn } : {}),
    external: shownExternal,
    direction,
    secondsToAnswer: external !== null ? externalSecondsToAnswer(cdrs) : legSecondsToAnswer(earliest(cdrs)),
    start,
    rule,
    ...(tan !== undefined ? { tan } : {}),
    reason: gatewayReason(external, claims, filedBy, group),
  };
}

function earliest(cdrs: readonly Cdr[]): Cdr {
  return cdrs.reduce((best, cdr) => (cdr.utc < best.utc ? cdr : best));
}

const who = (cdr: Cdr): string => (cdr.cn ? `${cdr.e164} (${cdr.cn})` : cdr.e164);

const HOW: Readonly<Record<Claim['how'], string>> = {
  dialled: 'dialled it',
  answered: 'answered it',
  rang: 'rang first and lost it to a pickup or a forward on no response',
  'picked-up': 'picked it up',
  'transferred-to': 'had it transferred to them',
  'transferred-out': 'transferred a call out to it',
};

function gatewayReason(external: string | null, claims: readonly Claim[], filedBy: Claim | undefined, group: string): string {
  if (external === null) {
    return `Gateway capture whose CDRs name no external party (its outside leg belongs to a user without reporting licence): no Agent holds it, deleted.`;
  }
  if (filedBy) {
    const before = claims.filter((c) => c !== filedBy && c.cdr.e164 !== filedBy.cdr.e164 && claims.indexOf(c) < claims.indexOf(filedBy));
    const earlier = before.length > 0 ? ` (held before by ${[...new Set(before.map((c) => who(c.cdr)))].join(', ')}: no Agent)` : '';
    return `Gateway capture: ${who(filedBy.cdr)} ${HOW[filedBy.how]} and is the first Agent (group "${group}") to hold the call with ${external}${earlier}: filed under ${filedBy.cdr.e164}.`;
  }
  if (claims.length === 0) return `Gateway capture: no licensed user held the call with ${external} (only consulted or transferred parties, or unlicensed users), so no Agent: deleted.`;
  return `Gateway capture: the users who held the call with ${external} (${[...new Set(claims.map((c) => who(c.cdr)))].join(', ')}) are no Agents of group "${group}": deleted.`;
}

function decidePhone(
  device: string,
  phoneCdr: Cdr | undefined,
  cdrs: readonly Cdr[],
  group: string,
  isAgent: (cdr: Cdr) => boolean,
  start: number,
  tanOf: (agent: string | null) => string | undefined,
): RecordingDecision {
  const external = externalNumber(cdrs);
  const direction = (own: Cdr | undefined): 'i' | 'o' => (external !== null ? externalDirection(cdrs) : legDirection(own ?? earliest(cdrs)));
  if (!phoneCdr) {
    return {
      action: 'delete',
      agent: null,
      external: external ?? longestOtherNumber(cdrs, new Set()),
      direction: direction(undefined),
      secondsToAnswer: external !== null ? externalSecondsToAnswer(cdrs) : 0,
      start,
      rule: 'phone-of-user',
      reason: `Phone capture of device ${device}: no CDR of the call names this device, so its user has no reporting licence and is no Agent: deleted.`,
    };
  }
  const number = phoneCdr.e164;
  const own = cdrs.filter((cdr) => cdr.e164 === number);
  const agent = own.some(isAgent);
  // The phone's far party: the longest number its user's legs were with (the external party when it talked to it).
  const far = longestPartnerNumber(own, new Set([number]));
  const first = earliest(own);
  const tan = tanOf(agent ? number : null);
  return {
    action: agent ? 'file' : 'delete',
    agent: agent ? number : null,
    ...(agent ? { agentName: phoneCdr.cn } : {}),
    external: far,
    direction: direction(first),
    secondsToAnswer: external !== null ? externalSecondsToAnswer(cdrs) : legSecondsToAnswer(first),
    start,
    rule: agent ? 'phone-of-agent' : 'phone-of-user',
    ...(tan !== undefined ? { tan } : {}),
    reason: agent
      ? `Phone capture of ${who(phoneCdr)}'s phone ${device}: its user is an Agent (group "${group}"); phone recordings need no rules: filed under ${number}.`
      : `Phone capture of ${who(phoneCdr)}'s phone ${device}: its user is no Agent of group "${group}": deleted.`,
  };
}
