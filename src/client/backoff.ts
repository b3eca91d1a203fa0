// Reconnection delays: exponential backoff with "full jitter" (a uniform
// random delay between 0 and the current bound). Without the randomness,
// every client dropped by one server restart would come back in the same
// instant, again and again (the reconnect storm of socket.io#2998).

import type { ReconnectOptions } from './types.js';

export type ResolvedReconnect = Required<ReconnectOptions>;

export const RECONNECT_DEFAULTS: ResolvedReconnect = {
  initialDelay: 500,
  maxDelay: 30_000,
  factor: 2,
  maxAttempts: Infinity,
  resetAfter: 5_000,
  random: Math.random,
};

/** null when reconnection is off. */
export function resolveReconnect(option: boolean | ReconnectOptions | undefined): ResolvedReconnect | null {
  if (option === false) return null;
  const o: ResolvedReconnect = { ...RECONNECT_DEFAULTS };
  if (typeof option === 'object' && option !== null) {
    for (const key of ['initialDelay', 'maxDelay', 'factor', 'maxAttempts', 'resetAfter'] as const) {
      const v = option[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !(v >= 0)) throw new RangeError(`reconnect.${key} must be a non-negative number`);
      o[key] = v;
    }
    if (option.random !== undefined) o.random = option.random;
  }
  return o;
}

/**
 * The delay before reconnection attempt number `step + 1` (step 0 is the
 * first attempt after a loss): uniform in [0, min(maxDelay, initialDelay *
 * factor^step)).
 */
export function backoffDelay(step: number, o: ResolvedReconnect): number {
  const bound = Math.min(o.maxDelay, o.initialDelay * Math.pow(o.factor, step));
  const r = o.random();
  // A bad random source must not produce a negative or endless delay.
  const unit = r >= 0 && r < 1 ? r : 0.5;
  return Math.floor(unit * bound);
}

/** Server close codes that mean "not now, come back later": the backoff starts higher. */
const COME_BACK_LATER = new Set([1001, 1012, 1013]);

/**
 * The reconnection state of one client: the attempt count and whether the
 * server asked to come back later. The count restarts only once a
 * connection has stayed up for `resetAfter`: a server that accepts clients
 * and then drops them at once (a crash loop, a broken handler) would
 * otherwise have every client back within the shortest delay, forever.
 */
export class Backoff {
  readonly options: ResolvedReconnect;
  /** Consecutive failed attempts since the last connection that stayed up. */
  attempt = 0;
  /** The last loss said "come back later" (1001, 1012, 1013). */
  comeBackLater = false;
  #stable: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ResolvedReconnect) {
    this.options = options;
  }

  /** connect() by the application: a fresh start. */
  reset(): void {
    this.cancel();
    this.attempt = 0;
    this.comeBackLater = false;
  }

  /** The connection is usable: the count restarts if it stays so for resetAfter. */
  healthy(): void {
    this.cancel();
    if (this.options.resetAfter <= 0 || this.attempt === 0) this.reset();
    else this.#stable = setTimeout(() => this.reset(), this.options.resetAfter);
  }

  /** A loss: the delay before the next attempt, or null when attempts are exhausted. */
  failed(code: number): number | null {
    this.cancel();
    if (COME_BACK_LATER.has(code)) this.comeBackLater = true;
    this.attempt++;
    if (this.attempt > this.options.maxAttempts) return null;
    // A server going away for maintenance is not back in a few ms: start two steps up.
    return backoffDelay(this.attempt - 1 + (this.comeBackLater ? 2 : 0), this.options);
  }

  cancel(): void {
    clearTimeout(this.#stable);
    this.#stable = undefined;
  }
}
