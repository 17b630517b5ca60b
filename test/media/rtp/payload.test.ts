import { describe, expect, it } from 'vitest';
import { audioSampleRate, isDynamicPayloadType, parseComfortNoise, staticPayloadTypes } from '../../../src/media/rtp/index.js';

describe('static payload types (RFC 3551 Tables 4 and 5)', () => {
  it('the audio types a recorder meets', () => {
    expect(staticPayloadTypes.get(0)).toEqual({ encoding: 'PCMU', media: 'audio', clockRate: 8000, channels: 1 });
    expect(staticPayloadTypes.get(3)).toMatchObject({ encoding: 'GSM', clockRate: 8000 });
    expect(staticPayloadTypes.get(4)).toMatchObject({ encoding: 'G723', clockRate: 8000 });
    expect(staticPayloadTypes.get(8)).toEqual({ encoding: 'PCMA', media: 'audio', clockRate: 8000, channels: 1 });
    expect(staticPayloadTypes.get(13)).toMatchObject({ encoding: 'CN', clockRate: 8000 });
    expect(staticPayloadTypes.get(18)).toMatchObject({ encoding: 'G729', clockRate: 8000 });
    expect(staticPayloadTypes.get(10)).toMatchObject({ encoding: 'L16', clockRate: 44100, channels: 2 });
  });

  it('G.722: RTP clock 8000 Hz, audio sampled at 16 kHz', () => {
    expect(staticPayloadTypes.get(9)).toEqual({ encoding: 'G722', media: 'audio', clockRate: 8000, channels: 1, sampleRate: 16000 });
    expect(audioSampleRate('g722', 8000)).toBe(16000);
    expect(audioSampleRate('PCMA', 8000)).toBe(8000);
    expect(audioSampleRate('opus', 48000)).toBe(48000);
  });

  it('unassigned, reserved and dynamic numbers are not in the table', () => {
    for (const pt of [1, 2, 19, 20, 24, 27, 35, 72, 95, 96, 101, 127]) expect(staticPayloadTypes.has(pt)).toBe(false);
    expect(isDynamicPayloadType(96)).toBe(true);
    expect(isDynamicPayloadType(127)).toBe(true);
    expect(isDynamicPayloadType(95)).toBe(false);
    expect(isDynamicPayloadType(128)).toBe(false);
  });
});

describe('comfort noise (RFC 3389)', () => {
  it('level only, and level with reflection coefficients', () => {
    const levelOnly = parseComfortNoise(Uint8Array.of(62))!;
    expect(levelOnly.level).toBe(62);
    expect(levelOnly.coefficients.length).toBe(0);
    const payload = Uint8Array.of(40, 120, 130, 127, 0, 255);
    const withSpectrum = parseComfortNoise(payload)!;
    expect(withSpectrum.level).toBe(40);
    expect(Array.from(withSpectrum.coefficients)).toEqual([120, 130, 127, 0, 255]);
    expect(withSpectrum.coefficients.buffer).toBe(payload.buffer);
  });

  it('empty payloads and a set reserved bit are not comfort noise', () => {
    expect(parseComfortNoise(new Uint8Array(0))).toBeNull();
    expect(parseComfortNoise(Uint8Array.of(128))).toBeNull();
    expect(parseComfortNoise(Uint8Array.of(127))!.level).toBe(127);
  });
});
