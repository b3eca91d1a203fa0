// The router's indexes. Every lookup a message needs is a map access: by
// session id, by alias, by group (group -> members), and the set of available
// clients (the recipients of presence events). Broadcasting to a group walks
// only that group's members, never every connection.

import type { IncomingMessage } from 'node:http';
import type { WebSocket } from '../session/index.js';
import type { Codec } from './commands.js';
import type { Session } from './session.js';

/** One connection as the router tracks it, before and after authentication. */
export interface Peer {
  readonly ws: WebSocket;
  readonly codec: Codec;
  readonly req: IncomingMessage;
  state: 'new' | 'authenticating' | 'open' | 'closed';
  session: Session<unknown> | null;
  authAttempts: number;
  authTimer: NodeJS.Timeout | null;
  /** Cleared by each heartbeat sweep, set again by a pong. */
  alive: boolean;
}

const EMPTY: ReadonlySet<Peer> = new Set();

export class Registry {
  /** Authenticated peers by session id. */
  readonly byId = new Map<string, Peer>();
  /** Authenticated peers whose session is available: presence recipients. */
  readonly available = new Set<Peer>();
  readonly #groups = new Map<string, Set<Peer>>();
  readonly #aliases = new Map<string, Set<Peer>>();
  /** The alias each peer is indexed under, to unindex it after a change. */
  readonly #indexedAlias = new Map<Peer, string>();
  readonly #bySession = new Map<Session<unknown>, Peer>();

  get size(): number {
    return this.byId.size;
  }

  add(peer: Peer): void {
    const session = peer.session!;
    this.byId.set(session.id, peer);
    this.#bySession.set(session, peer);
    for (const group of session.groups) this.groupJoined(peer, group);
    this.refresh(peer);
  }

  remove(peer: Peer): void {
    const session = peer.session!;
    if (this.byId.get(session.id) !== peer) return;
    this.byId.delete(session.id);
    this.#bySession.delete(session);
    this.available.delete(peer);
    for (const group of session.groups) this.groupLeft(peer, group);
    this.#unindexAlias(peer);
  }

  peerOf(session: Session<unknown>): Peer | undefined {
    return this.#bySession.get(session);
  }

  groupJoined(peer: Peer, group: string): void {
    let members = this.#groups.get(group);
    if (members === undefined) this.#groups.set(group, (members = new Set()));
    members.add(peer);
  }

  groupLeft(peer: Peer, group: string): void {
    const members = this.#groups.get(group);
    if (members === undefined) return;
    members.delete(peer);
    // Drop empty groups so client-chosen names cannot accumulate.
    if (members.size === 0) this.#groups.delete(group);
  }

  members(group: string): ReadonlySet<Peer> {
    return this.#groups.get(group) ?? EMPTY;
  }

  /** Number of groups with at least one member. */
  get groupCount(): number {
    return this.#groups.size;
  }

  /** Re-indexes alias and availability after the session's public state changed. */
  refresh(peer: Peer): void {
    const session = peer.session!;
    if (session.available) this.available.add(peer);
    else this.available.delete(peer);
    if (this.#indexedAlias.get(peer) === session.alias) return;
    this.#unindexAlias(peer);
    if (session.alias !== null) {
      let set = this.#aliases.get(session.alias);
      if (set === undefined) this.#aliases.set(session.alias, (set = new Set()));
      set.add(peer);
      this.#indexedAlias.set(peer, session.alias);
    }
  }

  /** The peers currently using an alias. */
  withAlias(alias: string): ReadonlySet<Peer> {
    return this.#aliases.get(alias) ?? EMPTY;
  }

  #unindexAlias(peer: Peer): void {
    const alias = this.#indexedAlias.get(peer);
    if (alias === undefined) return;
    this.#indexedAlias.delete(peer);
    const set = this.#aliases.get(alias);
    set?.delete(peer);
    if (set?.size === 0) this.#aliases.delete(alias);
  }
}
