// Session recovery in one process (docs/server.md, "Session recovery"). With
// the `recovery` option, every session of our protocol gets a resume token
// and a record of where it started receiving each of its streams (./history.ts).
// When its connection drops without a deliberate close, the session is
// RETAINED: out of every delivery index, its groups and alias kept, for
// `maxDisconnection` ms. A client that comes back with the token (and the
// last position it received on each stream) gets the same session back and,
// when every stream's gap is still in history, the missed pushes: all or
// nothing, in their original order, before anything newer.
//
// Resuming runs in two steps around the auth reply: resume() decides and
// attaches the session to the new connection without indexing it, and
// flush(), once the reply is written, writes the gap, then the pushes that
// arrived meanwhile (queued here), and only then indexes the session for
// live pushes. So nothing newer can overtake the replay, even if the
// history store one day answers asynchronously.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ResumeRequest } from './commands.js';
import type { HistoryEntry, HistoryStore, StreamPosition } from './history.js';
import { MemoryHistory } from './history.js';
import type { Peer } from './registry.js';
import type { Session } from './session.js';
import type { RecoveryOptions, RecoveryStats } from './types.js';


/** What recovery needs from the router. */
export interface RecoveryHost {
  /** True while the server shuts down: nothing is retained then. */
  readonly closing: boolean;
  /** The live connection of a session, if it has one. */
  connectionOf(session: Session<unknown>): Peer | undefined;
  /** Drops a live connection at once (a half-open one, superseded by a resume); runs the close path. */
  dropConnection(peer: Peer): void;
  /** The replay is written: index the session for live pushes and announce it. */
  attach(peer: Peer, recovered: boolean): void;
  /** The session ended for good: runs onConnectionClose. */
  ended(session: Session<unknown>, code: number, reason: string): void;
  /** Keeps (and gives back) the node's interest in a retained session's groups. */
  hold(group: string): void;
  release(group: string): void;
}

export interface Track {
  readonly session: Session<unknown>;
  hash: Buffer;
  state: 'live' | 'retained' | 'claimed';
  /** Where the session started receiving each stream it receives. */
  readonly starts: Map<string, StreamPosition>;
  /** The streams it holds a reference on (their metadata is kept meanwhile). */
  readonly refs: Set<string>;
  timer: NodeJS.Timeout | null;
  /** The alias reserved while retained. */
  reserved: string | null;
  /** The groups whose interest is held while retained. */
  held: string[];
  expires: number;
  code: number;
  reason: string;
}

interface Replay {
  readonly id: string;
  readonly streams: ReadonlySet<string>;
  readonly gap: HistoryEntry[];
  /** Pushes appended since the decision, in order. */
  readonly queue: HistoryEntry[];
  readonly recovered: boolean;
  /** Groups whose interest is held until the session is indexed. */
  readonly held: string[];
}

export const ALL_STREAM = 'all';
export const groupStream = (group: string): string => `g:${group}`;
export const userStream = (id: string): string => `u:${id}`;

const sha256 = (token: string): Buffer => createHash('sha256').update(token).digest();

export class Recovery {
  readonly options: Required<RecoveryOptions>;
  readonly history: HistoryStore;
  readonly counters = { resumed: 0, recovered: 0, notRecovered: 0 };
  readonly #host: RecoveryHost;
  /** Every session of our protocol, live or retained, by id. */
  readonly #tracks = new Map<string, Track>();
  readonly #aliases = new Map<string, number>();
  readonly #replaying = new Map<Peer, Replay>();
  #retained = 0;
  #sweeper: NodeJS.Timeout | null;

  constructor(options: Required<RecoveryOptions>, host: RecoveryHost, history?: HistoryStore) {
    this.options = options;
    this.#host = host;
    this.history = history ?? new MemoryHistory({ maxMessages: options.maxMessages, maxBytes: options.maxBytes, maxAge: options.maxDisconnection });
    // Reading a gap evicts what is too old by itself; the sweep frees memory on a quiet server.
    this.#sweeper = setInterval(() => this.history.sweep(Date.now()), Math.min(Math.max(options.maxDisconnection, 1000), 60_000));
    this.#sweeper.unref();
  }

  get retained(): number {
    return this.#retained;
  }

  /** Records a push; sessions being resumed that receive the stream get it after their replay. */
  append(stream: string, text: string, except: string | null): HistoryEntry {
    const entry = this.history.append(stream, text, except, Date.now());
    if (this.#replaying.size !== 0) {
      for (const r of this.#replaying.values()) if (r.streams.has(stream) && r.id !== except) r.queue.push(entry);
    }
    return entry;
  }

  /** Records a broadcast in its stream (`all` or its group's); returns the text with its position. */
  appendBroadcast(group: string | null, text: string, except: string | null): string {
    return this.append(group === null ? ALL_STREAM : groupStream(group), text, except).text;
  }

  /** Whether pushes to this session are recorded (a session of our protocol, with recovery on). */
  tracks(id: string): boolean {
    return this.#tracks.has(id);
  }

  /** A retained session, by id (private messages reach it through history). */
  retainedSession(id: string): Session<unknown> | undefined {
    const t = this.#tracks.get(id);
    return t !== undefined && t.state !== 'live' ? t.session : undefined;
  }

  /** The retained sessions holding an alias. */
  *retainedWithAlias(alias: string): Iterable<Session<unknown>> {
    if (!this.#aliases.has(alias)) return;
    for (const t of this.#tracks.values()) if (t.state !== 'live' && t.reserved === alias) yield t.session;
  }

  /** True when a retained session holds the alias: it stays reserved for its return. */
  aliasHeld(alias: string): boolean {
    return this.#aliases.has(alias);
  }

  /** A fresh session of our protocol started: returns its resume token. */
  start(session: Session<unknown>): string {
    const token = randomBytes(32).toString('base64url');
    const track: Track = { session, hash: sha256(token), state: 'live', starts: new Map(), refs: new Set(), timer: null, reserved: null, held: [], expires: 0, code: 1006, reason: '' };
    this.#tracks.set(session.id, track);
    this.#sync(track);
    return token;
  }

  /** The session joined a group while live. */
  joined(session: Session<unknown>, group: string): void {
    const t = this.#tracks.get(session.id);
    if (t === undefined) return;
    const stream = groupStream(group);
    if (!t.starts.has(stream)) t.starts.set(stream, this.history.position(stream, Date.now()));
    if (!t.refs.has(stream)) {
      t.refs.add(stream);
      this.history.ref(stream);
    }
  }

  left(session: Session<unknown>, group: string): void {
    const t = this.#tracks.get(session.id);
    if (t === undefined) return;
    const stream = groupStream(group);
    t.starts.delete(stream);
    if (t.refs.delete(stream)) this.history.unref(stream);
  }

  /** Whether a closed connection's session is kept for a resume rather than ended. */
  shouldRetain(peer: Peer, code: number): boolean {
    const t = this.#tracks.get(peer.session!.id);
    // 1000: the client left on purpose; 1008: the server closed it for cause.
    return t !== undefined && t.state === 'live' && !peer.ending && !this.#host.closing && code !== 1000 && code !== 1008;
  }

  /** A connection closed: its session waits `maxDisconnection` ms for a resume. */
  retain(peer: Peer, code: number, reason: string): void {
    const t = this.#tracks.get(peer.session!.id)!;
    t.code = code;
    t.reason = reason;
    this.#toRetained(t);
    const r = this.#replaying.get(peer);
    this.#replaying.delete(peer);
    if (r !== undefined) this.#releaseAll(r.held);
  }

  /** The session ends without retention (a deliberate close, shutdown, or no recovery for it). */
  forget(peer: Peer): void {
    const r = this.#replaying.get(peer);
    this.#replaying.delete(peer);
    if (r !== undefined) this.#releaseAll(r.held);
    const t = this.#tracks.get(peer.session!.id);
    if (t !== undefined) this.#drop(t);
  }

  #toRetained(t: Track): void {
    if (t.state === 'live') {
      this.#retained++;
      const alias = (t.reserved = t.session.alias);
      if (alias !== null) this.#aliases.set(alias, (this.#aliases.get(alias) ?? 0) + 1);
      t.held = t.session.groupList();
      for (const group of t.held) this.#host.hold(group);
    }
    t.state = 'retained';
    t.expires = Date.now() + this.options.maxDisconnection;
    if (t.timer !== null) clearTimeout(t.timer);
    t.timer = setTimeout(() => this.end(t), this.options.maxDisconnection);
    t.timer.unref();
  }

  /** Leaves the retained state (resumed or ended); returns the groups still held, when `keep`. */
  #fromRetained(t: Track, keep = false): string[] {
    if (t.timer !== null) clearTimeout(t.timer);
    t.timer = null;
    if (t.state === 'live') return [];
    this.#retained--;
    const held = t.held;
    t.held = [];
    if (!keep) this.#releaseAll(held);
    const alias = t.reserved;
    t.reserved = null;
    const n = alias === null ? undefined : this.#aliases.get(alias);
    if (n !== undefined) {
      if (n <= 1) this.#aliases.delete(alias!);
      else this.#aliases.set(alias!, n - 1);
    }
    return keep ? held : [];
  }

  #releaseAll(groups: string[]): void {
    for (const group of groups) this.#host.release(group);
  }

  #drop(t: Track): void {
    this.#fromRetained(t);
    this.#tracks.delete(t.session.id);
    for (const stream of t.refs) this.history.unref(stream);
    t.refs.clear();
  }

  /** A retained session ends: expired, refused on resume, or the server shuts down. Runs onConnectionClose once. */
  end(t: Track): void {
    if (this.#tracks.get(t.session.id) !== t || t.state === 'live') return;
    this.#drop(t);
    this.#host.ended(t.session, t.code, t.reason);
  }

  /**
   * Finds the session a resume names and checks its token. A session still
   * live here (its old connection half-open) loses that connection first.
   * The session is then reserved for this resume until resume() or
   * release(); its expiry still runs, so a hook that never answers cannot
   * keep it forever. Null: the auth goes on as a fresh one.
   */
  claim(request: ResumeRequest): Track | null {
    const t = this.#tracks.get(request.session);
    if (t === undefined || t.state === 'claimed') return null;
    const given = sha256(request.token);
    if (!timingSafeEqual(given, t.hash)) return null;
    if (t.state === 'retained' && Date.now() > t.expires) return null;
    if (t.state === 'live') {
      const old = this.#host.connectionOf(t.session);
      if (old !== undefined) this.#host.dropConnection(old);
      if (this.#tracks.get(request.session) !== t || (t.state as Track['state']) !== 'retained') return null;
    }
    t.state = 'claimed';
    return t;
  }

  /** Whether a claim still holds (the session did not expire while its hook ran). */
  holds(t: Track): boolean {
    return this.#tracks.get(t.session.id) === t && t.state === 'claimed';
  }

  /** The application closed a retained session: it ends now. */
  close(session: Session<unknown>): void {
    const t = this.#tracks.get(session.id);
    if (t !== undefined && t.state === 'retained') this.end(t);
  }

  /** A claimed resume did not happen: the authentication hook refused it. */
  refuse(t: Track): void {
    this.end(t);
  }

  /** A claimed resume did not happen: the new connection left meanwhile. */
  release(t: Track): void {
    if (this.holds(t)) this.#toRetained(t);
  }

  /**
   * Attaches a claimed session to its new connection: decides whether every
   * stream's gap can be covered, and holds the session out of live delivery
   * until flush(). Returns the new token and the decision.
   */
  resume(peer: Peer, t: Track, positions: Record<string, StreamPosition>): { token: string; recovered: boolean } {
    const now = Date.now();
    const session = t.session;
    const streams = this.#streams(session);
    let gap: HistoryEntry[] = [];
    let recovered = true;
    for (const stream of streams) {
      const from = startOf(Object.hasOwn(positions, stream) ? positions[stream] : undefined, t.starts.get(stream)) ?? this.history.position(stream, now);
      const missed = this.history.since(stream, from, now);
      if (missed === null) {
        recovered = false;
        break;
      }
      for (const entry of missed) if (entry.except !== session.id) gap.push(entry);
    }
    if (recovered) gap.sort((a, b) => a.seq - b.seq);
    else gap = [];
    // The groups stay held until the session is indexed again (flush): no broadcast from another node is missed meanwhile.
    const held = this.#fromRetained(t, true);
    t.state = 'live';
    const token = randomBytes(32).toString('base64url');
    t.hash = sha256(token);
    // From here on the session receives everything: what it missed is in the
    // gap (or lost, if not recovered), later pushes go to the queue.
    t.starts.clear();
    this.#sync(t);
    this.counters.resumed++;
    if (recovered) this.counters.recovered++;
    else this.counters.notRecovered++;
    this.#replaying.set(peer, { id: session.id, streams: new Set(streams), gap, queue: [], recovered, held });
    return { token, recovered };
  }

  /** After the auth reply: writes the replay and what came meanwhile, then lets live pushes in. */
  flush(peer: Peer): void {
    const r = this.#replaying.get(peer);
    if (r === undefined) return;
    this.#replaying.delete(peer);
    if (peer.state !== 'open') {
      this.#releaseAll(r.held);
      return;
    }
    // Written past the push gate, like answers: the core's hard bound still applies.
    for (const entry of r.gap) peer.ws.send(entry.text);
    for (const entry of r.queue) peer.ws.send(entry.text);
    this.#host.attach(peer, r.recovered);
    this.#releaseAll(r.held);
  }

  /** Shutdown: every retained session ends. */
  endAll(): void {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const t of [...this.#tracks.values()]) if (t.state !== 'live') this.end(t);
  }

  #streams(session: Session<unknown>): string[] {
    const list = [ALL_STREAM, userStream(session.id)];
    for (const group of session.groups) list.push(groupStream(group));
    return list;
  }

  /** Records start positions and references for the streams the session receives now. */
  #sync(t: Track): void {
    const now = Date.now();
    const streams = new Set(this.#streams(t.session));
    for (const stream of streams) {
      if (!t.starts.has(stream)) t.starts.set(stream, this.history.position(stream, now));
      if (!t.refs.has(stream)) {
        t.refs.add(stream);
        this.history.ref(stream);
      }
    }
    for (const stream of t.refs) {
      if (!streams.has(stream)) {
        t.refs.delete(stream);
        t.starts.delete(stream);
        this.history.unref(stream);
      }
    }
  }
}

/** ServerStats.recovery (zeros when recovery is off). */
export function recoveryStats(recovery: Recovery | null): RecoveryStats {
  if (recovery === null) return { retained: 0, resumed: 0, recovered: 0, notRecovered: 0, entries: 0, bytes: 0 };
  const { entries, bytes } = recovery.history.stats;
  return { retained: recovery.retained, ...recovery.counters, entries, bytes };
}

/**
 * Where a stream's gap starts: the client's position, but never before the
 * point the session started receiving the stream (a client's old position
 * must not reveal what was sent while it was out of a group).
 */
function startOf(client: StreamPosition | undefined, start: StreamPosition | undefined): StreamPosition | undefined {
  if (client === undefined) return start;
  if (start !== undefined && start.e === client.e && start.o > client.o) return start;
  return client;
}
