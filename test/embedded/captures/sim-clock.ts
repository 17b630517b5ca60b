/**
 * Test-local simulated clocks (the real one lives in src/embedded/clock.ts).
 * ManualClock: time moves only when the test says so, so what has been written
 * by a given simulated moment is exact. FastClock: real time times `speed`.
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

export class FastClock implements SimClock {
  private readonly realStart = performance.now();

  constructor(
    readonly speed: number,
    private readonly epoch: number,
  ) {}

  now(): number {
    return this.epoch + (performance.now() - this.realStart) * this.speed;
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const wait = (time - this.now()) / this.speed;
    if (wait <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(aborted(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.ceil(wait));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
