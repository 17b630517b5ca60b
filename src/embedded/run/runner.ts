import { setMaxListeners } from 'node:events';
import type { CallEvent, CallObserver, CaptureSpec, PlannedCall, SimClock } from '../model.js';

/** Writes one capture while its call runs; resolves when the file is complete. */
export type CaptureTask = (call: PlannedCall, spec: CaptureSpec, signal: AbortSignal) => Promise<unknown>;

export interface PlayOptions {
  readonly clock: SimClock;
  readonly observers: readonly CallObserver[];
  /** Starts a capture writer; without it no capture files are written. */
  readonly recordCapture?: CaptureTask;
  readonly signal?: AbortSignal;
  /** Called after each call has ended and all its captures are complete. */
  readonly onCallDone?: (call: PlannedCall, done: number) => void;
}

export interface PlayFailure {
  readonly confId: string;
  readonly what: string;
  readonly error: string;
}

export interface PlayResult {
  readonly calls: number;
  readonly events: number;
  readonly captures: number;
  readonly failures: readonly PlayFailure[];
  readonly aborted: boolean;
}

/**
 * Play planned calls on the clock: each call's leg events reach the observers
 * at their simulated moments, its captures are written while it runs, and
 * onCallEnd follows the last release. Calls overlap as their times say.
 * An observer or capture failure is recorded and the run goes on — a PBX does
 * not stop because one recorder link failed.
 */
export async function playCalls(calls: readonly PlannedCall[], options: PlayOptions): Promise<PlayResult> {
  const ordered = [...calls].sort((a, b) => a.setupTime - b.setupTime || a.index - b.index);
  const failures: PlayFailure[] = [];
  let events = 0;
  let captures = 0;
  let done = 0;
  const running: Promise<void>[] = [];
  const signal = options.signal;
  // Every running capture listens for the run's abort: hundreds at a time are expected.
  if (signal) setMaxListeners(0, signal);

  const notify = (call: PlannedCall, what: string, deliver: (observer: CallObserver) => void): void => {
    for (const observer of options.observers) {
      try {
        deliver(observer);
      } catch (error) {
        failures.push({ confId: call.confId, what, error: describe(error) });
      }
    }
  };

  const playOne = async (call: PlannedCall): Promise<void> => {
    const captureRuns: Promise<void>[] = [];
    if (options.recordCapture) {
      const recordCapture = options.recordCapture;
      for (const spec of call.captures) {
        captures++;
        const controller = new AbortController();
        const stop = (): void => controller.abort(signal?.reason);
        signal?.addEventListener('abort', stop, { once: true });
        captureRuns.push(
          recordCapture(call, spec, controller.signal)
            .then(
              () => undefined,
              (error: unknown) => {
                if (!signal?.aborted) failures.push({ confId: call.confId, what: `capture ${spec.fileName}`, error: describe(error) });
              },
            )
            .finally(() => signal?.removeEventListener('abort', stop)),
        );
      }
    }
    // Each conference ends after its last event (the call's own not before its end): in time order with the events.
    const ends = new Map<string, number>([[call.confId, call.endAt]]);
    for (const event of call.events) {
      const conference = event.conf ?? call.confId;
      ends.set(conference, Math.max(ends.get(conference) ?? 0, event.at));
    }
    const timeline: Array<{ at: number; event?: CallEvent; conference?: string }> = [
      ...call.events.map((event): { at: number; event?: CallEvent; conference?: string } => ({ at: event.at, event })),
      ...[...ends].map(([conference, at]): { at: number; event?: CallEvent; conference?: string } => ({ at, conference })),
    ].sort((a, b) => a.at - b.at || (a.event ? 0 : 1) - (b.event ? 0 : 1));
    try {
      for (const item of timeline) {
        await options.clock.sleepUntil(call.setupTime + item.at, signal);
        if (item.event) {
          const event = item.event;
          events++;
          notify(call, `event ${event.type}`, (observer) => observer.onCallEvent?.(call, event));
        } else notify(call, 'call end', (observer) => observer.onCallEnd?.(call, item.conference!));
      }
    } catch (error) {
      if (!signal?.aborted) failures.push({ confId: call.confId, what: 'call', error: describe(error) });
    }
    await Promise.all(captureRuns);
    done++;
    options.onCallDone?.(call, done);
  };

  try {
    for (const call of ordered) {
      await options.clock.sleepUntil(call.setupTime, signal);
      running.push(playOne(call));
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
  await Promise.all(running);
  return { calls: done, events, captures, failures, aborted: signal?.aborted ?? false };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
