// Pacing of presence announcements. One `update` costs the server a presence
// event per available client, so at the message rate limit one client could
// keep the event loop busy and flood everyone. Instead, a session's changes
// are coalesced (the first after a quiet spell goes out at once; later ones
// within `coalesceMs` wait for the end of the window, and only the state at
// that time is announced) and each announcement is charged its recipients
// against the session's budget (./budget.ts); over it, the announcement
// waits. Nothing is ever refused: the `update` answer does not depend on
// this, and the latest state always goes out. A disconnect is announced by
// the router at once and cancels what is pending, so per subject the order
// of announcements is the order of the changes.

import { performance } from 'node:perf_hooks';
import { fullBudget, spend, waitFor, type Budget } from './budget.js';
import type { Peer } from './registry.js';
import type { PresenceOptions } from './types.js';

/** One session's pacing state; exists only for sessions that changed their public state. */
interface Pacing extends Budget {
  /** performance.now() before which a change waits for the end of the window. */
  quietUntil: number;
  timer: NodeJS.Timeout | null;
  /** The state last announced: a change undone within the window is not announced. */
  alias: string | null | undefined;
  available: boolean | undefined;
}

export interface PresenceHost {
  /** Announces the subject's current public state; returns how many clients it was written to. */
  announce(subject: Peer): number;
}

export class PresencePacer {
  /** Changes merged into a later announcement or held back by the budget. */
  deferred = 0;
  readonly #pacing = new Map<Peer, Pacing>();
  readonly #options: Required<PresenceOptions>;
  readonly #host: PresenceHost;

  constructor(options: Required<PresenceOptions>, host: PresenceHost) {
    this.#options = options;
    this.#host = host;
  }

  /** A live session's alias or availability changed. */
  changed(peer: Peer): void {
    const { coalesceMs, deliveriesPerSecond } = this.#options;
    if (coalesceMs === 0 && deliveriesPerSecond === 0) {
      this.#host.announce(peer);
      return;
    }
    const now = performance.now();
    let p = this.#pacing.get(peer);
    if (p === undefined) {
      p = { ...fullBudget(deliveriesPerSecond, now), quietUntil: 0, timer: null, alias: undefined, available: undefined };
      this.#pacing.set(peer, p);
    }
    if (p.timer !== null) {
      // The pending announcement reads the state when it goes out: it carries this change too.
      this.deferred++;
      return;
    }
    const wait = this.#wait(p, now);
    if (wait === 0) this.#send(peer, p, now);
    else {
      this.deferred++;
      this.#schedule(peer, p, wait);
    }
  }

  /** The session ended: its disconnect announcement supersedes anything pending. */
  gone(peer: Peer): void {
    const p = this.#pacing.get(peer);
    if (p === undefined) return;
    if (p.timer !== null) clearTimeout(p.timer);
    this.#pacing.delete(peer);
  }

  #wait(p: Pacing, now: number): number {
    const rate = this.#options.deliveriesPerSecond;
    const budget = rate > 0 ? waitFor(p, rate, now) : 0;
    return Math.max(p.quietUntil - now, budget, 0);
  }

  #send(peer: Peer, p: Pacing, now: number): void {
    const session = peer.session!;
    p.alias = session.alias;
    p.available = session.available;
    p.quietUntil = now + this.#options.coalesceMs;
    const recipients = this.#host.announce(peer);
    const rate = this.#options.deliveriesPerSecond;
    if (rate > 0) spend(p, rate, recipients, now);
  }

  #schedule(peer: Peer, p: Pacing, ms: number): void {
    p.timer = setTimeout(() => this.#due(peer), Math.ceil(ms));
    // The server's listening socket keeps the process alive, not this.
    p.timer.unref();
  }

  #due(peer: Peer): void {
    const p = this.#pacing.get(peer);
    if (p === undefined) return;
    p.timer = null;
    if (peer.state !== 'open') return;
    const session = peer.session!;
    if (session.alias === p.alias && session.available === p.available) return;
    const now = performance.now();
    const wait = this.#wait(p, now);
    if (wait > 0) this.#schedule(peer, p, wait);
    else this.#send(peer, p, now);
  }
}
