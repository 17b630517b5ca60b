// A retention sweep killed between deleting files and updating the index left rows of recordings that no longer
// exist (the next sweep found no files to delete, so the rows stayed: the player listed calls it could not play).
// The sweep now also clears rows of recordings before its cutoff whose files are gone, and only those.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingStore } from '../../src/recordings/index.js';
import type { RecordingChange } from '../../src/recordings/index.js';
import { makeFixture } from '../player/helpers.js';
import type { Fixture } from '../player/helpers.js';

let fixture: Fixture;
afterEach(async () => fixture?.cleanup());

describe('retention after a sweep cut short', () => {
  it('clears the rows whose files a killed sweep deleted, keeps every recording within the retention', async () => {
    fixture = await makeFixture();
    const now = new Date(Date.UTC(2026, 11, 4, 10, 0));
    const old = await Promise.all([1, 2, 3].map((i) => fixture.file({ callId: `old-${i}`, start: new Date(Date.UTC(2024, 2, i, 9, 0)), internal: '20', external: `03011${i}` })));
    const kept = await fixture.file({ callId: 'new-1', start: new Date(Date.UTC(2026, 10, 20, 9, 0)), internal: '20', external: '0309999' });
    expect(fixture.recordings.search({}).total).toBe(4);
    // The killed sweep: its file deletions done, the index never told.
    const bare = new RecordingStore({ root: join(fixture.dir, 'rec'), timeZone: 'utc' });
    const cut = await bare.applyRetention(12, now);
    expect([...cut.removed].sort()).toEqual(old.map((r) => r.name).sort());
    expect(fixture.recordings.search({}).total).toBe(4); // the stale rows
    const told: RecordingChange[] = [];
    fixture.recordings.on('change', (change) => told.push(change));
    const swept = await fixture.recordings.sweep({ retentionMonths: 12, now });
    expect([...swept.removed].sort()).toEqual(old.map((r) => r.name).sort());
    expect(fixture.recordings.search({}).rows.map((r) => r.name)).toEqual([kept.name]);
    expect(told.filter((c) => c.kind === 'removed').length).toBe(3);
    // Nothing more to do the next time; the recording within the retention is still whole.
    expect((await fixture.recordings.sweep({ retentionMonths: 12, now })).removed).toEqual([]);
    expect((await fixture.recordings.files(kept.name)).name).toBe(kept.name);
  });
});
