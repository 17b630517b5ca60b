import { describe, expect, it } from 'vitest';
import {
  NO_TAN,
  RecordingNameError,
  StoreError,
  decodeNameField,
  encodeNameField,
  isRecordingName,
  monthFolderOf,
  parseRecordingName,
  recordingBaseName,
  withTan,
} from '../../src/recordings/index.js';
import { instantOf, localDateTime, mulberry32 } from '../../src/platform/util/index.js';
import { randomString, utf8 } from './helpers.js';

const start = new Date(Date.UTC(2013, 5, 24, 14, 38, 40));
const fields = { start, internal: '39', direction: 'out' as const, external: '0800102', secondsToAnswer: 7, callId: '75c1f48e909d31188fc00903306225f' };

describe('recording names', () => {
  it('formats the reference example (UTC and an IANA zone)', () => {
    expect(recordingBaseName(fields, 'utc')).toBe('2013_06_24_1438_39_o_0800102_7_75c1f48e909d31188fc00903306225f');
    expect(recordingBaseName(fields, 'Europe/Berlin')).toBe('2013_06_24_1638_39_o_0800102_7_75c1f48e909d31188fc00903306225f');
    expect(recordingBaseName({ ...fields, direction: 'in', tan: '123456' }, 'utc')).toBe('2013_06_24_1438_39_i_0800102_7_75c1f48e909d31188fc00903306225f_T123456');
    expect(monthFolderOf(new Date(Date.UTC(2013, 5, 30, 23, 30)), 'utc')).toBe('2013_06');
    expect(monthFolderOf(new Date(Date.UTC(2013, 5, 30, 23, 30)), 'Europe/Berlin')).toBe('2013_07');
  });

  it('parses the reference example with any recording extension', () => {
    const parsed = parseRecordingName('/srv/rec/2013_06/2013_06_24_1638_39_o_0800102_7_75c1f48e909d31188fc00903306225f.wav');
    expect(parsed).toMatchObject({
      baseName: '2013_06_24_1638_39_o_0800102_7_75c1f48e909d31188fc00903306225f',
      extension: 'wav',
      month: '2013_06',
      local: { year: 2013, month: 6, day: 24, hour: 16, minute: 38 },
      internal: '39',
      direction: 'out',
      external: '0800102',
      secondsToAnswer: 7,
      callId: '75c1f48e909d31188fc00903306225f',
    });
    expect(parsed.tan).toBeUndefined();
    expect(parseRecordingName('2013_06_24_1638_39_i_0800102_7_abc_T000000.XML')).toMatchObject({ extension: 'xml', tan: NO_TAN, direction: 'in' });
  });

  it('round-trips numbers with +, *, # and hostile characters', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 500; i++) {
      const internal = randomString(random, 12);
      const external = randomString(random, 12);
      const callId = randomString(random, 20) || 'x';
      const meta = { ...fields, internal, external, callId, secondsToAnswer: Math.floor(random() * 1000) };
      const name = recordingBaseName(meta, 'utc');
      expect(name).toMatch(/^[0-9A-Za-z_+#%-]+$/); // legal on Linux and Windows, no dots, no wildcards
      expect(Buffer.byteLength(name)).toBeLessThan(250);
      const parsed = parseRecordingName(`${name}.mp3`);
      // Fields whose encoding fits are exact; longer ones are cut (numbers) or hashed (call ids), see next test.
      if (encodeNameField(internal).length <= 48) expect(parsed.internal).toBe(utf8(internal));
      if (encodeNameField(external).length <= 48) expect(parsed.external).toBe(utf8(external));
      if (encodeNameField(callId).length <= 64) expect(parsed.callId).toBe(utf8(callId));
      else expect(recordingBaseName(meta, 'utc')).toBe(name);
      expect(parsed.secondsToAnswer).toBe(meta.secondsToAnswer);
    }
    expect(encodeNameField('+49*31#')).toBe('+49%2A31#');
    expect(decodeNameField('a%5Fb%2A')).toBe('a_b*');
    expect(decodeNameField('50%')).toBe('50%');
  });

  it('keeps over-long fields short and the call id unique', () => {
    const long = '1'.repeat(300);
    const a = recordingBaseName({ ...fields, external: long, callId: `${long}a` }, 'utc');
    const b = recordingBaseName({ ...fields, external: long, callId: `${long}b` }, 'utc');
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThan(200);
    expect(parseRecordingName(a).external).toBe('1'.repeat(48));
  });

  it('handles empty numbers', () => {
    const name = recordingBaseName({ ...fields, external: '' }, 'utc');
    expect(name).toBe('2013_06_24_1438_39_o__7_75c1f48e909d31188fc00903306225f');
    expect(parseRecordingName(name).external).toBe('');
  });

  it('refuses names that are not recordings with a typed error', () => {
    for (const bad of [
      'notes.txt',
      '2013_06_24_1638_39_x_0800102_7_abc.wav',
      '2013_13_24_1638_39_o_0800102_7_abc.wav',
      '2013_02_30_1638_39_o_0800102_7_abc.wav',
      '2013_06_24_2460_39_o_0800102_7_abc.wav',
      '2013_06_24_1638_39_o_0800102_7_abc.exe',
      '2013_06_24_1638_39_o_0800102_7_.wav',
      '2013_06_24_1638_39_o_0800102_7_abc_T12345.wav',
      '.tmp-abcdef.wav',
    ]) {
      expect(() => parseRecordingName(bad), bad).toThrow(RecordingNameError);
      expect(isRecordingName(bad)).toBe(false);
    }
    try {
      parseRecordingName('holiday.wav');
    } catch (error) {
      expect((error as RecordingNameError).fileName).toBe('holiday.wav');
      expect((error as Error).message).toContain('holiday.wav');
    }
  });

  it('validates TANs and the other fields', () => {
    expect(() => recordingBaseName({ ...fields, tan: '12345' })).toThrow(StoreError);
    expect(() => recordingBaseName({ ...fields, tan: '12345a' })).toThrow(/6 digits/);
    expect(() => recordingBaseName({ ...fields, secondsToAnswer: -1 })).toThrow(/secondsToAnswer/);
    expect(() => recordingBaseName({ ...fields, callId: '' })).toThrow(/callId/);
    expect(() => recordingBaseName({ ...fields, start: new Date('x') })).toThrow(/start/);
    expect(() => recordingBaseName(fields, 'Mars/Olympus')).toThrow(/time zone/);
    const base = recordingBaseName(fields, 'utc');
    expect(withTan(base, '654321')).toBe(`${base}_T654321`);
    expect(withTan(`${base}_T654321`, NO_TAN)).toBe(`${base}_T000000`);
    expect(() => withTan(base, '')).toThrow(StoreError);
  });

  it('converts wall-clock times back to instants in a zone (DST included)', () => {
    for (const zone of ['utc', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'local']) {
      for (const t of [Date.UTC(2024, 0, 15, 10, 5), Date.UTC(2024, 6, 1, 23, 59), Date.UTC(2024, 2, 31, 0, 30), Date.UTC(2024, 9, 27, 12, 0)]) {
        const instant = new Date(t);
        expect(instantOf(localDateTime(instant, zone), zone).getTime(), `${zone} ${instant.toISOString()}`).toBe(t);
      }
    }
  });
});
