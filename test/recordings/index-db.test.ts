import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Key, Keyring } from '../../src/platform/crypto/index.js';
import { INDEX_SCHEMA_VERSION, RecordingIndex, RecordingStore, StoreError, TOTAL_COUNT_CAP, wildcardToLike } from '../../src/recordings/index.js';
import type { IndexedRecording, RecordingFilter, RecordingMeta } from '../../src/recordings/index.js';
import { meta, tempDir, writeAudio } from './helpers.js';

let dir: { path: string; remove: () => void };
let store: RecordingStore;
let index: RecordingIndex;
let work: string;

const calls: Array<Partial<RecordingMeta> & { format?: 'wav' | 'mp3' | 'pcap' }> = [
  { callId: 'c1', start: new Date('2024-03-01T08:00:00Z'), internal: '361', external: '07030730', direction: 'in' },
  { callId: 'c2', start: new Date('2024-03-01T09:00:00Z'), internal: '362', external: '07039730111', direction: 'out', tan: '123456' },
  { callId: 'c3', start: new Date('2024-03-02T10:00:00Z'), internal: '306', external: '0800102', direction: 'in', format: 'mp3' },
  { callId: 'c4', start: new Date('2024-03-15T11:00:00Z'), internal: '36', external: '+4930123', direction: 'out' },
  { callId: 'c5', start: new Date('2024-04-01T12:00:00Z'), internal: '24', external: '012345', direction: 'in', tan: '000000' },
  { callId: 'c6', start: new Date('2024-04-02T13:00:00Z'), internal: "24' OR '1'='1", external: '%_\\', direction: 'in' },
  { callId: 'c7', start: new Date('2024-04-03T14:00:00Z'), internal: '*31#', external: '0123*', direction: 'out', format: 'pcap' },
];

beforeEach(async () => {
  dir = tempDir('index');
  work = join(dir.path, 'work');
  mkdirSync(work);
  store = await RecordingStore.open({ root: join(dir.path, 'rec'), timeZone: 'utc', keyring: new Keyring([Key.generate()]) });
  index = new RecordingIndex(join(dir.path, 'index.sqlite'));
  for (const [i, call] of calls.entries()) {
    const { format = 'wav', ...m } = call;
    const filed = await store.file({ meta: meta(m), audioPath: writeAudio(work, `${i}.raw`, 1000 + i, i), format, codec: 'pcma', durationMs: 1000 * i });
    index.upsertRecording(filed, filed.sidecar);
  }
});
afterEach(() => {
  index.close();
  dir.remove();
});

const ids = (rows: IndexedRecording[]): string[] => rows.map((r) => r.callId);
const find = (filter: RecordingFilter): string[] => ids(index.search({ order: 'oldest', ...filter }).rows);

describe('RecordingIndex', () => {
  it('searches with each of the player filters', () => {
    expect(index.search().total).toBe(7);
    expect(ids(index.search().rows)).toEqual(['c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1']); // newest first
    expect(find({ month: '2024_03' })).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(find({ month: '2024_03', day: 1 })).toEqual(['c1', 'c2']);
    expect(find({ day: 2 })).toEqual(['c3', 'c6']);
    expect(find({ internal: '36' })).toEqual(['c4']); // exact: 36 does not find 361/362
    expect(find({ internal: '3*' })).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(find({ internal: '3?6' })).toEqual(['c3']);
    expect(find({ internal: '36?' })).toEqual(['c1', 'c2']);
    expect(find({ internal: '\\*31#' })).toEqual(['c7']); // a literal '*'
    expect(find({ external: '0703' })).toEqual(['c1', 'c2']); // prefix
    expect(find({ external: '0703?730' })).toEqual(['c1', 'c2']);
    expect(find({ external: '07030' })).toEqual(['c1']);
    expect(find({ external: '+49' })).toEqual(['c4']);
    expect(find({ direction: 'out' })).toEqual(['c2', 'c4', 'c7']);
    expect(find({ tan: '123456' })).toEqual(['c2']);
    expect(find({ tan: '000000' })).toEqual(['c5']);
    expect(find({ format: 'mp3' })).toEqual(['c3']);
    expect(find({ format: 'pcap' })).toEqual(['c7']);
    expect(find({ from: new Date('2024-03-02T00:00:00Z'), to: new Date('2024-04-02T13:00:00Z') })).toEqual(['c3', 'c4', 'c5']);
    expect(find({ month: '2024_03', direction: 'in', internal: '3*', external: '07' })).toEqual(['c1']);
    expect(find({ callId: 'c5' })).toEqual(['c5']);
    expect(index.formats('2024_03')).toEqual(['mp3', 'wav']);
    expect(index.months()).toEqual([
      { month: '2024_03', count: 4 },
      { month: '2024_04', count: 3 },
    ]);
  });

  it('pages with a total count', () => {
    const page1 = index.search({ limit: 3, offset: 0 });
    const page2 = index.search({ limit: 3, offset: 3 });
    const page3 = index.search({ limit: 3, offset: 6 });
    expect([page1.total, page2.total, page3.total]).toEqual([7, 7, 7]);
    expect([...ids(page1.rows), ...ids(page2.rows), ...ids(page3.rows)]).toEqual(['c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1']);
    expect(index.search({ limit: 3, offset: 100 }).rows).toEqual([]);
  });

  it('treats SQL-looking input as data', () => {
    expect(find({ internal: "24' OR '1'='1" })).toEqual(['c6']);
    expect(find({ internal: "x' OR 1=1 --" })).toEqual([]);
    expect(find({ external: '%' })).toEqual(['c6']); // '%' is a character, not a LIKE wildcard
    expect(find({ external: '%_\\' })).toEqual(['c6']);
    expect(find({ external: "'; DROP TABLE recordings; --" })).toEqual([]);
    expect(find({ callId: "c1' OR 'a'='a" })).toEqual([]);
    expect(index.count()).toBe(7);
    expect(wildcardToLike('a%b_c\\d*e?', true)).toBe('a\\%b\\_c\\\\d%e_%');
  });

  it('rejects bad filter values with the field named', () => {
    const bad: Array<[RecordingFilter, RegExp]> = [
      [{ month: '2024-03' }, /month/],
      [{ day: 32 }, /day/],
      [{ tan: '12' }, /tan/],
      [{ direction: 'up' as never }, /direction/],
      [{ format: 'ogg' as never }, /format/],
      [{ limit: 0 }, /limit/],
      [{ offset: -1 }, /offset/],
      [{ from: new Date('nope') }, /from/],
      [{ order: 'random' as never }, /order/],
      [{ favourite: 'mine' }, /owner/],
    ];
    for (const [filter, message] of bad) {
      expect(() => index.search(filter)).toThrow(StoreError);
      expect(() => index.search(filter)).toThrow(message);
    }
  });

  it('counts matches up to the cap and says when there are more', () => {
    const template = index.search({ callId: 'c1' }).rows[0]!;
    const rows = Array.from({ length: TOTAL_COUNT_CAP + 5 }, (_, i) => ({ ...template, name: `bulk_${String(i).padStart(6, '0')}`, callId: `bulk${i}`, internal: '555' }));
    index.upsertMany(rows);
    const all = index.search({ internal: '555', limit: 10 });
    expect(all).toMatchObject({ total: TOTAL_COUNT_CAP, totalCapped: true });
    expect(all.rows).toHaveLength(10);
    expect(index.search({ internal: '5?5', limit: 1 }).totalCapped).toBe(true);
    expect(index.search({ month: '2024_04' })).toMatchObject({ total: 3, totalCapped: false });
  });

  it('keeps favourites per call, global and per player', () => {
    index.setFavourite('c2', true);
    index.setFavourite('c3', true, 'player-7');
    expect(find({ favourite: 'global' })).toEqual(['c2']);
    expect(find({ favourite: 'mine', owner: 'player-7' })).toEqual(['c3']);
    const row = index.search({ callId: 'c3', owner: 'player-7' }).rows[0]!;
    expect([row.favouriteGlobal, row.favouriteMine]).toEqual([false, true]);
    index.setFavourite('c2', false);
    expect(find({ favourite: 'global' })).toEqual([]);
  });

  it('rebuilds the same rows from the files', async () => {
    const before = index.search({ limit: 100 }).rows;
    const rebuiltIndex = new RecordingIndex(join(dir.path, 'rebuilt.sqlite'));
    const result = await rebuiltIndex.reindex(store);
    expect(result).toEqual({ indexed: 7, removed: 0, unreadableSidecars: 0 });
    expect(rebuiltIndex.search({ limit: 100 }).rows).toEqual(before);
    const row = before.find((r) => r.callId === 'c3')!;
    expect(row).toMatchObject({ internal: '306', external: '0800102', format: 'mp3', codec: 'pcma', durationMs: 2000, encrypted: true, hasSidecar: true, integrity: 'unchecked', startLocal: '2024-03-02 10:00', internalName: 'Anna Agent' });

    // Files changed behind the index: reindex follows them.
    await store.remove(row.name);
    const renamed = await store.updateTan(before.find((r) => r.callId === 'c1')!.name, '654321');
    const again = await index.reindex(store, { verify: true });
    expect(again).toEqual({ indexed: 6, removed: 2, unreadableSidecars: 0 });
    expect(index.get(renamed.name)).toMatchObject({ tan: '654321', integrity: 'intact' });
    expect(find({ tan: '654321' })).toEqual(['c1']);

    // Without the key: indexed from names, integrity unknown-key.
    const stranger = new RecordingStore({ root: store.root, timeZone: 'utc', keyring: new Keyring([Key.generate()]) });
    const blind = new RecordingIndex(join(dir.path, 'blind.sqlite'));
    expect(await blind.reindex(stranger)).toMatchObject({ indexed: 6, unreadableSidecars: 6 });
    expect(blind.get(renamed.name)).toMatchObject({ integrity: 'unknown-key', hasSidecar: false, callId: 'c1', internal: '361' });
    blind.close();
    rebuiltIndex.close();
  });

  it('versions its schema: WAL, a newer schema is refused, an old one is reset', () => {
    const path = join(dir.path, 'index.sqlite');
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(INDEX_SCHEMA_VERSION);
    raw.close();

    const newer = join(dir.path, 'newer.sqlite');
    const db = new Database(newer);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new RecordingIndex(newer)).toThrow(/newer than this build/);

    const old = join(dir.path, 'old.sqlite');
    const db2 = new Database(old);
    db2.exec("CREATE TABLE recordings (name TEXT); INSERT INTO recordings VALUES ('x'); CREATE TABLE favourites (call_id TEXT, owner TEXT); INSERT INTO favourites VALUES ('c1', '')");
    db2.close();
    const reset = new RecordingIndex(old);
    expect(reset.needsReindex).toBe(true);
    expect(reset.count()).toBe(0);
    reset.close();
  });
});
