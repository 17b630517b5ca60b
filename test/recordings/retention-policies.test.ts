// Retention by policy (agents, direction, TAN; the first match wins, the default for the rest) and legal holds
// (a recording — kept across a TAN rename —, an agent, a period): the sweep deletes what its policy says and no
// hold covers, on the files and in the index; a user's delete is refused under a hold; four-eyes release; a broken
// holds file stops deletion instead of being read as "no holds".
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/platform/config/index.js';
import { StoreError, parseRecordingName } from '../../src/recordings/index.js';
import type { RetentionPolicy } from '../../src/recordings/index.js';
import { makeFixture } from '../player/helpers.js';
import type { Fixture } from '../player/helpers.js';

let fixture: Fixture;
afterEach(async () => fixture?.cleanup());

const NOW = new Date(Date.UTC(2026, 11, 4, 10, 0));
const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * 86_400_000);
const POLICIES: RetentionPolicy[] = [
  { name: 'traders', months: 60, agents: ['30*'] },
  { name: 'transactions', months: 24, withTan: true },
  { name: 'support-in', days: 90, agents: ['4?'], direction: 'in' },
];

async function fileCalls(): Promise<Record<string, string>> {
  const at = async (callId: string, days: number, internal: string, extra: { direction?: 'in' | 'out'; tan?: string } = {}): Promise<[string, string]> => [
    callId,
    (await fixture.file({ callId, start: daysAgo(days), internal, external: '0301234567', ...extra })).name,
  ];
  return Object.fromEntries(
    await Promise.all([
      at('trader-4y', 4 * 365, '301'), // traders: 5 years → kept
      at('trader-6y', 6 * 365, '302'), // traders → expired
      at('tan-1y', 365, '20', { tan: '123456' }), // transactions: 2 years → kept
      at('tan-3y', 3 * 365, '20', { tan: '654321' }), // → expired
      at('support-in-100d', 100, '41'), // support-in: 90 days → expired
      at('support-out-100d', 100, '41', { direction: 'out' }), // no policy: default 12 months → kept
      at('support-in-30d', 30, '42'), // kept
      at('plain-13m', 400, '20'), // default 12 months → expired
      at('plain-11m', 330, '21'), // kept
    ]),
  );
}

describe('retention policies', () => {
  it('each recording expires under the first policy that matches it, the rest under the default; files and rows go', async () => {
    fixture = await makeFixture();
    const names = await fileCalls();
    const swept = await fixture.recordings.sweep({ retentionMonths: 12, policies: POLICIES, now: NOW });
    const gone = Object.entries(names).filter(([, name]) => swept.removed.includes(name)).map(([id]) => id).sort();
    expect(gone).toEqual(['plain-13m', 'support-in-100d', 'tan-3y', 'trader-6y']);
    expect(swept.policyOf).toEqual({ [names['trader-6y']!]: 'traders', [names['tan-3y']!]: 'transactions', [names['support-in-100d']!]: 'support-in', [names['plain-13m']!]: 'default' });
    expect(swept.held).toEqual([]);
    const left = fixture.recordings.search({}).rows.map((row) => parseRecordingName(row.name).callId).sort();
    expect(left).toEqual(['plain-11m', 'support-in-30d', 'support-out-100d', 'tan-1y', 'trader-4y']);
    for (const id of left) expect((await fixture.recordings.files(names[id]!)).name).toBe(names[id]);
    // Without a default, what no policy matches is kept.
    expect((await fixture.recordings.sweep({ policies: POLICIES, now: new Date(NOW.getTime() + 400 * 86_400_000) })).removed.map((n) => parseRecordingName(n).callId).sort()).toEqual(['support-in-30d', 'tan-1y', 'trader-4y']);
  });

  it('the configuration checks its policies by name', () => {
    const base = { pbx: { url: 'http://127.0.0.1:1/', username: 'u', password: 'p' }, reporting: { url: 'http://127.0.0.1:1/', username: 'u', password: 'p' }, drive: { kind: 'local', path: '/tmp/d' } };
    const config = (policies: unknown[]): unknown => validateConfig({ ...base, storage: { root: '/tmp/r', retentionPolicies: policies } }, 'cfg');
    expect(() => config([{ name: 'a', months: 1, days: 2 }])).toThrow(/retentionPolicies\[0\].*exactly one of months and days/s);
    expect(() => config([{ name: 'a' }])).toThrow(/exactly one of months and days/);
    expect(() => config([{ name: 'a', days: 1 }, { name: 'a', days: 2 }])).toThrow(/two retention policies have the same name/);
    expect(() => config([{ name: 'default', days: 1 }])).toThrow(/"default" names storage.retentionMonths/);
    expect(() => config([{ name: 'a', days: 1, agents: ['20; rm -rf'] }])).toThrow(/agents\[0\].*expected a number/s);
    expect(() => config([{ name: 'a', days: 1, direction: 'both' }])).toThrow(/direction/);
  });
});

describe('legal holds', () => {
  it('keep what they cover from retention and from users: a recording (across a TAN rename), an agent, a period', async () => {
    fixture = await makeFixture();
    const names = await fileCalls();
    const holds = fixture.recordings.holds;
    const onRecording = await holds.place({ kind: 'recording', callId: 'tan-3y', recording: names['tan-3y']! }, 'case 2026-17: dispute', 'sue');
    await holds.place({ kind: 'agent', agent: '302' }, 'regulator request R-9', 'sue');
    const period = await holds.place({ kind: 'period', from: daysAgo(401).toISOString().slice(0, 10) + ' 00:00', to: daysAgo(399).toISOString().slice(0, 10) + ' 23:59' }, 'litigation', 'rita');
    // The held recording's TAN changes: the hold follows its call, not its old name.
    const renamed = await fixture.recordings.updateTan(names['tan-3y']!, '777777');
    expect(renamed.name).not.toBe(names['tan-3y']);

    const swept = await fixture.recordings.sweep({ retentionMonths: 12, policies: POLICIES, now: NOW });
    expect(swept.removed.map((n) => parseRecordingName(n).callId)).toEqual(['support-in-100d']);
    expect(swept.held.map((h) => [parseRecordingName(h.name).callId, h.policy, h.hold]).sort()).toEqual(
      [
        ['plain-13m', 'default', period.id],
        ['tan-3y', 'transactions', onRecording.id],
        ['trader-6y', 'traders', (await holds.active()).find((h) => h.scope.kind === 'agent')!.id],
      ].sort(),
    );
    // A user's delete is refused under a hold, with the hold named.
    const refused = await fixture.recordings.remove(renamed.name).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('held');
    expect((refused as StoreError).message).toContain(onRecording.id);
    // Released: the next sweep deletes it.
    await holds.release(onRecording.id, 'case closed', 'rita');
    expect((await fixture.recordings.sweep({ retentionMonths: 12, policies: POLICIES, now: NOW })).removed.map((n) => parseRecordingName(n).callId)).toEqual(['tan-3y']);
    expect((await holds.list()).find((h) => h.id === onRecording.id)!.released).toMatchObject({ by: 'rita', reason: 'case closed' });
    await expect(holds.release(onRecording.id, 'again', 'rita')).rejects.toThrow(/released already, by rita/);
    await expect(holds.release('H-0000000000', 'x', 'rita')).rejects.toThrow(/no such hold/);
    await expect(holds.place({ kind: 'period', from: '2026-12-05 00:00', to: '2026-12-01 00:00' }, 'x', 'sue')).rejects.toThrow(/before from/);
    await expect(holds.place({ kind: 'agent', agent: '20' }, '  ', 'sue')).rejects.toThrow(/a reason is required/);
  });

  it('four-eyes: the one who placed a hold cannot release it; a broken holds file stops deletion, it is not read as "no holds"', async () => {
    fixture = await makeFixture();
    const { LegalHolds } = await import('../../src/recordings/index.js');
    const holds = new LegalHolds(fixture.recordings.holds.path, { fourEyes: true });
    const hold = await holds.place({ kind: 'agent', agent: '20' }, 'audit', 'sue');
    await expect(holds.release(hold.id, 'done', 'sue')).rejects.toThrow(/four-eyes: another person must release it/);
    expect((await holds.release(hold.id, 'done', 'rita')).released!.by).toBe('rita');

    const names = await fileCalls();
    writeFileSync(holds.path, '{"version":1,"holds":[');
    await expect(fixture.recordings.sweep({ retentionMonths: 12, policies: POLICIES, now: NOW })).rejects.toThrow(/legal holds file is not readable JSON/);
    await expect(fixture.recordings.remove(names['plain-13m']!)).rejects.toThrow(/legal holds file/);
    expect(fixture.recordings.search({}).total).toBe(9);
  });
});
