/** Hand-built calls and captures for the capture tests, and readers for what the converter writes. */
import { readFileSync } from 'node:fs';
import type { CaptureSide, CaptureSpec, MediaImpairments, MediaSegment, PartyRef, PlannedCall, SimCodec } from '../../../src/embedded/model.js';

export const ANNA: PartyRef = { number: '201', name: 'Anna Agent', object: 'anna', external: false };
export const BERT: PartyRef = { number: '202', name: 'Bert Agent', object: 'bert', external: false };
export const CALLER: PartyRef = { number: '04012345678', external: true };

/** 2024-05-06 07:08:09 UTC, a whole second. */
export const SETUP_TIME = Date.UTC(2024, 4, 6, 7, 8, 9);

export function captureSpec(overrides: Partial<CaptureSpec> & { codec: SimCodec; side: CaptureSide }): CaptureSpec {
  const segments: MediaSegment[] = [{ from: 1000, to: 5000, internal: ANNA, external: CALLER }];
  return {
    fileName: `capture-${overrides.codec}-${overrides.side}.pcap`,
    packetMs: 20,
    start: 1000,
    end: 5000,
    segments,
    seed: 4711,
    ...overrides,
  };
}

export function plannedCall(captures: CaptureSpec[], impairments?: MediaImpairments): PlannedCall {
  const end = Math.max(...captures.map((c) => c.end));
  return {
    index: 1,
    confId: '0123456789abcdef0123456789abcdef',
    scenario: { at: 0, kind: 'inbound', from: CALLER.number, to: ANNA.number, ...(impairments ? { impairments } : {}) },
    setupTime: SETUP_TIME,
    answerAt: 1000,
    endAt: end,
    direction: 'inbound',
    caller: CALLER,
    called: ANNA,
    events: [],
    captures,
    expected: { agent: ANNA.number, external: CALLER.number, rule: 'test' },
  };
}

/** A PCM WAV's format and its samples per channel. */
export function readWav(path: string): { sampleRate: number; channels: Int16Array[] } {
  const bytes = readFileSync(path);
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${path}: not a WAV`);
  let offset = 12;
  let sampleRate = 0;
  let count = 0;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      count = bytes.readUInt16LE(body + 2);
      sampleRate = bytes.readUInt32LE(body + 4);
    } else if (id === 'data') {
      const frames = Math.floor(size / (2 * count));
      const channels = Array.from({ length: count }, () => new Int16Array(frames));
      for (let i = 0; i < frames; i++) for (let c = 0; c < count; c++) channels[c]![i] = bytes.readInt16LE(body + 2 * (i * count + c));
      return { sampleRate, channels };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}
