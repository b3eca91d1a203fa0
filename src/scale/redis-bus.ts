// A Bus over Redis pub/sub, on two connections the application owns: one
// publishes, one subscribes (a RESP2 connection that has subscribed can run
// nothing else). Every bus channel is the Redis channel `prefix + name`;
// Redis channel names are binary-safe, so any group name crosses as it is.
//
// The bus keeps two sets: the channels the adapter wants (`#wanted`) and
// the channels the subscriber connection holds as far as the bus knows
// (`#held`), and it reconciles them one channel at a time, one command in
// flight per channel, so that subscribe / unsubscribe / subscribe in a row
// ends subscribed whatever order the replies come in.
//
// Connection state: the bus is up while both clients are ready. The first
// sign that either is not (its 'error', 'end', 'close' or 'reconnecting',
// read against its isReady / status) reports down(error) once. When both
// are ready again the bus subscribes again to every wanted channel in one
// command and reports up() once that command is answered: node-redis has
// already restored its own subscriptions by then (the command adds
// nothing), ioredis restores them after its 'ready' (our command is queued
// behind its own, so its reply means they are in place), and a client that
// does not restore them (ioredis with autoResubscribe off) gets them back
// from this command. Subscribing a channel the connection already holds is
// a no-op in Redis, and each client delivers through one listener of the
// bus, so a message arrives once.
//
// Publishing while the bus is down fails at once and is counted: neither
// client's offline queue gets the message, so nothing arrives late in a
// burst after a reconnect, and no queue grows during an outage.
import type { Bus, BusEvents, BusStats } from './bus.js';
import { toLink, type Link, type RedisClientLike } from './redis-clients.js';

export type { RedisClientLike, NodeRedisClientLike, IoRedisClientLike, RedisEmitterLike, RedisEventListener } from './redis-clients.js';

export interface RedisBusOptions {
  /** A connected client that publishes (node-redis v4+ or ioredis). */
  publisher: RedisClientLike;
  /**
   * A second connected client, used by the bus for subscriptions only
   * (`publisher.duplicate()` makes one). Not the publisher.
   */
  subscriber: RedisClientLike;
  /** Prepended to every channel name, so deployments can share a Redis. Default 'wsns:'. */
  prefix?: string;
}

/** The prefix of the bus's Redis channels when none is given. */
export const DEFAULT_REDIS_PREFIX = 'wsns:';

/**
 * Calls an adapter's handler from inside a client's event or reply parser,
 * where an exception would cost the connection's later replies (node-redis
 * resets its parser, ioredis throws out of its socket's 'data'). A throwing
 * handler is a bug of its own: raised on its own turn, not swallowed.
 */
function report(run: () => void): void {
  try {
    run();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

export class RedisBus implements Bus {
  readonly #prefix: string;
  readonly #pub: Link;
  readonly #sub: Link;
  #events: BusEvents | undefined;
  #connected = false;
  #closed = false;
  /** down() was reported and up() not yet. */
  #reportedDown = false;
  /** A restore (subscribe-all) is in flight. */
  #restoring = false;
  /** Bumped on every loss and on close(), so a restore begun before it does not report up(). */
  #generation = 0;
  #lastError: Error | undefined;
  #startWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  readonly #wanted = new Set<string>();
  readonly #held = new Set<string>();
  /** Commands in flight per channel. */
  readonly #busy = new Map<string, number>();
  readonly #counts = { published: 0, received: 0, publishFailures: 0 };
  /** whenSubscribed() callers, by channel. */
  readonly #subscribedWaiters = new Map<string, Array<() => void>>();

  constructor(options: RedisBusOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('RedisBus: options { publisher, subscriber } are required');
    const { publisher, subscriber, prefix = DEFAULT_REDIS_PREFIX } = options;
    if (typeof prefix !== 'string') throw new TypeError('RedisBus: prefix must be a string');
    if (publisher === subscriber) {
      throw new TypeError('RedisBus: the publisher and the subscriber must be two connections (client.duplicate() makes the second)');
    }
    this.#pub = toLink(publisher, 'publisher');
    this.#sub = toLink(subscriber, 'subscriber');
    this.#prefix = prefix;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get stats(): BusStats {
    return { ...this.#counts, channels: this.#wanted.size };
  }

  start(_nodeId: string, events: BusEvents): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('RedisBus: closed'));
    if (this.#events) return Promise.reject(new Error('RedisBus: start() was already called'));
    this.#events = events;
    const started = new Promise<void>((resolve, reject) => this.#startWaiters.push({ resolve, reject }));
    const state = (error?: Error): void => this.#refresh(error);
    this.#pub.attach({ state });
    this.#sub.attach({ state, message: (channel, payload) => this.#deliver(channel, payload) });
    this.#refresh();
    return started;
  }

  publish(channel: string, payload: string): void {
    if (!this.#connected || !this.#pub.ready()) {
      this.#counts.publishFailures++;
      return;
    }
    this.#pub.publish(this.#prefix + channel, payload).then(
      () => {
        this.#counts.published++;
      },
      (error: unknown) => {
        this.#counts.publishFailures++;
        this.#noteError(error);
      },
    );
  }

  subscribe(channel: string): void {
    if (this.#closed || this.#wanted.has(channel)) return;
    this.#wanted.add(channel);
    this.#reconcile(channel);
  }

  unsubscribe(channel: string): void {
    if (this.#closed || !this.#wanted.delete(channel)) return;
    this.#reconcile(channel);
  }

  channelName(channel: string): string {
    return this.#prefix + channel;
  }

  whenSubscribed(channel: string): Promise<void> {
    if (this.#connected && this.#held.has(channel) && this.#wanted.has(channel)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.#subscribedWaiters.get(channel);
      if (list === undefined) this.#subscribedWaiters.set(channel, [resolve]);
      else list.push(resolve);
    });
  }

  #wakeSubscribed(channels: Iterable<string>): void {
    if (this.#subscribedWaiters.size === 0 || !this.#connected) return;
    for (const channel of channels) {
      const list = this.#subscribedWaiters.get(channel);
      if (list === undefined || !this.#held.has(channel)) continue;
      this.#subscribedWaiters.delete(channel);
      for (const wake of list) wake();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation++;
    this.#connected = false;
    const waiters = this.#startWaiters.splice(0);
    for (const waiter of waiters) waiter.reject(new Error('RedisBus: closed before it connected'));
    const channels = [...new Set([...this.#wanted, ...this.#held, ...this.#busy.keys()])];
    this.#wanted.clear();
    this.#held.clear();
    if (channels.length > 0) {
      const done = this.#sub.unsubscribe(channels.map((name) => this.#prefix + name)).catch(() => undefined);
      // While the subscriber is offline the command waits in its queue for
      // the reconnect; close() does not wait with it.
      if (this.#sub.ready()) await done;
    }
    // The bus's 'error' listeners go last, once its own commands are settled.
    this.#pub.detach();
    this.#sub.detach();
    this.#events = undefined;
  }

  #deliver(channel: string, payload: string): void {
    const events = this.#events;
    if (this.#closed || events === undefined || !channel.startsWith(this.#prefix)) return;
    const name = channel.slice(this.#prefix.length);
    // Routing by interest: a message still in flight when its channel was
    // unsubscribed is not the adapter's any more.
    if (!this.#wanted.has(name)) return;
    this.#counts.received++;
    report(() => events.message(name, payload));
  }

  #noteError(error: unknown): void {
    this.#lastError = error instanceof Error ? error : new Error(String(error));
  }

  /** Re-reads both clients' state after any of their events. */
  #refresh(error?: Error): void {
    if (error) this.#lastError = error;
    const events = this.#events;
    if (this.#closed || events === undefined) return;
    if (!(this.#pub.ready() && this.#sub.ready())) {
      this.#generation++;
      this.#restoring = false;
      if (this.#connected) {
        this.#connected = false;
        this.#reportDown(events);
      }
      return;
    }
    if (this.#connected || this.#restoring) return;
    this.#restore(events);
  }

  #reportDown(events: BusEvents): void {
    if (this.#reportedDown) return;
    this.#reportedDown = true;
    const error = this.#lastError ?? new Error('RedisBus: the connection to Redis was lost');
    report(() => events.down(error));
  }

  /** Both clients are ready: put every wanted subscription in place, then report up. */
  #restore(events: BusEvents): void {
    this.#restoring = true;
    const generation = this.#generation;
    const channels = [...this.#wanted];
    for (const channel of channels) this.#busy.set(channel, (this.#busy.get(channel) ?? 0) + 1);
    const command = channels.length > 0 ? this.#sub.subscribe(channels.map((name) => this.#prefix + name)) : Promise.resolve();
    command.then(
      () => {
        for (const channel of channels) this.#held.add(channel);
        this.#idle(channels);
        if (generation !== this.#generation || this.#closed) return; // lost again meanwhile: the next 'ready' restores
        this.#restoring = false;
        this.#connected = true;
        for (const waiter of this.#startWaiters.splice(0)) waiter.resolve();
        for (const channel of new Set([...this.#wanted, ...this.#held])) this.#reconcile(channel);
        this.#wakeSubscribed(channels);
        this.#lastError = undefined;
        if (this.#reportedDown) {
          this.#reportedDown = false;
          report(() => events.up());
        }
      },
      (error: unknown) => {
        this.#noteError(error);
        this.#idle(channels);
        if (generation !== this.#generation || this.#closed) return;
        // Refused with both clients ready (an ACL denying SUBSCRIBE, say):
        // not up. The next 'ready' tries again.
        this.#restoring = false;
        const failure = this.#lastError ?? new Error('RedisBus: subscribing failed');
        const waiters = this.#startWaiters.splice(0);
        for (const waiter of waiters) waiter.reject(failure);
        if (waiters.length === 0) this.#reportDown(events);
      },
    );
  }

  #idle(channels: readonly string[]): void {
    for (const channel of channels) {
      const count = (this.#busy.get(channel) ?? 1) - 1;
      if (count > 0) this.#busy.set(channel, count);
      else this.#busy.delete(channel);
    }
  }

  /**
   * One command at a time per channel, while connected; a restore picks up
   * whatever a loss interrupted. A refused command is not retried here
   * (retrying at once would loop): the next restore covers it.
   */
  #reconcile(channel: string): void {
    if (!this.#connected || this.#closed || this.#busy.has(channel)) return;
    const want = this.#wanted.has(channel);
    if (want === this.#held.has(channel)) return;
    this.#busy.set(channel, 1);
    const name = [this.#prefix + channel];
    const command = want ? this.#sub.subscribe(name) : this.#sub.unsubscribe(name);
    command.then(
      () => {
        if (want) this.#held.add(channel);
        else this.#held.delete(channel);
        this.#idle([channel]);
        if (want) this.#wakeSubscribed([channel]);
        this.#reconcile(channel);
      },
      (error: unknown) => {
        this.#noteError(error);
        this.#idle([channel]);
      },
    );
  }
}
