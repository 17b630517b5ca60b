// The same watch as loop-watch.ts on vitest's main process (a reporter runs there): the worker's RPC times out when
// the main process does not answer for 60 s, and a CI log should say which side was stuck.
import type { Reporter } from 'vitest/reporters';

const TICK_MS = 1000;
const REPORT_AFTER_MS = Number(process.env.LOOP_WATCH_MS ?? 10_000);

export default class MainLoopWatch implements Reporter {
  #timer: NodeJS.Timeout | undefined;

  onInit(): void {
    let last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      const blocked = now - last - TICK_MS;
      last = now;
      if (blocked > REPORT_AFTER_MS) process.stderr.write(`vitest main process: event loop blocked for ${(blocked / 1000).toFixed(1)} s\n`);
    }, TICK_MS);
    this.#timer.unref();
  }

  onFinished(): void {
    clearInterval(this.#timer);
  }
}
