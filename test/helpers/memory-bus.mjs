// An in-memory broker for the remote adapter's tests: several
// WebSocketNodeServers in one process, each with a RemoteAdapter over its own
// MemoryBus, all joined by one MemoryBroker. It delivers asynchronously and
// in order, like a real broker, counts what each node received per channel
// (so a test can check routing by interest), and can be taken down and
// brought back (messages published meanwhile are lost, as with pub/sub).
export class MemoryBroker {
  /** @type {Set<MemoryBus>} */
  buses = new Set();
  up = true;

  down() {
    this.up = false;
    for (const bus of this.buses) bus.lost();
  }
  restore() {
    this.up = true;
    for (const bus of this.buses) bus.back();
  }
  deliver(from, channel, payload) {
    for (const bus of this.buses) {
      if (bus !== from && bus.channels.has(channel) && !bus.muted) queueMicrotask(() => bus.receive(channel, payload));
    }
  }
}

export class MemoryBus {
  channels = new Set();
  /** channel -> messages received */
  receivedOn = new Map();
  stats = { published: 0, received: 0, publishFailures: 0, channels: 0 };
  /** A muted bus neither sends nor receives: its process looks hung to the others. */
  muted = false;
  #events = null;

  constructor(broker) {
    this.broker = broker;
  }
  get connected() {
    return this.broker.up;
  }
  async start(nodeId, events) {
    this.nodeId = nodeId;
    this.#events = events;
    this.broker.buses.add(this);
  }
  publish(channel, payload) {
    if (!this.broker.up) {
      this.stats.publishFailures++;
      return;
    }
    if (this.muted) return;
    this.stats.published++;
    this.broker.deliver(this, channel, payload);
  }
  subscribe(channel) {
    this.channels.add(channel);
    this.stats.channels = this.channels.size;
  }
  unsubscribe(channel) {
    this.channels.delete(channel);
    this.stats.channels = this.channels.size;
  }
  receive(channel, payload) {
    if (!this.channels.has(channel) || !this.broker.up || this.muted) return;
    this.stats.received++;
    this.receivedOn.set(channel, (this.receivedOn.get(channel) ?? 0) + 1);
    this.#events.message(channel, payload);
  }
  lost() {
    this.#events?.down(new Error('broker lost'));
  }
  back() {
    this.#events?.up();
  }
  /** The broker tells the others that this node's process exited. */
  exitNode() {
    this.broker.buses.delete(this);
    for (const bus of this.broker.buses) bus.#events?.nodeGone?.(this.nodeId);
  }
  async close() {
    this.broker.buses.delete(this);
    this.channels.clear();
  }
}
