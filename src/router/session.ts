// An authenticated client. The Session is what application hooks see: an id,
// the server-side data (which never leaves the server), groups, and the
// public face (alias, availability, immutable public data) other clients see.

import { broadcastTarget } from './broadcast-options.js';
import { checkEventName } from './commands.js';
import { frozenCopy } from './json.js';
import type { PublicClient } from './wire.js';

/** The part of the router a session calls back into; keeps indexes in sync. */
export interface SessionHost {
  groupJoined(session: Session<unknown>, group: string): void;
  groupLeft(session: Session<unknown>, group: string): void;
  publicStateChanged(session: Session<unknown>): void;
  broadcastFrom(event: string, group: string | null, data: unknown, except: Session<unknown> | null): number;
  sendTo(session: Session<unknown>, event: string, data: unknown): boolean;
  queuedBytes(session: Session<unknown>): number;
  closeSession(session: Session<unknown>, code: number, reason: string): void;
  /** Sets (ms from now) or cancels (null) the session's expiry (./expiry.ts). */
  setExpiry(session: Session<unknown>, ms: number | null): void;
  /** Milliseconds left before the expiry; 0 once expired, null without one. */
  expiryOf(session: Session<unknown>): number | null;
}

export type WireProtocol = 'v1' | 'legacy';

/**
 * Where `server.broadcast(event, data, options)` and
 * `session.broadcast(event, data, options)` send: the shape of the client's
 * `broadcast(event, data, { group })`. Declared beside Session, which it
 * names, so that ./types.ts (the hooks, which take sessions) is imported by
 * neither.
 */
export interface BroadcastOptions<TData = unknown> {
  /** Only this group's members (default: every session). */
  group?: string | null;
  /** A session left out, typically the sender (default: none). */
  except?: Session<TData> | null;
}

export class Session<TData = Record<string, unknown>> {
  /** Unique, unguessable (crypto.randomUUID). */
  readonly id: string;
  /** Server-side session data. Never serialized to any client. */
  readonly data: TData;
  /** Which wire protocol this client speaks. */
  readonly protocol: WireProtocol;
  /** Public immutable data, deep-frozen at session start. */
  readonly publicData: unknown;
  #alias: string | null;
  #available: boolean;
  #groups: Set<string>;
  #host: SessionHost;
  #live = false;

  /** @internal Created by the router when authentication succeeds. */
  constructor(
    host: SessionHost,
    init: { id: string; data: TData; protocol: WireProtocol; groups: Iterable<string>; alias: string | null; available: boolean; publicData: unknown },
  ) {
    this.#host = host;
    this.id = init.id;
    this.data = init.data;
    this.protocol = init.protocol;
    this.#groups = new Set(init.groups);
    this.#alias = init.alias;
    this.#available = init.available;
    this.publicData = frozenCopy(init.publicData ?? null);
  }

  get alias(): string | null {
    return this.#alias;
  }
  get available(): boolean {
    return this.#available;
  }
  /** Visible to other clients: available and with a public alias. */
  get visible(): boolean {
    return this.#available && this.#alias !== null;
  }
  /** True from session start until the connection closes. */
  get connected(): boolean {
    return this.#live;
  }
  /** Bytes queued for this client and not yet taken by the network (0 once disconnected). */
  get bufferedAmount(): number {
    return this.#host.queuedBytes(this as Session<unknown>);
  }
  /** A read-only view; change membership with join()/leave(). */
  get groups(): ReadonlySet<string> {
    return this.#groups;
  }
  /** Snapshot of the groups as an array. */
  groupList(): string[] {
    return [...this.#groups];
  }
  inGroup(group: string): boolean {
    return this.#groups.has(group);
  }

  /** Server-side: add the session to a group. Returns false if it already was a member. */
  join(group: string): boolean {
    if (typeof group !== 'string' || group === '') throw new TypeError('group must be a non-empty string');
    if (this.#groups.has(group)) return false;
    this.#groups.add(group);
    if (this.#live) this.#host.groupJoined(this as Session<unknown>, group);
    return true;
  }
  /** Server-side: remove the session from a group. Returns false if it was not a member. */
  leave(group: string): boolean {
    if (!this.#groups.delete(group)) return false;
    if (this.#live) this.#host.groupLeft(this as Session<unknown>, group);
    return true;
  }

  /** Changes the public alias and tells the other available clients. */
  setAlias(alias: string | null): void {
    if (alias !== null && (typeof alias !== 'string' || alias === '')) throw new TypeError('alias must be null or a non-empty string');
    if (alias === this.#alias) return;
    this.#alias = alias;
    if (this.#live) this.#host.publicStateChanged(this as Session<unknown>);
  }
  /** Changes availability and tells the other available clients. */
  setAvailable(available: boolean): void {
    if (typeof available !== 'boolean') throw new TypeError('available must be a boolean');
    if (available === this.#available) return;
    this.#available = available;
    if (this.#live) this.#host.publicStateChanged(this as Session<unknown>);
  }

  /** Sends an event to this client only. False when it is no longer connected. Reserved names (`__…`, `msgFromClient`) throw. */
  send(event: string, data: unknown): boolean {
    checkEventName(event);
    return this.#host.sendTo(this as Session<unknown>, event, data);
  }
  /**
   * Broadcasts an event to all sessions, or to `options.group`'s members,
   * except `options.except` (pass this session to leave out the sender).
   * Returns the number of recipients written to. Throws a TypeError for a
   * call in the 0.2.x shape `broadcast(event, group, data, except)`.
   */
  broadcast(event: string, data: unknown, options?: BroadcastOptions<unknown>): number {
    checkEventName(event);
    const { group, except } = broadcastTarget(arguments.length, options, isSession);
    return this.#host.broadcastFrom(event, group, data, except);
  }
  /**
   * Sets when the session expires, in milliseconds from now, or cancels the
   * expiry (null). A client of our protocol is told `expiring` shortly before
   * (the `refreshNotice` option); a session not refreshed by then is closed
   * with 4001 ("Session expired").
   */
  setExpiry(ms: number | null): void {
    if (ms !== null && (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)) throw new TypeError('setExpiry: ms must be a non-negative number or null');
    this.#host.setExpiry(this as Session<unknown>, ms);
  }
  /** Milliseconds left before the session expires; 0 once expired, null when it has no expiry. */
  get expiresIn(): number | null {
    return this.#host.expiryOf(this as Session<unknown>);
  }
  /** Closes this client's connection (default 1000). */
  close(code = 1000, reason = ''): void {
    this.#host.closeSession(this as Session<unknown>, code, reason);
  }

  /** The public view, as sent in presence events and client lists. */
  toPublic(connected = this.#live): PublicClient {
    return { id: this.id, alias: this.#alias, available: this.#available, publicData: this.publicData, connected };
  }
  /** Serializing a session (by accident or not) never exposes its server-side data. */
  toJSON(): PublicClient {
    return this.toPublic();
  }

  /** @internal The router marks the session live when registered and dead when closed. */
  setLive(live: boolean): void {
    this.#live = live;
  }
}

/** Whether a value is a Session (the `except` of a broadcast must be one). */
export function isSession(value: unknown): value is Session<unknown> {
  return value instanceof Session;
}
