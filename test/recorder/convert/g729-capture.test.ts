/**
 * A G.729 call capture with packet loss and Annex B DTX (SID frames, untransmitted frames), made
 * at test time from the ITU-T Annex B test bitstreams (kept in ../shared, never copied here).
 * The expected recording is the decoder run over the same frames in the ITU serial model —
 * lost packets as erased frames, untransmitted frames as such — which the vector tests prove
 * exact; so this checks that the RTP path (packetising, timestamps, loss vs DTX) feeds the
 * decoder exactly what the reference decoder would have seen.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { G729Decoder, parseItuSerial } from '../../../src/media/codecs/index.js';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import { encodeRtpPacket } from '../../../src/embedded/index.js';
import { LinkType, buildUdpFrame, writePcap } from '../../../src/media/pcap/index.js';
import { countDifferences, int16FromBuffer } from '../../helpers/tools.js';

const ANNEX_B = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/codecs/g729/itu-test-vectors/g729AnnexB');
const work = mkdtempSync(join(tmpdir(), 'recorder-g729-capture-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Leg {
  datagrams: Array<{ time: number; payload: Uint8Array }>;
  expected: Int16Array;
  sid: number;
  untransmitted: number;
  lostPackets: number;
}

/** Packetise ITU serial frames as RTP (2 frames per packet, a SID frame ends a packet, untransmitted frames not sent). */
function packetise(frames: Array<Uint8Array | null>, lose: (packetIndex: number) => boolean, ssrc: number, t0: number): Leg {
  const model: Array<Uint8Array | null> = [];
  const datagrams: Leg['datagrams'] = [];
  let sequence = 100;
  let packetIndex = 0;
  let sid = 0;
  let untransmitted = 0;
  let lostPackets = 0;
  let i = 0;
  while (i < frames.length) {
    const frame = frames[i];
    if (frame === null || frame === undefined || frame.length === 0) {
      // Erased frames in the vector are not sent either: to RTP they are untransmitted (the reference then runs CNG or concealment from its own state).
      model.push(frame === null ? null : frame);
      if (frame && frame.length === 0) untransmitted++;
      i++;
      continue;
    }
    const first = i;
    const parts: Uint8Array[] = [];
    while (i < frames.length && parts.length < 2) {
      const f = frames[i];
      if (!f || f.length === 0) break;
      parts.push(f);
      i++;
      if (f.length === 2) {
        sid++;
        break;
      }
    }
    // Only a packet between two contiguous speech packets is lost: then the gap it leaves is unambiguous
    // (a loss next to a DTX pause could be either, and a receiver can only guess).
    const contiguous = parts.length === 2 && parts[1]!.length === 10 && first > 0 && (model[first - 1]?.length ?? 0) === 10 && (frames[i]?.length ?? 0) === 10;
    const lost = contiguous && lose(packetIndex);
    const payload = Buffer.concat(parts);
    if (lost) lostPackets++;
    else datagrams.push({ time: t0 + first * 0.01, payload: encodeRtpPacket({ payloadType: 18, sequence: sequence & 0xffff, timestamp: first * 80, ssrc, payload }) });
    for (const part of parts) model.push(lost ? null : part);
    sequence++;
    packetIndex++;
  }
  return { datagrams, expected: new Int16Array(0), sid, untransmitted, lostPackets, ...{ model } } as Leg & { model: Array<Uint8Array | null> };
}

function decodeModel(model: Array<Uint8Array | null>, lastTransmitted: number): Int16Array {
  const decoder = new G729Decoder({ variant: 'g729' });
  const out = new Int16Array((lastTransmitted + 1) * 80);
  for (let f = 0; f <= lastTransmitted; f++) decoder.decodeFrame(model[f]!, out, f * 80);
  return out;
}

describe('G.729 capture with loss and Annex B DTX', () => {
  const files = ['tstseq1.bit', 'tstseq3.bit'].map((f) => join(ANNEX_B, f));
  const present = files.every((f) => existsSync(f));
  (present ? it : it.skip)(
    present ? 'converts to the stereo recording the reference decoder gives for the same frames' : `skipped: ITU-T Annex B vectors not found in ${ANNEX_B}`,
    async () => {
      const t0 = 1_700_000_000;
      const legs = files.map((file, n) => {
        const frames = parseItuSerial(readFileSync(file)).slice(0, 1000);
        // Lose every 23rd packet on one leg, every 31st on the other, never the first.
        const leg = packetise(frames, (p) => p > 0 && p % (n === 0 ? 23 : 31) === 0, 0x729000 + n, t0) as Leg & { model: Array<Uint8Array | null> };
        // A trailing run of untransmitted frames leaves nothing on the wire: the recording ends with the last packet sent.
        let lastSent = leg.model.length - 1;
        while (lastSent >= 0 && (leg.model[lastSent] === null || leg.model[lastSent]!.length === 0)) lastSent--;
        leg.expected = decodeModel(leg.model, lastSent);
        return leg;
      });
      const gateway = { address: '10.9.0.1', port: 20000 };
      const phone = { address: '10.9.0.2', port: 30000 };
      const frames = legs
        .flatMap((leg, n) =>
          leg.datagrams.map((d) => ({
            time: d.time,
            data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: n === 0 ? gateway.address : phone.address, dst: n === 0 ? phone.address : gateway.address, srcPort: n === 0 ? gateway.port : phone.port, dstPort: n === 0 ? phone.port : gateway.port, payload: d.payload }),
          })),
        )
        .sort((a, b) => a.time - b.time);
      const capture = join(work, 'g729-dtx-loss.pcap');
      writeFileSync(capture, writePcap(frames, { linkType: LinkType.ETHERNET }));
      const report = await convertCapture(capture, { outDir: work, channels: { deviceAddress: gateway.address }, durable: false });
      expect(report.error).toBeUndefined();
      const output = report.outputs[0]!;
      expect(output.codec).toBe('g729');
      const pcm = int16FromBuffer(readFileSync(output.path).subarray(44));
      const left = pcm.filter((_, i) => i % 2 === 0);
      const right = pcm.filter((_, i) => i % 2 === 1);
      const l = countDifferences(left.subarray(0, legs[0]!.expected.length), legs[0]!.expected);
      const r = countDifferences(right.subarray(0, legs[1]!.expected.length), legs[1]!.expected);
      const streams = output.streams;
      console.log(
        `G.729 capture: ${legs.map((leg) => `${leg.datagrams.length} packets, ${leg.lostPackets} lost, ${leg.sid} SID, ${leg.untransmitted} untransmitted frames`).join('; ')}; ` +
          `${l.compared + r.compared} samples compared, ${l.differing + r.differing} differing`,
      );
      expect(streams.find((s) => s.from.startsWith(gateway.address))!.lost).toBe(legs[0]!.lostPackets);
      expect(legs[0]!.sid + legs[1]!.sid).toBeGreaterThan(0);
      expect(legs[0]!.untransmitted + legs[1]!.untransmitted).toBeGreaterThan(0);
      expect(l.differing).toBe(0);
      expect(r.differing).toBe(0);

      // The other layouts of the same call: mono is the average, internal-only is the right channel, MP3 decodes to the same length.
      const mono = await convertCapture(capture, { outDir: join(work, 'mono'), mix: 'mono', channels: { deviceAddress: gateway.address }, durable: false });
      const internal = await convertCapture(capture, { outDir: join(work, 'internal'), mix: 'internal', channels: { deviceAddress: gateway.address }, durable: false });
      const m = int16FromBuffer(readFileSync(mono.outputs[0]!.path).subarray(44));
      const r1 = int16FromBuffer(readFileSync(internal.outputs[0]!.path).subarray(44));
      expect(m.length).toBe(left.length);
      expect(countDifferences(m, left.map((v, i) => (v + right[i]!) >> 1)).differing).toBe(0);
      expect(countDifferences(r1, right).differing).toBe(0);
      const mp3 = await convertCapture(capture, { outDir: join(work, 'mp3'), format: 'mp3', channels: { deviceAddress: gateway.address }, durable: false });
      const decoded = int16FromBuffer(execFileSync('ffmpeg', ['-loglevel', 'error', '-i', mp3.outputs[0]!.path, '-f', 's16le', 'pipe:1'], { maxBuffer: 1 << 26 }));
      expect(decoded.length).toBe(pcm.length);
    },
  );
});
