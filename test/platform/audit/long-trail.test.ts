// A trail kept for years: readAuditEntries with a `from` finds its place by a binary search over the file
// (trailOffsetAt) instead of reading it from the start, streams it rather than holding it as one string, and keeps
// only the page asked for; the answers equal a plain filter over every line, also where lines hold multi-byte text
// and where the clock stepped back by an hour.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_GENESIS, auditLineHash, readAuditEntries, trailOffsetAt, verifyAuditTrail } from '../../../src/platform/audit/index.js';

const dir = mkdtempSync(join(tmpdir(), 'long-trail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINES = 120_000;
const START = Date.UTC(2024, 0, 1);
/** Line i: one every 10 minutes (about 2.3 years), a checkpoint every 100, the clock an hour back at line 80,000. */
function lineAt(i: number): { at: string; text: string } {
  const at = new Date(START + i * 600_000 - (i >= 80_000 && i < 80_006 ? 3_600_000 : 0)).toISOString();
  if (i % 100 === 99) return { at, text: JSON.stringify({ seq: i, at, user: 'service', action: 'checkpoint', keyId: 'k', mac: 'm', prev: 'p' }) };
  return { at, text: JSON.stringify({ seq: i, at, user: i % 3 === 0 ? 'sue' : 'cli:dpo', action: i % 7 === 0 ? 'play' : 'call-recorded', recording: `rec-${i}`, note: 'Grüße aus Köln — ünïcödé', prev: 'p' }) };
}

describe('a long audit trail', () => {
  const path = join(dir, 'service-audit.log');
  const lines = Array.from({ length: LINES }, (_, i) => lineAt(i));
  writeFileSync(path, `${lines.map((l) => l.text).join('\n')}\n`);
  const entries = lines.map((l) => JSON.parse(l.text) as { seq: number; at: string; user: string; action: string });

  it('seeks near the period instead of reading from the start', async () => {
    const size = statSync(path).size;
    const from = lines[110_000]!.at;
    const offset = await trailOffsetAt(path, from);
    expect(offset).toBeGreaterThan(size * 0.85);
    // At a line's start, and no line at or after `from` before it.
    const before = lines.findIndex((l) => l.at >= from);
    const bytesBefore = Buffer.byteLength(lines.slice(0, before).map((l) => `${l.text}\n`).join(''));
    expect(offset).toBeLessThanOrEqual(bytesBefore);
    expect(Buffer.byteLength(lines.map((l) => `${l.text}\n`).join('')).toString()).toBe(String(size));
    expect(await trailOffsetAt(path, '2000-01-01T00:00:00.000Z')).toBe(0);
    expect(await trailOffsetAt(join(dir, 'absent.log'), from)).toBe(0);
  });

  it('gives what a plain filter over every line gives: periods (one across the clock step), users, pages', async () => {
    const plain = (q: { from?: string; to?: string; user?: string; action?: string }): number[] =>
      entries
        .filter((e) => e.action !== 'checkpoint' && (q.from === undefined || e.at >= q.from) && (q.to === undefined || e.at <= q.to) && (q.user === undefined || e.user === q.user) && (q.action === undefined || e.action === q.action))
        .map((e) => e.seq)
        .reverse();
    const queries = [
      { from: lines[110_000]!.at },
      { from: lines[79_990]!.at, to: lines[80_020]!.at },
      { from: lines[1_000]!.at, to: lines[2_000]!.at, user: 'sue' },
      { from: lines[100_000]!.at, action: 'play' },
      {},
    ];
    for (const q of queries) {
      const expected = plain(q);
      const all = await readAuditEntries(path, q);
      expect(all.total, JSON.stringify(q)).toBe(expected.length);
      expect(all.entries.map((e) => e.seq)).toEqual(expected);
      const page = await readAuditEntries(path, { ...q, offset: 40, limit: 25 });
      expect(page.total).toBe(expected.length);
      expect(page.entries.map((e) => e.seq)).toEqual(expected.slice(40, 65));
    }
    // Multi-byte text comes through whole.
    expect((await readAuditEntries(path, { from: lines[119_990]!.at, limit: 1 })).entries[0]!.detail.note).toBe('Grüße aus Köln — ünïcödé');
  });

  it('verify streams a chained trail of 120,000 lines and names the one edited line, a stray CR and a torn end', async () => {
    const chained = join(dir, 'chained.log');
    const out: string[] = [];
    let prev = AUDIT_GENESIS;
    for (let i = 0; i < LINES; i++) {
      const line = JSON.stringify({ seq: i, at: new Date(START + i * 600_000).toISOString(), user: 'service', action: 'call-recorded', note: 'Grüße', prev });
      out.push(line);
      prev = auditLineHash(line);
    }
    writeFileSync(chained, `${out.join('\n')}\n`);
    const clean = await verifyAuditTrail(chained);
    expect([clean.entries, clean.problems]).toEqual([LINES, []]);
    out[70_000] = out[70_000]!.replace('Grüße', 'Grüsse');
    out[90_000] = `${out[90_000]!}\r`;
    writeFileSync(chained, `${out.join('\n')}\n{"seq":120000,"at":"2026`);
    const damaged = await verifyAuditTrail(chained);
    expect(damaged.entries).toBe(LINES + 1);
    expect(damaged.problems.map((p) => [p.line, p.kind])).toEqual([[70_002, 'broken-chain'], [90_002, 'broken-chain'], [120_001, 'unparsable']]);
  });
});
