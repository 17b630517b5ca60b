// The active and the standby PBX's drives read as one: every capture is listed from wherever it was written,
// taken from and removed on that drive; only the followed drive's absence is an error.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DriveError, LocalDrive, StandbyPairDrive } from '../../../src/recorder/ingest/index.js';
import type { PbxRole } from '../../../src/recorder/ingest/index.js';

const base = mkdtempSync(join(tmpdir(), 'standby-pair-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function pair(name: string) {
  const activeDir = join(base, name, 'active');
  const standbyDir = join(base, name, 'standby');
  mkdirSync(activeDir, { recursive: true });
  mkdirSync(standbyDir, { recursive: true });
  let following: PbxRole = 'active';
  const told: Array<[PbxRole, boolean]> = [];
  const drive = new StandbyPairDrive({
    active: new LocalDrive(activeDir),
    standby: new LocalDrive(standbyDir),
    following: () => following,
    onOtherDrive: (role, _where, error) => told.push([role, error !== undefined]),
  });
  return { drive, activeDir, standbyDir, told, follow: (role: PbxRole) => (following = role) };
}

describe('StandbyPairDrive', () => {
  it('lists both drives, and copies and removes each capture on the drive it is on', async () => {
    const { drive, activeDir, standbyDir } = pair('both');
    writeFileSync(join(activeDir, 'a.pcap'), 'from the active');
    writeFileSync(join(standbyDir, 's.pcap'), 'from the standby');
    expect((await drive.list()).map((entry) => entry.name).sort()).toEqual(['a.pcap', 's.pcap']);
    await drive.download('s.pcap', join(base, 'both', 's.copy'));
    expect(readFileSync(join(base, 'both', 's.copy'), 'utf8')).toBe('from the standby');
    await drive.remove('s.pcap');
    await drive.remove('a.pcap');
    expect(existsSync(join(standbyDir, 's.pcap'))).toBe(false);
    expect(existsSync(join(activeDir, 'a.pcap'))).toBe(false);
    expect(drive.describe()).toBe(`${activeDir} (the active PBX's drive)`);
  });

  it("the followed drive away is an error; the other one away is told once, and what it holds is listed when it is back", async () => {
    const { drive, activeDir, standbyDir, told, follow } = pair('away');
    writeFileSync(join(activeDir, 'a.pcap'), 'x');
    writeFileSync(join(standbyDir, 's.pcap'), 'y');
    // The standby PBX off while the active runs: normal.
    renameSync(standbyDir, `${standbyDir}.off`);
    expect((await drive.list()).map((entry) => entry.name)).toEqual(['a.pcap']);
    await drive.list();
    expect(told).toEqual([['standby', true]]);
    renameSync(`${standbyDir}.off`, standbyDir);
    expect((await drive.list()).map((entry) => entry.name).sort()).toEqual(['a.pcap', 's.pcap']);
    expect(told).toEqual([['standby', true], ['standby', false]]);
    // The active PBX failed and the link is on the standby: the active's drive away is told, not thrown.
    follow('standby');
    renameSync(activeDir, `${activeDir}.off`);
    expect((await drive.list()).map((entry) => entry.name)).toEqual(['s.pcap']);
    expect(drive.describe()).toBe(`${standbyDir} (the standby PBX's drive)`);
    // The followed drive away is the PCAP alarm.
    follow('active');
    await expect(drive.list()).rejects.toBeInstanceOf(DriveError);
    renameSync(`${activeDir}.off`, activeDir);
  });

  it('a capture listed on a drive that went away since is removed there (later), not "removed" from the other one', async () => {
    const activeDir = join(base, 'gone', 'active');
    const standbyDir = join(base, 'gone', 'standby');
    mkdirSync(activeDir, { recursive: true });
    mkdirSync(standbyDir, { recursive: true });
    const removals: string[] = [];
    const watched = (dir: string, role: string): LocalDrive => {
      const local = new LocalDrive(dir);
      const remove = local.remove.bind(local);
      local.remove = (name: string) => (removals.push(`${role}/${name}`), remove(name));
      return local;
    };
    let following: PbxRole = 'standby';
    const drive = new StandbyPairDrive({ active: watched(activeDir, 'active'), standby: watched(standbyDir, 'standby'), following: () => following });
    writeFileSync(join(standbyDir, 's.pcap'), 'y');
    expect((await drive.list()).map((entry) => entry.name)).toEqual(['s.pcap']);
    // Back on the active PBX, and the standby's drive does not answer the next listing.
    following = 'active';
    renameSync(standbyDir, `${standbyDir}.off`);
    expect(await drive.list()).toEqual([]);
    await drive.remove('s.pcap').catch(() => undefined);
    expect(removals).toEqual(['standby/s.pcap']);
    renameSync(`${standbyDir}.off`, standbyDir);
    expect((await drive.list()).map((entry) => entry.name)).toEqual(['s.pcap']);
    await drive.remove('s.pcap');
    expect(existsSync(join(standbyDir, 's.pcap'))).toBe(false);
  });

  it('a name on both drives is taken from the followed one first', async () => {
    const { drive, activeDir, standbyDir } = pair('twice');
    writeFileSync(join(activeDir, 'c.pcap'), 'active copy');
    writeFileSync(join(standbyDir, 'c.pcap'), 'standby copy');
    expect(await drive.list()).toHaveLength(1);
    await drive.download('c.pcap', join(base, 'twice', 'c.copy'));
    expect(readFileSync(join(base, 'twice', 'c.copy'), 'utf8')).toBe('active copy');
    await drive.remove('c.pcap');
    expect((await drive.list()).map((entry) => entry.name)).toEqual(['c.pcap']);
    await drive.download('c.pcap', join(base, 'twice', 'c.copy2'));
    expect(readFileSync(join(base, 'twice', 'c.copy2'), 'utf8')).toBe('standby copy');
  });
});
