import type { SimClock } from '../model.js';

export interface AcceleratedClockOptions {
  /** Simulated seconds per real second (1 = real time). */
  readonly speed?: number;
  /** Simulated epoch ms at the moment the clock is made (default: now). */
  readonly start?: number;
}

/**
 * Simulated time that runs `speed` times faster than real time, anchored to
 * the monotonic clock so a wall-clock change on the machine does not move it.
 */
export class AcceleratedClock implements SimClock {
  readonly speed: number;
  private readonly simulatedStart: number;
  private readonly realStart: number;

  constructor(options: AcceleratedClockOptions = {}) {
    const speed = options.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`clock speed must be a positive number, got ${speed}`);
    this.speed = speed;
    this.simulatedStart = options.start ?? Date.now();
    this.realStart = performance.now();
  }

  now(): number {
    return this.simulatedStart + (performance.now() - this.realStart) * this.speed;
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, time, signal);
  }
}

/**
 * A clock that only moves when told: tests step it and everything waiting
 * on it wakes in time order, without real waiting.
 */
export class ManualClock implements SimClock {
  readonly speed = Number.POSITIVE_INFINITY;
  private current: number;
  private readonly waiters: { time: number; resolve: () => void }[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Move to `time` (never backwards), waking sleepers due on the way. */
  async advanceTo(time: number): Promise<void> {
    // Let tasks started just before this call reach their first sleep.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (true) {
      this.waiters.sort((a, b) => a.time - b.time);
      const next = this.waiters[0];
      if (!next || next.time > time) break;
      this.waiters.shift();
      this.current = Math.max(this.current, next.time);
      next.resolve();
      // Let the woken task run (and maybe sleep again) before the clock moves on.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.current = Math.max(this.current, time);
  }

  /**
   * Move to `time` at once and wake every sleeper due by then together, synchronously: for checks of exactly
   * what a writer has done by a moment (advanceTo lets each woken task run before the clock moves on).
   */
  jumpTo(time: number): void {
    this.current = Math.max(this.current, time);
    const due = this.waiters.filter((waiter) => waiter.time <= this.current);
    for (const waiter of due) this.waiters.splice(this.waiters.indexOf(waiter), 1);
    for (const waiter of due) waiter.resolve();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.current + ms);
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (time <= this.current) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        time,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}

/** Longest single real-time timer; re-checked after it so a long sleep stays exact against the monotonic clock. */
const MAX_TIMER_MS = 60_000;

function sleepOn(clock: SimClock, time: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (timer) clearTimeout(timer);
      reject(signal?.reason);
    };
    const check = (): void => {
      const remaining = (time - clock.now()) / clock.speed;
      if (remaining <= 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(check, Math.min(Math.ceil(remaining), MAX_TIMER_MS));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    check();
  });
}
