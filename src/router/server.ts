// WebSocketNodeServer: the application server. It owns the lifecycle (attach
// to an http/https server or stand alone, gate upgrades, graceful close) and
// the hook registry; the Router does the per-message work. Admission,
// heartbeat, idle timeout and the standalone http server are the session
// layer's policies (src/session/admission.ts, sweeps.ts, standalone.ts),
// applied here once: the inner WebSocketServer only performs handshakes.

import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from '../session/index.js';
import { bindStandalone, createStandaloneServer } from '../session/standalone.js';
import { Sweeps } from '../session/sweeps.js';
import { InProcessAdapter, isAdapter, type Adapter } from './adapter.js';
import { clusterGroupSize, clusterSessions, clusterStats, type ClusterGroupSize, type ClusterSessions, type ClusterStats, type QueryOptions } from './cluster-queries.js';
import { checkEventName } from './commands.js';
import { HookError } from './errors.js';
import { resolveOptions } from './limits.js';
import { recoveryStats } from './retention.js';
import { compressionStats } from './outgoing.js';
import { Router } from './router.js';
import { isSession, type Session } from './session.js';
import { broadcastTarget } from './broadcast-options.js';
import { UpgradeGate } from './upgrade.js';
import type { AppEventData, AppEventName, AppRequestBody, AppRequestName, AppRequestResult, AppTypeMap } from './types.js';
import {
  type AliasChangeHook,
  type AuthenticationHook,
  type ClientMessageHook,
  type ConnectionCloseHook,
  type GroupChangeHook,
  type Hooks,
  type PrivateMessageHook,
  type RequestHandler,
  type BroadcastOptions,
  type ResolvedOptions,
  type ServerStats,
  type UpgradeHook,
  type WebSocketNodeServerOptions,
} from './types.js';

type HttpServer = http.Server | https.Server;

export interface WebSocketNodeServerEvents<TData> {
  /** A client authenticated and its session started. */
  session: [session: Session<TData>];
  /** Application code (a hook or handler) threw or rejected. */
  error: [error: HookError];
  /**
   * A connection was over its outbound bound: a push to it was dropped, or
   * it is being closed. `session` is null for a connection not yet authenticated.
   */
  backpressure: [session: Session<TData> | null, action: 'drop' | 'close', queuedBytes: number];
  /** A message was refused `rate_limited` ('reject'), or its connection closed with 1008 ('close'). */
  rateLimit: [session: Session<TData> | null, action: 'reject' | 'close'];
  /**
   * The adapter lost its broker ('down', with the error) or has it back
   * ('up'): while down, other nodes neither hear from this one nor reach it
   * (docs/scaling.md, "When the broker is lost").
   */
  adapter: [state: 'down' | 'up', error: Error | null];
  /** A disconnected session resumed on a new connection; `recovered`: the pushes it missed were replayed (session recovery). */
  resume: [session: Session<TData>, recovered: boolean];
}

function isHttpServer(value: unknown): value is HttpServer {
  return value instanceof EventEmitter && typeof (value as { listen?: unknown }).listen === 'function';
}

export class WebSocketNodeServer<TData = Record<string, unknown>, TApp extends AppTypeMap = AppTypeMap> extends EventEmitter<
  WebSocketNodeServerEvents<TData>
> {
  readonly #options: ResolvedOptions;
  readonly #hooks: Hooks<TData> = { requests: new Map() };
  readonly #router: Router;
  readonly #adapter: Adapter;
  #adapterStarted = false;
  readonly #wss: WebSocketServer;
  readonly #http: HttpServer;
  /** True when this object created the http server (standalone) and so closes it. */
  readonly #ownsHttp: boolean;
  readonly #gate: UpgradeGate;
  readonly #sweeps: Sweeps<WebSocket>;
  /** What admission and the sweeps did (see stats). */
  readonly #policyCounts = { heartbeatTimeouts: 0, idleTimeouts: 0, refusedOverCapacity: 0, refusedOrigin: 0 };
  #state: 'idle' | 'listening' | 'closing' | 'closed' = 'idle';
  #closed: Promise<void> | null = null;

  /**
   * `new WebSocketNodeServer(httpServer, options?)` attaches to an existing
   * http/https server; `new WebSocketNodeServer(options?)` creates its own,
   * bound by listen() to `options.port` (default: any free port).
   */
  constructor(server?: HttpServer | WebSocketNodeServerOptions | null, options: WebSocketNodeServerOptions = {}) {
    super();
    if (server !== undefined && server !== null && !isHttpServer(server)) {
      options = server;
      server = undefined;
    }
    const { adapter = null, ...rest } = options;
    if (adapter !== null && !isAdapter(adapter)) throw new TypeError('option adapter must be an adapter (createClusterAdapter(), createRedisAdapter(...))');
    this.#adapter = adapter ?? new InProcessAdapter();
    const o = resolveOptions(rest);
    this.#options = o;
    this.#ownsHttp = !server;
    this.#http = server ? server : createStandaloneServer(o);
    this.#router = new Router(o, this.#hooks as Hooks<unknown>, {
      report: (e) => this.#report(e),
      session: (s) => {
        if (this.listenerCount('session') > 0) this.#safeEmit('session', s as Session<TData>);
      },
      backpressure: (s, action, bytes) => {
        if (this.listenerCount('backpressure') > 0) this.#safeEmit('backpressure', s as Session<TData> | null, action, bytes);
      },
      rateLimit: (s, action) => {
        if (this.listenerCount('rateLimit') > 0) this.#safeEmit('rateLimit', s as Session<TData> | null, action);
      },
      connectivity: (error) => {
        if (this.listenerCount('adapter') > 0) this.#safeEmit('adapter', error === null ? 'up' : 'down', error);
      },
      resume: (s, recovered) => {
        if (this.listenerCount('resume') > 0) this.#safeEmit('resume', s as Session<TData>, recovered);
      },
    }, this.#adapter);
    const bp = o.backpressure;
    // Handshakes only: admission, heartbeat and idle timeout are applied
    // by this server (the gate and the sweeps below), not a second time here.
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: o.maxPayload,
      clientTracking: true,
      handleProtocols: this.#router.pickProtocol,
      closeTimeout: o.closeTimeout,
      perMessageDeflate: o.perMessageDeflate,
      // The hard bound: pushes stop at the limit (router), answers and
      // application writes through the core at twice the limit.
      backpressure: bp === false ? undefined : { limit: 2 * bp.limit, policy: 'close', closeCode: bp.closeCode },
    });
    this.#wss.on('backpressure', (ws: WebSocket, _action: string, bytes: number) => this.#router.hardLimitReached(ws, bytes));
    this.#gate = new UpgradeGate({
      options: o,
      router: this.#router,
      http: this.#http,
      counters: this.#policyCounts,
      hook: () => this.#hooks.upgrade,
      accepting: () => this.#state === 'listening',
      connectionCount: () => this.#wss.clients.size,
      complete: (req, socket, head) => this.#complete(req, socket, head),
    });
    this.#sweeps = new Sweeps<WebSocket>({ connections: () => this.#wss.clients, counters: this.#policyCounts }, o.heartbeatInterval, o.idleTimeout);
  }

  /** Gate every upgrade request before the handshake (ban lists, origin checks). */
  onUpgrade(hook: UpgradeHook | null): this {
    this.#hooks.upgrade = hook ?? undefined;
    return this;
  }
  /** Validate credentials; call startSession(...) then respond(null, clientSideSession), or respond(error). */
  onAuthentication(hook: AuthenticationHook<TData> | null): this {
    this.#hooks.authentication = hook ?? undefined;
    return this;
  }
  /** Called exactly once per started session, however it ended. */
  onConnectionClose(hook: ConnectionCloseHook<TData> | null): this {
    this.#hooks.connectionClose = hook ?? undefined;
    return this;
  }
  /**
   * Handles the request `name` with `(body, { session, respond })`; a later
   * registration under the same name replaces it. A handler declared with
   * more than two parameters is in the positional shape of 0.2.x
   * `(body, response, data, groups, emitter)` and throws a TypeError.
   */
  onRequest<K extends AppRequestName<TApp>>(
    name: K,
    handler: RequestHandler<TData, AppRequestBody<TApp, K>, AppRequestResult<TApp, K>> | null,
  ): this {
    if (typeof name !== 'string' || name === '') throw new TypeError('request name must be a non-empty string');
    if (handler !== null && typeof handler !== 'function') throw new TypeError('a request handler must be a function or null');
    if (handler !== null && handler.length > 2) {
      throw new TypeError(`the handler of "${name}" declares ${handler.length} parameters: request handlers take (body, { session, respond }) (docs/migrating.md)`);
    }
    if (handler === null) this.#hooks.requests.delete(name);
    else this.#hooks.requests.set(name, handler as RequestHandler<TData, never, unknown>);
    return this;
  }
  /** Called after each delivered private message. */
  onPrivateMessage(hook: PrivateMessageHook<TData> | null): this {
    this.#hooks.privateMessage = hook ?? undefined;
    return this;
  }
  /** Vets client-initiated broadcasts and private messages before delivery. */
  onClientMessage(hook: ClientMessageHook<TData> | null): this {
    this.#hooks.clientMessage = hook ?? undefined;
    return this;
  }
  /** Decides client requests to join or leave groups; without it, clients cannot change groups. */
  onGroupChange(hook: GroupChangeHook<TData> | null): this {
    this.#hooks.groupChange = hook ?? undefined;
    return this;
  }
  /** Decides client requests to change their own alias; without it, clients cannot rename themselves. */
  onAliasChange(hook: AliasChangeHook<TData> | null): this {
    this.#hooks.aliasChange = hook ?? undefined;
    return this;
  }

  /**
   * Sends an event to every session, or to `options.group`'s members, except
   * `options.except`. The message is serialized and framed once. Returns the
   * number of clients it was written to. Reserved event names (starting with
   * `__`, and `msgFromClient`) throw a TypeError, and so does a call in the
   * 0.2.x shape `broadcast(event, group, data, except)`.
   */
  broadcast<K extends AppEventName<TApp>>(event: K, data: AppEventData<TApp, K>, options?: BroadcastOptions<TData>): number {
    checkEventName(event);
    const { group, except } = broadcastTarget(arguments.length, options, isSession);
    return this.#router.broadcast(event, group, data, except?.id ?? null);
  }

  /** The session with this id, if any: live, or waiting for a resume (session recovery; `connected` false). */
  getSession(id: string): Session<TData> | undefined {
    return (this.#router.registry.byId.get(id)?.session ?? this.#router.recovery?.retainedSession(id)) as Session<TData> | undefined;
  }
  /** Every live session (not those waiting for a resume). */
  *sessions(): IterableIterator<Session<TData>> {
    for (const peer of this.#router.registry.byId.values()) yield peer.session as Session<TData>;
  }
  /** Number of live sessions. */
  get sessionCount(): number {
    return this.#router.registry.size;
  }
  /** Number of live sessions in a group, on this node (fetchGroupSize: on every node). */
  groupSize(group: string): number {
    return this.#router.registry.members(group).size;
  }

  /** Counts over every node (this one's alone without an adapter), within `options.timeout` ms (default 2000). */
  fetchStats(options?: QueryOptions): Promise<ClusterStats> {
    return clusterStats(this.#adapter, this.#router.node, options);
  }
  /** A group's size over every node, within `options.timeout` ms. */
  fetchGroupSize(group: string, options?: QueryOptions): Promise<ClusterGroupSize> {
    return clusterGroupSize(this.#adapter, this.#router.node, group, options);
  }
  /** The public view of every session on every node, within `options.timeout` ms. */
  fetchSessions(options?: QueryOptions): Promise<ClusterSessions> {
    return clusterSessions(this.#adapter, this.#router.node, options);
  }

  /** Live counts and what the limits did (a snapshot). */
  get stats(): ServerStats {
    const c = this.#router.counters;
    const p = this.#policyCounts;
    return {
      connections: this.#router.peers.size,
      sessions: this.#router.registry.size,
      groups: this.#router.registry.groupCount,
      dropped: c.dropped,
      closedForBackpressure: c.closedForBackpressure,
      rateLimited: c.rateLimited,
      closedForRate: c.closedForRate,
      heartbeatTimeouts: p.heartbeatTimeouts,
      idleTimeouts: p.idleTimeouts,
      authTimeouts: c.authTimeouts,
      refusedOverCapacity: p.refusedOverCapacity,
      refusedOrigin: p.refusedOrigin,
      refusedBroadcasts: c.refusedBroadcasts,
      refusedJoins: c.refusedJoins,
      deferredPresence: this.#router.pacer.deferred,
      adapter: this.#adapter.stats,
      recovery: recoveryStats(this.#router.recovery),
      compression: { ...compressionStats(this.#router) },
    };
  }

  /** The low-level, ws-compatible server (with its `clients` set). */
  getServer(): WebSocketServer {
    return this.#wss;
  }
  /** The http(s) server upgrades arrive on. */
  get httpServer(): HttpServer {
    return this.#http;
  }
  address(): AddressInfo | null {
    const a = this.#http.address();
    return a !== null && typeof a === 'object' ? a : null;
  }

  /**
   * Starts accepting WebSocket connections. Standalone, it also binds the
   * port; attached, the http server is started by its owner as usual.
   */
  async listen(): Promise<AddressInfo | null> {
    if (this.#state !== 'idle') throw new Error(`cannot listen: the server is ${this.#state}`);
    this.#state = 'listening';
    try {
      // Other nodes must hear of this one before its first client does anything.
      if (!this.#adapterStarted) await this.#adapter.start(this.#router.node);
      this.#adapterStarted = true;
      this.#http.on('upgrade', this.#gate.handle);
      this.#sweeps.start();
      if (this.#ownsHttp) await bindStandalone(this.#http, this.#options.port ?? 0, this.#options.host);
    } catch (error) {
      // A port in use or a broker out of reach leaves the server as it was, so listen() can be retried.
      this.#http.off('upgrade', this.#gate.handle);
      this.#sweeps.stop();
      this.#state = 'idle';
      throw error;
    }
    return this.address();
  }

  /** Changes the heartbeat period at run time (0 disables). */
  setHeartbeatInterval(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('heartbeat interval must be a non-negative number of ms');
    this.#options.heartbeatInterval = ms;
    this.#sweeps.setHeartbeatInterval(ms);
  }
  /** Changes the authentication deadline for connections opened from now on (0 disables). */
  setAuthTimeout(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('auth timeout must be a non-negative number of ms');
    this.#options.authTimeout = ms;
  }

  /**
   * Graceful shutdown: stops accepting upgrades, refuses new requests with
   * `shutting_down`, lets in-flight handlers answer (up to closeTimeout),
   * closes every connection with 1001, waits for the close handshakes (up to
   * closeTimeout again), then drops what is left. onConnectionClose runs
   * once for every session. A standalone server's port is released; an
   * attached http server is left running.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    const wasListening = this.#state === 'listening';
    // Upgrades keep arriving at our listener and are answered 503 (with
    // Retry-After) until the end, rather than falling through to the
    // application's request handler; those waiting for onUpgrade get 503 now.
    this.#state = 'closing';
    this.#gate.refuseAll();
    this.#sweeps.stop();
    this.#router.closing = true;
    const limit = this.#options.closeTimeout;
    await within(this.#router.whenIdle(), limit);
    this.#router.closeAll(1001, 'Server shutting down');
    await within(this.#router.whenEmpty(), limit);
    this.#router.forget();
    // Sessions handed to a shared recovery store are saved before the process may exit.
    await within(this.#router.recovery?.shared?.settled() ?? Promise.resolve(), limit);
    // After the sessions ended, so the other nodes heard every departure.
    if (this.#adapterStarted) await this.#adapter.close();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    if (wasListening) this.#http.off('upgrade', this.#gate.handle);
    if (this.#ownsHttp && this.#http.listening) {
      await new Promise<void>((resolve) => {
        this.#http.close(() => resolve());
        this.#http.closeAllConnections();
      });
    }
    this.#state = 'closed';
  }

  #complete(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      this.#wss.emit('connection', ws, req);
      this.#router.adopt(ws, req);
    });
  }

  /** Reports application failures as 'error' events; without a listener, as a process warning. */
  #report(error: HookError): void {
    if (this.listenerCount('error') > 0) this.#safeEmit('error', error);
    else process.emitWarning(error);
  }

  #safeEmit<K extends keyof WebSocketNodeServerEvents<TData>>(name: K, ...args: WebSocketNodeServerEvents<TData>[K]): void {
    try {
      (this.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args);
    } catch (error) {
      // A listener that throws must not take a socket event handler down with it.
      process.emitWarning(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
