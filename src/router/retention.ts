// Session recovery (docs/server.md, "Session recovery"). With the
// `recovery` option, every session of our protocol gets a resume token and
// a record of where it started receiving each of its streams. When its
// connection drops without a deliberate close, the session is RETAINED: out
// of every delivery index, its groups and alias kept, for `maxDisconnection`
// ms. A client that comes back with the token (and the last position it
// received on each stream) gets the same session back and, when every
// stream's gap is still in history, the missed pushes: all or nothing, in
// their original order, before anything newer (./gaps.ts, ./replays.ts).
// The history is this process's (./history.ts), or, with the Redis adapter,
// a store every node shares (./recovery-store.ts): then a session can also
// be taken back on another node, or by the next process after this one
// stopped.
//
// Resuming runs in two steps around the auth reply: resume() decides and
// attaches the session to the new connection without indexing it, and
// flush(), once the reply is written, writes the gap, then the pushes that
// arrived meanwhile, and only then indexes the session for live pushes.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ResumeRequest } from './commands.js';
import type { HistoryEntry, HistoryStore, StreamPosition } from './history.js';
import { MemoryHistory } from './history.js';
import type { Peer } from './registry.js';
import { localGap, sharedGap } from './gaps.js';
import { Replays, writeReplay } from './replays.js';
import { RetainedSessions } from './retained.js';
import { ALL_STREAM, groupStream, userStream, type Entry, type Fate, type RecoveryHost, type Replay, type Track } from './recovery-types.js';
import { RecoveryStore, type Start } from './recovery-store.js';
import type { Session } from './session.js';
import type { SharedHistory } from './shared-history.js';
import type { RecoveryOptions } from './types.js';

export { ALL_STREAM, groupStream, userStream, recoveryStats, type Fate, type RecoveryHost, type Track } from './recovery-types.js';

const sha256 = (token: string): Buffer => createHash('sha256').update(token).digest();

export class Recovery {
  readonly options: Required<RecoveryOptions>;
  readonly history: HistoryStore;
  readonly counters = { resumed: 0, recovered: 0, notRecovered: 0, unrecorded: 0 };
  readonly #host: RecoveryHost;
  /** Every session of our protocol, live or retained, by id. */
  readonly #tracks = new Map<string, Track>();
  readonly #replays = new Replays();
  readonly #held: RetainedSessions;
  readonly #issued = new WeakMap<Session<unknown>, string>();
  #sweeper: NodeJS.Timeout | null;

  /** The store every node shares (the Redis adapter's), or null: this process keeps its own history. */
  readonly shared: RecoveryStore | null;

  constructor(options: Required<RecoveryOptions>, host: RecoveryHost, shared: { store: SharedHistory; node: string } | null = null) {
    this.options = options;
    this.#host = host;
    this.#held = new RetainedSessions(host, options.maxDisconnection, (t) => this.end(t));
    this.history = new MemoryHistory({ maxMessages: options.maxMessages, maxBytes: options.maxBytes, maxAge: options.maxDisconnection });
    this.shared = shared === null ? null : new RecoveryStore(shared.store, shared.node, options.maxDisconnection, {
      heldIds: () => [...this.#tracks.values()].filter((t) => t.state !== 'retained').map((t) => t.session.id),
      expiryOf: (session) => host.expiryOf(session),
      unsaved: (session, error) => host.unsaved(session, error),
    });
    // Reading a gap evicts what is too old by itself; the sweep frees memory on a quiet server.
    this.#sweeper = setInterval(() => this.history.sweep(Date.now()), Math.min(Math.max(options.maxDisconnection, 1000), 60_000));
    this.#sweeper.unref();
  }

  get retained(): number {
    return this.#held.count;
  }

  /** Records a push (this process's history); sessions being resumed that receive the stream get it after their replay. */
  append(stream: string, text: string, except: string | null): HistoryEntry {
    const entry = this.history.append(stream, text, except, Date.now());
    this.observe(entry);
    return entry;
  }

  /** A recorded push is delivered: sessions being resumed that receive its stream get it after their replay. */
  observe(entry: Entry): void {
    this.#replays.observe(entry);
  }

  /**
   * A push to one session (a private message, session.send): recorded in its
   * own stream. Returns the text to write now (this process's history), or
   * null with a shared store: the store numbers it, and it is written (or
   * queued behind a replay) when the store answers, while this node still
   * holds the session.
   */
  push(id: string, text: string): string | null {
    const shared = this.shared;
    if (shared === null) return this.append(userStream(id), text, null).text;
    shared.push(userStream(id), text, id, (entry) => {
      this.observe(entry);
      const t = this.#tracks.get(id);
      const peer = t === undefined || t.state !== 'live' ? undefined : this.#host.connectionOf(t.session);
      if (peer !== undefined) this.#host.write(peer, entry.text);
    });
    return null;
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
    if (!this.#held.aliasHeld(alias)) return;
    for (const t of this.#tracks.values()) if (t.state !== 'live' && t.reserved === alias) yield t.session;
  }

  /** True when a retained session holds the alias: it stays reserved for its return. */
  aliasHeld(alias: string): boolean {
    return this.#held.aliasHeld(alias);
  }

  /** A fresh session of our protocol started: returns its resume token. */
  start(session: Session<unknown>): string {
    const token = randomBytes(32).toString('base64url');
    this.#issued.set(session, token);
    const track: Track = { session, hash: sha256(token), state: 'live', starts: new Map(), refs: new Set(), timer: null, reserved: null, held: [], expires: 0, code: 1006, reason: '' };
    this.#tracks.set(session.id, track);
    this.#sync(track);
    this.shared?.save(track);
    return token;
  }

  /**
   * The token start() issued for a session (once: the auth answer carries
   * it). Started before the application hears of the session, so that what
   * it pushes at once is recorded too.
   */
  takeToken(session: Session<unknown>): string {
    const token = this.#issued.get(session) ?? this.start(session);
    this.#issued.delete(session);
    return token;
  }

  /** A session's public state changed (alias, availability): its record follows. */
  changed(session: Session<unknown>): void {
    const t = this.#tracks.get(session.id);
    if (t !== undefined && this.shared !== null) this.shared.save(t);
  }

  /** The session joined a group while live. */
  joined(session: Session<unknown>, group: string): void {
    const t = this.#tracks.get(session.id);
    if (t === undefined) return;
    const stream = groupStream(group);
    if (!t.starts.has(stream)) t.starts.set(stream, this.#position(stream));
    if (!t.refs.has(stream)) {
      t.refs.add(stream);
      this.history.ref(stream);
    }
    this.shared?.save(t);
  }

  left(session: Session<unknown>, group: string): void {
    const t = this.#tracks.get(session.id);
    if (t === undefined) return;
    const stream = groupStream(group);
    t.starts.delete(stream);
    if (t.refs.delete(stream)) this.history.unref(stream);
    this.shared?.save(t);
  }

  /**
   * A connection of a started session closed. Its session is retained (it
   * waits `maxDisconnection` ms for a resume), ended, or handed over: with
   * a shared store, a session this node lets go of (another node took it,
   * or this server shuts down) stays in the store for whoever resumes it,
   * and its end is not this process's to report.
   */
  closed(peer: Peer, code: number, reason: string): Fate {
    const r = this.#replays.take(peer);
    if (r !== undefined) this.#held.releaseAll(r.held);
    const t = this.#tracks.get(peer.session!.id);
    if (t === undefined) return 'ended';
    if (t.moved) {
      this.#drop(t);
      return 'handed';
    }
    // 1000: the client left on purpose; 1008: the server closed it for cause.
    if (t.state !== 'live' || peer.ending || code === 1000 || code === 1008) {
      this.#drop(t);
      void this.shared?.finish(t.session.id);
      return 'ended';
    }
    t.code = code;
    t.reason = reason;
    if (this.#host.closing) {
      // Handed over with a shared store: saved as retained, for another node or the next process.
      if (this.shared !== null) this.shared.save(Object.assign(t, { state: 'retained', expires: Date.now() + this.options.maxDisconnection }));
      this.#drop(t);
      return this.shared === null ? 'ended' : 'handed';
    }
    this.#held.enter(t);
    this.shared?.save(t);
    return 'retained';
  }

  /**
   * Another node took this session for a resume: it leaves here without
   * onConnectionClose (it goes on there). A connection it still has here is
   * dropped (closed() then hands it over).
   */
  moved(id: string): void {
    const t = this.#tracks.get(id);
    if (t === undefined || this.shared === null) return;
    t.moved = true;
    const peer = this.#host.connectionOf(t.session);
    if (peer !== undefined) this.#host.dropConnection(peer);
    else if (this.#tracks.get(id) === t) this.#drop(t);
  }

  #drop(t: Track): void {
    this.#held.leave(t);
    this.#tracks.delete(t.session.id);
    for (const stream of t.refs) this.history.unref(stream);
    t.refs.clear();
  }

  /**
   * A retained session ends: expired, refused on resume, or the server
   * shuts down. Runs onConnectionClose once; with a shared store, only if
   * this node still held the session (no other node took it meanwhile).
   */
  end(t: Track): void {
    if (this.#tracks.get(t.session.id) !== t || t.state === 'live') return;
    this.#drop(t);
    if (this.shared === null) this.#host.ended(t.session, t.code, t.reason);
    else void this.shared.finish(t.session.id).then((held) => held && this.#host.ended(t.session, t.code, t.reason));
  }

  /**
   * Finds the session a resume names and checks its token. A session still
   * live here (its old connection half-open) loses that connection first.
   * The session is then reserved for this resume until resume() or
   * release(); its expiry still runs, so a hook that never answers cannot
   * keep it forever. Null: the auth goes on as a fresh one.
   */
  claim(request: ResumeRequest): Track | null | Promise<Track | null> {
    const t = this.#tracks.get(request.session);
    // Not here: with a shared store, another node (or an earlier process) may have kept it.
    if (t === undefined && this.shared !== null) return this.#claimShared(request.session, sha256(request.token));
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

  /** Takes a session from the shared store: it comes back as a retained session of this node, claimed. */
  async #claimShared(id: string, hash: Buffer): Promise<Track | null> {
    const record = await this.shared!.claim(id, hash);
    if (record === null || this.#tracks.has(id)) return null;
    const session = this.#host.restore(id, record);
    const t: Track = { session, hash, state: 'live', starts: new Map(Object.entries(record.starts)), refs: new Set(), timer: null, reserved: null, held: [], expires: 0, code: record.code, reason: record.reason };
    this.#tracks.set(id, t);
    this.#held.enter(t);
    t.state = 'claimed';
    // Its previous node lets go of it (a half-open connection there is dropped).
    if (record.node !== this.shared!.node) this.#host.moved(id, record.node);
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
    if (!this.holds(t)) return;
    this.#held.enter(t);
    this.shared?.save(t);
  }

  /**
   * Attaches a claimed session to its new connection: decides whether every
   * stream's gap can be covered, and holds the session out of live delivery
   * until flush(). Resolves the new token and the decision. Pushes that
   * arrive meanwhile are queued from the start, so nothing falls between
   * the gap and live delivery, even while a shared store is read.
   */
  async resume(peer: Peer, t: Track, positions: Record<string, StreamPosition>): Promise<{ token: string; recovered: boolean }> {
    const session = t.session;
    const streams = this.#streams(session);
    const starts = new Map(t.starts);
    // The groups stay held until the session is indexed again (flush): no broadcast from another node is missed meanwhile.
    const held = this.#held.leave(t, true);
    t.state = 'live';
    const token = randomBytes(32).toString('base64url');
    t.hash = sha256(token);
    // From here on the session receives everything: what it missed is in the
    // gap (or lost, if not recovered), later pushes go to the queue.
    t.starts.clear();
    this.#sync(t);
    const r: Replay = { id: session.id, streams: new Set(streams), gap: [], queue: [], recovered: false, held, after: new Map() };
    this.#replays.add(peer, r);
    const gap = this.shared === null ? localGap(this.history, session, streams, positions, starts, r.after) : await sharedGap(this.shared, this.#host, session, streams, positions, starts, r.after);
    r.recovered = gap !== null;
    r.gap = gap ?? [];
    if (gap === null) r.after.clear();
    this.counters.resumed++;
    if (r.recovered) this.counters.recovered++;
    else this.counters.notRecovered++;
    this.shared?.save(t);
    return { token, recovered: r.recovered };
  }

  /** After the auth reply: writes the replay and what came meanwhile, then lets live pushes in. */
  flush(peer: Peer): void {
    const r = this.#replays.take(peer);
    if (r === undefined) return;
    if (peer.state === 'open') {
      writeReplay(peer, r);
      this.#host.attach(peer, r.recovered);
    }
    this.#held.releaseAll(r.held);
  }


  /**
   * Shutdown: every retained session ends; with a shared store, they stay
   * there instead, for another node or the next process to resume.
   */
  endAll(): void {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const t of [...this.#tracks.values()]) {
      if (t.state === 'live') continue;
      if (this.shared === null) this.end(t);
      else this.#drop(t);
    }
    this.shared?.close();
  }

  /** A stream's position now: from this process's history, or asked of the shared store. */
  #position(stream: string): Start {
    return this.shared === null ? this.history.position(stream, Date.now()) : this.shared.position(stream);
  }

  #streams(session: Session<unknown>): string[] {
    const list = [ALL_STREAM, userStream(session.id)];
    for (const group of session.groups) list.push(groupStream(group));
    return list;
  }

  /** Records start positions and references for the streams the session receives now. */
  #sync(t: Track): void {
    const streams = new Set(this.#streams(t.session));
    for (const stream of streams) {
      if (!t.starts.has(stream)) t.starts.set(stream, this.#position(stream));
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
