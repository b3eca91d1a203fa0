// Bookkeeping of calls (every message the client sends gets exactly one
// answer in our protocol, so every call is a request with an id). A call
// lives in exactly one place: waiting for a connection (`queue`, or
// `authQueue` for authentications, which go first), or sent and awaiting
// its answer (`inflight`). Whatever happens, its `done` runs exactly once:
// answer, server error, timeout, abort, connection lost or client closed.

import type { ClientMessageBody } from '../router/wire.js';
import { ConnectionLostError, RequestAbortedError, RequestTimeoutError } from './errors.js';
import type { CallOptions } from './types.js';

type Timer = ReturnType<typeof setTimeout>;
export type Done = (error: Error | null, data?: unknown) => void;

/** setTimeout fires at once for delays above 2^31-1 ms; longer means never here. */
const MAX_TIMER = 2 ** 31 - 1;

export interface Call {
  readonly id: number;
  readonly text: string;
  /** An authentication: 'explicit' from authenticate(credentials), 'auto' from stored credentials. */
  readonly auth: 'explicit' | 'auto' | null;
  readonly credentials: unknown;
  readonly done: Done;
  sent: boolean;
  settled: boolean;
  timer: Timer | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Set while the call waits out a `retryAfter` the server named. */
  retry: Timer | undefined;
}

export class CallBook {
  readonly queue: Call[] = [];
  readonly authQueue: Call[] = [];
  readonly inflight = new Map<number, Call>();
  /** Calls the server refused for now, waiting to be submitted again (retryLater). */
  readonly delayed = new Set<Call>();
  /** Authentications sent and not answered yet. */
  authsInFlight = 0;
  #nextId = 1;

  /**
   * Creates a call, or settles it at once (and returns null) when it cannot
   * even start: unserializable message, bad timeout, signal already aborted.
   */
  create(
    message: ClientMessageBody,
    options: CallOptions,
    defaultTimeout: number,
    done: Done,
    auth: Call['auth'] = null,
    credentials?: unknown,
  ): Call | null {
    const timeout = options.timeout ?? defaultTimeout;
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      done(new RangeError('timeout must be a non-negative number of ms'));
      return null;
    }
    const signal = options.signal;
    if (signal?.aborted) {
      done(new RequestAbortedError(signal.reason));
      return null;
    }
    const id = this.#nextId++;
    let text: string;
    try {
      text = JSON.stringify({ id, ...message });
    } catch (error) {
      // Cycles and BigInts: the caller's mistake, reported to the caller.
      done(error instanceof Error ? error : new TypeError(String(error)));
      return null;
    }
    const call: Call = { id, text, auth, credentials, done, sent: false, settled: false, timer: undefined, signal, onAbort: undefined, retry: undefined };
    if (timeout > 0 && timeout <= MAX_TIMER) {
      call.timer = setTimeout(() => this.settle(call, new RequestTimeoutError(call.sent, timeout)), timeout);
    }
    if (signal !== undefined) {
      call.onAbort = () => this.settle(call, new RequestAbortedError(signal.reason));
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
    return call;
  }

  /** Calls waiting for a connection. */
  get waiting(): number {
    return this.queue.length + this.authQueue.length;
  }

  markSent(call: Call): void {
    call.sent = true;
    this.inflight.set(call.id, call);
    if (call.auth !== null) this.authsInFlight++;
  }

  /** Takes a call out of wherever it is and runs its `done` (once). */
  settle(call: Call, error: Error | null, data?: unknown): void {
    if (call.settled) return;
    call.settled = true;
    this.#unlink(call);
    if (call.timer !== undefined) clearTimeout(call.timer);
    if (call.onAbort !== undefined) call.signal!.removeEventListener('abort', call.onAbort);
    call.done(error, data);
  }

  #unlink(call: Call): void {
    if (this.delayed.delete(call)) {
      clearTimeout(call.retry);
      call.retry = undefined;
      return;
    }
    if (this.inflight.delete(call.id)) {
      if (call.auth !== null) this.authsInFlight--;
      return;
    }
    const list = call.auth === null ? this.queue : this.authQueue;
    const at = list.indexOf(call);
    if (at !== -1) list.splice(at, 1);
  }

  /**
   * The connection dropped. Sent calls cannot be answered any more: they
   * fail with ConnectionLostError, since the server may have acted on them
   * and resending could do it twice. Explicit authentications are the
   * exception: the session they may have started died with the connection,
   * so they are safe to send again and go back to the front of the line.
   */
  connectionLost(code: number, reason: string): void {
    const again: Call[] = [];
    for (const call of [...this.inflight.values()]) {
      if (call.auth === 'explicit') {
        this.#unlink(call);
        call.sent = false;
        again.push(call);
      } else {
        this.settle(call, new ConnectionLostError(code, reason));
      }
    }
    this.authQueue.unshift(...again);
  }

  /**
   * Puts a sent call back in line, to go out again on the next connection.
   * Only for answers that prove the server did not act on it.
   */
  requeue(call: Call): void {
    this.#unlink(call);
    call.sent = false;
    (call.auth === null ? this.queue : this.authQueue).push(call);
  }

  /**
   * The server refused a sent call for now and said when to try again (it
   * did not act on it): it waits `ms`, then `resubmit` puts it back in line.
   * Its own timeout keeps running meanwhile.
   */
  retryLater(call: Call, ms: number, resubmit: (call: Call) => void): void {
    this.#unlink(call);
    call.sent = false;
    this.delayed.add(call);
    call.retry = setTimeout(() => {
      if (!this.delayed.delete(call)) return;
      call.retry = undefined;
      resubmit(call);
    }, ms);
  }

  /** Settles every call with the same error (the client closed). */
  failAll(error: Error): void {
    for (const call of [...this.authQueue, ...this.queue, ...this.inflight.values(), ...this.delayed]) this.settle(call, error);
  }
}

/**
 * A wait with the contract of a call but nothing to send (authenticate()
 * without credentials): `done` runs once, when the owner settles the
 * waiter it finds in `set`, or on the timeout or abort given in `options`.
 */
export function waitInSet(set: Set<Done>, options: CallOptions, defaultTimeout: number, done: Done): void {
  const timeout = options.timeout ?? defaultTimeout;
  const signal = options.signal;
  const settle: Done = (error, data) => {
    if (!set.delete(settle)) return;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    done(error, data);
  };
  const onAbort = () => settle(new RequestAbortedError(signal!.reason));
  set.add(settle);
  const timer = timeout > 0 && timeout <= MAX_TIMER ? setTimeout(() => settle(new RequestTimeoutError(false, timeout)), timeout) : undefined;
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
}
