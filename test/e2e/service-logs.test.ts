// Log files ([log] dir): JSON lines rolled by size and day with the newest kept (pino-roll), secrets censored;
// and `recorder run` writing its log there as well as to stdout, the PBX password nowhere in it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { createServiceLogger } from '../../src/platform/util/index.js';
import { serviceConfigInput, until } from './helpers/service-harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'test/helpers/run-cli.ts');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('log files', () => {
  it('roll at the size limit, keep the newest, and censor secret fields', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'logs-'));
    dirs.push(dir);
    const logger = createServiceLogger({ level: 'info', dir, rotateMegabytes: 1, keepFiles: 2 }, 'recorder');
    const filler = 'x'.repeat(1000);
    // About 8 MB, written as a service writes (in bursts, not all at once: the size is looked at between writes):
    // eight files' worth at 1 MB each; the oldest go.
    for (let burst = 0; burst < 40; burst++) {
      for (let i = 0; i < 200; i++) logger.info({ i: burst * 200 + i, filler, auth: { user: 'u', password: 'never-in-a-log-1' } }, 'line');
      // Each burst written out before the next (the transport's worker falls behind on a loaded machine and would
      // then write several bursts as one, past the size limit, so the oldest lines were still in a kept file).
      await new Promise<void>((done) => logger.flush(() => done()));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    logger.error({ done: true }, 'last line');
    await new Promise<void>((done) => logger.flush(() => done()));
    await until(() => readdirSync(dir).some((f) => readFileSync(join(dir, f), 'utf8').includes('last line')), 20_000, 'the last line on disk');
    const files = readdirSync(dir).filter((f) => /^recorder\.\d+\.log$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.length).toBeLessThanOrEqual(3);
    const all = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(all).not.toContain('never-in-a-log-1');
    expect(all).toContain('"password":"[redacted]"');
    // The oldest lines were dropped with the oldest files; each line is whole JSON.
    expect(all).not.toContain('"i":0,');
    for (const line of all.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('recorder run writes its log to [log] dir too, without the PBX password', { timeout: 90_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'run-logs-'));
    dirs.push(base);
    const pbx = new EmbeddedPbx({ scenario: { seed: 1, calls: [] }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 10 });
    const endpoints = await pbx.start();
    const logDir = join(base, 'logs');
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify({ ...serviceConfigInput(base, endpoints), log: { level: 'info', dir: 'logs' } }));
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', '-c', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await until(() => out.includes('PBX link up'), 60_000, `the service up (${out.slice(-500)})`);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const file = join(logDir, readdirSync(logDir).find((f) => f.endsWith('.log'))!);
      expect(existsSync(file)).toBe(true);
      const text = readFileSync(file, 'utf8');
      for (const message of ['"msg":"configuration"', '"msg":"PBX link up"', '"msg":"stopping"']) expect(text).toContain(message);
      expect(text).not.toContain(endpoints.password);
      expect(out).not.toContain(endpoints.password);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await pbx.stop();
    }
  });
});
