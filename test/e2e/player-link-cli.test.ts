// The player link through the commands an administrator runs: `recorder appserver` (the embedded AppServer) and
// `recorder serve` with [player] appServer and urlPort, each its own process; the run side announces a call on the
// store's change feed. FRST reaches the AppServer's output, a command typed into it reaches the serve process, the
// URL interface answers on 127.0.0.1, and Ctrl-C stops both cleanly.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/index.js';
import { openRecordings } from '../../src/recordings/index.js';
import { writeOfflineConfig } from '../helpers/offline-config.js';
import { freePort, until } from './helpers/service-harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'test/helpers/run-cli.ts');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function start(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, output: () => out, exited: new Promise((done) => child.once('exit', (code) => done(code))) };
}

describe('recorder appserver and recorder serve with a player link', () => {
  it('link up, FRST out, a typed command in, the URL interface, Ctrl-C', { timeout: 120_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'player-link-cli-'));
    dirs.push(base);
    const appServerPort = await freePort();
    const urlPort = await freePort();
    const appServer = start(['appserver', '--port', String(appServerPort)]);
    await until(() => appServer.output().includes('AppServer listening on'), 60_000, `the AppServer listening (${appServer.output()})`);
    const configPath = writeOfflineConfig(base, 'recorder.json', join(base, 'store'), {
      player: { appServer: `127.0.0.1:${appServerPort}`, keepAliveSeconds: 60, urlPort },
      server: { port: 0 }, // never the default 8080: another run or program may hold it
      log: { level: 'info' },
    });
    const serve = start(['serve', '-c', configPath]);
    await until(() => appServer.output().includes('recorder connected'), 60_000, `the link up (serve: ${serve.output()})`);
    // The AppServer may see the connection before serve has printed its lines: wait for them, do not race them.
    await until(() => serve.output().includes('URL interface at'), 30_000, `serve naming the link (${serve.output()})`);
    expect(serve.output()).toContain(`Player link to the AppServer at 127.0.0.1:${appServerPort}`);
    expect(serve.output()).toContain(`URL interface at http://127.0.0.1:${urlPort}/IPLTRAC<recording>`);

    // The run side (this process) announces a call: the serve process tells the AppServer.
    const runSide = await openRecordings(await loadConfig(configPath), undefined);
    try {
      await runSide.announceCallStart({ callId: '0123456789abcdef0123456789abcdef', extension: '24', agent: 'Rossi' });
      await until(() => appServer.output().includes('< !FRST!24!0123456789abcdef0123456789abcdef!Rossi'), 30_000, `the FRST at the AppServer (${appServer.output()})`);
    } finally {
      await runSide.close();
    }
    // A command typed into the AppServer reaches the serve process (no player of that name: logged there).
    appServer.child.stdin!.write('EJEC!Nobody\n');
    await until(() => serve.output().includes('no such player connected'), 30_000, `the command at serve (${serve.output()})`);
    const answer = await fetch(`http://127.0.0.1:${urlPort}/IPLPLAY`);
    expect([answer.status, await answer.text()]).toEqual([200, 'no local player took it\n']);

    serve.child.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    await until(() => appServer.output().includes('disconnected'), 30_000, 'the AppServer seeing the link go');
    appServer.child.kill('SIGINT');
    expect(await appServer.exited).toBe(0);
  });
});
