/**
 * What each party "says" in a simulated capture: a tone of its own frequency,
 * switched on and off in syllable-like bursts so that a listener hears talk,
 * and a Goertzel detector that tells the parties apart in a recording.
 *
 * Internal parties (users) and external parties draw from disjoint
 * frequency sets, so the two sides of a call never share a tone; within a
 * set, consecutive numbers get different tones.
 */
import type { PartyRef } from '../model.js';

/** Peak level of a party's tone during a syllable (dBFS). */
export const PARTY_LEVEL_DBFS = -12;
/** The syllable pattern repeats every this many ms (the G.729 fixtures are one cycle long). */
export const SPEECH_CYCLE_MS = 2000;

/**
 * Tones for internal parties: 300–1600 Hz, at least 40 Hz from every DTMF
 * frequency (697 770 852 941 1209 1336 1477 1633) so a tone detector never
 * mistakes a party for a key press.
 */
export const INTERNAL_TONES_HZ: readonly number[] = [340, 400, 460, 520, 580, 640, 810, 895, 990, 1050, 1110, 1160, 1270, 1405, 1555];
/** Tones for external parties: 1700–2900 Hz, 80 Hz apart. */
export const EXTERNAL_TONES_HZ: readonly number[] = [1700, 1780, 1860, 1940, 2020, 2100, 2180, 2260, 2340, 2420, 2500, 2580, 2660, 2740, 2820, 2900];

/**
 * Syllables of one cycle: [start, length] in ms. The longest pause is 280 ms,
 * so every 500 ms stretch of a party's signal holds some sound.
 */
const SYLLABLES: ReadonlyArray<readonly [number, number]> = [
  [0, 180],
  [230, 160],
  [440, 220],
  [710, 150],
  [900, 200],
  [1150, 170],
  [1600, 170],
  [1810, 150],
];
/** Raised-cosine fade at each end of a syllable (ms): no clicks. */
const RAMP_MS = 25;
const PEAK_AMPLITUDE = 32768 * 10 ** (PARTY_LEVEL_DBFS / 20);

/** The number's digits taken as a decimal number, modulo `m` (numbers may be longer than a double holds exactly). */
function numberModulo(number: string, m: number): number {
  let value = 0;
  for (const ch of number) {
    const digit = ch.charCodeAt(0) - 48;
    if (digit >= 0 && digit <= 9) value = (value * 10 + digit) % m;
  }
  return value;
}

/** The party's tone frequency (Hz): a whole number, so a 2 s loop of it is seamless. */
export function partyToneHz(party: PartyRef): number {
  const palette = party.external ? EXTERNAL_TONES_HZ : INTERNAL_TONES_HZ;
  return palette[numberModulo(party.number, palette.length)]!;
}

/** Where in the syllable cycle the party is at the call's setup (ms, a multiple of 10 so G.729 frames line up). */
export function partyPhaseMs(party: PartyRef): number {
  // Another modulus than the tone's, so parties with one tone still differ in rhythm.
  return numberModulo(party.number, SPEECH_CYCLE_MS / 10 - 1) * 10;
}

/** Amplitude envelope 0..1 at `ms` into the syllable cycle (any real number; the cycle repeats). */
export function speechEnvelope(ms: number): number {
  const t = ((ms % SPEECH_CYCLE_MS) + SPEECH_CYCLE_MS) % SPEECH_CYCLE_MS;
  for (const [start, length] of SYLLABLES) {
    if (t < start) return 0;
    if (t >= start + length) continue;
    const into = t - start;
    const left = start + length - t;
    const edge = Math.min(into, left);
    return edge >= RAMP_MS ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / RAMP_MS);
  }
  return 0;
}

/** Per sample rate: one syllable cycle of the envelope and one second of a 1 Hz sine, sample by sample (exact, just computed once). */
const tables = new Map<number, { envelope: Float64Array; sine: Float64Array }>();

function tablesFor(sampleRate: number): { envelope: Float64Array; sine: Float64Array } {
  let entry = tables.get(sampleRate);
  if (!entry) {
    const cycle = (SPEECH_CYCLE_MS * sampleRate) / 1000;
    const envelope = new Float64Array(cycle);
    for (let i = 0; i < cycle; i++) envelope[i] = speechEnvelope((i * 1000) / sampleRate);
    const sine = new Float64Array(sampleRate);
    for (let i = 0; i < sampleRate; i++) sine[i] = Math.sin((2 * Math.PI * i) / sampleRate);
    entry = { envelope, sine };
    tables.set(sampleRate, entry);
  }
  return entry;
}

/**
 * `length` samples of the party's voice starting at sample `startSample`
 * counted from the call's setup, at `sampleRate`. Deterministic and seekable:
 * any stretch can be made on its own and equals the same stretch of a longer one.
 */
export function partySignal(party: PartyRef, startSample: number, length: number, sampleRate: number): Int16Array {
  if (!Number.isInteger(startSample) || startSample < 0) throw new RangeError(`partySignal: startSample must be a whole number ≥ 0, got ${startSample}`);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`partySignal: length must be a whole number ≥ 0, got ${length}`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`partySignal: sampleRate must be a positive whole number, got ${sampleRate}`);
  const hz = partyToneHz(party);
  const phaseMs = partyPhaseMs(party);
  const out = new Int16Array(length);
  if (sampleRate % 100 === 0) {
    // Table lookups: a long call at a fast clock makes millions of these samples.
    const { envelope, sine } = tablesFor(sampleRate);
    const cycle = envelope.length;
    let e = (startSample + (phaseMs * sampleRate) / 1000) % cycle;
    // Phase from whole numbers (n·hz mod rate): exact however long the call.
    let p = (startSample % sampleRate) * hz % sampleRate;
    for (let i = 0; i < length; i++) {
      const level = envelope[e]!;
      if (level !== 0) out[i] = Math.round(PEAK_AMPLITUDE * level * sine[p]!);
      if (++e === cycle) e = 0;
      p += hz;
      if (p >= sampleRate) p -= sampleRate;
    }
    return out;
  }
  for (let i = 0; i < length; i++) {
    const n = startSample + i;
    const level = speechEnvelope((n * 1000) / sampleRate + phaseMs);
    if (level === 0) continue;
    const cycle = ((n * hz) % sampleRate) / sampleRate;
    out[i] = Math.round(PEAK_AMPLITUDE * level * Math.sin(2 * Math.PI * cycle));
  }
  return out;
}
