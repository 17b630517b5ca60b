import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSdp, parseSip, sdpBodyOf } from '../../../src/media/sip/index.js';
import { LinkType, buildUdpFrame, writePcap } from '../../../src/media/pcap/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';
import { requireTool } from '../../helpers/tools.js';
import { CALL_FLOW, enc, sdp, sip } from './messages.js';

const CODECS: ReadonlyArray<readonly [string, number]> = [
  ['PCMA', 8000],
  ['PCMU', 8000],
  ['G722', 8000],
  ['G729', 8000],
  ['telephone-event', 8000],
  ['opus', 48000],
];

/** A random but well-formed SIP message, with random header spellings (compact or full) and, for INVITE and 200, SDP. */
function randomMessage(random: () => number, i: number): string {
  const int = (n: number): number => Math.floor(random() * n);
  const name = (full: string, compact: string): string => (random() < 0.5 ? compact : full);
  const digits = (n: number): string => Array.from({ length: n }, () => int(10)).join('');
  const caller = `+49${digits(9)}`;
  const callee = digits(3);
  const display = ['Anna', 'Rossi, Maria', 'Büro Nord', 'Dr. Who'][int(4)]!;
  const fromValue = `"${display}" <sip:${caller}@gw${int(9)}.example.com>;tag=${digits(8)}`;
  const toValue = `<sip:${callee}@pbx.example.org>${random() < 0.5 ? `;tag=${digits(6)}` : ''}`;
  const callId = `${digits(12)}@host${i}`;
  const request = random() < 0.5;
  const method = ['INVITE', 'BYE', 'OPTIONS', 'INFO', 'ACK'][int(5)]!;
  const withSdp = (request && method === 'INVITE') || (!request && random() < 0.5);
  const cseqMethod = request ? method : 'INVITE';
  let body = '';
  if (withSdp) {
    const v6 = random() < 0.4;
    const address = v6 ? `2001:db8::${int(0xffff).toString(16)}` : `198.51.100.${1 + int(250)}`;
    const chosen = CODECS.filter(() => random() < 0.6);
    const pts = chosen.map((_, k) => 96 + k);
    body = sdp([
      'v=0',
      `o=- ${digits(6)} 1 IN ${v6 ? 'IP6' : 'IP4'} ${address}`,
      's=-',
      `c=IN ${v6 ? 'IP6' : 'IP4'} ${address}`,
      't=0 0',
      `m=audio ${2 * (5000 + int(20000))} RTP/AVP ${[...pts, 0].join(' ')}`,
      ...chosen.map(([enc, rate], k) => `a=rtpmap:${pts[k]} ${enc}/${rate}`),
    ]);
  }
  const start = request ? `${method} sip:${callee}@pbx.example.org SIP/2.0` : `SIP/2.0 ${[100, 180, 183, 200, 486][int(5)]} Whatever`;
  return sip(
    [
      start,
      `${name('Via', 'v')}: SIP/2.0/UDP 192.0.2.${1 + int(250)}:5060;branch=z9hG4bK${digits(6)}`,
      `${name('From', 'f')}: ${fromValue}`,
      `${name('To', 't')}: ${toValue}`,
      `${name('Call-ID', 'i')}: ${callId}`,
      `CSeq: ${1 + int(100000)} ${cseqMethod}`,
      ...(withSdp ? [`${name('Content-Type', 'c')}: application/sdp`] : []),
    ],
    body,
    name('Content-Length', 'l'),
  );
}

describe('SIP and SDP against tshark', () => {
  it('400 messages (the call flow and random well-formed ones) read the same as tshark reads them', () => {
    requireTool('tshark');
    const random = mulberry32(4566);
    const texts = [...CALL_FLOW.map((m) => m.text), ...Array.from({ length: 400 - CALL_FLOW.length }, (_, i) => randomMessage(random, i))];
    const dir = mkdtempSync(join(tmpdir(), 'sip-tshark-'));
    try {
      const file = join(dir, 'sip.pcap');
      const frames = texts.map((text, i) => ({
        data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: '192.0.2.1', dst: '192.0.2.2', srcPort: 5060, dstPort: 5060, payload: enc(text) }),
        time: 1_700_000_000 + i,
      }));
      writeFileSync(file, writePcap(frames, { linkType: LinkType.ETHERNET }));
      const fields = ['sip.Method', 'sip.Status-Code', 'sip.Call-ID', 'sip.from.user', 'sip.from.host', 'sip.from.tag', 'sip.to.user', 'sip.to.tag', 'sip.CSeq.seq', 'sip.CSeq.method', 'sdp.connection_info.address', 'sdp.media.port', 'sdp.mime.type'];
      const output = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        maxBuffer: 1 << 26,
      });
      const theirs = output.split('\n').filter((line) => line.length > 0);
      const ours = texts.map((text) => {
        const m = parseSip(enc(text))!;
        const session = sdpBodyOf(m) ? parseSdp(sdpBodyOf(m)!) : undefined;
        const audio = session?.media[0];
        return [
          m.kind === 'request' ? m.method : '',
          m.kind === 'response' ? String(m.status) : '',
          m.callId ?? '',
          m.from?.user ?? '',
          m.from?.host ?? '',
          m.from?.tag ?? '',
          m.to?.user ?? '',
          m.to?.tag ?? '',
          String(m.cseq ?? ''),
          m.cseqMethod ?? '',
          session ? [session.connectionAddress, audio?.connectionAddress].filter(Boolean).join(',') : '',
          audio ? String(audio.port) : '',
          audio ? [...audio.rtpmap.values()].map((r) => r.encoding).join(',') : '',
        ].join('\t');
      });
      expect(theirs.length).toBe(texts.length);
      const differing = ours.filter((line, i) => line !== theirs[i]);
      expect({ compared: ours.length, differing: differing.length, firstDiffering: differing[0], tshark: theirs[ours.indexOf(differing[0]!)] }).toEqual({
        compared: 400,
        differing: 0,
        firstDiffering: undefined,
        tshark: undefined,
      });
      const withSdp = ours.filter((line) => line.split('\t')[11] !== '').length;
      expect(withSdp).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
