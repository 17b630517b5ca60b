/**
 * A clock for exact-size checks of growing captures: advanceTo() moves the time and wakes every sleeper due by
 * then at once, synchronously, so the test decides exactly what has been written by a given moment. The embedded
 * PBX's own ManualClock (src/embedded/run) wakes sleepers one by one in time order and lets each run before the
 * next, as the runner needs; accelerated real time is its AcceleratedClock.
 */
import type { SimClock } from '../../../src/embedded/model.js';

function aborted(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

export class ManualClock implements SimClock {
  readonly speed = 1;
  private time: number;
  private waiters: Array<{ time: number; resolve: () => void }> = [];

  constructor(start: number) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (time <= this.time) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        time,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(aborted(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Move the clock to `time` and wake everyone due by then. */
  advanceTo(time: number): void {
    this.time = Math.max(this.time, time);
    const due = this.waiters.filter((w) => w.time <= this.time);
    this.waiters = this.waiters.filter((w) => w.time > this.time);
    for (const w of due) w.resolve();
  }
}
