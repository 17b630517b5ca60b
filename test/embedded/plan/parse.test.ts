import { describe, expect, it } from 'vitest';
import { PbxInputError, defaultDirectory, parseDirectory, parseScenario } from '../../../src/embedded/plan/index.js';

const directory = defaultDirectory();
const E = '0070317300912';

function directoryJson(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(directory)) as Record<string, unknown>;
}

function parseError(run: () => unknown): PbxInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PbxInputError);
    return error as PbxInputError;
  }
  throw new Error('expected a PbxInputError');
}

describe('parseDirectory', () => {
  it('accepts the default directory as JSON and gives it back unchanged', () => {
    expect(parseDirectory(directoryJson(), 'pbx.json')).toEqual(directory);
  });

  it('names the file, the path and the reason of a duplicate number', () => {
    const value = directoryJson() as { users: { number: string }[] };
    value.users[12]!.number = '20';
    const error = parseError(() => parseDirectory(value, 'pbx.json'));
    expect(error.message).toBe('pbx.json: users[12].number: duplicate number "20" (also users[0].number)');
    expect(error.issues).toEqual([{ path: 'users[12].number', reason: 'duplicate number "20" (also users[0].number)' }]);
  });

  it('finds numbers shared between users, groups and VM objects, and duplicate names', () => {
    const value = directoryJson() as { groups: { number: string; name: string }[]; vmObjects: { name: string }[] };
    value.groups[0]!.number = '21';
    value.vmObjects[1]!.name = 'rossi';
    const error = parseError(() => parseDirectory(value, 'pbx.json'));
    expect(error.message).toContain('pbx.json: groups[0].number: duplicate number "21"');
    expect(error.message).toContain('pbx.json: vmObjects[1].name: duplicate name "rossi"');
  });

  it('rejects unknown group members and forward targets', () => {
    const value = directoryJson() as { groups: { members: string[] }[]; users: { forward?: Record<string, unknown> }[] };
    value.groups[1]!.members.push('nobody');
    value.users[0]!.forward = { cfu: '99' };
    const error = parseError(() => parseDirectory(value, 'pbx.json'));
    expect(error.message).toContain('pbx.json: groups[1].members[5]: no user named "nobody"');
    expect(error.message).toContain('pbx.json: users[0].forward.cfu: forward target "99" is not the number of a user');
  });

  it('rejects an internal number that would be dialled out through a trunk', () => {
    const value = directoryJson() as { users: { number: string }[] };
    value.users[2]!.number = '05';
    expect(parseError(() => parseDirectory(value, 'pbx.json')).message).toBe('pbx.json: users[2].number: number "05" starts with the prefix "0" of trunk "pstn"');
  });

  it('reports shape errors with their JSON path', () => {
    const value = directoryJson() as { users: Record<string, unknown>[]; trunks: Record<string, unknown>[] };
    value.users[1]!.recording = 'yes';
    value.trunks[0]!.prefix = 'x';
    delete value.users[4]!.number;
    const message = parseError(() => parseDirectory(value, 'cfg/pbx.json')).message;
    expect(message).toMatch(/^cfg\/pbx\.json: users\[1\]\.recording: .*expected boolean/m);
    expect(message).toMatch(/^cfg\/pbx\.json: users\[4\]\.number: /m);
    expect(message).toContain('cfg/pbx.json: trunks[0].prefix: must be 1..4 digits');
  });

  it('rejects unknown keys (typos) and a serial with "-"', () => {
    const value = directoryJson();
    value.gatewaySerial = 'ab-12';
    (value.users as Record<string, unknown>[])[0]!.recordingGroupp = true;
    const message = parseError(() => parseDirectory(value, 'pbx.json')).message;
    expect(message).toContain('pbx.json: gatewaySerial: must be 1..32 letters or digits');
    expect(message).toContain('pbx.json: users[0]: Unrecognized key: "recordingGroupp"');
  });
});

describe('parseScenario', () => {
  const parse = (value: unknown): unknown => parseScenario(JSON.stringify(value), 'calls.json', directory);

  it('accepts a valid scenario', () => {
    const scenario = { seed: 42, calls: [{ at: 0, kind: 'inbound', from: E, to: '20', tan: '123456', tcr: 'after', codec: 'g729', packetMs: 40 }] };
    expect(parse(scenario)).toEqual(scenario);
  });

  it('names the file when the JSON is broken', () => {
    expect(parseError(() => parseScenario('{"seed": 1,', 'calls.json', directory)).message).toMatch(/^calls\.json: not valid JSON: /);
  });

  it('wants a TAN of exactly 6 digits', () => {
    const message = parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'inbound', from: E, to: '20' }, { at: 5, kind: 'inbound', from: E, to: '20', tan: '12345' }] })).message;
    expect(message).toBe('calls.json: calls[1].tan: a TAN is exactly 6 digits');
  });

  it('checks numbers against the directory for the kind', () => {
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'inbound', from: E, to: '99' }] })).message).toBe(
      'calls.json: calls[0].to: "99" is no number of the directory, and too short for an external number (external numbers have more than 2 digits)',
    );
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'inbound', from: E, to: '40' }] })).message).toBe(
      'calls.json: calls[0].to: "40" must be a user for kind "inbound", but it is a broadcast group',
    );
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'outbound', from: E, to: '20' }] })).message).toBe(
      `calls.json: calls[0].from: "${E}" must be a user for kind "outbound", but it is an external number`,
    );
  });

  it('checks the third party: required, a member, a forward the directory has', () => {
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'pickup', from: E, to: '20' }] })).message).toBe('calls.json: calls[0].via: is required for kind "pickup"');
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'group', from: E, to: '40', via: '25' }] })).message).toBe(
      'calls.json: calls[0].via: user "25" (colombo) is no member of group "hotline"',
    );
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'cfu', from: E, to: '21' }] })).message).toBe(
      'calls.json: calls[0].via: is required: user "21" has no CFU forward in the directory',
    );
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'consult', from: '20', to: E, via: '30', by: '30' }] })).message).toBe(
      'calls.json: calls[0].by: "30" must be "from" or "to" of the call',
    );
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'blind-transfer', from: E, to: '20', via: '0891234567' }] })).message).toBe(
      'calls.json: calls[0].to: at most one party of a call can be external',
    );
  });

  it('wants room for the TAN entry in the talk', () => {
    expect(parseError(() => parse({ seed: 1, calls: [{ at: 0, kind: 'inbound', from: E, to: '20', tan: '123456', talkSeconds: 4 }] })).message).toBe(
      'calls.json: calls[0].tan: no conversation of 6 s or more to enter the TAN in (raise talkSeconds)',
    );
  });

  it('reports shape errors with their JSON path', () => {
    const message = parseError(() => parse({ seed: -1, calls: [{ at: 0, kind: 'teleport', from: E, to: '20', codec: 'opus', packetMs: 25, extra: 1 }] })).message;
    expect(message).toMatch(/^calls\.json: seed: /m);
    expect(message).toMatch(/^calls\.json: calls\[0\]\.kind: /m);
    expect(message).toMatch(/^calls\.json: calls\[0\]\.codec: /m);
    expect(message).toContain('calls.json: calls[0].packetMs: must be 10..60 ms in steps of 10');
    expect(message).toContain('calls.json: calls[0]: Unrecognized key: "extra"');
  });
});
