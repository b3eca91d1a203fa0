// Liveness sweeps: the heartbeat (ping every open connection, terminate the
// ones that sent nothing since the previous ping) and the idle timeout
// (close 1001 the ones that delivered no message for a period). One policy
// for both servers. One timer per server, not per connection: a connection
// costs two booleans, set by its socket binding on inbound data (`_alive`)
// and on each delivered message (`_active`), cleared here.

import { OPEN } from './connection.js';

/** The part of a connection the sweeps read and act on. */
export interface Sweepable {
  readonly readyState: number;
  /** Set on any inbound data; cleared by each heartbeat round. */
  _alive: boolean;
  /** Set on each delivered message; cleared by each idle round. */
  _active: boolean;
  ping(): void;
  terminate(): void;
  close(code?: number, reason?: string): void;
}

/** What the sweeps count (the server's stats object). */
export interface SweepCounters {
  heartbeatTimeouts: number;
  idleTimeouts: number;
}

export interface SweepHost<T extends Sweepable> {
  /** The connections to sweep. */
  connections(): Iterable<T>;
  readonly counters: SweepCounters;
  /** Told before a connection that missed its heartbeat is terminated. */
  heartbeatTimeout?(ws: T): void;
}

export class Sweeps<T extends Sweepable> {
  readonly #host: SweepHost<T>;
  #heartbeat: number;
  #idle: number;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  /** When each round is next due (ms, performance-style clock). */
  #nextBeat = 0;
  #nextIdle = 0;

  /** Periods in ms; 0 turns a sweep off. */
  constructor(host: SweepHost<T>, heartbeatInterval: number, idleTimeout: number) {
    this.#host = host;
    this.#heartbeat = heartbeatInterval;
    this.#idle = idleTimeout;
  }

  get heartbeatInterval(): number {
    return this.#heartbeat;
  }

  start(): void {
    this.#running = true;
    const now = performance.now();
    this.#nextBeat = now + this.#heartbeat;
    this.#nextIdle = now + this.#idle;
    this.#schedule(now);
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Changes the heartbeat period (0: off); a running sweep restarts its heartbeat from now. */
  setHeartbeatInterval(ms: number): void {
    this.#heartbeat = ms;
    if (!this.#running) return;
    const now = performance.now();
    this.#nextBeat = now + ms;
    this.#schedule(now);
  }

  #schedule(now: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#running) return;
    let due = Infinity;
    if (this.#heartbeat > 0) due = this.#nextBeat;
    if (this.#idle > 0) due = Math.min(due, this.#nextIdle);
    if (due === Infinity) return;
    this.#timer = setTimeout(this.#tick, Math.max(1, Math.ceil(due - now)));
    this.#timer.unref();
  }

  #tick = (): void => {
    this.#timer = null;
    const now = performance.now();
    // A timer may fire a little early on a coarse clock: 1 ms of slack.
    const beat = this.#heartbeat > 0 && now + 1 >= this.#nextBeat;
    const idle = this.#idle > 0 && now + 1 >= this.#nextIdle;
    if (beat) this.#nextBeat = Math.max(this.#nextBeat + this.#heartbeat, now + 1);
    if (idle) this.#nextIdle = Math.max(this.#nextIdle + this.#idle, now + 1);
    if (beat || idle) this.#sweep(beat, idle);
    this.#schedule(performance.now());
  };

  /** One pass over the connections; a connection is acted on at most once per pass. */
  #sweep(beat: boolean, idle: boolean): void {
    const host = this.#host;
    const counters = host.counters;
    for (const ws of host.connections()) {
      if (ws.readyState !== OPEN) continue;
      if (beat) {
        if (!ws._alive) {
          counters.heartbeatTimeouts++;
          host.heartbeatTimeout?.(ws);
          ws.terminate();
          continue;
        }
        ws._alive = false;
        ws.ping();
      }
      if (idle) {
        if (!ws._active) {
          counters.idleTimeouts++;
          ws.close(1001, 'Idle timeout');
          continue;
        }
        ws._active = false;
      }
    }
  }
}
