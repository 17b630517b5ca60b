import { z } from 'zod';
import type { PbxDirectory, PbxUser } from '../model.js';

/** One problem in an input file: where (JSON path like `users[3].number`) and why. */
export interface InputIssue {
  readonly path: string;
  readonly reason: string;
}

/**
 * Bad directory or scenario input. The message names the source (file), the
 * JSON path and the reason, one line per issue, e.g.
 * `pbx.json: users[3].number: duplicate number "24"`.
 */
export class PbxInputError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly InputIssue[],
  ) {
    super(issues.map((issue) => (issue.path ? `${source}: ${issue.path}: ${issue.reason}` : `${source}: ${issue.reason}`)).join('\n'));
    this.name = 'PbxInputError';
  }
}

/** `["users", 3, "number"]` → `users[3].number`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}

/** Zod's issues as ours, at most `limit` of them (a wrong file should not produce pages). */
export function zodIssues(error: z.ZodError, limit = 20): InputIssue[] {
  return error.issues.slice(0, limit).map((issue) => ({ path: formatPath(issue.path), reason: issue.message }));
}

const NUMBER = /^[0-9]+$/;
// Object names end up in SOAP ids and file names: keep them plain.
const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const internalNumber = z.string().regex(NUMBER, 'must be digits only').max(8, 'an internal number has at most 8 digits');
const objectName = z.string().regex(OBJECT_NAME, 'must be letters, digits, "_", "." or "-" (starting with a letter or digit)').max(64);

const userSchema = z.strictObject({
  name: objectName,
  displayName: z.string().min(1, 'must not be empty').max(128),
  number: internalNumber,
  reporting: z.boolean(),
  recording: z.boolean(),
  recordingGroup: z.boolean(),
  executive: z.boolean().optional(),
  captureSide: z.enum(['gateway', 'phone']).optional(),
  phoneRecording: z
    .strictObject({
      mode: z.enum(['transparent', 'manual', 'optional']),
      marksTcr: z.boolean().optional(),
    })
    .optional(),
  forward: z
    .strictObject({
      cfu: z.string().regex(NUMBER, 'must be digits only').optional(),
      cfb: z.string().regex(NUMBER, 'must be digits only').optional(),
      cfnr: z.string().regex(NUMBER, 'must be digits only').optional(),
      cfnrSeconds: z.number().int('must be a whole number of seconds').min(1).max(300).optional(),
    })
    .optional(),
});

const directorySchema = z.strictObject({
  pbxName: objectName,
  // Part of v11 capture names `<confId>-<serial>-<counter>.pcap`, so no "-" inside.
  gatewaySerial: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1..32 letters or digits (no "-": it separates the parts of a capture name)'),
  users: z.array(userSchema).min(1, 'the PBX needs at least one user'),
  trunks: z.array(
    z.strictObject({
      name: objectName,
      prefix: z.string().regex(/^[0-9]{1,4}$/, 'must be 1..4 digits'),
      recording: z.boolean(),
    }),
  ),
  groups: z.array(
    z.strictObject({
      name: objectName,
      number: internalNumber,
      kind: z.enum(['broadcast', 'queue']),
      members: z.array(objectName).min(1, 'a group needs at least one member'),
    }),
  ),
  vmObjects: z.array(
    z.strictObject({
      name: objectName,
      number: internalNumber,
      role: z.enum(['tan', 'tcr', 'ivr']),
    }),
  ),
});

/**
 * Parse and check a PBX directory (the `--config` JSON). Beyond the shapes:
 * object names unique across users, groups, VM objects and trunks; numbers
 * unique across users, groups and VM objects; no internal number starts with
 * a trunk prefix (it would be dialled out); group members and forward
 * targets exist. Throws PbxInputError naming `source` and the JSON path.
 */
export function parseDirectory(value: unknown, source: string): PbxDirectory {
  const parsed = directorySchema.safeParse(value);
  if (!parsed.success) throw new PbxInputError(source, zodIssues(parsed.error));
  const directory: PbxDirectory = parsed.data;
  const issues = checkDirectory(directory);
  if (issues.length > 0) throw new PbxInputError(source, issues);
  return directory;
}

/** The cross-reference checks of parseDirectory, for directories built in code. */
export function checkDirectory(directory: PbxDirectory): InputIssue[] {
  const issues: InputIssue[] = [];
  const names = new Map<string, string>();
  const numbers = new Map<string, string>();
  const claimName = (name: string, path: string): void => {
    const first = names.get(name);
    if (first !== undefined) issues.push({ path, reason: `duplicate name "${name}" (also ${first})` });
    else names.set(name, path);
  };
  const claimNumber = (number: string, path: string): void => {
    const first = numbers.get(number);
    if (first !== undefined) issues.push({ path, reason: `duplicate number "${number}" (also ${first})` });
    else numbers.set(number, path);
    for (const trunk of directory.trunks) {
      if (number.startsWith(trunk.prefix)) issues.push({ path, reason: `number "${number}" starts with the prefix "${trunk.prefix}" of trunk "${trunk.name}"` });
    }
  };
  directory.users.forEach((user, i) => {
    claimName(user.name, `users[${i}].name`);
    claimNumber(user.number, `users[${i}].number`);
  });
  directory.groups.forEach((group, i) => {
    claimName(group.name, `groups[${i}].name`);
    claimNumber(group.number, `groups[${i}].number`);
  });
  directory.vmObjects.forEach((vm, i) => {
    claimName(vm.name, `vmObjects[${i}].name`);
    claimNumber(vm.number, `vmObjects[${i}].number`);
  });
  const prefixes = new Map<string, number>();
  directory.trunks.forEach((trunk, i) => {
    claimName(trunk.name, `trunks[${i}].name`);
    const first = prefixes.get(trunk.prefix);
    if (first !== undefined) issues.push({ path: `trunks[${i}].prefix`, reason: `duplicate prefix "${trunk.prefix}" (also trunks[${first}])` });
    else prefixes.set(trunk.prefix, i);
  });
  const userNames = new Set(directory.users.map((user) => user.name));
  const userNumbers = new Set(directory.users.map((user) => user.number));
  directory.groups.forEach((group, i) => {
    const seen = new Set<string>();
    group.members.forEach((member, j) => {
      if (!userNames.has(member)) issues.push({ path: `groups[${i}].members[${j}]`, reason: `no user named "${member}"` });
      if (seen.has(member)) issues.push({ path: `groups[${i}].members[${j}]`, reason: `"${member}" is listed twice` });
      seen.add(member);
    });
  });
  const tcrObject = directory.vmObjects.some((vm) => vm.role === 'tcr');
  directory.users.forEach((user, i) => {
    const phone = user.phoneRecording;
    if (phone === undefined) return;
    const path = `users[${i}].phoneRecording`;
    if (phone.marksTcr === true && !tcrObject) issues.push({ path: `${path}.marksTcr`, reason: 'the directory has no VM object with role "tcr" for the phone to call' });
    // The mode governs what the phone writes (captureSide "phone") or when it calls the TCR object; else nothing.
    const phoneRecords = user.recording && user.captureSide === 'phone';
    if (phone.mode !== 'transparent' && !phoneRecords && phone.marksTcr !== true) {
      issues.push({ path: `${path}.mode`, reason: `"${phone.mode}" has no effect: this phone neither records (recording with captureSide "phone") nor marks for TCR (marksTcr)` });
    }
  });
  directory.users.forEach((user, i) => {
    for (const key of ['cfu', 'cfb', 'cfnr'] as const) {
      const target = user.forward?.[key];
      if (target === undefined) continue;
      const path = `users[${i}].forward.${key}`;
      if (!userNumbers.has(target)) issues.push({ path, reason: `forward target "${target}" is not the number of a user` });
      else if (target === user.number) issues.push({ path, reason: 'a user cannot forward to itself' });
    }
  });
  return issues;
}

function agent(name: string, displayName: string, number: string, extra: Partial<PbxUser> = {}): PbxUser {
  return { name, displayName, number, reporting: true, recording: true, recordingGroup: true, ...extra };
}

function plainUser(name: string, displayName: string, number: string, extra: Partial<PbxUser> = {}): PbxUser {
  return { name, displayName, number, reporting: true, recording: true, recordingGroup: false, ...extra };
}

/**
 * A small call centre: eight agents (20..27, one recording on its phone),
 * an executive agent (28), four plain users (30..33: recorded but not in the
 * recording group, so "User" in the reference's rules), a user without
 * reporting licence (34), a recording trunk "0" and a private trunk "9"
 * that is not recorded, a broadcast hotline (40), a waiting queue (41) and
 * the TAN (50), TCR (51) and IVR (52) objects. External numbers are long
 * (e.g. "0070317300912"), so the longest number of a call is the external one.
 */
export function defaultDirectory(): PbxDirectory {
  return {
    pbxName: 'pbx-demo',
    gatewaySerial: '0090333f1a2b',
    users: [
      agent('rossi', 'Mario Rossi', '20', { forward: { cfnr: '21', cfnrSeconds: 10 } }),
      agent('bianchi', 'Laura Bianchi', '21'),
      agent('ferrari', 'Paolo Ferrari', '22', { forward: { cfu: '23' } }),
      agent('esposito', 'Anna Esposito', '23', { forward: { cfb: '30' } }),
      agent('romano', 'Luca Romano', '24', { forward: { cfnr: '31', cfnrSeconds: 12 } }),
      agent('colombo', 'Giulia Colombo', '25'),
      agent('ricci', 'Marco Ricci', '26'),
      agent('marino', 'Sara Marino', '27', { captureSide: 'phone' }),
      agent('director', 'Elena Greco', '28', { executive: true }),
      plainUser('bruno', 'Franco Bruno', '30', { forward: { cfnr: '25' } }),
      plainUser('gallo', 'Chiara Gallo', '31'),
      plainUser('conti', 'Davide Conti', '32'),
      plainUser('deluca', 'Marta De Luca', '33'),
      // In the recording group but without reporting licence: not an Agent for the rules.
      { name: 'trainee', displayName: 'Trainee', number: '34', reporting: false, recording: true, recordingGroup: true },
    ],
    trunks: [
      { name: 'pstn', prefix: '0', recording: true },
      { name: 'private', prefix: '9', recording: false },
    ],
    groups: [
      { name: 'hotline', number: '40', kind: 'broadcast', members: ['rossi', 'bianchi', 'ferrari', 'bruno'] },
      { name: 'service', number: '41', kind: 'queue', members: ['colombo', 'ricci', 'marino', 'romano', 'gallo'] },
    ],
    vmObjects: [
      { name: 'tan', number: '50', role: 'tan' },
      { name: 'tcr', number: '51', role: 'tcr' },
      { name: 'ivr-menu', number: '52', role: 'ivr' },
    ],
  };
}
