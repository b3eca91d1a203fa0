// The message router: one instance per WebSocketNodeServer. It adopts each
// upgraded WebSocket as a Peer, applies the per-connection limits (message
// rate, messages in flight, outbound backpressure), decodes messages with the
// codec its subprotocol selected, enforces "nothing before authentication",
// and hands every other command to ./actions.ts. No input from the network
// can throw out of here: every hook call is wrapped, every decode failure is
// an error reply. The modules it drives see it only through the narrow host
// interfaces they declare (./host.ts lists them); only the server imports
// this file.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RawData, WebSocket } from '../session/index.js';
import { runCommand, type ActionHost } from './actions.js';
import type { Adapter } from './adapter.js';
import { AdapterNodeBridge, type NodeHost } from './adapter-node.js';
import { authenticate, type AuthHost, type SessionInit } from './auth.js';
import type { Codec, Command, Decoded, Outcome } from './commands.js';
import { fail } from './commands.js';
import { HookError, RequestError } from './errors.js';
import { fanOut, type OutboundGate } from './fanout.js';
import type { Invoked, RouterCounters } from './host.js';
import { RATE_CLOSE, RATE_OK, takeToken, type RateVerdict } from './limits.js';
import { PresencePacer } from './presence.js';
import { createLegacyCodec } from './protocol-legacy.js';
import { createV1Codec } from './protocol-v1.js';
import { Registry, type Peer } from './registry.js';
import { RecoveryLink, sharedStoreOf, type ResumeHost } from './resume.js';
import { Recovery } from './retention.js';
import { broadcastEvent } from './broadcast.js';
import { Session, type SessionHost } from './session.js';
import { SessionBridge, type BridgeHost } from './session-bridge.js';
import type { Hooks, ResolvedOptions } from './types.js';
import { PROTOCOL_V1, type PublicClient } from './wire.js';

const OPEN = 1;

/** What the router tells its server about: failures, new sessions, limits at work. */
export interface RouterEvents {
  report(error: HookError): void;
  session(session: Session<unknown>): void;
  backpressure(session: Session<unknown> | null, action: 'drop' | 'close', queuedBytes: number): void;
  rateLimit(session: Session<unknown> | null, action: 'reject' | 'close'): void;
  /** The adapter lost its broker (error) or has it back (null). */
  connectivity(error: Error | null): void;
  /** A session resumed on a new connection (session recovery). */
  resume(session: Session<unknown>, recovered: boolean): void;
}

const BINARY_REFUSED: Decoded<unknown> = { ok: false, ref: null, error: { code: 'bad_message', message: 'binary messages are not part of the protocol' } };

export class Router implements OutboundGate, ActionHost, AuthHost, BridgeHost, NodeHost, ResumeHost {
  readonly registry: Registry;
  /** Everything beyond this process goes through it (./adapter.ts). */
  readonly adapter: Adapter;
  /** What other nodes' traffic does here; given to the adapter when it starts. */
  readonly node: AdapterNodeBridge;
  /** Every adopted connection, authenticated or not. */
  readonly peers = new Map<WebSocket, Peer>();
  readonly hooks: Hooks<unknown>;
  readonly options: ResolvedOptions;
  readonly v1: Codec;
  readonly legacy: Codec;
  readonly counters: RouterCounters = {
    dropped: 0, closedForBackpressure: 0, rateLimited: 0, closedForRate: 0, authTimeouts: 0, refusedBroadcasts: 0, refusedJoins: 0,
  };
  /** Session recovery (the `recovery` option); null when it is off. */
  readonly recovery: Recovery | null;
  /** Paces presence announcements of alias and availability changes. */
  readonly pacer: PresencePacer;
  /** Where sessions call back when the application changes them. */
  readonly #bridge: SessionBridge;
  /** What sessions are made with (a session restored by session recovery too). */
  readonly sessionHost: SessionHost;
  /** Set by shutdown(): new work is refused with `shutting_down`. */
  closing = false;
  #inflight = 0;
  #idle: Array<() => void> = [];
  #empty: Array<() => void> = [];
  readonly #events: RouterEvents;
  // Listeners shared by every connection (`this` is the WebSocket), so an
  // idle connection costs no closures of its own.
  readonly #listeners: {
    message(this: WebSocket, data: RawData, isBinary: boolean): void;
    ping(this: WebSocket): void;
    pong(this: WebSocket): void;
    close(this: WebSocket, code: number, reason: Buffer): void;
  };

  constructor(options: ResolvedOptions, hooks: Hooks<unknown>, events: RouterEvents, adapter: Adapter) {
    this.adapter = adapter;
    this.registry = new Registry(adapter);
    this.node = new AdapterNodeBridge(this);
    this.options = options;
    this.sessionHost = this.#bridge = new SessionBridge(this);
    this.hooks = hooks;
    this.#events = events;
    const limits = { maxDepth: options.maxDepth, maxNameLength: options.maxNameLength };
    this.v1 = createV1Codec({ ...limits, maxPositions: (options.maxGroupsPerSession || 128) + 2 });
    this.legacy = createLegacyCodec(limits);
    this.recovery = options.recovery === false ? null : new Recovery(options.recovery, new RecoveryLink(this), sharedStoreOf(adapter, options.recovery));
    this.pacer = new PresencePacer(options.presence, { announce: (peer) => this.presence(peer, peer.session!.toPublic(true)) });
    const peers = this.peers;
    const router = this;
    this.#listeners = {
      message(this: WebSocket, data: RawData, isBinary: boolean) {
        const peer = peers.get(this);
        // The router's sockets keep binaryType 'nodebuffer': data is a Buffer.
        if (peer !== undefined) router.#onMessage(peer, data as Buffer, isBinary);
      },
      ping(this: WebSocket) {
        // Control frames cost a token too: a ping flood makes the core queue
        // a pong per ping, which a peer that does not read would pile up.
        const peer = peers.get(this);
        if (peer !== undefined) router.#rateControl(peer);
      },
      pong(this: WebSocket) {
        const peer = peers.get(this);
        if (peer !== undefined) router.#rateControl(peer);
      },
      close(this: WebSocket, code: number, reason: Buffer) {
        const peer = peers.get(this);
        if (peer !== undefined) router.connectionClosed(peer, code, reason.toString());
      },
    };
  }

  /** The subprotocol choice for the core's handshake: ours when offered, else none (legacy). */
  pickProtocol = (offered: Set<string>): string | false => (offered.has(PROTOCOL_V1) ? PROTOCOL_V1 : false);

  /** Takes over a freshly upgraded connection. */
  adopt(ws: WebSocket, req: IncomingMessage): void {
    const codec = ws.protocol === PROTOCOL_V1 ? this.v1 : this.legacy;
    const burst = this.options.rateLimit === false ? 0 : this.options.rateLimit.burst;
    const peer: Peer = {
      ws, codec, req, state: 'new', session: null, authAttempts: 0, authTimer: null, inflight: 0,
      tokens: burst, stamp: performance.now(), indexedAlias: null, castBudget: null, ending: false,
    };
    this.peers.set(ws, peer);
    const l = this.#listeners;
    ws.on('message', l.message);
    ws.on('ping', l.ping);
    ws.on('pong', l.pong);
    ws.on('close', l.close);
    // The session layer reports socket and protocol errors, then closes; the
    // close path does the cleanup, so the error itself needs no handling.
    ws.on('error', noop);
    if (this.options.authTimeout > 0) {
      peer.authTimer = setTimeout(() => {
        peer.authTimer = null;
        if (peer.state === 'open' || peer.state === 'closed') return;
        this.counters.authTimeouts++;
        ws.close(1008, 'Authentication timeout');
      }, this.options.authTimeout);
      peer.authTimer.unref();
    }
  }

  /** Runs an application hook; a throw or rejection is reported, never propagated. */
  async invoke(hook: string, fn: () => unknown, session: Session<unknown> | null): Promise<Invoked> {
    try {
      return { ok: true, value: await fn() };
    } catch (error) {
      // A RequestError is an answer the application chose, not a failure.
      if (!(error instanceof RequestError)) this.reportError(new HookError(hook, error, session?.id ?? null));
      return { ok: false, error };
    }
  }

  reportError(error: HookError): void {
    this.#events.report(error);
  }

  connectivity(error: Error | null): void {
    this.#events.connectivity(error);
  }

  #rate(peer: Peer): RateVerdict {
    const rate = this.options.rateLimit;
    if (rate === false) return RATE_OK;
    const verdict = takeToken(peer, rate, performance.now());
    if (verdict === RATE_CLOSE) {
      this.counters.closedForRate++;
      this.#events.rateLimit(peer.session, 'close');
      peer.ending = true;
      peer.ws.close(1008, 'Rate limit exceeded');
    }
    return verdict;
  }

  #rateControl(peer: Peer): void {
    if (peer.state !== 'closed' && peer.ws.readyState === OPEN) this.#rate(peer);
  }

  #onMessage(peer: Peer, data: Buffer, isBinary: boolean): void {
    // After our close frame nothing we answer can be delivered (RFC 6455
    // §5.5.1), so work for it would be wasted; a flood past a 1008 stops here.
    if (peer.state === 'closed' || peer.ws.readyState !== OPEN) return;
    const verdict = this.#rate(peer);
    if (verdict === RATE_CLOSE) return;
    const decoded = isBinary ? BINARY_REFUSED : peer.codec.decode(data.toString('utf8'));
    const authenticated = peer.state === 'open';
    if (!authenticated && peer.codec.closeOnUnauthenticated && !(decoded.ok && decoded.command.kind === 'auth')) {
      peer.ws.close(1008, 'Authenticate first');
      return;
    }
    const command = decoded.ok ? decoded.command : null;
    let early: Outcome | null = null;
    if (verdict !== RATE_OK) {
      // Decoded anyway, so the answer carries the message's id.
      early = fail('rate_limited', 'too many messages; slow down');
      this.counters.rateLimited++;
      this.#events.rateLimit(peer.session, 'reject');
    } else if (!decoded.ok) early = { ok: false, error: decoded.error };
    else if (this.closing) early = fail('shutting_down', 'the server is shutting down');
    else if (!authenticated && command!.kind !== 'auth') early = fail('not_authenticated', 'authenticate first');
    else if (this.options.maxInflight > 0 && peer.inflight >= this.options.maxInflight) {
      early = fail('rate_limited', 'too many messages in progress; wait for answers');
      this.counters.rateLimited++;
      this.#events.rateLimit(peer.session, 'reject');
    }
    if (early !== null) {
      this.#send(peer, peer.codec.reply(decoded.ref, command, early));
      return;
    }
    void this.#run(peer, decoded.ref, command!);
  }

  async #run(peer: Peer, ref: unknown, command: Command): Promise<void> {
    this.#inflight++;
    peer.inflight++;
    let outcome: Outcome;
    try {
      outcome = command.kind === 'auth' ? await authenticate(this, peer, command.credentials, command.resume ?? null) : await runCommand(this, peer, command);
    } catch (error) {
      // Defensive: actions catch application errors themselves.
      this.reportError(new HookError('router', error, peer.session?.id ?? null));
      outcome = fail('internal_error', 'the server failed to process the message');
    } finally {
      peer.inflight--;
      this.#inflight--;
      if (this.#inflight === 0) for (const wake of this.#idle.splice(0)) wake();
    }
    this.#send(peer, peer.codec.reply(ref, command, outcome));
    // A resumed session's replay follows its reply, before any newer push.
    if (command.kind === 'auth' && this.recovery !== null) this.recovery.flush(peer);
    if (command.kind === 'auth' && !outcome.ok && peer.state === 'new' && peer.authAttempts >= this.options.maxAuthAttempts) {
      peer.ws.close(1008, 'Too many authentication attempts');
    }
  }

  /**
   * Answers go to one client, possibly before it is authenticated. They
   * skip the push gate (dropping one would leave a request unanswered); the
   * core's hard bound (twice the limit) closes a client that does not read
   * even its own answers.
   */
  #send(peer: Peer, text: string | null): void {
    if (text === null || peer.state === 'closed') return;
    if (peer.ws.readyState === OPEN) peer.ws.send(text);
  }

  /** OutboundGate: the backpressure policy for pushes (broadcasts, events, presence, private messages). */
  admit(peer: Peer): boolean {
    const bp = this.options.backpressure;
    if (bp === false) return true;
    const queued = peer.ws._backlog;
    if (queued <= bp.limit) return true;
    if (bp.policy === 'drop') {
      this.counters.dropped++;
      this.#events.backpressure(peer.session, 'drop', queued);
    } else if (peer.ws.readyState === OPEN) {
      this.counters.closedForBackpressure++;
      this.#events.backpressure(peer.session, 'close', queued);
      peer.ws.close(bp.closeCode, 'Backpressure limit exceeded');
    }
    return false;
  }

  /** The core closed a connection at the hard bound (an answer or an application write did not fit). */
  hardLimitReached(ws: WebSocket, queued: number): void {
    this.counters.closedForBackpressure++;
    this.#events.backpressure(this.peers.get(ws)?.session ?? null, 'close', queued);
  }

  /** Turns a successful authentication into a registered, announced session. */
  startSession(peer: Peer, init: SessionInit): Session<unknown> {
    const session = new Session<unknown>(this.#bridge, { id: randomUUID(), protocol: peer.codec.name, ...init });
    peer.session = session;
    // Only the authentication hook needs the upgrade request: an idle
    // session does not keep it (and its headers) alive.
    peer.req = null;
    if (peer.authTimer !== null) clearTimeout(peer.authTimer);
    peer.authTimer = null;
    if (peer.state === 'closed' || peer.ws.readyState !== OPEN) {
      // The client left (or is leaving) while the application was
      // authenticating it. The session did start, so the application gets
      // its one close call; it is never registered nor announced.
      if (peer.state !== 'closed') this.connectionClosed(peer, 1006, '');
      void this.sessionEnded(session, 1006, '');
      return session;
    }
    peer.state = 'open';
    session.setLive(true);
    this.registry.add(peer);
    if (peer.codec.name === 'v1') this.recovery?.start(session); // so what the application pushes at once is recorded
    this.#events.session(session);
    this.announce(peer);
    return session;
  }

  /** Announces a session that (re)started: presence if available, its state to other nodes either way. */
  announce(peer: Peer): void {
    const session = peer.session!;
    // LEGACY-PROTOCOL: a client that authenticates available is announced.
    if (session.available) this.presence(peer, session.toPublic(true));
    // Other nodes learn of it either way (their listings, alias ownership).
    else this.adapter.sessionState(session.toPublic(true), false);
  }

  /** A resumed session's replay is written: live pushes reach it from now on. */
  resumed(peer: Peer, recovered: boolean): void {
    this.registry.add(peer);
    this.#bridge.expiry.renotice(peer.session!);
    this.announce(peer);
    this.#events.resume(peer.session!, recovered);
  }

  /** A connection is gone (the socket's close, or one dropped here): retains or ends its session. */
  connectionClosed(peer: Peer, code: number, reason: string): void {
    if (peer.state === 'closed') return;
    const wasOpen = peer.state === 'open';
    peer.state = 'closed';
    peer.req = null;
    this.peers.delete(peer.ws);
    if (this.peers.size === 0) for (const wake of this.#empty.splice(0)) wake();
    if (peer.authTimer !== null) clearTimeout(peer.authTimer);
    peer.authTimer = null;
    const session = peer.session;
    if (!wasOpen || session === null) return;
    // A session kept for a resume ends later, and only if it is not resumed;
    // retained before it leaves the indexes, so its groups' interest never lapses.
    const fate = this.recovery === null ? 'ended' : this.recovery.closed(peer, code, reason);
    this.registry.remove(peer);
    this.pacer.gone(peer);
    session.setLive(false);
    // The 0.2.3 fix: a disconnect is always announced, whatever the availability.
    this.presence(peer, session.toPublic(false));
    if (fate === 'ended') void this.sessionEnded(session, code, reason);
    else if (fate === 'handed') this.#bridge.expiry.clear(session);
  }

  /** A started session ended: onConnectionClose, once. */
  sessionEnded(session: Session<unknown>, code: number, reason: string): Promise<Invoked> | undefined {
    this.#bridge.expiry.clear(session);
    const hook = this.hooks.connectionClose;
    if (hook === undefined) return undefined;
    return this.invoke('onConnectionClose', () => hook(session, code, reason), session);
  }

  /** Tells every other available client, on this node and the others, about a client's public state. */
  presence(subject: Peer, client: PublicClient): number {
    this.adapter.sessionState(client, true);
    return fanOut(this, this.registry.available, (codec) => codec.presence(client), subject);
  }

  /** Server or handler broadcast (./broadcast.ts); returns how many of this node's clients it was written to. */
  broadcast(event: string, group: string | null, data: unknown, exceptId: string | null): number {
    return broadcastEvent(this, event, group, data, exceptId);
  }

  /** Resolves when no command is processed (or at once). */
  whenIdle(): Promise<void> {
    return this.#inflight === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Resolves when no connection is left (or at once). */
  whenEmpty(): Promise<void> {
    return this.peers.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#empty.push(resolve));
  }

  /** Closes every connection; used by a graceful shutdown after whenIdle(). */
  closeAll(code: number, reason: string): void {
    for (const peer of this.peers.values()) peer.ws.close(code, reason);
  }

  /** Last resort of a shutdown: runs the close path for peers the socket layer never reported. */
  forget(): void {
    for (const peer of [...this.peers.values()]) {
      peer.ws.terminate();
      this.connectionClosed(peer, 1006, '');
    }
    // Shutdown ends the sessions waiting for a resume too.
    this.recovery?.endAll();
  }
}

function noop(): void {}
