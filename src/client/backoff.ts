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
