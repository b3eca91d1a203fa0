// Session expiry: a session started with `expiresIn` (or given one with
// session.setExpiry()) is closed with 4001 ("Session expired") unless its
// client refreshes it first. Its client of our protocol is told `expiring`
// a little before, so that it can refresh in time. One timer per session
// that has an expiry, unref'd; a session without one costs nothing here.

import type { Session } from './session.js';

/** The close code of an expired session (docs/protocol.md, close codes). */
export const SESSION_EXPIRED = 4001;

/** What the expiry clock does when its timers fire. */
export interface ExpiryHost {
  /** Pushes `expiring` to the session's client (our protocol only). */
  notice(session: Session<unknown>, remaining: number): void;
  /** The expiry passed: closes the session (live or retained for a resume). */
  expire(session: Session<unknown>): void;
}

interface Deadline {
  at: number;
  timer: NodeJS.Timeout;
  /** The `expiring` notice is due or sent (the timer now waits for the expiry itself). */
  noticed: boolean;
}

export class ExpiryClock {
  readonly #deadlines = new Map<Session<unknown>, Deadline>();
  /** Sessions whose expiry passed: a resume of one is refused. */
  readonly #expired = new WeakSet<Session<unknown>>();
  readonly #notice: number;
  readonly #host: ExpiryHost;

  constructor(notice: number, host: ExpiryHost) {
    this.#notice = notice;
    this.#host = host;
  }

  /** Sets the expiry `ms` from now (replacing any earlier one), or cancels it (null). */
  set(session: Session<unknown>, ms: number | null): void {
    this.clear(session);
    if (ms === null) return;
    this.#expired.delete(session);
    const at = Date.now() + ms;
    // Told `notice` ms before, or at two thirds of a shorter lifetime, so
    // that the client has time left to refresh.
    const lead = Math.min(this.#notice, ms / 3);
    this.#arm(session, at, Math.max(0, ms - lead), true);
  }

  #arm(session: Session<unknown>, at: number, delay: number, notice: boolean): void {
    const timer = setTimeout(() => {
      if (this.#deadlines.get(session)?.timer !== timer) return;
      if (notice) {
        const remaining = Math.max(0, at - Date.now());
        this.#arm(session, at, remaining, false);
        this.#host.notice(session, remaining);
        return;
      }
      this.#deadlines.delete(session);
      this.#expired.add(session);
      this.#host.expire(session);
    }, delay);
    timer.unref();
    this.#deadlines.set(session, { at, timer, noticed: !notice });
  }

  /**
   * A session came back on a new connection (a resume): if its notice fell
   * while it was away, it is told again now, so that its client refreshes
   * in time instead of being closed with 4001.
   */
  renotice(session: Session<unknown>): void {
    const d = this.#deadlines.get(session);
    if (d !== undefined && d.noticed) this.#host.notice(session, Math.max(0, d.at - Date.now()));
  }

  /** Milliseconds left; 0 once expired; null without an expiry. */
  remaining(session: Session<unknown>): number | null {
    if (this.#expired.has(session)) return 0;
    const d = this.#deadlines.get(session);
    return d === undefined ? null : Math.max(0, d.at - Date.now());
  }

  /** Cancels the session's timer (its expiry was lifted, or the session ended). */
  clear(session: Session<unknown>): void {
    const d = this.#deadlines.get(session);
    if (d === undefined) return;
    clearTimeout(d.timer);
    this.#deadlines.delete(session);
  }

  /** Sessions with a running expiry (for tests and stats). */
  get size(): number {
    return this.#deadlines.size;
  }
}
