import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError, parseCapture } from '../../../src/media/pcap/index.js';
import { requireTool } from '../../helpers/tools.js';

/** The pcapng test suite (pcapng-test-generator) as Debian ships it with gopacket: files nobody here wrote. */
const SUITE = '/usr/share/gocode/src/github.com/gopacket/gopacket/pcapgo/tests';

function tsharkCounts(file: string): { packets: number; udp: number } {
  requireTool('tshark');
  const rows = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'udp.srcport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter((l) => l.length > 0);
  // tshark also lists non-packet blocks (custom blocks) as frames: those have no interface.
  const packets = rows.filter((r) => r.split('\t')[0] !== '');
  return { packets: packets.length, udp: packets.filter((r) => (r.split('\t')[1] ?? '') !== '').length };
}

describe('third-party pcapng test suite (Debian golang-github-gopacket-gopacket-dev)', () => {
  it('every file: packets and UDP datagrams agree with tshark; a major-version-2 section is refused by name', () => {
    if (!existsSync(SUITE)) throw new Error(`${SUITE} is missing: apt-get install golang-github-gopacket-gopacket-dev (.ci/run does)`);
    let files = 0;
    for (const order of ['le', 'be']) {
      for (const name of readdirSync(join(SUITE, order)).filter((f) => f.endsWith('.pcapng')).sort()) {
        const path = join(SUITE, order, name);
        const bytes = readFileSync(path);
        files++;
        if (name === 'test901.pcapng') {
          // Section version 2.0: the pcapng spec says a reader must not parse a major version it does not know.
          expect(() => parseCapture(bytes, path, () => {})).toThrow(CaptureError);
          expect(() => parseCapture(bytes, path, () => {})).toThrow(/version 2/);
          continue;
        }
        const stats = parseCapture(bytes, path, () => {});
        const theirs = tsharkCounts(path);
        // tshark dissects the UDP header of a datagram cut short by the snap length; we skip and count those.
        expect({ file: `${order}/${name}`, packets: stats.frames, udp: stats.udpDatagrams + stats.snapTruncatedDatagrams }).toEqual({ file: `${order}/${name}`, packets: theirs.packets, udp: theirs.udp });
      }
    }
    console.log(`pcapng test suite: ${files} files read, counts equal tshark's`);
    expect(files).toBeGreaterThan(50);
  });
});
