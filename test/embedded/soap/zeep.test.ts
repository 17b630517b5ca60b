import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PbxSoapService } from '../../../src/embedded/soap/index.js';
import { pbx10Wsdl } from '../../../src/recorder/pbx/index.js';
import { directory, faults, fixedClock, inboundCall, internalCall, play, T0 } from './fixtures.js';

const script = fileURLToPath(new URL('./zeep_client.py', import.meta.url));

interface ZeepCall {
  user: number;
  call: number;
  active: boolean;
  state: number;
  msg: string;
  No: { type: string; cn: string | null; e164: string | null; h323: string | null }[];
  info: { type: string; vali: number; vals: string | null }[];
}

/** Runs the zeep client; `whenReady` is called once it has a session and is polling. */
async function runZeep(args: string[], whenReady: () => void): Promise<{ handle: number; echo: number; users: { h323: string; groups: { group: string }[] | null }[]; calls: ZeepCall[] }> {
  const child = spawn('/usr/bin/python3', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout });
  reader.on('line', (line) => {
    lines.push(line);
    if (line.startsWith('READY ')) whenReady();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`zeep client exited ${code}: ${lines.join('\n')}\n${stderr}`);
  return JSON.parse(lines[lines.length - 1]!);
}

describe('SOAP service with zeep (python3-zeep) as the client', () => {
  let service: PbxSoapService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('delivers group-monitored CallInfo with the conf id and the call end', async () => {
    service = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', username: 'rec', password: 's3cret', pollTimeoutMs: 300 });
    const { wsdlUrl } = await service.listen();
    const inbound = inboundCall();
    const internal = internalCall();
    const result = await runZeep(['--wsdl', wsdlUrl, '--user', 'SOAP', '--login', 'rec', '--password', 's3cret', '--ends', '2'], () => {
      play(service!, inbound);
      play(service!, internal);
    });

    expect(result.handle).toBeGreaterThan(0);
    expect(result.echo).toBeGreaterThan(0);
    expect(result.users.map((user) => user.h323)).toEqual(['SOAP']);
    expect(result.users[0]!.groups?.map((group) => group.group)).toEqual(['recording']);

    // The monitor object sees alice's and carol's legs (recording group), never bob's.
    expect(new Set(result.calls.map((call) => call.call))).toEqual(new Set([501, 602]));
    expect(result.calls.every((call) => call.user === result.handle)).toBe(true);

    const alice = result.calls.filter((call) => call.call === 501);
    expect(alice.map((call) => call.msg)).toEqual(['x-setup', 'r-alert', 'r-conn', 'hold', 'retrieve', 'x-rel', 'del']);
    expect(alice.map((call) => call.state)).toEqual([0x81, 0x84, 0x85, 0x185, 0x85, 0x86, 0x86]);
    expect(alice.map((call) => call.active)).toEqual([true, true, true, true, true, true, false]);
    for (const call of alice) {
      expect(call.info.find((item) => item.type === 'conf')?.vals).toBe(inbound.confId);
      const self = call.No.find((no) => no.type === 'this');
      expect(self).toMatchObject({ cn: 'Alice Agent', e164: '210', h323: 'alice' });
      expect(call.No.find((no) => no.type === 'peer')?.e164).toBe('004930123456');
    }
    expect(alice[2]!.info.find((item) => item.type === 'time')?.vals).toBe(new Date(T0 + 3000).toISOString());
    expect(alice[5]!.info.find((item) => item.type === 'detail')?.vals).toBe('normal');

    const carol = result.calls.filter((call) => call.call === 602);
    expect(carol.map((call) => call.msg)).toEqual(['x-setup', 'r-alert', 'r-conn', 'x-rel', 'del']);
    expect(carol.at(-1)!.info.find((item) => item.type === 'conf')?.vals).toBe(internal.confId);
  });

  it('loads the WSDL the recorder ships (a local file) and talks to /PBX0/user.soap and to a dynamic PBX /PBX-<id>/user.soap', async () => {
    service = new PbxSoapService({ directory, faults: faults(), clock: fixedClock, role: 'primary', username: 'rec', password: 's3cret', pollTimeoutMs: 300, dynamicPbxIds: ['7'] });
    const { url } = await service.listen();
    const dir = await mkdtemp(join(tmpdir(), 'zeep-wsdl-'));
    try {
      const file = join(dir, 'pbx10_00.wsdl');
      writeFileSync(file, pbx10Wsdl(url.replace(/\/user\.soap$/, '')));
      // The PBX publishes the same WSDL at /pbx10_00.wsdl.
      const published = await fetch(new URL('/pbx10_00.wsdl', url), { headers: { authorization: `Basic ${Buffer.from('rec:s3cret').toString('base64')}` } });
      expect(await published.text()).toBe(readFileSync(file, 'utf8'));
      for (const endpoint of [url, url.replace('/PBX0/', '/PBX-7/')]) {
        const inbound = inboundCall();
        const result = await runZeep(['--wsdl', file, '--endpoint', endpoint, '--user', 'SOAP', '--login', 'rec', '--password', 's3cret', '--ends', '1'], () => play(service!, inbound));
        expect(result.calls.find((call) => call.msg === 'del')?.info.find((item) => item.type === 'conf')?.vals, endpoint).toBe(inbound.confId);
      }
      // A PBX id that is not configured is not served.
      expect((await fetch(url.replace('/PBX0/', '/PBX-8/'), { method: 'POST', headers: { authorization: `Basic ${Buffer.from('rec:s3cret').toString('base64')}` }, body: '<x/>' })).status).toBe(404);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
