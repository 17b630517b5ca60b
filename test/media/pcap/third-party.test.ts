import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CaptureError, parseCapture } from '../../../src/media/pcap/index.js';
import { requireTool } from '../../helpers/tools.js';

/** The pcapng test suite (pcapng-test-generator) as Debian ships it with gopacket: files nobody here wrote. */
const SUITE = '/usr/share/gocode/src/github.com/gopacket/gopacket/pcapgo/tests';

const files = existsSync(SUITE)
  ? ['le', 'be'].flatMap((order) =>
      readdirSync(join(SUITE, order))
        .filter((f) => f.endsWith('.pcapng'))
        .sort()
        .map((name) => ({ label: `${order}/${name}`, name, path: join(SUITE, order, name) })),
    )
  : [];

// tshark is started without blocking: 54 synchronous runs held the test worker's event loop for over a minute on a
// loaded CI machine, past vitest's own RPC timeout.
async function tsharkCounts(file: string): Promise<{ packets: number; udp: number }> {
  requireTool('tshark');
  const { stdout } = await promisify(execFile)('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'udp.srcport'], { encoding: 'utf8' });
  const rows = stdout.split('\n').filter((l) => l.length > 0);
  // tshark also lists non-packet blocks (custom blocks) as frames: those have no interface.
  const packets = rows.filter((r) => r.split('\t')[0] !== '');
  return { packets: packets.length, udp: packets.filter((r) => (r.split('\t')[1] ?? '') !== '').length };
}

describe('third-party pcapng test suite (Debian golang-github-gopacket-gopacket-dev)', () => {
  it('is installed and has its files', () => {
    if (!existsSync(SUITE)) throw new Error(`${SUITE} is missing: apt-get install golang-github-gopacket-gopacket-dev (.ci/run does)`);
    expect(files.length).toBeGreaterThan(50);
  });

  it('a major-version-2 section is refused by name', () => {
    const file = files.find((f) => f.name === 'test901.pcapng');
    expect(file).toBeDefined();
    // Section version 2.0: the pcapng spec says a reader must not parse a major version it does not know.
    const bytes = readFileSync(file!.path);
    expect(() => parseCapture(bytes, file!.path, () => {})).toThrow(CaptureError);
    expect(() => parseCapture(bytes, file!.path, () => {})).toThrow(/version 2/);
  });

  it.each(files.filter((f) => f.name !== 'test901.pcapng').map((f) => [f.label, f] as const))('%s: packets and UDP datagrams agree with tshark', async (label, file) => {
    const stats = parseCapture(readFileSync(file.path), file.path, () => {});
    const theirs = await tsharkCounts(file.path);
    // tshark dissects the UDP header of a datagram cut short by the snap length; we skip and count those.
    expect({ file: label, packets: stats.frames, udp: stats.udpDatagrams + stats.snapTruncatedDatagrams }).toEqual({ file: label, packets: theirs.packets, udp: theirs.udp });
  });
});
