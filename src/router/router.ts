// The message router: one instance per WebSocketNodeServer. It adopts each
// upgraded WebSocket as a Peer, decodes its messages with the codec its
// subprotocol selected, enforces "nothing before authentication", runs the
// authentication hook, and hands every other command to ./actions.ts. No
// input from the network can throw out of here: every hook call is wrapped,
// every decode failure is an error reply.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from '../session/index.js';
import { runCommand } from './actions.js';
import type { Codec, Command, Outcome, PublicClient } from './commands.js';
import { fail, ok } from './commands.js';
import { HookError, RequestError, toWireError } from './errors.js';
import { fanOut, writeText } from './fanout.js';
import { createLegacyCodec } from './protocol-legacy.js';
import { createV1Codec, PROTOCOL_V1 } from './protocol-v1.js';
import { Registry, type Peer } from './registry.js';
import { Session, type SessionHost } from './session.js';
import type { Hooks, ResolvedOptions } from './types.js';

export type Invoked = { ok: true; value: unknown } | { ok: false; error: unknown };

interface SessionInit {
  data: unknown;
  groups: string[];
  alias: string | null;
  available: boolean;
  publicData: unknown;
}

export class Router implements SessionHost {
  readonly registry = new Registry();
  /** Every adopted connection, authenticated or not. */
  readonly peers = new Set<Peer>();
  readonly hooks: Hooks<unknown>;
  readonly options: ResolvedOptions;
  readonly v1: Codec;
  readonly legacy: Codec;
  /** Set by shutdown(): new work is refused with `shutting_down`. */
  closing = false;
  #inflight = 0;
  #idle: Array<() => void> = [];
  #empty: Array<() => void> = [];
  #report: (error: HookError) => void;
  #onSession: (session: Session<unknown>) => void;

  constructor(
    options: ResolvedOptions,
    hooks: Hooks<unknown>,
    report: (error: HookError) => void,
    onSession: (session: Session<unknown>) => void,
  ) {
    this.options = options;
    this.hooks = hooks;
    this.#report = report;
    this.#onSession = onSession;
    const limits = { maxDepth: options.maxDepth, maxNameLength: options.maxNameLength };
    this.v1 = createV1Codec(limits);
    this.legacy = createLegacyCodec(limits);
  }

  /** The subprotocol choice for the core's handshake: ours when offered, else none (legacy). */
  pickProtocol = (offered: Set<string>): string | false => (offered.has(PROTOCOL_V1) ? PROTOCOL_V1 : false);

  /** Takes over a freshly upgraded connection. */
  adopt(ws: WebSocket, req: IncomingMessage): void {
    const codec = ws.protocol === PROTOCOL_V1 ? this.v1 : this.legacy;
    const peer: Peer = { ws, codec, req, state: 'new', session: null, authAttempts: 0, authTimer: null, alive: true };
    this.peers.add(peer);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(peer, data, isBinary));
    ws.on('pong', () => (peer.alive = true));
    ws.once('close', (code: number, reason: Buffer) => this.#onClose(peer, code, reason.toString()));
    // The session layer reports socket and protocol errors, then closes; the
    // close path does the cleanup, so the error itself needs no handling.
    ws.on('error', () => {});
    if (this.options.authTimeout > 0) {
      peer.authTimer = setTimeout(() => {
        peer.authTimer = null;
        if (peer.state !== 'open') ws.close(1008, 'Authentication timeout');
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
      if (!(error instanceof RequestError)) this.#report(new HookError(hook, error, session?.id ?? null));
      return { ok: false, error };
    }
  }

  /** One heartbeat round: terminate peers silent since the last round, ping the rest. */
  sweep(): void {
    for (const peer of this.peers) {
      if (!peer.alive) {
        peer.ws.terminate();
        continue;
      }
      peer.alive = false;
      try {
        peer.ws.ping();
      } catch {
        // not open any more: its close event is on the way
      }
    }
  }

  #onMessage(peer: Peer, data: Buffer, isBinary: boolean): void {
    peer.alive = true;
    if (peer.state === 'closed') return;
    const decoded = isBinary
      ? ({ ok: false, ref: null, error: { code: 'bad_message', message: 'binary messages are not part of the protocol' } } as const)
      : peer.codec.decode(data.toString('utf8'));
    const authenticated = peer.state === 'open';
    if (!authenticated && peer.codec.closeOnUnauthenticated && !(decoded.ok && decoded.command.kind === 'auth')) {
      peer.ws.close(1008, 'Authenticate first');
      return;
    }
    if (!decoded.ok) {
      this.#send(peer, peer.codec.reply(decoded.ref, null, { ok: false, error: decoded.error }));
      return;
    }
    const { command, ref } = decoded;
    let early: Outcome | null = null;
    if (this.closing) early = fail('shutting_down', 'the server is shutting down');
    else if (!authenticated && command.kind !== 'auth') early = fail('not_authenticated', 'authenticate first');
    if (early !== null) {
      this.#send(peer, peer.codec.reply(ref, command, early));
      return;
    }
    void this.#run(peer, ref, command);
  }

  async #run(peer: Peer, ref: unknown, command: Command): Promise<void> {
    this.#inflight++;
    let outcome: Outcome;
    try {
      outcome = command.kind === 'auth' ? await this.#authenticate(peer, command.credentials) : await runCommand(this, peer, command);
    } catch (error) {
      // Defensive: actions catch application errors themselves.
      this.#report(new HookError('router', error, peer.session?.id ?? null));
      outcome = fail('internal_error', 'the server failed to process the message');
    } finally {
      this.#inflight--;
      if (this.#inflight === 0) for (const wake of this.#idle.splice(0)) wake();
    }
    this.#send(peer, peer.codec.reply(ref, command, outcome));
    if (command.kind === 'auth' && !outcome.ok && peer.state === 'new' && peer.authAttempts >= this.options.maxAuthAttempts) {
      peer.ws.close(1008, 'Too many authentication attempts');
    }
  }

  #send(peer: Peer, text: string | null): void {
    if (text === null || peer.state === 'closed') return;
    // Replies go to one client, possibly before it is authenticated.
    if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send(text);
  }

  #authenticate(peer: Peer, credentials: unknown): Promise<Outcome> {
    if (peer.state === 'open') return Promise.resolve(fail('already_authenticated', 'already authenticated'));
    if (peer.state === 'authenticating') return Promise.resolve(fail('already_authenticated', 'authentication already in progress'));
    const hook = this.hooks.authentication;
    if (hook === undefined) {
      peer.authAttempts++;
      return Promise.resolve(fail('auth_failed', 'the server accepts no authentication'));
    }
    peer.state = 'authenticating';
    return new Promise<Outcome>((resolve) => {
      let pending: SessionInit | null = null;
      let done = false;
      const refuse = (outcome: Outcome): void => {
        if (peer.state === 'authenticating') peer.state = 'new';
        peer.authAttempts++;
        resolve(outcome);
      };
      const startSession = (data: unknown, groups?: Iterable<string>, alias: string | null = null, available = true, publicData: unknown = null): void => {
        if (done) return;
        const list = groups === undefined || groups === null ? [] : [...groups];
        if (!list.every((g) => typeof g === 'string' && g !== '')) throw new TypeError('startSession: groups must be non-empty strings');
        if (alias !== null && alias !== undefined && (typeof alias !== 'string' || alias === '')) throw new TypeError('startSession: publicAlias must be a non-empty string or null');
        if (typeof available !== 'boolean') throw new TypeError('startSession: available must be a boolean');
        pending = { data: data ?? {}, groups: list, alias: alias ?? null, available, publicData: publicData ?? null };
      };
      const respond = (error: unknown, clientSide?: unknown): void => {
        if (done) return;
        done = true;
        if (error !== null && error !== undefined && error !== false) {
          const wire = toWireError(error, 'auth_failed');
          refuse({ ok: false, error: { ...wire, code: 'auth_failed' }, raw: { error, response: clientSide ?? null } });
        } else if (pending === null) {
          this.#report(new HookError('onAuthentication', new Error('respond(null) was called without startSession()')));
          refuse(fail('internal_error', 'authentication failed on the server'));
        } else {
          const session = this.#start(peer, pending);
          resolve(ok({ self: { ...session.toPublic(), groups: session.groupList() }, session: clientSide ?? null }));
        }
      };
      void this.invoke('onAuthentication', () => hook(credentials, startSession, respond, peer.req), null).then((result) => {
        if (!result.ok && !done) {
          done = true;
          const error = result.error instanceof RequestError ? { ...result.error.toWire(), code: 'auth_failed' as const } : { code: 'internal_error' as const, message: 'authentication failed on the server' };
          refuse({ ok: false, error });
        }
      });
    });
  }

  /** Turns a successful authentication into a registered, announced session. */
  #start(peer: Peer, init: SessionInit): Session<unknown> {
    const session = new Session<unknown>(this, { id: randomUUID(), protocol: peer.codec.name, ...init });
    peer.session = session;
    if (peer.authTimer !== null) clearTimeout(peer.authTimer);
    peer.authTimer = null;
    if (peer.state === 'closed' || peer.ws.readyState !== peer.ws.OPEN) {
      // The client left (or is leaving) while the application was
      // authenticating it. The session did start, so the application gets
      // its one close call; it is never registered nor announced.
      if (peer.state !== 'closed') this.#onClose(peer, 1006, '');
      void this.#ended(session, 1006, '');
      return session;
    }
    peer.state = 'open';
    session.setLive(true);
    this.registry.add(peer);
    this.#onSession(session);
    // LEGACY-PROTOCOL: a client that authenticates available is announced.
    if (session.available) this.presence(peer, session.toPublic(true));
    return session;
  }

  #onClose(peer: Peer, code: number, reason: string): void {
    if (peer.state === 'closed') return;
    const wasOpen = peer.state === 'open';
    peer.state = 'closed';
    this.peers.delete(peer);
    if (this.peers.size === 0) for (const wake of this.#empty.splice(0)) wake();
    if (peer.authTimer !== null) clearTimeout(peer.authTimer);
    peer.authTimer = null;
    const session = peer.session;
    if (!wasOpen || session === null) return;
    this.registry.remove(peer);
    session.setLive(false);
    // The 0.2.3 fix: a disconnect is always announced, whatever the availability.
    this.presence(peer, session.toPublic(false));
    void this.#ended(session, code, reason);
  }

  #ended(session: Session<unknown>, code: number, reason: string): Promise<Invoked> | undefined {
    const hook = this.hooks.connectionClose;
    if (hook === undefined) return undefined;
    return this.invoke('onConnectionClose', () => hook(session, code, reason), session);
  }

  /** Tells every other available client about a client's public state. */
  presence(subject: Peer, client: PublicClient): number {
    return fanOut(this.registry.available, (codec) => codec.presence(client), subject);
  }

  /** Server or handler broadcast: to all sessions or to one group's members. */
  broadcast(event: string, group: string | null, data: unknown, except: Peer | null, from: PublicClient | null = null): number {
    const recipients = group === null ? this.registry.byId.values() : this.registry.members(group);
    return fanOut(recipients, (codec) => codec.event(event, group, data, from), except);
  }

  /** Resolves when no command is being processed (or at once). */
  whenIdle(): Promise<void> {
    return this.#inflight === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Resolves when no connection is left (or at once). */
  whenEmpty(): Promise<void> {
    return this.peers.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#empty.push(resolve));
  }

  /** Closes every connection; used by a graceful shutdown after whenIdle(). */
  closeAll(code: number, reason: string): void {
    for (const peer of this.peers) peer.ws.close(code, reason);
  }

  /** Last resort of a shutdown: runs the close path for peers the socket layer never reported. */
  forget(): void {
    for (const peer of [...this.peers]) {
      peer.ws.terminate();
      this.#onClose(peer, 1006, '');
    }
  }

  // SessionHost: sessions call back here when the server changes them.
  groupJoined(session: Session<unknown>, group: string): void {
    const peer = this.registry.peerOf(session);
    if (peer !== undefined) this.registry.groupJoined(peer, group);
  }
  groupLeft(session: Session<unknown>, group: string): void {
    const peer = this.registry.peerOf(session);
    if (peer !== undefined) this.registry.groupLeft(peer, group);
  }
  publicStateChanged(session: Session<unknown>): void {
    const peer = this.registry.peerOf(session);
    if (peer === undefined) return;
    this.registry.refresh(peer);
    this.presence(peer, session.toPublic(true));
  }
  broadcastFrom(event: string, group: string | null, data: unknown, except: Session<unknown> | null): number {
    const peer = except === null ? null : (this.registry.peerOf(except) ?? null);
    return this.broadcast(event, group, data, peer);
  }
  sendTo(session: Session<unknown>, event: string, data: unknown): boolean {
    const peer = this.registry.peerOf(session);
    return peer !== undefined && writeText(peer, peer.codec.event(event, null, data, null));
  }
  closeSession(session: Session<unknown>, code: number, reason: string): void {
    this.registry.peerOf(session)?.ws.close(code, reason);
  }
}
