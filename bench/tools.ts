// Helpers shared by the bench suites.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLeg, mergeLegs, toneSignal } from '../src/embedded/index.js';
import type { ScenarioCall } from '../src/embedded/index.js';
import { LinkType, buildUdpFrame, writePcap } from '../src/media/pcap/index.js';

/** Whether a command is on the PATH (the native tools are optional: their rows say when one is missing). */
export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** The project root, from bench/ (tsx) or dist/bench/ (compiled). */
export function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** A two-party G.711 A-law call of `seconds` (a tone each side, 20 ms packets) as a classic pcap file. */
export function writeTwoToneCall(path: string, seconds: number): void {
  const samples = seconds * 8000;
  const leg = (from: number, to: number, hz: number, amplitude: number, ssrc: number) =>
    buildLeg({ from: { address: `10.0.0.${from}`, port: 30000 + from }, to: { address: `10.0.0.${to}`, port: 30000 + to }, codec: 'pcma', pcm: toneSignal(samples, 8000, hz, amplitude), packetMs: 20, startTime: 1_700_000_000, ssrc, sequence: 1, timestamp: 1 });
  const datagrams = mergeLegs(leg(1, 2, 440, 1320, 1), leg(2, 1, 300, 2000, 2));
  writeFileSync(path, writePcap(datagrams.map((d) => ({ time: d.time, data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: d.src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort, payload: d.payload }) })), { linkType: LinkType.ETHERNET }));
}

/** A loopback port free right now (for a server a child process must listen on). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Talk time of the benches' one-minute calls (after 2 s of ringing). */
export const ONE_MINUTE_TALK_SECONDS = 58;
const AGENTS = ['20', '21', '22', '24', '25', '26'];
const OUTSIDE = ['0070317300912', '00891234567', '0022174806', '0035178824'];

/** One-minute G.711 calls of Agents of the default directory (2 s ringing, 58 s talk), `gap` simulated seconds apart. */
export function oneMinuteCalls(count: number, gap: number): ScenarioCall[] {
  return Array.from({ length: count }, (_, i) => {
    const agent = AGENTS[i % AGENTS.length]!;
    const outside = OUTSIDE[i % OUTSIDE.length]!;
    const inbound = i % 3 !== 2;
    return { at: 1 + i * gap, kind: inbound ? 'inbound' : 'outbound', from: inbound ? outside : agent, to: inbound ? agent : outside, ringSeconds: 2, talkSeconds: ONE_MINUTE_TALK_SECONDS, codec: i % 2 === 0 ? 'pcma' : 'pcmu' };
  });
}
