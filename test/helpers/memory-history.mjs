// An in-memory SharedHistory (src/router/shared-history.ts) for the tests of
// session recovery across nodes: one instance shared by several servers of
// one process, publishing through a MemoryBroker (./memory-bus.mjs) to every
// subscribed bus, the publisher's included, in the same step as the append
// (what the Redis store does with one script). `down()` makes every call
// fail as an unreachable store would; `calls` counts calls per method.
import { randomBytes } from 'node:crypto';

export class MemoryHistory {
  /** stream -> { e, o, entries: [{ offset, time, text, except }] } */
  streams = new Map();
  /** id -> { record, until } */
  records = new Map();
  calls = {};
  up = true;
  seq = 0;
  stats = { failures: 0 };

  constructor(broker, limits = { maxMessages: 1000, maxAge: 120_000 }) {
    this.broker = broker;
    this.limits = limits;
  }

  /** The factory a RemoteAdapter takes: every node gets this same store. */
  factory() {
    return (limits) => {
      this.limits = limits;
      return this;
    };
  }

  #call(name) {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    if (!this.up) {
      this.stats.failures++;
      return false;
    }
    return true;
  }

  #stream(name) {
    let s = this.streams.get(name);
    if (s === undefined) this.streams.set(name, (s = { e: randomBytes(6).toString('base64url'), o: 0, entries: [] }));
    return s;
  }

  #append(stream, text, except) {
    const s = this.#stream(stream);
    const offset = ++s.o;
    const full = `${text.slice(0, -1)},"pos":{"s":${JSON.stringify(stream)},"e":"${s.e}","o":${offset}}}`;
    const entry = { stream, offset, epoch: s.e, text: full, except, time: Date.now(), seq: ++this.seq };
    s.entries.push(entry);
    if (s.entries.length > this.limits.maxMessages) s.entries.shift();
    return entry;
  }

  async publish(stream, text, except, channel, head) {
    if (!this.#call('publish')) return false;
    const entry = this.#append(stream, text, except);
    const payload = `${head}${entry.offset}\n${entry.text}`;
    for (const bus of this.broker.buses) {
      if (bus.channels.has(channel) && !bus.muted) queueMicrotask(() => bus.receive(channel, payload));
    }
    return true;
  }

  async appendOwned(stream, text, session, node) {
    if (!this.#call('appendOwned')) return null;
    if (this.records.get(session)?.record.node !== node) return null;
    return this.#append(stream, text, null);
  }

  async position(stream) {
    if (!this.#call('position')) throw new Error('store down');
    const s = this.#stream(stream);
    return { e: s.e, o: s.o };
  }

  async since(stream, from) {
    if (!this.#call('since')) return null;
    const s = this.streams.get(stream);
    if (s === undefined || s.e !== from.e || from.o > s.o || from.o < 0) return null;
    if (from.o === s.o) return [];
    const oldest = s.entries[0]?.offset ?? s.o + 1;
    if (from.o + 1 < oldest) return null;
    return s.entries.filter((entry) => entry.offset > from.o);
  }

  async save(id, record, ttl) {
    if (!this.#call('save')) return false;
    this.records.set(id, { record: structuredClone(record), until: Date.now() + ttl });
    return true;
  }

  async claim(id, hash, node, now) {
    if (!this.#call('claim')) return null;
    const held = this.records.get(id);
    if (held === undefined || held.until < now || held.record.hash !== hash) return null;
    if (held.record.state === 'retained' && held.record.expires < now) return null;
    const previous = structuredClone(held.record);
    held.record.node = node;
    held.record.state = 'claimed';
    return previous;
  }

  async finish(id, node) {
    if (!this.#call('finish')) return false;
    if (this.records.get(id)?.record.node !== node) return false;
    this.records.delete(id);
    this.streams.delete(`u:${id}`);
    return true;
  }

  touch(ids, ttl) {
    if (!this.#call('touch')) return;
    for (const id of ids) {
      const held = this.records.get(id);
      if (held !== undefined) held.until = Date.now() + ttl;
    }
  }
}
