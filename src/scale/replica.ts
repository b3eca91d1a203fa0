// What this node knows of the others: each node it hears from, when it last
// did, how far it has followed that node's stream of session changes, and
// the public state of that node's sessions, indexed by id and by alias.
// Presence listings, private messages to another node's session and alias
// ownership are answered from here, without asking anyone.

import type { RemoteClient } from '../router/adapter.js';
import type { PublicClient } from '../router/wire.js';

export interface NodeEntry {
  readonly id: string;
  /** The last of its session changes applied (-1: none known yet, a snapshot is due). */
  seq: number;
  /** performance.now() of the last message from it. */
  lastSeen: number;
  /** performance.now() when a snapshot was last asked of it (-Infinity: never). */
  askedAt: number;
  readonly clients: Map<string, RemoteClient>;
}

const NONE: readonly RemoteClient[] = [];

export class Replica {
  readonly nodes = new Map<string, NodeEntry>();
  readonly #byId = new Map<string, RemoteClient>();
  readonly #byAlias = new Map<string, RemoteClient[]>();

  get sessionCount(): number {
    return this.#byId.size;
  }

  /** The node's entry, created when it is new (the second value says so). */
  ensure(id: string, now: number): [NodeEntry, boolean] {
    const known = this.nodes.get(id);
    if (known !== undefined) {
      known.lastSeen = now;
      return [known, false];
    }
    const entry: NodeEntry = { id, seq: -1, lastSeen: now, askedAt: -Infinity, clients: new Map() };
    this.nodes.set(id, entry);
    return [entry, true];
  }

  byId(id: string): RemoteClient | null {
    return this.#byId.get(id) ?? null;
  }

  byAlias(alias: string): readonly RemoteClient[] {
    return this.#byAlias.get(alias) ?? NONE;
  }

  clients(): IterableIterator<RemoteClient> {
    return this.#byId.values();
  }

  /** Applies one session's state (connected false: it ended); returns the previous state. */
  apply(entry: NodeEntry, client: PublicClient): RemoteClient | undefined {
    const before = entry.clients.get(client.id);
    if (before !== undefined) this.#remove(entry, before);
    if (client.connected) this.#add(entry, { ...client, node: entry.id });
    return before;
  }

  /** Replaces a node's sessions with a snapshot; returns the public states that changed (ended ones with connected false). */
  replace(entry: NodeEntry, snapshot: readonly PublicClient[]): PublicClient[] {
    const changed: PublicClient[] = [];
    const seen = new Set<string>();
    for (const client of snapshot) {
      seen.add(client.id);
      const before = this.apply(entry, { ...client, connected: true });
      if (before === undefined ? client.available : before.alias !== client.alias || before.available !== client.available) changed.push(client);
    }
    for (const before of [...entry.clients.values()]) {
      if (seen.has(before.id)) continue;
      this.#remove(entry, before);
      changed.push(ended(before));
    }
    return changed;
  }

  /** Forgets a node; returns its sessions as ended. */
  drop(id: string): PublicClient[] {
    const entry = this.nodes.get(id);
    if (entry === undefined) return [];
    this.nodes.delete(id);
    const gone: PublicClient[] = [];
    for (const client of [...entry.clients.values()]) {
      this.#remove(entry, client);
      gone.push(ended(client));
    }
    return gone;
  }

  #add(entry: NodeEntry, client: RemoteClient): void {
    entry.clients.set(client.id, client);
    this.#byId.set(client.id, client);
    if (client.alias === null) return;
    const holders = this.#byAlias.get(client.alias);
    if (holders === undefined) this.#byAlias.set(client.alias, [client]);
    else holders.push(client);
  }

  #remove(entry: NodeEntry, client: RemoteClient): void {
    entry.clients.delete(client.id);
    if (this.#byId.get(client.id) === client) this.#byId.delete(client.id);
    if (client.alias === null) return;
    const holders = this.#byAlias.get(client.alias);
    if (holders === undefined) return;
    const rest = holders.filter((h) => h !== client);
    if (rest.length === 0) this.#byAlias.delete(client.alias);
    else this.#byAlias.set(client.alias, rest);
  }
}

/** A session's public state as announced when it ends. */
export function ended(client: PublicClient): PublicClient {
  return { id: client.id, alias: client.alias, available: client.available, publicData: client.publicData, connected: false };
}
