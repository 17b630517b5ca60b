import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, JournalError, canTransition, readJournal } from '../../../src/recorder/service/index.js';
import { tempDir } from '../../recordings/helpers.js';

let dir: { path: string; remove: () => void };
let path: string;
beforeEach(() => {
  dir = tempDir('journal');
  path = join(dir.path, 'journal.jsonl');
});
afterEach(() => dir.remove());

function clock(start = Date.UTC(2024, 0, 1)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

describe('Journal', () => {
  it('records states durably and replays them after reopening', async () => {
    const journal = await Journal.open(path, { now: clock() });
    await journal.record('rec-1.pcap', 'discovered', { size: 1200 });
    await journal.record('rec-1.pcap', 'copied', { workCopy: '/work/rec-1.pcap' });
    await journal.record('rec-2.pcap', 'discovered');
    await journal.record('rec-1.pcap', 'correlated', { agent: '39', callId: 'abc' });
    await journal.record('rec-2.pcap', 'discarded', { reason: 'no agent' });
    await journal.close();

    const reopened = await Journal.open(path);
    const item = reopened.get('rec-1.pcap')!;
    expect(item.state).toBe('correlated');
    expect(item.data).toEqual({ size: 1200, workCopy: '/work/rec-1.pcap', agent: '39', callId: 'abc' });
    expect(item.since.toISOString()).toBe('2024-01-01T00:00:01.000Z');
    expect(reopened.pending().map((i) => i.key)).toEqual(['rec-1.pcap']);
    expect(reopened.get('rec-2.pcap')?.state).toBe('discarded');
    expect(reopened.opened).toEqual({ records: 5, tornTail: false, skippedLines: [] });
    await reopened.close();
  });

  it('drops a torn last line after a crash and appends cleanly after it', async () => {
    const journal = await Journal.open(path);
    await journal.record('a', 'discovered');
    await journal.record('a', 'copied');
    await journal.close();
    appendFileSync(path, '{"k":"a","s":"correlated","t":"2024-01-0'); // the crash cut this write
    const replay = await readJournal(path);
    expect(replay.tornTail).toBe(true);
    expect(replay.items.get('a')?.state).toBe('copied');

    const reopened = await Journal.open(path);
    expect(reopened.opened.tornTail).toBe(true);
    expect(reopened.get('a')?.state).toBe('copied');
    await reopened.record('a', 'correlated');
    await reopened.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) JSON.parse(line);
    expect((await readJournal(path)).items.get('a')?.state).toBe('correlated');
  });

  it('keeps a whole last record whose newline was cut, and skips garbage lines in the middle', async () => {
    writeFileSync(path, '{"k":"a","s":"discovered","t":"2024-01-01T00:00:00Z"}\n\u0000\u0000garbage\n{"k":"a","s":"copied","t":"2024-01-01T00:00:01Z"}');
    const journal = await Journal.open(path);
    expect(journal.get('a')?.state).toBe('copied');
    expect(journal.opened.skippedLines).toEqual([2]);
    await journal.record('a', 'correlated');
    await journal.close();
    expect((await readJournal(path)).items.get('a')?.state).toBe('correlated');
  });

  it('enforces the item life cycle', async () => {
    const journal = await Journal.open(path);
    await journal.record('x', 'discovered');
    await journal.record('x', 'converted');
    await expect(journal.record('x', 'copied')).rejects.toThrow(JournalError);
    await expect(journal.record('x', 'source-deleted')).rejects.toThrow(/cannot go from converted to source-deleted/);
    await journal.record('x', 'converted', { audio: '/work/x.wav' }); // the same step re-run after a crash
    await journal.record('x', 'filed');
    await journal.record('x', 'source-deleted');
    await expect(journal.record('x', 'filed')).rejects.toThrow(JournalError);
    await journal.record('x', 'discovered'); // the same name again later: a new life, old data gone
    expect(journal.get('x')?.data).toEqual({});
    await expect(journal.record('', 'discovered')).rejects.toThrow(JournalError);
    await expect(journal.record('y', 'lost' as never)).rejects.toThrow(/unknown state/);
    expect(canTransition('correlated', 'quarantined')).toBe(true);
    expect(canTransition('quarantined', 'filed')).toBe(false);
    await journal.close();
  });

  it('compacts finished items away, keeping pending ones with their data and start time', async () => {
    const journal = await Journal.open(path, { now: clock() });
    for (let i = 0; i < 50; i++) {
      await journal.record(`c${i}`, 'discovered', { n: i });
      await journal.record(`c${i}`, 'copied');
      if (i % 10 !== 0) {
        await journal.record(`c${i}`, 'correlated');
        await journal.record(`c${i}`, 'discarded');
      }
    }
    const before = journal.get('c10')!;
    const result = await journal.compact();
    expect(result.before).toBe(50 * 2 + 45 * 2);
    expect(result.after).toBe(10); // two lines per kept item: its 'discovered' (keeps since) and its state
    expect([...journal.replay().keys()].sort()).toEqual(['c0', 'c10', 'c20', 'c30', 'c40']);
    await journal.record('c10', 'correlated');
    await journal.close();
    const replay = await readJournal(path);
    expect(replay.items.size).toBe(5);
    expect(replay.items.get('c10')).toMatchObject({ state: 'correlated', data: { n: 10 }, since: before.since });
  });
});
