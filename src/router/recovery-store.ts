// Session recovery over a store every node shares (./shared-history.ts),
// the part of ./retention.ts that only exists then. Positions come from the
// store, so they mean the same on every node; each session's state is kept
// there as a record (saved when it starts, changes, disconnects or resumes,
// and kept alive while its node runs), so another node, or this one after
// a restart, can take the session back with its token.

import type { StreamPosition } from './history.js';
import type { Session } from './session.js';
import type { SessionRecord, SharedEntry, SharedHistory } from './shared-history.js';

/** A session's state to save, as the tracker of ./retention.ts knows it. */
export interface RecordSource {
  readonly session: Session<unknown>;
  readonly hash: Buffer;
  readonly state: 'live' | 'retained' | 'claimed';
  readonly starts: Map<string, Start>;
  readonly expires: number;
  readonly code: number;
  readonly reason: string;
}

/** Where a session started receiving a stream: known, or being asked of the store. */
export type Start = StreamPosition | Promise<StreamPosition | null>;

export interface StoreHost {
  /** The ids of the sessions this node holds (live or claimed) now. */
  heldIds(): string[];
  /** Milliseconds left before the session's own expiry (refresh), null without one. */
  expiryOf(session: Session<unknown>): number | null;
  /** A save could not serialize the session's data. */
  unsaved(session: Session<unknown>, error: unknown): void;
}

export class RecoveryStore {
  readonly store: SharedHistory;
  readonly node: string;
  readonly #host: StoreHost;
  readonly #maxDisconnection: number;
  readonly #touchEvery: number;
  #timer: NodeJS.Timeout | null;
  /** Saves in flight (server.close() waits for them). */
  readonly #inflight = new Set<Promise<unknown>>();
  /**
   * Sessions whose record is being saved: whether another save is due after
   * this one, and when they are done (a push waits for it: the store takes a
   * push only for a saved holder).
   */
  readonly #saving = new Map<string, { again: boolean; done: Promise<void> }>();

  constructor(store: SharedHistory, node: string, maxDisconnection: number, host: StoreHost) {
    this.store = store;
    this.node = node;
    this.#host = host;
    this.#maxDisconnection = maxDisconnection;
    // A live session's record outlives its node by maxDisconnection at least:
    // a client of a node that crashed can still resume elsewhere (or after a restart).
    this.#touchEvery = Math.max(1000, Math.min(30_000, Math.floor(maxDisconnection / 3)));
    this.#timer = setInterval(() => this.store.touch(this.#host.heldIds(), this.#liveTtl), this.#touchEvery);
    this.#timer.unref();
  }

  get #liveTtl(): number {
    return this.#maxDisconnection + 2 * this.#touchEvery;
  }

  /** A stream's current position, or null when the store cannot say. */
  position(stream: string): Promise<StreamPosition | null> {
    return this.#track(this.store.position(stream).catch(() => null));
  }

  /**
   * Saves the session's record (coalesced: one save in flight per session,
   * the last state wins). A retained record lapses when the session would
   * end; a live one is kept alive by this node's touches.
   */
  save(source: RecordSource): void {
    const id = source.session.id;
    const running = this.#saving.get(id);
    if (running !== undefined) {
      running.again = true;
      return;
    }
    const state = { again: false, done: Promise.resolve() };
    this.#saving.set(id, state);
    const run = async (): Promise<void> => {
      do {
        state.again = false;
        await this.#saveNow(source);
      } while (state.again);
      this.#saving.delete(id);
    };
    state.done = this.#track(run());
  }

  /**
   * Appends a push to a session's own stream, then hands the entry to
   * `deliver` (nothing when this node no longer holds the session). The
   * store takes a push only for the node the record names, so a record
   * being saved (a session that just started) goes first.
   */
  push(stream: string, text: string, id: string, deliver: (entry: SharedEntry) => void): void {
    const send = (): void => {
      void this.store.appendOwned(stream, text, id, this.node).then((entry) => entry !== null && deliver(entry), () => undefined);
    };
    const barrier = this.#saving.get(id)?.done;
    if (barrier === undefined) send();
    else void barrier.then(send);
  }

  async #saveNow(t: RecordSource): Promise<void> {
    const starts: Record<string, StreamPosition> = {};
    for (const [stream, start] of t.starts) {
      const position = await start;
      if (position !== null) starts[stream] = position;
    }
    let data: unknown;
    try {
      data = JSON.parse(JSON.stringify(t.session.data ?? null) ?? 'null');
    } catch (error) {
      this.#host.unsaved(t.session, error);
      return;
    }
    const s = t.session;
    const left = this.#host.expiryOf(s);
    const record: SessionRecord = {
      node: this.node, state: t.state, hash: t.hash.toString('hex'), expires: t.state === 'retained' ? t.expires : 0, data,
      groups: s.groupList(), alias: s.alias, available: s.available, publicData: s.publicData, starts, code: t.code, reason: t.reason,
      expiry: left === null ? null : Date.now() + left,
    };
    const ttl = t.state === 'retained' ? Math.max(1, t.expires - Date.now()) : this.#liveTtl;
    await this.store.save(s.id, record, ttl);
  }

  /** Takes a session for a resume on this node (null: unknown, wrong token, expired, or the store failed). */
  claim(id: string, hash: Buffer): Promise<SessionRecord | null> {
    return this.#track(this.store.claim(id, hash.toString('hex'), this.node, Date.now()).catch(() => null));
  }

  /** The session ended here: its record and own stream go, if this node still holds it. */
  finish(id: string): Promise<boolean> {
    return this.#track(this.store.finish(id, this.node).catch(() => false));
  }

  /** The gap of one stream after `from` (null: it cannot be given whole). */
  since(stream: string, from: StreamPosition): Promise<SharedEntry[] | null> {
    return this.store.since(stream, from).catch(() => null);
  }

  /** Resolves once every save and finish in flight has settled. */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    void promise.finally(() => this.#inflight.delete(promise));
    return promise;
  }
}

/**
 * Merges the gaps of several streams (each in offset order) into the order
 * they were appended in (the store's sequence); a stream's own order is
 * kept in any case.
 */
export function mergeGaps(lists: readonly (readonly SharedEntry[])[]): SharedEntry[] {
  const out: SharedEntry[] = [];
  const heads = lists.map(() => 0);
  for (;;) {
    let pick = -1;
    for (let i = 0; i < lists.length; i++) {
      const entry = lists[i]![heads[i]!];
      if (entry !== undefined && (pick < 0 || entry.seq < lists[pick]![heads[pick]!]!.seq)) pick = i;
    }
    if (pick < 0) return out;
    out.push(lists[pick]![heads[pick]!++]!);
  }
}
