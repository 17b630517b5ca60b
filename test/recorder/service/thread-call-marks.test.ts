import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ThreadCallMarks, ThreadCallMarksError } from '../../../src/recorder/service/thread-call-marks.js';
import { callEndUtc, markedDuringCall, marksAfterCall } from '../../../src/recorder/rules/index.js';
import { E, directory, planOne, recorderCdrs } from '../rules/cases.js';
import { cdrXmlFor } from '../../../src/embedded/reporting/index.js';
import { parseCdrXml } from '../../../src/recorder/pbx/index.js';

const base = mkdtempSync(join(tmpdir(), 'tcr-marks-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let files = 0;
const fresh = (): string => join(base, `marks-${++files}.json`);
const never = (): boolean => false;

describe('thread-call recording in the records', () => {
  it('reads a mark during the call from the agent’s dialled digits, and a mark after it as a call of its own', () => {
    const during = planOne({ kind: 'inbound', from: E, to: '20', talkSeconds: 10, tcr: 'during' });
    expect(markedDuringCall(recorderCdrs(during), '20', '51')).toBe(true);
    expect(markedDuringCall(recorderCdrs(during), '21', '51')).toBe(false);
    const plain = planOne({ kind: 'inbound', from: E, to: '20' });
    expect(markedDuringCall(recorderCdrs(plain), '20', '51')).toBe(false);

    const after = planOne({ kind: 'inbound', from: E, to: '22', ringSeconds: 1, talkSeconds: 10, tcr: 'after', tcrAfterSeconds: 30 });
    const all = cdrXmlFor(after, directory).flatMap((xml, i) => parseCdrXml(xml, `cdr${i}`));
    const own = all.filter((cdr) => cdr.conf === after.confId);
    const marking = all.filter((cdr) => cdr.conf !== after.confId);
    expect(marksAfterCall(own, '51')).toEqual([]);
    const [mark] = marksAfterCall(marking, '51');
    expect(mark!.agent).toBe('22');
    expect(mark!.atUtc - callEndUtc(own)).toBeGreaterThanOrEqual(30);
    expect(mark!.atUtc - callEndUtc(own)).toBeLessThanOrEqual(31);
  });
});

describe('thread-call marks', () => {
  it('a mark with its call keeps that call only, within the window of when the call ended', () => {
    const marks = ThreadCallMarks.open(fresh(), 300);
    const now = Date.now();
    expect(marks.add({ markConf: 'm1', agent: '20', target: 'c1', seenAt: now })).toBe(true);
    expect(marks.add({ markConf: 'm1', agent: '20', target: 'c1', seenAt: now })).toBe(false);
    expect(marks.markFor({ conf: 'c1', agent: '20', endUtc: 1000, endedAt: now - 10_000 }, never)?.markConf).toBe('m1');
    expect(marks.markFor({ conf: 'c0', agent: '20', endUtc: 900, endedAt: now - 20_000 }, never)).toBeUndefined();
    expect(marks.markFor({ conf: 'c1', agent: '21', endUtc: 1000 }, never)).toBeUndefined();
    // Seen more than the window after the call ended (it waited over a restart): keeps nothing.
    expect(marks.markFor({ conf: 'c1', agent: '20', endUtc: 1000, endedAt: now - 301_000 }, never)).toBeUndefined();
  });

  it('a mark known by its time keeps the agent’s last call before it, if that ended within the window', () => {
    const file = fresh();
    const marks = ThreadCallMarks.open(file, 300);
    marks.add({ markConf: 'm2', agent: '20', atUtc: 2000, seenAt: Date.now() });
    expect(marks.markFor({ conf: 'c1', agent: '20', endUtc: 1800 }, never)).toBeDefined();
    expect(marks.markFor({ conf: 'c1', agent: '20', endUtc: 1600 }, never)).toBeUndefined(); // 400 s before: outside
    expect(marks.markFor({ conf: 'c1', agent: '20', endUtc: 2100 }, never)).toBeUndefined(); // after the mark
    // Another call of the agent ended between: the mark is that one's.
    expect(marks.markFor({ conf: 'c1', agent: '20', endUtc: 1800 }, (agent, after, until) => agent === '20' && after === 1800 && until === 2000)).toBeUndefined();
    // Survives a restart; a SOAP mark gets its time from the records later.
    marks.add({ markConf: 'm3', agent: '21', seenAt: Date.now() });
    const reopened = ThreadCallMarks.open(file, 300);
    expect(reopened.size).toBe(2);
    expect(reopened.markFor({ conf: 'c5', agent: '21', endUtc: 5000 }, never)).toBeUndefined();
    expect(reopened.complete('m3', 5010)).toBe(true);
    expect(reopened.complete('m3', 5020)).toBe(false);
    expect(ThreadCallMarks.open(file, 300).markFor({ conf: 'c5', agent: '21', endUtc: 5000 }, never)?.markConf).toBe('m3');
  });

  it('a damaged marks file is an error naming the file, never silently emptied', () => {
    const file = fresh();
    writeFileSync(file, '{"version":1,"marks":[{"agent":');
    expect(() => ThreadCallMarks.open(file, 300)).toThrow(ThreadCallMarksError);
    writeFileSync(file, JSON.stringify({ version: 2, marks: [] }));
    expect(() => ThreadCallMarks.open(file, 300)).toThrow(/not a thread-call marks file/);
  });
});
