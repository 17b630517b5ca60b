// The recorder command in a child process (through tsx: no build needed), waited for without blocking. spawnSync
// held the test worker's event loop for the child's whole run: a test with a few children held it for seconds, on
// a loaded CI machine for tens of seconds, near vitest's 60 s RPC timeout to the worker.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildCliOptions {
  /** Written to the child's standard input, then closed (default: nothing, closed at once). */
  readonly input?: string;
  /** Added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The entry script, relative to the project (default the recorder's CLI). */
  readonly script?: string;
  /** Killed after this long (default 120 s): a hung child fails its test instead of the run. */
  readonly timeoutMs?: number;
}

/** `recorder ARGS…` in a child process, run in the project's folder. */
export function runCliChild(args: readonly string[], options: ChildCliOptions = {}): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, options.script ?? 'test/helpers/run-cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on('error', () => {}); // a child that exits without reading its input
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}
