/**
 * Recording licences, as the reference counts them: at start-up (here: at each new SOAP session) the recorder
 * reads out all user objects, and each member of the recording group takes one licence, in the PBX's order;
 * members beyond the licences are skipped: their calls are not recorded, and such a call raises the SOFTWARE
 * alarm ("license overflow"). It shows how many licences there are and how many users are in the group, and
 * warns when there are more users than licences.
 *
 * The PBX's SOAP interface does not tell its licence count, so it is configured (`[licences] recording`).
 */
import type { Logger } from 'pino';
import type { PbxUserObject } from '../pbx/index.js';

export interface LicenceStatus {
  /** Recording licences installed (configured). */
  readonly licences: number;
  /** Members of the recording group the PBX listed; undefined until the first read-out. */
  readonly members?: number;
  /** Members beyond the licences (their numbers), in the PBX's order. */
  readonly unlicensed?: readonly string[];
}

/** Why a member's call is not recorded: its place in the group and the licence count. */
export interface LicenceRefusal {
  readonly agent: string;
  readonly reason: string;
}

export class RecordingLicences {
  private licensed: Set<string> | undefined;
  private members: string[] = [];

  constructor(
    private readonly licences: number,
    private readonly group: string,
    private readonly log: Logger,
  ) {}

  /** The PBX's user objects, read out again: recount the group against the licences. */
  update(users: readonly PbxUserObject[]): void {
    const group = this.group.toLowerCase();
    const members = users.filter((user) => user.e164 !== '' && user.groups.some((name) => name.toLowerCase() === group)).map((user) => user.e164);
    this.members = members;
    this.licensed = new Set(members.slice(0, this.licences));
    const unlicensed = members.slice(this.licences);
    const summary = { licences: this.licences, members: members.length };
    if (unlicensed.length > 0) this.log.warn({ ...summary, unlicensed }, 'more users in the recording group than recording licences: the last ones in the PBX\'s order are not recorded');
    else this.log.info(summary, 'recording licences counted');
  }

  /** True once the PBX's users have been read (the service waits for it before deciding a call). */
  get known(): boolean {
    return this.licensed !== undefined;
  }

  /** Whether `agent` holds a licence (every number does until the users have been read). */
  holds(agent: string): boolean {
    return this.licensed === undefined || this.licensed.has(agent);
  }

  /** Undefined when `agent` holds a licence; otherwise why its call is not recorded. */
  refusal(agent: string): LicenceRefusal | undefined {
    if (this.holds(agent)) return undefined;
    const place = this.members.indexOf(agent);
    const where = place >= 0 ? `member ${place + 1} of ${this.members.length} of the recording group` : 'not a member of the recording group the PBX listed';
    return { agent, reason: `licence overflow: ${agent} is ${where}, and there are ${this.licences} recording licences` };
  }

  status(): LicenceStatus {
    if (this.licensed === undefined) return { licences: this.licences };
    return { licences: this.licences, members: this.members.length, unlicensed: this.members.slice(this.licences) };
  }
}
