// The router's indexes. Every lookup a message needs is a map access: by
// session id, by alias, by group (group -> members), and the set of available
// clients (the recipients of presence events). Broadcasting to a group walks
// only that group's members, never every connection.

import type { IncomingMessage } from 'node:http';
import type { WebSocket } from '../session/index.js';
import type { Adapter } from './adapter.js';
import type { Budget } from './budget.js';
import type { Codec } from './commands.js';
import type { Bucket } from './limits.js';
import type { Session } from './session.js';

/** One connection as the router tracks it, before and after authentication. */
export interface Peer extends Bucket {
  readonly ws: WebSocket;
  readonly codec: Codec;
  /** The upgrade request, for the authentication hook; released once the session starts. */
  req: IncomingMessage | null;
  state: 'new' | 'authenticating' | 'open' | 'closed';
  session: Session<unknown> | null;
  authAttempts: number;
  authTimer: NodeJS.Timeout | null;
  /** This connection's messages being processed now (for maxInflight). */
  inflight: number;
  /** The alias this peer is indexed under in the registry (null: none). */
  indexedAlias: string | null;
  /** Budget of this session's broadcasts (bytes × recipients); created by its first broadcast. */
  castBudget: Budget | null;
  /** Set when the server or the application closes the connection on purpose: its session is not retained. */
  ending: boolean;
}

const EMPTY: ReadonlySet<Peer> = new Set();

/** Who hears when a group gets its first member here or loses its last: the adapter (routing by interest). */
export type GroupInterest = Pick<Adapter, 'groupOpened' | 'groupClosed'>;

export class Registry {
  /** Authenticated peers by session id. */
  readonly byId = new Map<string, Peer>();
  /** Authenticated peers whose session is available: presence recipients. */
  readonly available = new Set<Peer>();
  readonly #groups = new Map<string, Set<Peer>>();
  /**
   * Peers by alias. Most aliases belong to one client, so the entry is the
   * peer itself and becomes a Set only when an alias is shared: a Set per
   * session would be the largest part of an idle session's index cost.
   */
  readonly #aliases = new Map<string, Peer | Set<Peer>>();
  readonly #bySession = new Map<Session<unknown>, Peer>();
  readonly #interest: GroupInterest;
  /** Groups kept open for sessions waiting for a resume (session recovery), with their counts. */
  readonly #held = new Map<string, number>();

  constructor(interest: GroupInterest) {
    this.#interest = interest;
  }

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
    if (members === undefined) {
      this.#groups.set(group, (members = new Set()));
      if (!this.#held.has(group)) this.#interest.groupOpened(group);
    }
    members.add(peer);
  }

  groupLeft(peer: Peer, group: string): void {
    const members = this.#groups.get(group);
    if (members === undefined) return;
    members.delete(peer);
    // Drop empty groups so client-chosen names cannot accumulate.
    if (members.size === 0) {
      this.#groups.delete(group);
      if (!this.#held.has(group)) this.#interest.groupClosed(group);
    }
  }

  /**
   * Keeps this node's interest in a group without a live member: a retained
   * session must not miss the group's broadcasts from other nodes, which it
   * is to recover when it resumes.
   */
  hold(group: string): void {
    const n = this.#held.get(group) ?? 0;
    this.#held.set(group, n + 1);
    if (n === 0 && !this.#groups.has(group)) this.#interest.groupOpened(group);
  }

  release(group: string): void {
    const n = this.#held.get(group);
    if (n === undefined) return;
    if (n > 1) return void this.#held.set(group, n - 1);
    this.#held.delete(group);
    if (!this.#groups.has(group)) this.#interest.groupClosed(group);
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
    if (peer.indexedAlias === session.alias) return;
    this.#unindexAlias(peer);
    const alias = session.alias;
    if (alias === null) return;
    const current = this.#aliases.get(alias);
    if (current === undefined) this.#aliases.set(alias, peer);
    else if (current instanceof Set) current.add(peer);
    else this.#aliases.set(alias, new Set([current, peer]));
    peer.indexedAlias = alias;
  }

  /** True when a live session other than `peer` uses `alias`. */
  aliasHeldByOther(alias: string, peer: Peer): boolean {
    const entry = this.#aliases.get(alias);
    if (entry === undefined) return false;
    return entry instanceof Set ? entry.size > 1 || !entry.has(peer) : entry !== peer;
  }

  /** The peers currently using an alias. */
  withAlias(alias: string): Iterable<Peer> {
    const entry = this.#aliases.get(alias);
    if (entry === undefined) return EMPTY;
    return entry instanceof Set ? entry : [entry];
  }

  #unindexAlias(peer: Peer): void {
    const alias = peer.indexedAlias;
    if (alias === null) return;
    peer.indexedAlias = null;
    const entry = this.#aliases.get(alias);
    if (entry === peer) this.#aliases.delete(alias);
    else if (entry instanceof Set) {
      entry.delete(peer);
      // Back to the single-peer form (or gone), so the index never holds an empty Set.
      if (entry.size === 1) this.#aliases.set(alias, entry.values().next().value!);
      else if (entry.size === 0) this.#aliases.delete(alias);
    }
  }
}
