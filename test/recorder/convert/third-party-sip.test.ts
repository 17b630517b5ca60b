// Parties from the capture's own signalling: real SIP captures (UDP and TCP) name their parties and decide the
// channels by SIP; a media-only capture of two unrelated calls gives each call its own two channels.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import { SipTcpFramer } from '../../../src/media/sip/index.js';
import { writeToneCalls } from '../../helpers/tone-call.js';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/captures/third-party');
const work = mkdtempSync(join(tmpdir(), 'recorder-sip-parties-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Root-mean-square level of the left and right channels of a 16-bit stereo WAV. */
function channelLevels(path: string): { left: number; right: number } {
  const bytes = readFileSync(path);
  const samples = new Int16Array(bytes.buffer, bytes.byteOffset + 44, (bytes.length - 44) / 2);
  let left = 0;
  let right = 0;
  for (let i = 0; i + 1 < samples.length; i += 2) {
    left += samples[i]! ** 2;
    right += samples[i + 1]! ** 2;
  }
  const frames = samples.length / 2;
  return { left: Math.sqrt(left / frames), right: Math.sqrt(right / frames) };
}

/** What each SIP-bearing capture must say: the rule that decided and the parties (external, internal). */
const EXPECTED: Record<string, { rule: string; external: string; internal: string }[]> = {
  // SIP over TCP; numbers of different length: the longer is external.
  'lundgrel__sipp_uac_Media_DTMF_Speex.pcap': [{ rule: 'signalling', external: '+46725098830', internal: '79108' }],
  // SIPp's user names, not numbers: the caller is external.
  'lundgrel__sip-rtp-g729a.pcap': [{ rule: 'signalling-caller', external: 'G729/8000 <sipp>', internal: 'test <test>' }],
  'wsSample__sip-rtp-g711.pcap': [
    { rule: 'signalling-caller', external: 'PCMU/8000 <sipp>', internal: 'test <test>' },
    { rule: 'signalling-caller', external: 'PCMA/8000 <sipp>', internal: 'test <test>' },
  ],
  // Numbers of equal length: the caller is external.
  'wsSample__only_sip_sdp_rtp.pcap': [{ rule: 'signalling-caller', external: 'arik <35104723>', internal: '35104724' }],
  // The media runs through a relay the SDP does not name: both streams carry one SDP endpoint each; the parties
  // are named from SIP, the channels split by direction.
  'wsSample__SIP_DTMF2.pcap': [{ rule: 'device', external: '2502 <2502>', internal: '2504' }],
};

describe('SIP in real captures names the parties', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(name, async () => {
      const file = join(CORPUS, name);
      if (!existsSync(file)) {
        if (process.env.CI) throw new Error(`${file} is missing: the third-party captures come with ../shared`);
        console.log(`${file} not found: nothing to check`);
        return;
      }
      const report = await convertCapture(file, { outDir: join(work, name), durable: false });
      expect(report.error).toBeUndefined();
      expect(report.outputs.map((o) => ({ rule: o.channelRule, external: o.externalParty, internal: o.internalParty }))).toEqual(expected);
      for (const output of report.outputs) {
        expect(output.callId).toBeDefined();
        expect(output.direction).toMatch(/^[io]$/);
        // A stream sent by the external party is on the left, and the internal party's on the right.
        const parties = new Set(output.streams.map((s) => `${s.party}:${s.channel}`));
        for (const party of parties) expect(['external:left', 'internal:right']).toContain(party);
      }
    });
  }
});

describe('two unrelated calls in one media-only capture', () => {
  it('each call has its own two channels, and the report says which rule decided', async () => {
    const file = join(work, 'two-calls.pcap');
    writeToneCalls(file, [
      { seconds: 4, a: '10.0.0.1', b: '10.0.0.2', hzA: 440, hzB: 700 },
      { seconds: 4, a: '192.168.7.10', b: '192.168.7.20', portA: 41000, portB: 51000, start: 1_700_000_001, hzA: 500, hzB: 900 },
    ]);
    const report = await convertCapture(file, { outDir: join(work, 'two-calls'), durable: false });
    expect(report.ok).toBe(true);
    expect(report.outputs).toHaveLength(2);
    for (const output of report.outputs) {
      expect(output.streams.map((s) => s.channel).sort()).toEqual(['left', 'right']);
      const levels = channelLevels(output.path);
      expect(levels.left).toBeGreaterThan(1000);
      expect(levels.right).toBeGreaterThan(1000);
    }
    // The first call involves the capture's device (its first sender, as no address is common to all streams);
    // the second shares no address with it and decides by its own first sender.
    expect(report.outputs.map((o) => o.channelRule)).toEqual(['device', 'first-sender']);
  });
});

describe('SIP over TCP framing', () => {
  const encoder = new TextEncoder();
  const invite = 'INVITE sip:20@pbx SIP/2.0\r\nCall-ID: abc\r\nContent-Length: 5\r\n\r\nv=0\r\n';
  const ok = 'SIP/2.0 200 OK\r\nCall-ID: abc\r\nl: 0\r\n\r\n';
  const segment = (sequence: number, text: string) => ({ src: '10.0.0.1', srcPort: 5060, dst: '10.0.0.2', dstPort: 5060, sequence, payload: encoder.encode(text) });

  it('splits, joins, skips keep-alives and retransmissions, and restarts after a gap', () => {
    const framer = new SipTcpFramer();
    const decode = (messages: Uint8Array[]) => messages.map((m) => new TextDecoder().decode(m));
    // One message over two segments, then a retransmission of the second, then two messages and a keep-alive in one.
    expect(decode(framer.push(segment(1000, invite.slice(0, 30))))).toEqual([]);
    expect(decode(framer.push(segment(1030, invite.slice(30))))).toEqual([invite]);
    expect(decode(framer.push(segment(1030, invite.slice(30))))).toEqual([]);
    const next = 1000 + invite.length;
    expect(decode(framer.push(segment(next, `\r\n\r\n${ok}${ok}`)))).toEqual([ok, ok]);
    // A gap: bytes the capture missed; the stream restarts at the next message start.
    expect(decode(framer.push(segment(next + 500, 'rest of something\r\n\r\n')))).toEqual([]);
    expect(decode(framer.push(segment(next + 600, ok)))).toEqual([ok]);
  });
});
