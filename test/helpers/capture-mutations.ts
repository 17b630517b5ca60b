// Mutations of real capture files for fuzzing the converter: byte flips, cuts, and mutations that know the pcap
// layout (record lengths, timestamps, RTP header fields, records duplicated, dropped or reordered). Each case is
// a pure function of its seed, so a crash found in a long run is reproduced from the seed alone.
import { gzipSync } from 'node:zlib';
import { mulberry32 } from '../../src/platform/util/index.js';

export interface Mutation {
  readonly bytes: Uint8Array;
  /** What was done, for the report of a failing case. */
  readonly steps: string[];
  /** The mutated capture is gzip-compressed (name it .pcap.gz). */
  readonly gzip: boolean;
  /** Index of the source it was made from. */
  readonly source: number;
}

interface PcapRecord {
  readonly offset: number;
  readonly length: number;
}

/** Record offsets of a classic little-endian pcap (empty for anything else). */
function pcapRecords(bytes: Uint8Array): PcapRecord[] {
  if (bytes.length < 24 || bytes[0] !== 0xd4 || bytes[1] !== 0xc3 || bytes[2] !== 0xb2 || bytes[3] !== 0xa1) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: PcapRecord[] = [];
  let offset = 24;
  while (offset + 16 <= bytes.length) {
    const length = view.getUint32(offset + 8, true);
    if (offset + 16 + length > bytes.length) break;
    records.push({ offset, length: 16 + length });
    offset += 16 + length;
  }
  return records;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Mutate one of `sources` as `seed` says. */
export function mutateCapture(sources: readonly Uint8Array[], seed: number): Mutation {
  const random = mulberry32(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const sourceIndex = pick(sources.length);
  const source = sources[sourceIndex]!;
  let bytes: Uint8Array = Uint8Array.from(source);
  const steps: string[] = [];
  const rounds = 1 + pick(3);
  for (let round = 0; round < rounds; round++) {
    const records = pcapRecords(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const kind = records.length > 2 ? pick(8) : pick(2);
    switch (kind) {
      case 0: {
        const flips = 1 + pick(40);
        for (let k = 0; k < flips; k++) bytes[pick(bytes.length)] = pick(256);
        steps.push(`flip ${flips} bytes`);
        break;
      }
      case 1: {
        const cut = pick(bytes.length + 1);
        bytes = bytes.slice(0, cut);
        steps.push(`cut at ${cut}`);
        break;
      }
      case 2: {
        // A record's captured or original length set to a random, zero or huge value.
        const record = records[pick(records.length)]!;
        const field = pick(2) === 0 ? 8 : 12;
        const value = [0, 1, 65535, 0x7fffffff, 0xffffffff, pick(4096)][pick(6)]!;
        view.setUint32(record.offset + field, value, true);
        steps.push(`record at ${record.offset}: ${field === 8 ? 'incl_len' : 'orig_len'} = ${value}`);
        break;
      }
      case 3: {
        // One timestamp byte, or a whole timestamp, changed: a jump forward or back in capture time.
        const record = records[pick(records.length)]!;
        if (pick(2) === 0) bytes[record.offset + pick(8)] = pick(256);
        else view.setUint32(record.offset, pick(0xffffffff), true);
        steps.push(`record at ${record.offset}: timestamp changed`);
        break;
      }
      case 4: {
        // An RTP header field of one packet (Ethernet/IPv4/UDP: RTP starts 42 bytes into the frame).
        const record = records[pick(records.length)]!;
        const rtp = record.offset + 16 + 42;
        if (rtp + 12 <= record.offset + record.length) {
          const at = rtp + pick(12);
          bytes[at] = pick(256);
          steps.push(`RTP header byte ${at - rtp} of record at ${record.offset}`);
        }
        break;
      }
      case 5: {
        // Records duplicated (a capture taken twice over).
        const from = pick(records.length);
        const to = Math.min(records.length, from + 1 + pick(50));
        const block = bytes.slice(records[from]!.offset, records[to - 1]!.offset + records[to - 1]!.length);
        const at = records[pick(records.length)]!.offset;
        bytes = concat([bytes.subarray(0, at), block, bytes.subarray(at)]);
        steps.push(`records ${from}–${to - 1} repeated at ${at}`);
        break;
      }
      case 6: {
        // Records dropped (loss the capture never saw).
        const from = pick(records.length);
        const to = Math.min(records.length, from + 1 + pick(200));
        bytes = concat([bytes.subarray(0, records[from]!.offset), bytes.subarray(records[to - 1]!.offset + records[to - 1]!.length)]);
        steps.push(`records ${from}–${to - 1} dropped`);
        break;
      }
      case 7: {
        // A window of records reversed (out of time order, as merged captures can be).
        const from = pick(records.length);
        const to = Math.min(records.length, from + 2 + pick(30));
        const window = records.slice(from, to).reverse().map((r) => bytes.slice(r.offset, r.offset + r.length));
        bytes = concat([bytes.subarray(0, records[from]!.offset), ...window, bytes.subarray(records[to - 1]!.offset + records[to - 1]!.length)]);
        steps.push(`records ${from}–${to - 1} reversed`);
        break;
      }
    }
  }
  const gzip = pick(10) === 0;
  if (gzip) {
    bytes = gzipSync(bytes);
    if (pick(3) === 0) {
      const cut = pick(bytes.length);
      bytes = bytes.slice(0, cut);
      steps.push(`gzip, cut at ${cut}`);
    } else steps.push('gzip');
  }
  return { bytes, steps, gzip, source: sourceIndex };
}
