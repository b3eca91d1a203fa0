// The application layer's limits: options resolved against their safe
// defaults (and checked, so a typo fails at construction rather than
// silently disabling a protection), and the per-connection inbound token
// bucket. The outbound bound is applied in ./fanout.ts and by the core.

import { refill, type Budget } from './budget.js';
import {
  DEFAULTS,
  type BackpressurePolicy,
  type ClientBroadcastOptions,
  type PresenceOptions,
  type RateLimitOptions,
  RECOVERY_DEFAULTS,
  type RecoveryOptions,
  type ResolvedOptions,
  type WebSocketNodeServerOptions,
} from './types.js';

const NON_NEGATIVE = [
  'maxPayload',
  'authTimeout',
  'refreshNotice',
  'maxAuthAttempts',
  'heartbeatInterval',
  'idleTimeout',
  'upgradeTimeout',
  'closeTimeout',
  'handshakeTimeout',
  'maxHeaderSize',
  'maxConnections',
  'maxInflight',
  'maxDepth',
  'maxNameLength',
  'maxGroupsPerSession',
  'maxGroups',
] as const;

/** Applies the defaults and validates every limit. */
export function resolveOptions(options: WebSocketNodeServerOptions): ResolvedOptions {
  const given = stripUndefined(options);
  const resolved = {
    ...DEFAULTS,
    ...given,
    allowedOrigins: resolveOrigins(given.allowedOrigins),
    rateLimit: resolveRate(given.rateLimit),
    backpressure: resolveBackpressure(given.backpressure),
    clientBroadcasts: resolveClientBroadcasts(given.clientBroadcasts),
    presence: resolvePresence(given.presence),
    recovery: resolveRecovery(given.recovery),
  } as ResolvedOptions;
  for (const key of NON_NEGATIVE) nonNegative(key, resolved[key]);
  if (resolved.maxPayload === 0) throw new RangeError('option maxPayload must be positive');
  return resolved;
}

function resolveOrigins(value: readonly string[] | null | undefined): readonly string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((o) => typeof o === 'string')) {
    throw new TypeError('option allowedOrigins must be an array of origin strings');
  }
  return Object.freeze([...value]);
}

function resolveRate(value: RateLimitOptions | false | undefined): Required<RateLimitOptions> | false {
  if (value === false) return false;
  const rate = { ...DEFAULTS.rateLimit, ...stripUndefined(value ?? {}) };
  if (!(rate.messagesPerSecond > 0) || !(rate.burst >= 1) || !Number.isFinite(rate.messagesPerSecond) || !Number.isFinite(rate.burst)) {
    throw new RangeError('option rateLimit needs messagesPerSecond > 0 and burst >= 1 (or rateLimit: false)');
  }
  return rate;
}

function resolveBackpressure(value: BackpressurePolicy | false | undefined): Required<BackpressurePolicy> | false {
  if (value === false) return false;
  const bp = { ...DEFAULTS.backpressure, ...stripUndefined(value ?? {}) } as Required<BackpressurePolicy>;
  if (!(bp.limit >= 0) || !Number.isFinite(bp.limit)) throw new RangeError('option backpressure.limit must be a non-negative number of bytes');
  if (bp.policy !== 'drop' && bp.policy !== 'close') throw new RangeError("option backpressure.policy must be 'drop' or 'close'");
  if (bp.closeCode !== 1008 && bp.closeCode !== 1013) throw new RangeError('option backpressure.closeCode must be 1008 or 1013');
  return bp.limit === 0 ? false : bp;
}

function resolveClientBroadcasts(value: ClientBroadcastOptions | undefined): Required<ClientBroadcastOptions> {
  if (value !== undefined && (typeof value !== 'object' || value === null)) throw new TypeError('option clientBroadcasts must be an object');
  const cb = { ...DEFAULTS.clientBroadcasts, ...stripUndefined(value ?? {}) } as Required<ClientBroadcastOptions>;
  if (typeof cb.toEveryone !== 'boolean') throw new TypeError('option clientBroadcasts.toEveryone must be a boolean');
  nonNegative('clientBroadcasts.maxSize', cb.maxSize);
  nonNegative('clientBroadcasts.bytesPerSecond', cb.bytesPerSecond);
  return cb;
}

function resolvePresence(value: PresenceOptions | undefined): Required<PresenceOptions> {
  if (value !== undefined && (typeof value !== 'object' || value === null)) throw new TypeError('option presence must be an object');
  const p = { ...DEFAULTS.presence, ...stripUndefined(value ?? {}) } as Required<PresenceOptions>;
  nonNegative('presence.coalesceMs', p.coalesceMs);
  nonNegative('presence.deliveriesPerSecond', p.deliveriesPerSecond);
  return p;
}

function resolveRecovery(value: RecoveryOptions | boolean | undefined): Required<RecoveryOptions> | false {
  if (value === undefined || value === false) return false;
  if (value !== true && (typeof value !== 'object' || value === null)) throw new TypeError('option recovery must be a boolean or an object');
  const r = { ...RECOVERY_DEFAULTS, ...(value === true ? {} : stripUndefined(value)) } as Required<RecoveryOptions>;
  for (const key of ['maxDisconnection', 'maxMessages', 'maxBytes'] as const) {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new RangeError(`option recovery.${key} must be a positive integer, got ${String(v)}`);
  }
  return r;
}

function nonNegative(name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
    throw new RangeError(`option ${name} must be a non-negative finite number, got ${String(value)}`);
  }
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The part of a connection the token bucket keeps: a Budget whose cap is `burst`. */
export type Bucket = Budget;

export const RATE_OK = 0;
export const RATE_REJECT = 1;
export const RATE_CLOSE = 2;
export type RateVerdict = typeof RATE_OK | typeof RATE_REJECT | typeof RATE_CLOSE;

/**
 * Takes one token. Refill is computed lazily from the elapsed time, so the
 * bucket costs two numbers per connection and no timer. A refused message
 * still costs its token: the debt means a client must slow down below the
 * rate to be served again, and one that keeps on reaches -burst and is
 * closed.
 */
export function takeToken(bucket: Bucket, rate: Required<RateLimitOptions>, now: number): RateVerdict {
  refill(bucket, rate.messagesPerSecond, now, rate.burst);
  bucket.tokens -= 1;
  if (bucket.tokens >= 0) return RATE_OK;
  return bucket.tokens < -rate.burst ? RATE_CLOSE : RATE_REJECT;
}
