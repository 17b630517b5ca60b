// Login throttling: attempts counted per client address and per account name in a sliding window. An attempt is
// counted when it begins, before the (slow, asynchronous) password check, so parallel guesses cannot all slip
// in under the limit; a successful one is taken back.
export interface LoginLimitOptions {
  /** Failures allowed per account name within the window (default 5). */
  readonly maxFailuresPerUser?: number;
  /** Failures allowed per client address within the window (default 20). */
  readonly maxFailuresPerAddress?: number;
  readonly windowMs?: number;
}

export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #perUser: number;
  readonly #perAddress: number;
  readonly #windowMs: number;

  constructor(options: LoginLimitOptions = {}) {
    this.#perUser = options.maxFailuresPerUser ?? 5;
    this.#perAddress = options.maxFailuresPerAddress ?? 20;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
  }

  #recent(key: string, now: number): number[] {
    const times = (this.#failures.get(key) ?? []).filter((t) => t > now - this.#windowMs);
    if (times.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, times);
    return times;
  }

  /** Seconds until a login may be tried again, or 0 when it may be tried now. */
  retryAfter(address: string, user: string, now = Date.now()): number {
    const checks: Array<[string, number]> = [
      [`a:${address}`, this.#perAddress],
      [`u:${user.toLowerCase()}`, this.#perUser],
    ];
    let wait = 0;
    for (const [key, max] of checks) {
      const times = this.#recent(key, now);
      if (times.length >= max) wait = Math.max(wait, Math.ceil((times[times.length - max]! + this.#windowMs - now) / 1000));
    }
    return wait;
  }

  /**
   * Begin a login attempt: 0 and the attempt counted as a failure until `succeed` says otherwise, or the seconds to
   * wait (nothing counted). Check and count happen together, with no await between them.
   */
  begin(address: string, user: string, now = Date.now()): number {
    const wait = this.retryAfter(address, user, now);
    if (wait === 0) this.fail(address, user, now);
    return wait;
  }

  fail(address: string, user: string, now = Date.now()): void {
    for (const key of [`a:${address}`, `u:${user.toLowerCase()}`]) this.#failures.set(key, [...this.#recent(key, now), now]);
    if (this.#failures.size > 100_000) this.#failures.clear(); // a flood of names must not grow memory without bound
  }

  /** The attempt begun at `began` was right: it is not a failure, and the account's failures are forgotten. */
  succeed(user: string, address?: string, began?: number): void {
    this.#failures.delete(`u:${user.toLowerCase()}`);
    if (address === undefined || began === undefined) return;
    const times = this.#failures.get(`a:${address}`);
    const at = times?.lastIndexOf(began) ?? -1;
    if (times && at >= 0) times.splice(at, 1);
  }
}
