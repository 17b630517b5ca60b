// One damaged byte in a capture must not turn a 2-second call into hours of silence, nor cost the whole call:
// every timestamp, length, sequence and RTP timestamp byte of the records around the start, middle and end of a
// call is set to extreme values and the recording must stay the call's own length, with the damage reported.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../src/recorder/convert/index.js';
import { writeToneCall } from '../helpers/tone-call.js';

const dir = mkdtempSync(join(tmpdir(), 'recorder-capture-damage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECONDS = 2;
/** Byte offsets inside a record of the tone call (16-byte record header, Ethernet + IPv4 + UDP = 42, then RTP). */
const FIELDS: ReadonlyArray<readonly [string, number]> = [
  ...[0, 1, 2, 3].map((b) => [`seconds byte ${b}`, b] as const),
  ...[0, 1, 2, 3].map((b) => [`fraction byte ${b}`, 4 + b] as const),
  ...[0, 1, 2].map((b) => [`captured length byte ${b}`, 8 + b] as const),
  ...[0, 1].map((b) => [`RTP sequence byte ${b}`, 16 + 42 + 2 + b] as const),
  ...[0, 1, 2, 3].map((b) => [`RTP timestamp byte ${b}`, 16 + 42 + 4 + b] as const),
];

function recordOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 24; at + 16 <= bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) offsets.push(at);
  return offsets;
}

describe('adversarial: one damaged byte in a capture', () => {
  it('never blows a recording up, never loses the call, and says what it skipped or moved', async () => {
    const base = join(dir, 'call.pcap');
    writeToneCall(base, { seconds: SECONDS });
    const bytes = readFileSync(base);
    const offsets = recordOffsets(bytes);
    const records = [0, 1, 2, 3, offsets.length >> 1, offsets.length - 2, offsets.length - 1];
    const problems: string[] = [];
    let cases = 0;
    let reported = 0;
    let longest = 0;
    for (const record of records) {
      for (const [field, at] of FIELDS) {
        for (const value of ['0x00', '0xff', 'flip'] as const) {
          const damaged = Buffer.from(bytes);
          const offset = offsets[record]! + at;
          damaged[offset] = value === 'flip' ? damaged[offset]! ^ 0x80 : Number(value);
          if (damaged[offset] === bytes[offset]) continue;
          const input = join(dir, `case-${cases++}.pcap`);
          writeFileSync(input, damaged);
          const report = await convertCapture(input, { outDir: join(dir, 'out'), durable: false });
          const seconds = report.outputs.map((o) => o.durationSeconds);
          const total = seconds.reduce((a, b) => a + b, 0);
          longest = Math.max(longest, total);
          if (report.warnings.length > 0) reported++;
          if (!report.ok || seconds.length !== 1 || total > SECONDS + 0.1 || total < SECONDS - 0.1) {
            problems.push(`record ${record}, ${field} = ${value}: ok=${report.ok} recordings=${seconds.length} seconds=${seconds.join(',')} ${report.error ?? ''}`);
          }
          rmSync(input);
          rmSync(join(dir, 'out'), { recursive: true, force: true });
        }
      }
    }
    console.log(`capture damage: ${cases} single-byte cases, ${problems.length} wrong, ${reported} reported with a warning, longest recording ${longest.toFixed(2)} s of ${SECONDS} s`);
    expect(problems).toEqual([]);
    expect(cases).toBeGreaterThan(250);
  });

  it('a record whose clock reading is hours off is reported and placed by its RTP timestamp', async () => {
    const input = join(dir, 'clock.pcap');
    writeToneCall(input, { seconds: SECONDS });
    const bytes = readFileSync(input);
    const at = recordOffsets(bytes)[41]!;
    bytes.writeUInt32LE(bytes.readUInt32LE(at) + 36_000, at);
    writeFileSync(input, bytes);
    const report = await convertCapture(input, { outDir: join(dir, 'clock-out'), durable: false });
    expect(report.outputs).toHaveLength(1);
    expect(report.outputs[0]!.durationSeconds).toBeCloseTo(SECONDS, 2);
    expect(report.outputs[0]!.streams.reduce((n, s) => n + s.timeOutliers, 0)).toBe(1);
    expect(report.outputs[0]!.lost).toBe(0);
    expect(report.warnings.join('\n')).toMatch(/1 packet whose capture time or RTP timestamp disagreed with both neighbours/);
  });

  it('a bad record length costs the packets it covers, not the rest of the call, and is reported', async () => {
    const input = join(dir, 'length.pcap');
    writeToneCall(input, { seconds: SECONDS });
    const bytes = readFileSync(input);
    const offsets = recordOffsets(bytes);
    bytes.writeUInt32LE(0x00ffff00, offsets[7]! + 8);
    writeFileSync(input, bytes);
    const report = await convertCapture(input, { outDir: join(dir, 'length-out'), durable: false });
    expect(report.ok).toBe(true);
    expect(report.outputs).toHaveLength(1);
    expect(report.outputs[0]!.durationSeconds).toBeCloseTo(SECONDS, 2);
    expect(report.outputs[0]!.packets).toBeGreaterThanOrEqual(offsets.length - 2);
    expect(report.warnings.join('\n')).toMatch(new RegExp(`one damaged region of [0-9,]+ bytes skipped \\(the first at byte ${offsets[7]}\\)`));
  });
});
