// Session recovery across processes and restarts (docs/server.md, "Session
// recovery"): the contract of a store that several server processes share.
// With it, a stream's positions are given by the store, not by a process,
// so a client's position means the same on every node; a session's state
// lives in the store too, so another node (or the same one restarted) can
// take it back. The Redis adapter provides one (Redis Streams and hashes,
// src/scale/redis-history.ts); the router reaches it through its adapter.
// Types only.

import type { StreamPosition } from './history.js';

/** One recorded push, as the store gives it back. */
export interface SharedEntry {
  readonly stream: string;
  readonly offset: number;
  readonly epoch: string;
  /** The v1 text with its `pos` (`"pos":{"s":stream,"e":epoch,"o":offset}` as its last field). */
  readonly text: string;
  /** The session left out of it (the sender), or null. */
  readonly except: string | null;
  /** When it was appended (ms since the epoch, the store's clock). */
  readonly time: number;
  /** The store's order of appends over every stream: gaps of several streams merge by it. */
  readonly seq: number;
}

/**
 * A session's state as the store keeps it: what another process needs to
 * take the session back. `data` is the session's server-side data as JSON
 * (what JSON.stringify keeps of it).
 */
export interface SessionRecord {
  /** The node (server process) that holds the session now. */
  node: string;
  /** live: held by `node` with a connection; retained: waiting for a resume; claimed: a resume is in progress on `node`. */
  state: 'live' | 'retained' | 'claimed';
  /** SHA-256 of the resume token, hex. */
  hash: string;
  /** Retained: when the session ends without a resume (ms since the epoch). 0 otherwise. */
  expires: number;
  data: unknown;
  groups: string[];
  alias: string | null;
  available: boolean;
  publicData: unknown;
  /** Where the session started receiving each of its streams. */
  starts: Record<string, StreamPosition>;
  /** The close code and reason of the disconnect (retained). */
  code: number;
  reason: string;
  /** When the session's own expiry falls (startSession's expiresIn), ms since the epoch; null: none. */
  expiry: number | null;
}

export interface SharedHistoryStats {
  /** Commands that failed (the store unreachable, a script error). */
  failures: number;
}

/** The store several nodes share for session recovery. */
export interface SharedHistory {
  /** How long entries are kept (ms) and how many per stream. */
  readonly limits: { readonly maxMessages: number; readonly maxAge: number };
  /**
   * Appends a broadcast to `stream` and publishes it, in one atomic step:
   * the entry gets the stream's next offset, and `head + offset + "\n" +
   * textWithPos` is published on the (full, prefixed) channel `channel`, so
   * every subscriber (this node included) gets every stream's entries in
   * offset order. `text` is a JSON object's text without `pos`. Resolves
   * false when it could not be done (nothing was published).
   */
  publish(stream: string, text: string, except: string | null, channel: string, head: string): Promise<boolean>;
  /**
   * Appends to a session's own stream, only while `node` holds the session
   * (its record names `node`). Resolves the entry, or null when the session
   * is held elsewhere or gone (or the store failed).
   */
  appendOwned(stream: string, text: string, session: string, node: string): Promise<SharedEntry | null>;
  /** The stream's current position (creating its epoch when it has none). */
  position(stream: string): Promise<StreamPosition>;
  /**
   * The entries after `from`, oldest first, or null when they cannot all be
   * given (another epoch, an offset ahead of the stream, entries trimmed).
   */
  since(stream: string, from: StreamPosition): Promise<SharedEntry[] | null>;
  /** Stores a session's record; it lapses after `ttl` ms unless saved or touched again. */
  save(id: string, record: SessionRecord, ttl: number): Promise<boolean>;
  /**
   * Takes a session for a resume on `node`, atomically: the record must
   * exist, its hash equal `hash`, and a retained one must not have expired
   * (`now`). The record is then `claimed` by `node` (its previous holder is
   * returned in the record's `node`). Null: no such session (or the store failed).
   */
  claim(id: string, hash: string, node: string, now: number): Promise<SessionRecord | null>;
  /** Deletes the session's record and own stream if `node` still holds it; resolves whether it did. */
  finish(id: string, node: string): Promise<boolean>;
  /** Extends the records of sessions `node` holds, by `ttl` ms from now. */
  touch(ids: readonly string[], ttl: number): void;
  readonly stats: SharedHistoryStats;
}
