import { describe, expect, it } from 'vitest';
import { G729Decoder, decodeG729Payload } from '../../../src/media/codecs/index.js';
import {
  EXTERNAL_TONES_HZ,
  G729_TONES_HZ,
  INTERNAL_TONES_HZ,
  PARTY_LEVEL_DBFS,
  partyG729Frames,
  partyG729ToneHz,
  partySignal,
  partyToneHz,
} from '../../../src/embedded/captures/index.js';
import type { PartyRef } from '../../../src/embedded/model.js';
import { rmsLevel, toneLevel } from '../../helpers/levels.js';

const DTMF_HZ = [697, 770, 852, 941, 1209, 1336, 1477, 1633];
const user = (number: string): PartyRef => ({ number, external: false });
const outside = (number: string): PartyRef => ({ number, external: true });

describe('party voices', () => {
  it('gives internal and external parties tones from disjoint sets in 300..3000 Hz, clear of DTMF, distinct for consecutive numbers', () => {
    const all = [...INTERNAL_TONES_HZ, ...EXTERNAL_TONES_HZ];
    expect(new Set(all).size).toBe(all.length);
    for (const hz of all) {
      expect(hz).toBeGreaterThanOrEqual(300);
      expect(hz).toBeLessThanOrEqual(3000);
      for (const dtmf of DTMF_HZ) expect(Math.abs(hz - dtmf)).toBeGreaterThanOrEqual(40);
    }
    expect(Math.min(...EXTERNAL_TONES_HZ)).toBeGreaterThan(Math.max(...INTERNAL_TONES_HZ));
    const extensions = Array.from({ length: 12 }, (_, i) => partyToneHz(user(String(200 + i))));
    expect(new Set(extensions).size).toBe(12);
    expect(partyToneHz(outside('+49 (40) 1234-5678'))).toBe(partyToneHz(outside('494012345678')));
    expect(partyToneHz(user('201'))).toBe(partyToneHz(user('201')));
  });

  it('is seekable: a stretch made alone equals the same stretch of a longer signal', () => {
    const party = user('203');
    const whole = partySignal(party, 0, 16000, 8000);
    expect(partySignal(party, 4321, 999, 8000)).toEqual(whole.subarray(4321, 4321 + 999));
    const wide = partySignal(party, 0, 8000, 16000);
    expect(partySignal(party, 1234, 500, 16000)).toEqual(wide.subarray(1234, 1734));
  });

  it('talks in syllables at about -12 dBFS and the Goertzel level tells the parties apart', () => {
    const a = user('201');
    const x = outside('04012345678');
    const signal = partySignal(a, 0, 8000 * 4, 8000);
    let peak = 0;
    let zeros = 0;
    for (const s of signal) {
      peak = Math.max(peak, Math.abs(s));
      if (s === 0) zeros++;
    }
    expect(20 * Math.log10(peak / 32768)).toBeCloseTo(PARTY_LEVEL_DBFS, 0);
    // Pauses between syllables: a fair share of silence, but sound in every half second.
    expect(zeros / signal.length).toBeGreaterThan(0.15);
    expect(zeros / signal.length).toBeLessThan(0.6);
    for (let start = 0; start + 4000 <= signal.length; start += 1000) expect(rmsLevel(signal.subarray(start, start + 4000))).toBeGreaterThan(-30);
    const own = toneLevel(signal, 8000, partyToneHz(a));
    expect(own).toBeGreaterThan(-22);
    expect(own).toBeLessThan(-12);
    expect(toneLevel(signal, 8000, partyToneHz(x))).toBeLessThan(own - 40);
    // A steady full-scale-ish sine reads its level.
    const sine = Int16Array.from({ length: 8000 }, (_, i) => Math.round(16384 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
    expect(toneLevel(sine, 8000, 1000)).toBeCloseTo(-6.02, 1);
    expect(toneLevel(new Int16Array(100), 8000, 1000)).toBe(-200);
  });

  it('G.729 legs replay the libbcg729-encoded fixture nearest the party tone; our decoder hears that tone', () => {
    for (const party of [user('201'), user('206'), outside('04012345678'), outside('0301112223')]) {
      const hz = partyG729ToneHz(party);
      expect(G729_TONES_HZ).toContain(hz);
      const others = G729_TONES_HZ.filter((t) => t !== hz);
      for (const t of others) expect(Math.abs(t - partyToneHz(party))).toBeGreaterThanOrEqual(Math.abs(hz - partyToneHz(party)));
      // 3 s from 1.23 s into the call: crosses the 2 s loop of the fixture.
      const frames = partyG729Frames(party, 1230, 300);
      const pcm = decodeG729Payload(frames, new G729Decoder({ variant: 'g729' })).subarray(800);
      const own = toneLevel(pcm, 8000, hz);
      expect(own).toBeGreaterThan(-22);
      for (const t of others) expect(toneLevel(pcm, 8000, t)).toBeLessThan(own - 30);
    }
    expect(partyG729ToneHz(user('201'))).not.toBe(partyG729ToneHz(outside('04012345678')));
  });
});
