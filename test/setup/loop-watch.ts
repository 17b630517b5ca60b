// Reports a test that holds its worker's event loop for long: vitest's worker answers the main process over an RPC
// with a 60 s timeout, and a loop blocked that long (a synchronous loop of child processes on a loaded 2-core CI
// machine) ends the whole run with "Timeout calling onTaskUpdate" and no test named. This names the test instead.
import { afterAll, expect } from 'vitest';

const TICK_MS = 1000;
const REPORT_AFTER_MS = Number(process.env.LOOP_WATCH_MS ?? 10_000);

let last = performance.now();
const watch = setInterval(() => {
  const now = performance.now();
  const blocked = now - last - TICK_MS;
  last = now;
  if (blocked > REPORT_AFTER_MS) {
    const test = expect.getState().currentTestName ?? '(between tests)';
    console.warn(`event loop blocked for ${(blocked / 1000).toFixed(1)} s in ${expect.getState().testPath ?? '?'}: ${test}`);
  }
}, TICK_MS);
watch.unref();
afterAll(() => clearInterval(watch));
