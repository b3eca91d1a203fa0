// The remote adapter: one server process (a node) among several, over a Bus
// (./bus.ts). What it publishes, and who hears it:
//
//   channel      subscribed by                      carries
//   all          every node                         broadcasts to everyone
//   g:<group>    nodes with a local member of it    the group's broadcasts
//   state        every node                         session changes, heartbeats, hello/bye, queries
//   n:<node>     that node only                     private messages, snapshots, answers
//
// A broadcast is published once, as the text our protocol sends, and each
// node writes it to its own recipients through its encode-once fan-out. A
// group's traffic reaches only the nodes that have a member (they subscribe
// on the first local member and unsubscribe after the last). A private
// message goes to the one node that holds the recipient. Each node keeps
// the public state of every other node's sessions (./replica.ts), following
// each node's numbered stream of changes; a gap in the numbers (a message
// lost while the broker was away) makes it ask that node for a snapshot.
// Nodes send heartbeats; one not heard from for `nodeTimeout` ms is
// forgotten, and its sessions are announced as disconnected.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Adapter, AdapterNode, AdapterStats, BroadcastMessage, NodeQuery, QueryAnswers, RemoteClient } from '../router/adapter.js';
import type { PublicClient } from '../router/wire.js';
import type { SharedHistory } from '../router/shared-history.js';
import type { Bus, BusEvents } from './bus.js';
import { Replica, type NodeEntry } from './replica.js';
import { deadline, Requests } from './requests.js';

/** Timing of a remote adapter (docs/scaling.md). */
export interface RemoteAdapterOptions {
  /** How often this node tells the others it is alive, in ms (default 1000). */
  heartbeatInterval?: number;
  /** A node not heard from for this long, in ms, is forgotten with its sessions (default 5000). */
  nodeTimeout?: number;
  /** How long a private message waits for the recipient's node to confirm delivery, in ms (default 3000). */
  requestTimeout?: number;
  /** How long the server's listen() waits for the broker before it rejects, in ms (default 10000). */
  startTimeout?: number;
}

export const REMOTE_DEFAULTS = { heartbeatInterval: 1000, nodeTimeout: 5000, requestTimeout: 3000, startTimeout: 10_000 } as const;

const ALL = 'all';
const STATE = 'state';
const groupChannel = (group: string): string => `g:${group}`;
const nodeChannel = (node: string): string => `n:${node}`;

// Message kinds: the character after the sender's id and a newline.
const BROADCAST = 'b';
const CHANGE = 's';
const HEARTBEAT = 'h';
const HELLO = 'H';
const BYE = 'x';
const SNAPSHOT_PLEASE = 'y';
const SNAPSHOT = 'Y';
const PRIVATE = 'p';
const DELIVERED = 'P';
const QUERY = 'q';
const ANSWER = 'Q';
// A broadcast recorded in the shared history: published by the store's
// script, so it reaches its sender's node too (every node delivers entries
// in the order the store numbered them).
const RECORDED = 'R';
const MOVED = 'm';

/** Makes the shared recovery store of an adapter whose broker keeps one (Redis). */
export type HistoryFactory = (limits: { maxMessages: number; maxAge: number }) => SharedHistory;

export class RemoteAdapter implements Adapter {
  readonly shared = true;
  readonly nodeId = randomUUID();
  readonly #kind: string;
  readonly #bus: Bus;
  readonly #options: Required<RemoteAdapterOptions>;
  readonly #replica = new Replica();
  readonly #requests = new Requests();
  readonly #groups = new Set<string>();
  readonly #prefix: string;
  #node: AdapterNode | null = null;
  /** Number of this node's last session change. */
  #seq = 0;
  #timer: NodeJS.Timeout | null = null;
  #state: 'new' | 'started' | 'closed' = 'new';
  #outages = 0;
  #expired = 0;

  readonly #historyFactory: HistoryFactory | null;
  #history: SharedHistory | null = null;

  constructor(kind: string, bus: Bus, options: RemoteAdapterOptions = {}, history: HistoryFactory | null = null) {
    this.#kind = kind;
    this.#bus = bus;
    this.#historyFactory = history;
    const o = { ...REMOTE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    for (const key of ['heartbeatInterval', 'nodeTimeout', 'requestTimeout', 'startTimeout'] as const) {
      if (!Number.isFinite(o[key]) || o[key] <= 0) throw new RangeError(`option ${key} must be a positive number of ms`);
    }
    if (o.nodeTimeout <= o.heartbeatInterval) throw new RangeError('option nodeTimeout must be longer than heartbeatInterval');
    this.#options = o;
    this.#prefix = `${this.nodeId}\n`;
  }

  async start(node: AdapterNode): Promise<void> {
    if (this.#state === 'started') throw new Error('an adapter serves one server: this one was started already');
    if (this.#state === 'closed') throw new Error('this adapter is closed (or could not reach its broker): create a new one');
    this.#node = node;
    const events: BusEvents = {
      message: (channel, payload) => this.#receive(channel, payload),
      down: (error) => this.#down(error),
      up: () => this.#up(),
      nodeGone: (id) => this.#forget(id),
    };
    // Subscribed before the bus starts, so they are in place when it resolves:
    // the snapshots that answer this node's hello must find its channel open.
    for (const channel of [ALL, STATE, nodeChannel(this.nodeId)]) this.#bus.subscribe(channel);
    for (const group of this.#groups) this.#bus.subscribe(groupChannel(group));
    try {
      await deadline(this.#bus.start(this.nodeId, events), this.#options.startTimeout, this.#kind);
    } catch (error) {
      // A bus starts once: this adapter is spent, and the next try takes a new one.
      this.#state = 'closed';
      await this.#bus.close().catch(() => undefined);
      throw error;
    }
    this.#state = 'started';
    this.#publish(STATE, HELLO, String(this.#seq));
    this.#timer = setInterval(() => this.#beat(), this.#options.heartbeatInterval);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#state !== 'started') return;
    this.#state = 'closed';
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    // The others forget this node at once rather than after its heartbeats stop.
    this.#publish(STATE, BYE, '');
    this.#requests.settleAll();
    await this.#bus.close();
  }

  broadcast(message: BroadcastMessage): void {
    this.#publish(message.group === null ? ALL : groupChannel(message.group), BROADCAST, `${message.except ?? ''}\n${message.text}`);
  }

  sharedHistory(limits: { maxMessages: number; maxAge: number }): SharedHistory | null {
    if (this.#historyFactory === null) return null;
    this.#history ??= this.#historyFactory(limits);
    return this.#history;
  }

  recordBroadcast(message: BroadcastMessage, stream: string): Promise<boolean> {
    const history = this.#history;
    if (history === null || this.#state !== 'started' || !this.#bus.connected) return Promise.resolve(false);
    const channel = message.group === null ? ALL : groupChannel(message.group);
    const name = this.#bus.channelName?.(channel) ?? channel;
    // The store appends the offset and the text with its position to this head.
    const head = `${this.#prefix}${RECORDED}\n${message.except ?? ''}\n${stream}\n`;
    return history.publish(stream, message.text, message.except, name, head);
  }

  sessionMoved(id: string, node: string): void {
    if (node !== this.nodeId) this.#publish(nodeChannel(node), MOVED, id);
  }

  whenInterested(group: string | null): Promise<void> {
    const wait = this.#bus.whenSubscribed;
    if (wait === undefined || this.#state !== 'started') return Promise.resolve();
    return wait.call(this.#bus, group === null ? ALL : groupChannel(group));
  }

  groupOpened(group: string): void {
    this.#groups.add(group);
    if (this.#state === 'started') this.#bus.subscribe(groupChannel(group));
  }

  groupClosed(group: string): void {
    this.#groups.delete(group);
    if (this.#state === 'started') this.#bus.unsubscribe(groupChannel(group));
  }

  sessionState(client: PublicClient, announce: boolean): void {
    this.#seq++;
    this.#publish(STATE, CHANGE, JSON.stringify({ q: this.#seq, c: client, a: announce }));
  }

  remoteById(id: string): RemoteClient | null {
    return this.#replica.byId(id);
  }
  remoteByAlias(alias: string): readonly RemoteClient[] {
    return this.#replica.byAlias(alias);
  }
  remoteClients(): Iterable<RemoteClient> {
    return this.#replica.clients();
  }
  get remoteSessionCount(): number {
    return this.#replica.sessionCount;
  }

  async sendPrivate(to: RemoteClient, from: PublicClient, data: unknown): Promise<boolean> {
    if (this.#state !== 'started' || !this.#bus.connected || !this.#replica.nodes.has(to.node)) return false;
    const [id, answer] = this.#requests.open([to.node], this.#options.requestTimeout);
    this.#publish(nodeChannel(to.node), PRIVATE, JSON.stringify({ r: id, to: to.id, f: from, d: data ?? null }));
    const { answers } = await answer;
    return answers.length === 1 && answers[0]!.value === true;
  }

  async query<Q extends NodeQuery>(query: Q, timeout: number): Promise<QueryAnswers<Q['kind']>> {
    const nodes = [...this.#replica.nodes.keys()];
    // Without the broker no node can be asked: all of them are missing, at once.
    if (this.#state !== 'started' || !this.#bus.connected) return { answers: [], missing: nodes };
    const [id, answer] = this.#requests.open(nodes, timeout);
    // One publish, which every node hears; only the nodes known now are waited for.
    if (nodes.length > 0) this.#publish(STATE, QUERY, JSON.stringify({ r: id, k: query }));
    return (await answer) as QueryAnswers<Q['kind']>;
  }

  get stats(): AdapterStats {
    const b = this.#bus.stats;
    return {
      kind: this.#kind,
      node: this.nodeId,
      connected: this.#bus.connected,
      nodes: this.#replica.nodes.size,
      remoteSessions: this.#replica.sessionCount,
      channels: b.channels,
      published: b.published,
      received: b.received,
      publishFailures: b.publishFailures,
      outages: this.#outages,
      expiredNodes: this.#expired,
      timeouts: this.#requests.timeouts,
      pending: this.#requests.size,
    };
  }

  #publish(channel: string, kind: string, body: string): void {
    if (this.#state === 'new') return;
    this.#bus.publish(channel, `${this.#prefix}${kind}\n${body}`);
  }

  #receive(channel: string, payload: string): void {
    if (this.#state !== 'started') return;
    // This node's own messages come back only as recorded broadcasts.
    if (payload.startsWith(this.#prefix) && payload.charCodeAt(this.#prefix.length) !== RECORDED.charCodeAt(0)) return;
    const cut = payload.indexOf('\n');
    if (cut <= 0 || payload.charCodeAt(cut + 2) !== 10) return;
    const origin = payload.slice(0, cut);
    const kind = payload[cut + 1]!;
    const body = payload.slice(cut + 3);
    try {
      this.#handle(channel, origin, kind, body);
    } catch {
      // A malformed message from the broker changes nothing here. The
      // broker is the deployment's own, so this is a bug or a foreign
      // publisher on our prefix, never a client's input.
    }
  }

  #handle(channel: string, origin: string, kind: string, body: string): void {
    const node = this.#node!;
    const now = performance.now();
    if (kind === BROADCAST) {
      // Any message is a sign of life, but only the state channel introduces a node.
      const known = this.#replica.nodes.get(origin);
      if (known !== undefined) known.lastSeen = now;
      const cut = body.indexOf('\n');
      const group = channel === ALL ? null : channel.startsWith('g:') ? channel.slice(2) : undefined;
      if (group === undefined) return;
      node.deliverBroadcast({ group, except: cut === 0 ? null : body.slice(0, cut), text: body.slice(cut + 1) });
      return;
    }
    if (kind === RECORDED) {
      this.#deliverRecorded(channel, body);
      return;
    }
    if (kind === MOVED) {
      node.sessionMoved(body);
      return;
    }
    if (kind === BYE) {
      this.#forget(origin);
      return;
    }
    const [entry, isNew] = this.#replica.ensure(origin, now);
    switch (kind) {
      case CHANGE: {
        const m = JSON.parse(body) as { q: number; c: PublicClient; a: boolean };
        if (m.q <= entry.seq) return; // already in a snapshot
        const gap = entry.seq === -1 || m.q !== entry.seq + 1;
        this.#replica.apply(entry, m.c);
        entry.seq = m.q;
        if (m.a) node.deliverPresence(m.c);
        if (gap) this.#askSnapshot(entry);
        return;
      }
      case HEARTBEAT:
        if (isNew || Number(body) !== entry.seq) this.#askSnapshot(entry);
        return;
      case HELLO:
        // A node (re)joined: it gets our snapshot, and we ask for its own when we are behind.
        this.#sendSnapshot(origin);
        if (Number(body) !== entry.seq) this.#askSnapshot(entry);
        return;
      case SNAPSHOT_PLEASE:
        this.#sendSnapshot(origin);
        return;
      case SNAPSHOT: {
        const m = JSON.parse(body) as { q: number; c: PublicClient[] };
        if (m.q < entry.seq) return;
        entry.seq = m.q;
        entry.askedAt = -Infinity;
        for (const changed of this.#replica.replace(entry, m.c)) node.deliverPresence(changed);
        return;
      }
      case PRIVATE: {
        const m = JSON.parse(body) as { r: number; to: string; f: PublicClient; d: unknown };
        const delivered = node.deliverPrivate(m.to, m.f, m.d);
        this.#publish(nodeChannel(origin), DELIVERED, JSON.stringify({ r: m.r, ok: delivered }));
        return;
      }
      case DELIVERED: {
        const m = JSON.parse(body) as { r: number; ok: boolean };
        this.#requests.answer(m.r, origin, m.ok === true);
        return;
      }
      case QUERY: {
        const m = JSON.parse(body) as { r: number; k: NodeQuery };
        this.#publish(nodeChannel(origin), ANSWER, JSON.stringify({ r: m.r, v: node.answer(m.k) }));
        return;
      }
      case ANSWER: {
        const m = JSON.parse(body) as { r: number; v: unknown };
        this.#requests.answer(m.r, origin, m.v);
        return;
      }
    }
  }

  /** `except \n stream \n offset \n text`, as the store's script published it. */
  #deliverRecorded(channel: string, body: string): void {
    const group = channel === ALL ? null : channel.startsWith('g:') ? channel.slice(2) : undefined;
    if (group === undefined) return;
    const a = body.indexOf('\n');
    const b = body.indexOf('\n', a + 1);
    const c = body.indexOf('\n', b + 1);
    if (a < 0 || b < 0 || c < 0) return;
    const offset = Number(body.slice(b + 1, c));
    if (!Number.isSafeInteger(offset)) return;
    this.#node!.deliverBroadcast({ group, except: a === 0 ? null : body.slice(0, a), text: body.slice(c + 1), recorded: { stream: body.slice(a + 1, b), offset } });
  }

  #askSnapshot(entry: NodeEntry): void {
    // Once per two heartbeats at most: a large snapshot on its way is not asked for again by every heartbeat.
    const now = performance.now();
    if (now - entry.askedAt < 2 * this.#options.heartbeatInterval) return;
    entry.askedAt = now;
    this.#publish(nodeChannel(entry.id), SNAPSHOT_PLEASE, '');
  }

  #sendSnapshot(to: string): void {
    this.#publish(nodeChannel(to), SNAPSHOT, JSON.stringify({ q: this.#seq, c: this.#node!.clients() }));
  }

  #beat(): void {
    if (!this.#bus.connected) return;
    this.#publish(STATE, HEARTBEAT, String(this.#seq));
    const deadline = performance.now() - this.#options.nodeTimeout;
    for (const entry of [...this.#replica.nodes.values()]) {
      if (entry.lastSeen < deadline) this.#forget(entry.id);
    }
  }

  /** Forgets a node that left, died or stopped answering: its sessions are announced as disconnected here. */
  #forget(id: string): void {
    if (!this.#replica.nodes.has(id)) return;
    this.#expired++;
    const gone = this.#replica.drop(id);
    this.#requests.nodeGone(id);
    for (const client of gone) this.#node!.deliverPresence(client);
  }

  #down(error: Error): void {
    this.#outages++;
    // Nothing can be delivered or answered meanwhile: no one waits for a deadline.
    this.#requests.settleAll();
    this.#node?.connectivity(error);
  }

  #up(): void {
    // Silence during the outage was ours, not theirs: every node gets a fresh deadline.
    const now = performance.now();
    for (const entry of this.#replica.nodes.values()) entry.lastSeen = now;
    // Whatever was missed either way is caught up by snapshots: the others
    // send theirs on hearing this hello and ask for ours when behind.
    if (this.#state === 'started') this.#publish(STATE, HELLO, String(this.#seq));
    this.#node?.connectivity(null);
  }
}
