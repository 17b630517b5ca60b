import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'webdav';
import type { FileStat, WebDAVClient } from 'webdav';
import { startDrive } from '../../../src/embedded/drive/index.js';
import type { RunningDrive } from '../../../src/embedded/drive/index.js';
import { DRIVE_REC_PATH, defaultFaults } from '../../../src/embedded/model.js';
import type { FaultState } from '../../../src/embedded/model.js';

const run = promisify(execFile);
const USER = 'recorder';
const PASS = 'drive-secret';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;

describe('embedded WebDAV drive', () => {
  let root: string;
  let faults: FaultState;
  let drive: RunningDrive;
  let client: WebDAVClient;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'drive-test-'));
    faults = defaultFaults();
    drive = await startDrive({ root, username: USER, password: PASS, faults });
    client = createClient(drive.url, { username: USER, password: PASS });
  });

  afterAll(async () => {
    await drive.close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves the capture directory at DRIVE/CF0/REC', async () => {
    expect(drive.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(drive.recUrl).toBe(`${drive.url}DRIVE/CF0/REC/`);
    expect(drive.recDir).toBe(join(root, DRIVE_REC_PATH));
    expect((await stat(drive.recDir)).isDirectory()).toBe(true);
  });

  it("passes litmus's basic and http suites", async () => {
    await client.createDirectory('/DRIVE/CF0/litmus');
    const cwd = await mkdtemp(join(tmpdir(), 'litmus-')); // litmus writes debug.log into its working directory
    try {
      const { stdout } = await run('litmus', [`${drive.url}DRIVE/CF0/litmus/`, USER, PASS], {
        cwd,
        env: { ...process.env, TESTS: 'basic http' },
        timeout: 45_000,
      }).catch((error: { stdout?: string; message: string }) => ({ stdout: `${error.stdout ?? ''}\n${error.message}` }));
      const results = [...stdout.matchAll(/^\s*\d+\.\s+(\S+?)\.*\s+(pass|FAIL|SKIPPED|WARNING)/gm)].map((m) => `${m[1]} ${m[2]}`);
      // Seen passing: init begin options put_get put_get_utf8_segment put_no_parent mkcol_over_plain delete delete_null
      // delete_fragment mkcol mkcol_again delete_coll mkcol_no_parent mkcol_with_body finish; http: init begin expect100 finish.
      expect(stdout, results.join('\n')).toMatch(/summary for `basic': of 16 tests run: 16 passed, 0 failed/);
      expect(stdout, results.join('\n')).toMatch(/summary for `http': of \d+ tests run: (\d+) passed, 0 failed/);
      expect(results.filter((r) => r.endsWith('FAIL'))).toEqual([]);
    } finally {
      await rm(cwd, { recursive: true, force: true });
      await client.deleteFile('/DRIVE/CF0/litmus').catch(() => undefined);
    }
  }, 60_000);

  it('lists a capture another component writes into REC, reads it while it grows, and deletes it', async () => {
    const name = 'CALL_0001.pcap';
    const file = join(drive.recDir, name);
    const first = Buffer.alloc(4096, 1);
    await writeFile(file, first);
    const listing = (await client.getDirectoryContents('/DRIVE/CF0/REC')) as FileStat[];
    expect(listing.map((entry) => [entry.basename, entry.type, entry.size])).toEqual([[name, 'file', 4096]]);

    const read1 = Buffer.from((await client.getFileContents(`/DRIVE/CF0/REC/${name}`)) as ArrayBuffer);
    expect(read1.equals(first)).toBe(true);
    const more = Buffer.alloc(1000, 2);
    await appendFile(file, more);
    expect((await client.stat(`/DRIVE/CF0/REC/${name}`)) as FileStat).toMatchObject({ size: 5096 });
    const read2 = Buffer.from((await client.getFileContents(`/DRIVE/CF0/REC/${name}`)) as ArrayBuffer);
    expect(read2.equals(Buffer.concat([first, more]))).toBe(true);

    // Reads racing a writer: every answer is a complete prefix of the file, its length as announced.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 400; i++) await appendFile(file, Buffer.alloc(997, i & 0xff));
    })();
    for (let i = 0; i < 15; i++) {
      const res = await fetch(`${drive.recUrl}${name}`, { headers: { authorization: AUTH } });
      expect(res.status).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.length).toBe(Number(res.headers.get('content-length')));
      const now = await readFile(file);
      expect(now.subarray(0, body.length).equals(body)).toBe(true);
    }
    writing = false;
    await writer;

    const partial = await fetch(`${drive.recUrl}${name}`, { headers: { authorization: AUTH, range: 'bytes=4096-5095' } });
    expect(partial.status).toBe(206);
    expect(Buffer.from(await partial.arrayBuffer()).equals(more)).toBe(true);

    await client.deleteFile(`/DRIVE/CF0/REC/${name}`);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await client.getDirectoryContents('/DRIVE/CF0/REC')).toEqual([]);
  });

  it('serves an empty capture that has just been created', async () => {
    await writeFile(join(drive.recDir, 'EMPTY.pcap'), Buffer.alloc(0));
    const res = await fetch(`${drive.recUrl}EMPTY.pcap`, { headers: { authorization: AUTH } });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    await client.deleteFile('/DRIVE/CF0/REC/EMPTY.pcap');
  });

  it('requires authentication', async () => {
    const none = await fetch(drive.recUrl, { method: 'PROPFIND', headers: { depth: '1' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await fetch(drive.recUrl, { method: 'PROPFIND', headers: { depth: '1', authorization: `Basic ${Buffer.from(`${USER}:wrong`).toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const wrongClient = createClient(drive.url, { username: USER, password: 'wrong' });
    await expect(wrongClient.getDirectoryContents('/DRIVE/CF0/REC')).rejects.toMatchObject({ status: 401 });
  });

  it('answers 503 to every request while the drive is down', async () => {
    faults.webdavDown = true;
    try {
      for (const method of ['PROPFIND', 'GET', 'DELETE', 'OPTIONS']) {
        const res = await fetch(drive.recUrl, { method, headers: { authorization: AUTH } });
        expect(res.status, method).toBe(503);
      }
      await expect(client.getDirectoryContents('/DRIVE/CF0/REC')).rejects.toMatchObject({ status: 503 });
    } finally {
      faults.webdavDown = false;
    }
    expect(await client.getDirectoryContents('/DRIVE/CF0/REC')).toEqual([]);
  });

  it('delays each response while the drive is slow', async () => {
    faults.driveSlowMs = 300;
    try {
      const started = performance.now();
      const res = await fetch(drive.recUrl, { method: 'PROPFIND', headers: { authorization: AUTH, depth: '1' } });
      const elapsed = performance.now() - started;
      expect(res.status).toBe(207);
      // A lower bound only: the delay is a timer of at least driveSlowMs.
      expect(elapsed).toBeGreaterThanOrEqual(290);
    } finally {
      faults.driveSlowMs = 0;
    }
  });

  it('survives requests that crash webdav-server v2 unguarded', async () => {
    await writeFile(join(drive.recDir, 'x.pcap'), 'x');
    // An untagged If header made the library throw from a callback.
    const put = await fetch(`${drive.recUrl}x.pcap`, { method: 'PUT', headers: { authorization: AUTH, if: '(<opaquelocktoken:nope>)' }, body: 'y' });
    expect(put.status).toBeGreaterThanOrEqual(200);
    // PROPPATCH with several set/remove blocks made it answer twice.
    const body =
      '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/z">' +
      '<D:set><D:prop><Z:a>1</Z:a></D:prop></D:set><D:remove><D:prop><Z:b/></D:prop></D:remove><D:set><D:prop><Z:c>3</Z:c></D:prop></D:set>' +
      '</D:propertyupdate>';
    const patch = await fetch(`${drive.recUrl}x.pcap`, { method: 'PROPPATCH', headers: { authorization: AUTH, 'content-type': 'application/xml' }, body });
    expect(patch.status).toBe(207);
    await patch.arrayBuffer();
    const after = await fetch(drive.recUrl, { method: 'PROPFIND', headers: { authorization: AUTH, depth: '1' } });
    expect(after.status).toBe(207);
    await client.deleteFile('/DRIVE/CF0/REC/x.pcap');
  });
});

describe('startDrive options', () => {
  it('rejects a missing root and an empty username', async () => {
    const faults = defaultFaults();
    await expect(startDrive({ root: join(tmpdir(), 'no-such-drive-root-xyz'), username: 'u', password: 'p', faults })).rejects.toThrow(/is not a directory/);
    await expect(startDrive({ root: tmpdir(), username: '', password: 'p', faults })).rejects.toThrow(/username/);
  });
});
