// The change feed between two readers of one file: every change once, in order, across rotations, with and
// without the file system's change notices; torn or foreign lines are skipped.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangeFeed } from '../../src/recordings/index.js';
import type { RecordingChange } from '../../src/recordings/index.js';

/** A change's recording name, or the call id of a call start. */
const nameOf = (c: RecordingChange): string => ('name' in c ? c.name : c.callId);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function feedPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'recorder-feed-'));
  dirs.push(dir);
  return join(dir, 'recordings.changes');
}

function collect(feed: ChangeFeed, count: number): Promise<RecordingChange[]> {
  const seen: RecordingChange[] = [];
  return new Promise((resolve) => {
    feed.on('change', (change) => {
      seen.push(change);
      if (seen.length === count) resolve(seen);
    });
  });
}

describe('change feed', () => {
  for (const watch of [true, false]) {
    it(`delivers another writer's changes once and in order across rotations (${watch ? 'change notices' : 'timer only, as on NFS'})`, async () => {
      const path = feedPath();
      const writer = await ChangeFeed.open({ path, follow: false, rotateBytes: 600 });
      const reader = await ChangeFeed.open({ path, rotateBytes: 600, watch, pollMs: 20 });
      const own: RecordingChange[] = [];
      writer.on('change', (change) => own.push(change));
      const received = collect(reader, 60);
      for (let i = 0; i < 60; i++) {
        await writer.publish({ kind: 'filed', name: `2024_05_06_0900_201_i_0301_2_call-${i}`, callId: `call-${i}` });
        // A pause every few lines: at most two rotations between two looks (the feed's documented limit).
        if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 30));
      }
      const changes = await received;
      expect(changes.map(nameOf)).toEqual(own.map(nameOf));
      expect(new Set(changes.map((c) => c.origin))).toEqual(new Set([writer.origin]));
      await writer.close();
      await reader.close();
    });
  }

  it("does not hand a feed its own changes twice, and skips lines that are not changes", async () => {
    const path = feedPath();
    const a = await ChangeFeed.open({ path, pollMs: 20 });
    const b = await ChangeFeed.open({ path, pollMs: 20 });
    const heardByA: RecordingChange[] = [];
    a.on('change', (change) => heardByA.push(change));
    const heardByB = collect(b, 2);
    await a.publish({ kind: 'edited', name: 'x', what: 'notes' });
    appendFileSync(path, 'not json\n{"kind":"filed"}\n{"kind":"sneaky","name":"y","origin":"z"}\n{"kind":"removed","name":"torn-in-the-mid');
    appendFileSync(path, 'dle","reason":"deleted","origin":"other","at":"2024-01-01T00:00:00Z"}\n');
    const changes = await heardByB;
    expect(changes.map((c) => [c.kind, nameOf(c)])).toEqual([
      ['edited', 'x'],
      ['removed', 'torn-in-the-middle'],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A heard its own change at once and the foreign removal from the file; never its own a second time.
    expect(heardByA.map((c) => [c.kind, nameOf(c)])).toEqual([
      ['edited', 'x'],
      ['removed', 'torn-in-the-middle'],
    ]);
    await a.close();
    await b.close();
  });

  it('carries call starts (the player link FRST) to other feeds; a start missing a field is skipped', async () => {
    const path = feedPath();
    const a = await ChangeFeed.open({ path, pollMs: 20 });
    const b = await ChangeFeed.open({ path, pollMs: 20 });
    const heard = collect(b, 2);
    appendFileSync(path, '{"kind":"started","callId":"c0","extension":"20","origin":"z"}\n');
    await a.publish({ kind: 'started', callId: 'c1', extension: '20', agent: 'Mario Rossi' });
    await a.publish({ kind: 'filed', name: 'n1', callId: 'c1' });
    expect((await heard).map((c) => [c.kind, nameOf(c)])).toEqual([
      ['started', 'c1'],
      ['filed', 'n1'],
    ]);
    await a.close();
    await b.close();
  });
});
