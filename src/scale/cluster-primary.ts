// The primary's side of the node:cluster bus: a relay. Workers cannot talk
// to each other, only to the primary over their IPC channel, so the primary
// keeps which node (a ClusterBus in a worker) subscribes to which channel and
// forwards each publish to the workers that have a subscribed node, one IPC
// message per worker however many of its nodes subscribe (routing by
// interest: a worker with no subscribed node receives nothing of a channel).
// The wire format lives here too; ./cluster-bus.ts is the worker's side.
import * as clusterModule from 'node:cluster';
import { type Cluster, type Worker } from 'node:cluster';

// The cluster object itself: the ES build's namespace holds it as `default`,
// the CommonJS build's require() returns it (no interop helper in between).
const cluster = ((clusterModule as { default?: Cluster }).default ?? clusterModule) as Cluster;

/**
 * The key that marks this bus's IPC messages: `{ wsns: 1, op, ... }`. The
 * application's own messages (without it) are never read as ours, and an
 * application's listeners can skip ours with `if (msg?.wsns) return`.
 */
export const WIRE_KEY = 'wsns';
/** The version of the wire format, the value of {@link WIRE_KEY}. */
export const WIRE_VERSION = 1;

/**
 * Worker -> primary: register a node, (un)subscribe, publish, leave.
 * Primary -> worker: `ack`/`nack` of a hello, a relayed message for the
 * listed nodes of that worker, nodes gone, relay stopped (`closed`) or
 * started (`ready`: a bus that is not registered says hello again).
 * @internal
 */
export type WireMessage =
  | { wsns: 1; op: 'hello'; node: string; chs: string[] }
  | { wsns: 1; op: 'sub' | 'unsub'; node: string; ch: string }
  | { wsns: 1; op: 'pub'; node: string; ch: string; p: string }
  | { wsns: 1; op: 'bye'; node: string }
  | { wsns: 1; op: 'ack'; node: string }
  | { wsns: 1; op: 'nack'; node: string; reason: string }
  | { wsns: 1; op: 'msg'; ch: string; p: string; to: string[] }
  | { wsns: 1; op: 'gone'; nodes: string[] }
  | { wsns: 1; op: 'closed' | 'ready' };

/** Our message, or undefined for anything else (the application's, or malformed). @internal */
export function readWire(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  return m[WIRE_KEY] === WIRE_VERSION && typeof m.op === 'string' ? m : undefined;
}

/** Counters of the relay. */
export interface ClusterPrimaryStats {
  /** Workers with at least one registered node. */
  workers: number;
  /** Registered nodes (bus instances) across all workers. */
  nodes: number;
  /** Channels with at least one subscribed node. */
  channels: number;
  /** Publishes received from nodes. */
  published: number;
  /** IPC messages sent to workers carrying a publish (one per destination worker). */
  relayed: number;
  /** Sends to a worker whose channel was backed up (`send()` returned false: queued, not dropped). */
  backpressured: number;
  /** Sends that failed or found the worker's channel closed (the worker is leaving). */
  sendFailures: number;
  /** Messages of our namespace that were malformed or named a node of another worker; ignored. */
  invalid: number;
}

export interface ClusterPrimary {
  readonly stats: Readonly<ClusterPrimaryStats>;
  /**
   * Stops relaying: removes the listeners on `cluster`, tells the workers'
   * buses (they report down()) and forgets every node. A later
   * setupClusterPrimary() starts a new relay that those buses register
   * with again (they then report up()).
   */
  close(): void;
}

let current: Relay | undefined;

/**
 * Starts the relay of the cluster bus in the primary process; call it once,
 * before or after forking workers with cluster.fork(). A second call returns
 * the same handle. Throws outside the primary.
 */
export function setupClusterPrimary(): ClusterPrimary {
  if (!cluster.isPrimary) {
    throw new Error('setupClusterPrimary() must be called in the cluster primary process (cluster.isPrimary is false); workers use new ClusterBus()');
  }
  current ??= new Relay();
  return current;
}

interface NodeEntry {
  worker: Worker;
  channels: Set<string>;
}

class Relay implements ClusterPrimary {
  readonly #nodes = new Map<string, NodeEntry>();
  /** channel -> subscribed node ids */
  readonly #channels = new Map<string, Set<string>>();
  /** worker id -> its node ids */
  readonly #workers = new Map<number, Set<string>>();
  readonly #counts = { published: 0, relayed: 0, backpressured: 0, sendFailures: 0, invalid: 0 };
  #closed = false;

  // One callback for every send (no closure per message): a write error
  // passed to it instead of an 'error' event that would throw without a listener.
  readonly #onSent = (err: Error | null): void => {
    if (err) this.#counts.sendFailures++;
  };
  readonly #onMessage = (worker: Worker, message: unknown): void => this.#receive(worker, message);
  readonly #onLeave = (worker: Worker): void => this.#dropWorker(worker);

  constructor() {
    cluster.on('message', this.#onMessage);
    // 'disconnect' comes first (the IPC channel closed); 'exit' covers a
    // worker killed before its channel reported closing. Dropping is idempotent.
    cluster.on('disconnect', this.#onLeave);
    cluster.on('exit', this.#onLeave);
    // Buses that said hello before this relay existed (their hello found no
    // listener) or to a closed relay register again when told.
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker) this.#send(worker, { wsns: 1, op: 'ready' });
    }
  }

  get stats(): ClusterPrimaryStats {
    return { workers: this.#workers.size, nodes: this.#nodes.size, channels: this.#channels.size, ...this.#counts };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (current === this) current = undefined;
    cluster.removeListener('message', this.#onMessage);
    cluster.removeListener('disconnect', this.#onLeave);
    cluster.removeListener('exit', this.#onLeave);
    for (const id of this.#workers.keys()) {
      const worker = cluster.workers?.[id];
      if (worker) this.#send(worker, { wsns: 1, op: 'closed' });
    }
    this.#nodes.clear();
    this.#channels.clear();
    this.#workers.clear();
  }

  #receive(worker: Worker, message: unknown): void {
    const m = readWire(message);
    if (!m) return; // the application's own message
    const node = m.node;
    if (typeof node !== 'string' || node === '') return void this.#counts.invalid++;
    if (m.op === 'hello') return this.#hello(worker, node, m.chs);
    const entry = this.#nodes.get(node);
    // A node speaks only through the worker that registered it.
    if (!entry || entry.worker.id !== worker.id) return void this.#counts.invalid++;
    switch (m.op) {
      case 'pub':
        if (typeof m.ch !== 'string' || typeof m.p !== 'string') return void this.#counts.invalid++;
        return this.#publish(node, m.ch, m.p);
      case 'sub':
        if (typeof m.ch !== 'string') return void this.#counts.invalid++;
        return this.#subscribe(node, entry, m.ch);
      case 'unsub':
        if (typeof m.ch !== 'string') return void this.#counts.invalid++;
        return this.#unsubscribe(node, entry, m.ch);
      case 'bye':
        this.#dropNode(node);
        return this.#announceGone([node]);
      default:
        this.#counts.invalid++;
    }
  }

  /**
   * Registers a node with its whole subscription set (the hello of a bus
   * starting, or registering again with a new relay): the ack then means
   * these subscriptions are in place. A repeated hello from the same worker
   * replaces the set.
   */
  #hello(worker: Worker, node: string, channels: unknown): void {
    if (!Array.isArray(channels) || !channels.every((ch) => typeof ch === 'string')) return void this.#counts.invalid++;
    let entry = this.#nodes.get(node);
    if (entry && entry.worker.id !== worker.id) {
      this.#send(worker, { wsns: 1, op: 'nack', node, reason: `node id ${JSON.stringify(node)} is already registered by worker ${entry.worker.id}` });
      return;
    }
    if (!entry) {
      this.#nodes.set(node, (entry = { worker, channels: new Set() }));
      let own = this.#workers.get(worker.id);
      if (!own) this.#workers.set(worker.id, (own = new Set()));
      own.add(node);
    }
    const wanted = new Set<string>(channels);
    for (const ch of entry.channels) if (!wanted.has(ch)) this.#unsubscribe(node, entry, ch);
    for (const ch of wanted) this.#subscribe(node, entry, ch);
    this.#send(worker, { wsns: 1, op: 'ack', node });
  }

  #subscribe(node: string, entry: NodeEntry, channel: string): void {
    entry.channels.add(channel);
    let subscribers = this.#channels.get(channel);
    if (!subscribers) this.#channels.set(channel, (subscribers = new Set()));
    subscribers.add(node);
  }

  #unsubscribe(node: string, entry: NodeEntry, channel: string): void {
    entry.channels.delete(channel);
    const subscribers = this.#channels.get(channel);
    if (!subscribers) return;
    subscribers.delete(node);
    if (subscribers.size === 0) this.#channels.delete(channel);
  }

  #publish(from: string, channel: string, payload: string): void {
    this.#counts.published++;
    const subscribers = this.#channels.get(channel);
    if (!subscribers) return;
    // Group the destination nodes by worker: one IPC message per worker.
    const byWorker = new Map<Worker, string[]>();
    for (const node of subscribers) {
      if (node === from) continue; // no echo: the publisher ignores its own messages
      const worker = this.#nodes.get(node)!.worker;
      const list = byWorker.get(worker);
      if (list) list.push(node);
      else byWorker.set(worker, [node]);
    }
    for (const [worker, to] of byWorker) {
      this.#counts.relayed++;
      this.#send(worker, { wsns: 1, op: 'msg', ch: channel, p: payload, to });
    }
  }

  #dropNode(node: string): void {
    const entry = this.#nodes.get(node);
    if (!entry) return;
    for (const channel of entry.channels) this.#unsubscribe(node, entry, channel);
    this.#nodes.delete(node);
    const own = this.#workers.get(entry.worker.id);
    own?.delete(node);
    if (own?.size === 0) this.#workers.delete(entry.worker.id);
  }

  #dropWorker(worker: Worker): void {
    const own = this.#workers.get(worker.id);
    if (!own) return;
    const gone = [...own];
    for (const node of gone) this.#dropNode(node);
    this.#workers.delete(worker.id);
    this.#announceGone(gone);
  }

  /**
   * Tells every worker that still has a node that these nodes left for sure
   * (they are already dropped, so their own worker is told only if it holds
   * other nodes: a closed bus's siblings learn it too).
   */
  #announceGone(nodes: string[]): void {
    for (const own of this.#workers.values()) {
      const worker = this.#nodes.get(own.values().next().value!)!.worker;
      this.#send(worker, { wsns: 1, op: 'gone', nodes });
    }
  }

  #send(worker: Worker, message: WireMessage): void {
    // A worker whose channel closed is leaving ('disconnect' follows): a
    // send now would only fail, so it is counted and skipped.
    if (!worker.isConnected()) return void this.#counts.sendFailures++;
    try {
      // false: Node queued the message behind a backed-up channel. It is
      // still delivered in order; nothing is dropped, the count says so.
      if (!worker.send(message, undefined, undefined, this.#onSent)) this.#counts.backpressured++;
    } catch {
      this.#counts.sendFailures++;
    }
  }
}
