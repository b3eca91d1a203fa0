// The node:cluster bus, worker side: a Bus over the IPC channel that
// node:cluster opens between each worker and the primary, relayed by
// setupClusterPrimary() (./cluster-primary.ts). No broker and no dependency:
// the primary is the broker, and it routes by interest, so a worker receives
// a channel's messages only while one of its nodes subscribes to it.
//
// The messages are plain objects tagged `{ wsns: 1, op, ... }` (see
// WireMessage): with the default 'json' serialization a payload is a JSON
// string inside them, with 'advanced' a structured-clone string; both carry
// any text intact. An application's own process.on('message') listeners see
// them too (node:cluster emits every IPC message there) and can skip them
// with `if (msg?.wsns) return`; this bus reads only messages so tagged.
//
// A worker's IPC channel never comes back once closed. node:cluster itself
// exits a worker whose channel closes unless the worker called
// cluster.worker.disconnect(), so down() on a lost channel is seen only in
// that graceful case; the bus is then final (never up() again). down() and
// up() otherwise follow the relay: ClusterPrimary.close() and a new
// setupClusterPrimary().
import * as clusterModule from 'node:cluster';
import { type Cluster } from 'node:cluster';

// The cluster object itself: the ES build's namespace holds it as `default`,
// the CommonJS build's require() returns it (no interop helper in between).
const cluster = ((clusterModule as { default?: Cluster }).default ?? clusterModule) as Cluster;
import type { Bus, BusEvents, BusStats } from './bus.js';
import { readWire, type WireMessage } from './cluster-primary.js';

export { setupClusterPrimary, WIRE_KEY, type ClusterPrimary, type ClusterPrimaryStats } from './cluster-primary.js';

export interface ClusterBusOptions {
  /**
   * How long start() waits for the primary's answer before it rejects
   * (the primary did not call setupClusterPrimary()). Default 5000 ms.
   */
  startTimeout?: number;
}

export const CLUSTER_BUS_DEFAULTS = { startTimeout: 5000 } as const;

export interface ClusterBusStats extends BusStats {
  /**
   * Sends that found the IPC channel backed up (process.send() returned
   * false). Node still queues such a message and delivers it in order:
   * nothing is dropped, but a growing count means the primary (or a worker
   * it relays to) does not keep up.
   */
  backpressured: number;
}

type State =
  | 'new' // start() not called yet
  | 'starting' // hello sent, waiting for the primary's ack
  | 'up' // registered: publishes and subscriptions reach the primary
  | 'down' // the primary's relay closed; waiting for a new one ('ready')
  | 'gone' // the IPC channel closed: final
  | 'closed';

/** Runs `fn` for each bus; an exception of one bus's handler does not starve the others, and is rethrown after. */
function each<T>(items: Iterable<T>, fn: (item: T) => void): void {
  let failure: { error: unknown } | undefined;
  for (const item of items) {
    try {
      fn(item);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) {
    const { error } = failure;
    process.nextTick(() => {
      throw error;
    });
  }
}

// A failed write is followed by the channel's 'disconnect', which is what
// the buses report; the callback only keeps the failure from becoming an
// 'error' event on process (uncaught without a listener).
const ignoreSent = (): void => {};

export class ClusterBus implements Bus {
  /** The buses of this process by node id: one IPC listener serves them all. */
  static readonly #buses = new Map<string, ClusterBus>();

  static #install(): void {
    process.on('message', ClusterBus.#onMessage);
    process.on('disconnect', ClusterBus.#onDisconnect);
  }

  static #uninstall(): void {
    process.removeListener('message', ClusterBus.#onMessage);
    process.removeListener('disconnect', ClusterBus.#onDisconnect);
  }

  static readonly #onMessage = (message: unknown): void => {
    const m = readWire(message);
    if (!m) return; // the application's own message
    const buses = ClusterBus.#buses;
    switch (m.op) {
      case 'msg': {
        const { ch, p, to } = m;
        if (typeof ch !== 'string' || typeof p !== 'string' || !Array.isArray(to)) return;
        const targets: ClusterBus[] = [];
        for (const id of to) {
          const bus = typeof id === 'string' ? buses.get(id) : undefined;
          if (bus) targets.push(bus);
        }
        return each(targets, (bus) => bus.#deliver(ch, p));
      }
      case 'gone': {
        if (!Array.isArray(m.nodes)) return;
        const nodes = m.nodes.filter((n): n is string => typeof n === 'string');
        return each([...buses.values()], (bus) => bus.#nodeGone(nodes));
      }
      case 'ack':
      case 'nack': {
        const bus = typeof m.node === 'string' ? buses.get(m.node) : undefined;
        if (!bus) return;
        if (m.op === 'ack') bus.#acked();
        else bus.#refused(String(m.reason));
        return;
      }
      case 'closed':
        return each([...buses.values()], (bus) => bus.#relayClosed());
      case 'ready':
        // A new relay: buses it does not know yet say hello (again).
        for (const bus of buses.values()) {
          if (bus.#state === 'starting' || bus.#state === 'down') bus.#hello();
        }
        return;
    }
  };

  static readonly #onDisconnect = (): void => {
    each([...ClusterBus.#buses.values()], (bus) => bus.#channelClosed());
  };

  readonly #startTimeout: number;
  #state: State = 'new';
  #node = '';
  #events: BusEvents | undefined;
  readonly #channels = new Set<string>();
  /** The channels the last hello carried. */
  #announced: string[] = [];
  readonly #counts = { published: 0, received: 0, publishFailures: 0, backpressured: 0 };
  #pending: { resolve(): void; reject(error: Error): void; timer: NodeJS.Timeout } | undefined;
  readonly #onPublished = (err: Error | null): void => {
    if (err) this.#counts.publishFailures++;
  };

  constructor(options: ClusterBusOptions = {}) {
    this.#startTimeout = options.startTimeout ?? CLUSTER_BUS_DEFAULTS.startTimeout;
  }

  get connected(): boolean {
    return this.#state === 'up';
  }

  get stats(): ClusterBusStats {
    return { ...this.#counts, channels: this.#channels.size };
  }

  start(nodeId: string, events: BusEvents): Promise<void> {
    if (this.#state !== 'new') return Promise.reject(new Error('ClusterBus.start() was already called'));
    if (!cluster.isWorker || typeof process.send !== 'function') {
      return Promise.reject(new Error('ClusterBus runs in a node:cluster worker (cluster.isWorker is false); the primary calls setupClusterPrimary()'));
    }
    if (!process.connected) return Promise.reject(new Error('ClusterBus: the IPC channel to the cluster primary is closed'));
    if (typeof nodeId !== 'string' || nodeId === '') return Promise.reject(new TypeError('ClusterBus: the node id must be a non-empty string'));
    const buses = ClusterBus.#buses;
    if (buses.has(nodeId)) return Promise.reject(new Error(`ClusterBus: node id ${JSON.stringify(nodeId)} is already used by another bus of this process`));
    this.#node = nodeId;
    this.#events = events;
    this.#state = 'starting';
    if (buses.size === 0) ClusterBus.#install();
    buses.set(nodeId, this);
    return new Promise<void>((resolve, reject) => {
      const ms = this.#startTimeout;
      const timer = setTimeout(() => {
        this.#abortStart(new Error(`ClusterBus: the cluster primary did not answer within ${ms} ms; call setupClusterPrimary() in the primary process`));
      }, ms);
      this.#pending = { resolve, reject, timer };
      this.#hello();
    });
  }

  publish(channel: string, payload: string): void {
    if (this.#state !== 'up' || typeof channel !== 'string' || typeof payload !== 'string') {
      this.#counts.publishFailures++;
      return;
    }
    if (this.#send({ wsns: 1, op: 'pub', node: this.#node, ch: channel, p: payload }, this.#onPublished)) this.#counts.published++;
    else this.#counts.publishFailures++;
  }

  subscribe(channel: string): void {
    if (typeof channel !== 'string' || this.#channels.has(channel) || this.#state === 'closed') return;
    this.#channels.add(channel);
    // Before the primary's ack the set is only recorded (#acked() sends what the hello did not carry).
    if (this.#state === 'up') this.#send({ wsns: 1, op: 'sub', node: this.#node, ch: channel });
  }

  unsubscribe(channel: string): void {
    if (!this.#channels.delete(channel)) return;
    if (this.#state === 'up') this.#send({ wsns: 1, op: 'unsub', node: this.#node, ch: channel });
  }

  close(): Promise<void> {
    const was = this.#state;
    if (was === 'closed') return Promise.resolve();
    this.#state = 'closed';
    this.#channels.clear();
    if (was !== 'new') {
      // The primary drops the node and its subscriptions, and tells the
      // other nodes it left (even a hello still unanswered may have registered it).
      if (was !== 'gone') this.#send({ wsns: 1, op: 'bye', node: this.#node });
      this.#settle(new Error('ClusterBus was closed before start() completed'));
      const buses = ClusterBus.#buses;
      if (buses.get(this.#node) === this) buses.delete(this.#node);
      if (buses.size === 0) ClusterBus.#uninstall();
    }
    return Promise.resolve();
  }

  #deliver(channel: string, payload: string): void {
    // A message already on its way when unsubscribe() was called is not delivered.
    if (this.#state !== 'up' || !this.#channels.has(channel)) return;
    this.#counts.received++;
    this.#events!.message(channel, payload);
  }

  #nodeGone(nodes: string[]): void {
    if (this.#state !== 'up' || !this.#events!.nodeGone) return;
    for (const node of nodes) if (node !== this.#node) this.#events!.nodeGone(node);
  }

  /** Registers with the primary, carrying the subscriptions: its ack means they are in place. */
  #hello(): void {
    this.#announced = [...this.#channels];
    this.#send({ wsns: 1, op: 'hello', node: this.#node, chs: this.#announced });
  }

  #acked(): void {
    if (this.#state !== 'starting' && this.#state !== 'down') return; // a duplicate ack
    const restarting = this.#state === 'down';
    this.#state = 'up';
    // (Un)subscriptions made since the last hello; they follow it in order.
    const announced = new Set(this.#announced);
    for (const ch of announced) if (!this.#channels.has(ch)) this.#send({ wsns: 1, op: 'unsub', node: this.#node, ch });
    for (const ch of this.#channels) if (!announced.has(ch)) this.#send({ wsns: 1, op: 'sub', node: this.#node, ch });
    this.#announced = [];
    if (restarting) this.#events!.up();
    else this.#settle();
  }

  #refused(reason: string): void {
    if (this.#state === 'starting') this.#abortStart(new Error(`ClusterBus: the cluster primary refused the node: ${reason}`), true);
  }

  #relayClosed(): void {
    if (this.#state !== 'up') return;
    this.#state = 'down';
    this.#events!.down(new Error('ClusterBus: the cluster primary stopped relaying (its ClusterPrimary was closed)'));
  }

  #channelClosed(): void {
    const was = this.#state;
    if (was === 'closed' || was === 'gone') return;
    this.#state = 'gone';
    const error = new Error('ClusterBus: the IPC channel to the cluster primary is closed');
    if (was === 'starting') this.#settle(error);
    else if (was === 'up') this.#events!.down(error);
  }

  /**
   * A start() that fails: the node is unregistered, and after a timeout
   * the primary is told too (a relay set up late may have registered it).
   */
  #abortStart(error: Error, refused = false): void {
    if (!refused) this.#send({ wsns: 1, op: 'bye', node: this.#node });
    this.#state = 'closed';
    this.#channels.clear();
    const buses = ClusterBus.#buses;
    if (buses.get(this.#node) === this) buses.delete(this.#node);
    if (buses.size === 0) ClusterBus.#uninstall();
    this.#settle(error);
  }

  /** Resolves (no error) or rejects the pending start(), once. */
  #settle(error?: Error): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve();
  }

  /** Sends one message to the primary; false when it could not be handed to the channel. */
  #send(message: WireMessage, onSent: (err: Error | null) => void = ignoreSent): boolean {
    if (!process.connected || typeof process.send !== 'function') return false;
    try {
      // false: queued behind a backed-up channel, still delivered in order.
      if (!process.send(message, undefined, undefined, onSent)) this.#counts.backpressured++;
      return true;
    } catch {
      return false;
    }
  }
}
