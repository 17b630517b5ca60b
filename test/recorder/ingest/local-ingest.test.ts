import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriveError, Ingestor, LocalDrive } from '../../../src/recorder/ingest/index.js';
import type { CaptureDrive, DriveStatus, IngestedCapture } from '../../../src/recorder/ingest/index.js';

let base: string;
let rec: string;
let work: string;
let time: number;
const now = (): number => time;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'ingest-'));
  rec = join(base, 'REC');
  work = join(base, 'work');
  mkdirSync(rec);
  time = 1_000_000;
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function ingestor(drive: CaptureDrive, taken: IngestedCapture[], extra: Partial<ConstructorParameters<typeof Ingestor>[0]> = {}): Ingestor {
  return new Ingestor({ drive, workDir: work, now, settleMs: 2000, onCapture: (c) => void taken.push(c), ...extra });
}

describe('Ingestor on a local drive', () => {
  it('copies a capture only after it stops growing, verified byte for byte', async () => {
    const taken: IngestedCapture[] = [];
    const ing = ingestor(new LocalDrive(rec), taken);
    const file = join(rec, 'a1.pcap');
    writeFileSync(file, Buffer.alloc(100, 1));
    await ing.pollOnce();
    time += 3000;
    appendFileSync(file, Buffer.alloc(50, 2)); // still being written
    await ing.pollOnce();
    expect(taken).toHaveLength(0);
    time += 1000;
    await ing.pollOnce();
    expect(taken).toHaveLength(0); // unchanged for only 1 s
    time += 1500;
    await ing.pollOnce();
    expect(taken).toHaveLength(1);
    const copy = readFileSync(taken[0]!.path);
    expect(copy.length).toBe(150);
    expect(taken[0]!.sha256).toBe(createHash('sha256').update(copy).digest('hex'));
    expect(existsSync(`${taken[0]!.path}.partial`)).toBe(false);
    // Taken once only, and still on the drive until released.
    time += 10_000;
    await ing.pollOnce();
    expect(taken).toHaveLength(1);
    expect(existsSync(file)).toBe(true);
  });

  it('settles faster when the call is known to have ended, ignores non-captures, and skips what the journal has', async () => {
    const taken: IngestedCapture[] = [];
    const ing = ingestor(new LocalDrive(rec), taken, { callEnded: (name) => name === 'ended.pcap', alreadyTaken: (name) => name === 'old.pcap' });
    for (const name of ['ended.pcap', 'running.pcap', 'old.pcap', 'notes.txt', '.hidden.pcap']) writeFileSync(join(rec, name), Buffer.alloc(64));
    mkdirSync(join(rec, 'TCR.pcap'));
    await ing.pollOnce();
    time += 300;
    await ing.pollOnce();
    expect(taken.map((c) => c.name)).toEqual(['ended.pcap']);
    time += 2000;
    await ing.pollOnce();
    expect(taken.map((c) => c.name).sort()).toEqual(['ended.pcap', 'running.pcap']);
  });

  it('deletes from the drive only when released, after the grace period', async () => {
    const taken: IngestedCapture[] = [];
    const ing = ingestor(new LocalDrive(rec), taken);
    writeFileSync(join(rec, 'b.pcap'), Buffer.alloc(64));
    await ing.pollOnce();
    time += 2500;
    await ing.pollOnce();
    expect(taken).toHaveLength(1);
    const released = ing.release('b.pcap', 2000);
    time += 1000;
    await ing.pollOnce();
    expect(existsSync(join(rec, 'b.pcap'))).toBe(true);
    time += 1500;
    await ing.pollOnce();
    expect(existsSync(join(rec, 'b.pcap'))).toBe(false);
    expect(ing.pendingRemovalCount()).toBe(0);
    expect(await released).toBe(true);
  });

  it('a stop answers releases still waiting with false, and leaves their files on the drive', async () => {
    const ing = ingestor(new LocalDrive(rec), []);
    writeFileSync(join(rec, 'd.pcap'), Buffer.alloc(64));
    const waiting = ing.release('d.pcap', 2000);
    await ing.stop();
    // Without this a service stopping inside the grace period waited for a poll that never came.
    expect(await waiting).toBe(false);
    expect(await ing.release('d.pcap', 0)).toBe(false);
    expect(existsSync(join(rec, 'd.pcap'))).toBe(true);
    expect(ing.pendingRemovalCount()).toBe(0);
  });

  it('a hand-over that fails leaves the file to be copied again', async () => {
    const taken: IngestedCapture[] = [];
    let fail = true;
    const ing = ingestor(new LocalDrive(rec), taken, {
      onCapture: (c) => {
        if (fail) throw new Error('journal not writable');
        taken.push(c);
      },
    });
    const errors: string[] = [];
    writeFileSync(join(rec, 'c.pcap'), Buffer.alloc(64));
    const withErrors = new Ingestor({ drive: new LocalDrive(rec), workDir: work, now, settleMs: 2000, onCapture: () => { throw new Error('journal not writable'); }, onFileError: (n, e) => errors.push(`${n}: ${e.message}`) });
    await withErrors.pollOnce();
    time += 2500;
    await withErrors.pollOnce();
    expect(errors[0]).toMatch(/c\.pcap.*journal not writable/);
    await ing.pollOnce();
    time += 2500;
    await ing.pollOnce();
    expect(taken).toHaveLength(0);
    fail = false;
    time += 2500;
    await ing.pollOnce();
    time += 2500;
    await ing.pollOnce();
    expect(taken).toHaveLength(1);
  });

  it('reports a file that vanishes mid-copy and an unreachable drive, without throwing', async () => {
    const local = new LocalDrive(rec);
    const vanishing: CaptureDrive = {
      list: () => local.list(),
      describe: () => local.describe(),
      remove: (n) => local.remove(n),
      download: async (name, destination) => {
        unlinkSync(join(rec, name));
        return local.download(name, destination);
      },
    };
    const taken: IngestedCapture[] = [];
    const errors: DriveError[] = [];
    const statuses: DriveStatus[] = [];
    const ing = ingestor(vanishing, taken, { onFileError: (_n, e) => errors.push(e), onStatus: (s) => statuses.push(s) });
    writeFileSync(join(rec, 'gone.pcap'), Buffer.alloc(64));
    await ing.pollOnce();
    time += 2500;
    await ing.pollOnce();
    expect(taken).toHaveLength(0);
    expect(errors[0]?.code).toBe('vanished');
    expect(errors[0]?.message).toContain('gone.pcap');
    rmSync(rec, { recursive: true });
    await ing.pollOnce();
    mkdirSync(rec);
    await ing.pollOnce();
    expect(statuses.map((s) => s.reachable)).toEqual([true, false, true]);
    expect(statuses[1]?.error).toMatch(/does not exist/);
  });
});
