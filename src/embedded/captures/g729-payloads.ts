/**
 * G.729 payloads for simulated legs. The project has a G.729 decoder but no
 * encoder, so G.729 legs replay frames encoded ahead of time with libbcg729
 * (fixtures/g729-sim/make.sh): one syllable cycle of a tone per file, looped.
 * A party's G.729 voice is the fixture tone nearest its own tone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageFile } from '../../platform/util/index.js';
import type { PartyRef } from '../model.js';
import { SPEECH_CYCLE_MS, partyPhaseMs, partyToneHz } from './voices.js';

/** The tones fixtures/g729-sim holds (Hz): four in the internal range, four in the external one. */
export const G729_TONES_HZ: readonly number[] = [400, 640, 1050, 1405, 1860, 2180, 2500, 2820];
/** Bytes of one G.729 frame (10 ms). */
export const G729_FRAME_BYTES = 10;
const FRAMES_PER_CYCLE = SPEECH_CYCLE_MS / 10;

export class G729FixtureError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`G.729 fixture ${file}: ${reason}`);
    this.name = 'G729FixtureError';
  }
}

/** The fixture tone nearest `hz`. */
export function nearestG729Tone(hz: number): number {
  let best = G729_TONES_HZ[0]!;
  for (const tone of G729_TONES_HZ) if (Math.abs(tone - hz) < Math.abs(best - hz)) best = tone;
  return best;
}

/** The tone a party's G.729 leg carries. */
export function partyG729ToneHz(party: PartyRef): number {
  return nearestG729Tone(partyToneHz(party));
}

/** fixtures/g729-sim of this package (its relative name when absent, so the read error names it). */
function fixtureDirectory(): string {
  return findPackageFile('fixtures/g729-sim') ?? 'fixtures/g729-sim';
}

const cache = new Map<number, Uint8Array>();

/** One cycle (2 s, 200 frames) of the fixture for tone `hz` (one of G729_TONES_HZ); read once, then cached. */
export function g729ToneFrames(hz: number): Uint8Array {
  const cached = cache.get(hz);
  if (cached) return cached;
  if (!G729_TONES_HZ.includes(hz)) throw new RangeError(`no G.729 fixture for ${hz} Hz (have ${G729_TONES_HZ.join(', ')})`);
  const file = join(fixtureDirectory(), `tone-${hz}.g729`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (error) {
    throw new G729FixtureError(file, `cannot read (${error instanceof Error ? error.message : String(error)}); run fixtures/g729-sim/make.sh`);
  }
  if (bytes.length !== FRAMES_PER_CYCLE * G729_FRAME_BYTES) {
    throw new G729FixtureError(file, `${bytes.length} bytes, expected ${FRAMES_PER_CYCLE * G729_FRAME_BYTES} (${FRAMES_PER_CYCLE} frames of 10 bytes)`);
  }
  cache.set(hz, bytes);
  return bytes;
}

/**
 * `frames` G.729 frames of the party's voice from `atMs` after the call's
 * setup (a multiple of 10): the same syllable rhythm as partySignal, on the
 * nearest fixture tone.
 */
export function partyG729Frames(party: PartyRef, atMs: number, frames: number, out?: Uint8Array): Uint8Array {
  const cycle = g729ToneFrames(partyG729ToneHz(party));
  const target = out ?? new Uint8Array(frames * G729_FRAME_BYTES);
  let index = Math.floor((atMs + partyPhaseMs(party)) / 10) % FRAMES_PER_CYCLE;
  for (let i = 0; i < frames; i++) {
    target.set(cycle.subarray(index * G729_FRAME_BYTES, (index + 1) * G729_FRAME_BYTES), i * G729_FRAME_BYTES);
    index = (index + 1) % FRAMES_PER_CYCLE;
  }
  return target;
}
