import { execFileSync, spawnSync } from 'node:child_process';

/** Fail with a clear message when a Debian tool the test relies on is missing (CI installs it in .ci/run). */
export function requireTool(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`${name} is not installed: this test compares against it (apt-get install the package; .ci/run does)`);
  }
  return found.stdout.trim();
}

/** Run ffmpeg with raw stdin/stdout, returning stdout bytes. */
export function ffmpegPipe(args: string[], input: Uint8Array): Buffer {
  requireTool('ffmpeg');
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], {
    input,
    maxBuffer: 1 << 30,
  });
}

export function int16FromBuffer(buf: Uint8Array): Int16Array {
  const copy = new Uint8Array(buf.length - (buf.length % 2));
  copy.set(buf.subarray(0, copy.length));
  return new Int16Array(copy.buffer);
}

/** Count positions where two sample arrays differ (lengths must match: a length mismatch counts every extra sample). */
export function countDifferences(a: ArrayLike<number>, b: ArrayLike<number>): { compared: number; differing: number; first: number } {
  const n = Math.min(a.length, b.length);
  let differing = Math.abs(a.length - b.length);
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      differing++;
      if (first < 0) first = i;
    }
  }
  return { compared: Math.max(a.length, b.length), differing, first };
}
