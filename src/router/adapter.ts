// The adapter: everything that reaches beyond this process. The router
// delivers to its own connections itself (the encode-once fan-out of
// ./fanout.ts) and hands its adapter what other nodes must hear: broadcasts
// to everyone or to a group (with the sender left out), private messages to
// a session held elsewhere, every change of a session's public state
// (presence, the listing, alias ownership), and the questions whose answer
// is the sum over nodes (counts, group sizes, listings). The adapter in turn
// brings other nodes' traffic back through the AdapterNode the router gives
// it. One process is the default: the in-process adapter below has no other
// node, so each of its methods does nothing and a single server pays for
// none of this. The remote adapters (ws-node-server/cluster and
// ws-node-server/redis) are in src/scale; docs/scaling.md describes them.

import type { SharedHistory } from './shared-history.js';
import type { PublicClient } from './wire.js';

/** A session held by another node, as this node knows it: its public face and where it is. */
export interface RemoteClient extends PublicClient {
  /** The id of the node (server process) that holds the session. */
  readonly node: string;
}

/**
 * A broadcast for the other nodes: `text` is the message as our protocol
 * renders it (what a client of our protocol receives, byte for byte), so
 * a node serializes a broadcast once and the others only copy it.
 */
export interface BroadcastMessage {
  /** The group whose members receive it; null: every session. */
  group: string | null;
  /** The id of a session left out (the sender), or null. */
  except: string | null;
  text: string;
  /**
   * Set when the broadcast was recorded in a history every node shares
   * (session recovery over the Redis adapter): `text` carries its position,
   * the same on every node, and it reaches this node too.
   */
  recorded?: { stream: string; offset: number };
}

/** One node's part of a cluster-wide count. */
export interface NodeCounts {
  connections: number;
  sessions: number;
  groups: number;
}

/** A question asked of every node. */
export type NodeQuery = { kind: 'counts' } | { kind: 'groupSize'; group: string } | { kind: 'sessions' };

/** What a node answers to each kind of query. */
export interface NodeAnswers {
  counts: NodeCounts;
  groupSize: number;
  sessions: PublicClient[];
}

/**
 * The answers of the other nodes to a query: one per node that answered in
 * time. `missing` names the nodes known to be alive that did not (down,
 * slow, or unreachable): a result with missing nodes is partial, never late.
 */
export interface QueryAnswers<K extends NodeQuery['kind'] = NodeQuery['kind']> {
  answers: Array<{ node: string; value: NodeAnswers[K] }>;
  missing: string[];
}

/** What an adapter's counters say (ServerStats.adapter). */
export interface AdapterStats {
  /** 'memory' (one process), 'cluster' or 'redis'. */
  kind: string;
  /** This node's id. */
  node: string;
  /** False while the broker (the cluster primary, Redis) is unreachable. */
  connected: boolean;
  /** Other nodes this one hears from now. */
  nodes: number;
  /** Sessions held by the other nodes, as this node knows them. */
  remoteSessions: number;
  /** Channels subscribed now (routing by interest: every group with a local member, plus the node's own). */
  channels: number;
  /** Messages published and received over the broker. */
  published: number;
  received: number;
  /** Publishes that failed (while the broker was down, say). */
  publishFailures: number;
  /** Times the broker was lost. */
  outages: number;
  /** Nodes forgotten because their heartbeats stopped or their process exited. */
  expiredNodes: number;
  /** Private messages and queries that other nodes did not answer in time. */
  timeouts: number;
  /** Requests (private messages, queries) waiting for other nodes now. */
  pending: number;
}

/** What the router gives its adapter: this node's own delivery and state. */
export interface AdapterNode {
  /** Delivers another node's broadcast to this node's recipients; returns how many it was written to. */
  deliverBroadcast(message: BroadcastMessage): number;
  /** Delivers another node's private message to a session here; false when it is not here, not visible, or not reading. */
  deliverPrivate(to: string, from: PublicClient, data: unknown): boolean;
  /** Tells this node's available clients about another node's client. */
  deliverPresence(client: PublicClient): number;
  /** The public state of every session on this node (for a node that joins or lost track). */
  clients(): PublicClient[];
  /** This node's answer to another node's query. */
  answer<Q extends NodeQuery>(query: Q): NodeAnswers[Q['kind']];
  /** The broker was lost (error) or is back (null). */
  connectivity(error: Error | null): void;
  /** A session of this node was resumed on another one: this node lets go of it (no onConnectionClose here). */
  sessionMoved(id: string): void;
}

export interface Adapter {
  /** False when there is no other node (the in-process adapter): the router then skips what only other nodes need. */
  readonly shared: boolean;
  /** Starts (connects to the broker, announces the node); the server calls it once, in listen(). */
  start(node: AdapterNode): Promise<void>;
  /** Stops; the server calls it after its connections closed, so their departures are announced first. */
  close(): Promise<void>;
  /** A broadcast this node delivered to its own recipients; the adapter carries it to the other nodes'. */
  broadcast(message: BroadcastMessage): void;
  /** A group got its first member on this node: from now on the node receives the group's broadcasts. */
  groupOpened(group: string): void;
  /** A group lost its last member on this node: the node stops receiving the group's broadcasts. */
  groupClosed(group: string): void;
  /**
   * A local session started, changed its public state, or ended (`client.connected`
   * false). `announce`: whether the other nodes' available clients are told
   * (presence); the other nodes' view of the session changes either way.
   */
  sessionState(client: PublicClient, announce: boolean): void;
  /** A session on another node by id, or the holders of an alias there. */
  remoteById(id: string): RemoteClient | null;
  remoteByAlias(alias: string): readonly RemoteClient[];
  /** The sessions the other nodes hold, as this node knows them. */
  remoteClients(): Iterable<RemoteClient>;
  readonly remoteSessionCount: number;
  /** Sends a private message to a session on another node; resolves whether it was delivered (false when that node did not answer in time). */
  sendPrivate(to: RemoteClient, from: PublicClient, data: unknown): Promise<boolean>;
  /** Asks every other node; never takes longer than `timeout` ms. */
  query<Q extends NodeQuery>(query: Q, timeout: number): Promise<QueryAnswers<Q['kind']>>;
  readonly stats: AdapterStats;
  /** This node's id (as other nodes know it). */
  readonly nodeId?: string;
  /**
   * A session recovery store every node shares (the Redis adapter's: Redis
   * Streams), or null: then each process keeps its own history.
   */
  sharedHistory?(limits: { maxMessages: number; maxAge: number }): SharedHistory | null;
  /**
   * Records a broadcast in the shared history and publishes it, atomically;
   * every node, this one included, delivers it when it comes back (with
   * `recorded`). Resolves false when it could not be recorded (nothing was sent).
   */
  recordBroadcast?(message: BroadcastMessage, stream: string): Promise<boolean>;
  /** A session this node took for a resume was held by `node`: that node lets go of it. */
  sessionMoved?(id: string, node: string): void;
  /** Resolves once this node receives the group's broadcasts (null: everyone's), as the broker confirms. */
  whenInterested?(group: string | null): Promise<void>;
}

const NONE: readonly RemoteClient[] = [];

/** One process, no other node: the default. Every method is a no-op. */
export class InProcessAdapter implements Adapter {
  readonly shared = false;
  readonly #node = 'local';
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  broadcast(): void {}
  groupOpened(): void {}
  groupClosed(): void {}
  sessionState(): void {}
  remoteById(): RemoteClient | null {
    return null;
  }
  remoteByAlias(): readonly RemoteClient[] {
    return NONE;
  }
  remoteClients(): Iterable<RemoteClient> {
    return NONE;
  }
  get remoteSessionCount(): number {
    return 0;
  }
  sendPrivate(): Promise<boolean> {
    return Promise.resolve(false);
  }
  query<Q extends NodeQuery>(): Promise<QueryAnswers<Q['kind']>> {
    return Promise.resolve({ answers: [], missing: [] });
  }
  get stats(): AdapterStats {
    return {
      kind: 'memory', node: this.#node, connected: true, nodes: 0, remoteSessions: 0, channels: 0, published: 0, received: 0,
      publishFailures: 0, outages: 0, expiredNodes: 0, timeouts: 0, pending: 0,
    };
  }
}

/** Whether a value has an adapter's shape (the server's `adapter` option). */
export function isAdapter(value: unknown): value is Adapter {
  if (value === null || typeof value !== 'object') return false;
  const a = value as Record<string, unknown>;
  return ['start', 'close', 'broadcast', 'groupOpened', 'groupClosed', 'sessionState', 'remoteById', 'remoteByAlias', 'sendPrivate', 'query'].every(
    (name) => typeof a[name] === 'function',
  );
}
