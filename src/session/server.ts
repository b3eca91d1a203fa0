// The ws-compatible WebSocketServer: accepts upgrades on an http(s) server
// it owns (`port`), one it is given (`server`), or none (`noServer`, the
// application calls handleUpgrade itself). Its policies are the session
// layer's shared ones: ./admission.ts (path, shutdown, origins, capacity),
// ./sweeps.ts (heartbeat, idle), ./standalone.ts (the owned http server) and
// ./refuse.ts (every refusal on the wire).

import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { buildAcceptHeaders, reasonPhrase, validateUpgradeRequest, type Refusal } from '../handshake/server.js';
import { acceptOffers, deflateSettings, type DeflateSettings } from '../handshake/permessage-deflate.js';
import { WebSocket } from './client.js';
import type { BackpressureOptions } from './websocket.js';
import type { ClientOptions } from './client.js';
import type { OtherEvent } from './event-types.js';
import { Admission, RETRY_AFTER } from './admission.js';
import { refuse } from './refuse.js';
import { createStandaloneServer, HANDSHAKE_DEFAULTS } from './standalone.js';
import { Sweeps } from './sweeps.js';
import type { ServerOptions, VerifyClientAsync, VerifyClientInfo, VerifyClientSync, WebSocketServerEvents } from './server-types.js';
import { claimUpgradedSocket } from './upgrade-guard.js';

export type { ServerOptions, VerifyClientAsync, VerifyClientInfo, VerifyClientSync, WebSocketServerEvents } from './server-types.js';

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/** An upgrade that reaches a closed (or closing) server: 503, after verifyClient, as in ws. */
const CLOSED_SERVER: Refusal = Object.freeze({ status: 503, headers: RETRY_AFTER });

/** The option defaults ws exposes in `wss.options` (WebSocket aside). */
const WS_DEFAULTS = Object.freeze({
  allowSynchronousEvents: true,
  autoPong: true,
  maxBufferedChunks: 256 * 1024,
  maxFragments: 16 * 1024,
  maxPayload: 100 * 1024 * 1024,
  maxPendingAutoPongs: 60,
  skipUTF8Validation: false,
  perMessageDeflate: false,
  handleProtocols: null,
  clientTracking: true,
  closeTimeout: 30_000,
  verifyClient: null,
  noServer: false,
  backlog: null,
  server: null,
  host: null,
  path: null,
  port: null,
});

/**
 * The events' listeners typed per event, as @types/ws types them (the
 * argument lists are in ./event-types.ts); any other event name takes any
 * listener, as on an EventEmitter. Declarations only: the methods are
 * EventEmitter's.
 */
export interface WebSocketServer {
  on<K extends keyof WebSocketServerEvents>(event: K, listener: (this: WebSocketServer, ...args: WebSocketServerEvents[K]) => void): this;
  on<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketServerEvents>, listener: (this: WebSocketServer, ...args: A) => void): this;
  once<K extends keyof WebSocketServerEvents>(event: K, listener: (this: WebSocketServer, ...args: WebSocketServerEvents[K]) => void): this;
  once<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketServerEvents>, listener: (this: WebSocketServer, ...args: A) => void): this;
  off<K extends keyof WebSocketServerEvents>(event: K, listener: (this: WebSocketServer, ...args: WebSocketServerEvents[K]) => void): this;
  off<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketServerEvents>, listener: (this: WebSocketServer, ...args: A) => void): this;
  addListener<K extends keyof WebSocketServerEvents>(event: K, listener: (this: WebSocketServer, ...args: WebSocketServerEvents[K]) => void): this;
  addListener<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketServerEvents>, listener: (this: WebSocketServer, ...args: A) => void): this;
  removeListener<K extends keyof WebSocketServerEvents>(event: K, listener: (this: WebSocketServer, ...args: WebSocketServerEvents[K]) => void): this;
  removeListener<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketServerEvents>, listener: (this: WebSocketServer, ...args: A) => void): this;
  prependListener<K extends keyof WebSocketServerEvents>(event: K, listener: (this: WebSocketServer, ...args: WebSocketServerEvents[K]) => void): this;
  prependListener<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketServerEvents>, listener: (this: WebSocketServer, ...args: A) => void): this;
  prependOnceListener<K extends keyof WebSocketServerEvents>(event: K, listener: (this: WebSocketServer, ...args: WebSocketServerEvents[K]) => void): this;
  prependOnceListener<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketServerEvents>, listener: (this: WebSocketServer, ...args: A) => void): this;
}

export class WebSocketServer extends EventEmitter {
  readonly options: ServerOptions;
  /** Open connections. As in ws, not set (`undefined`) when clientTracking is false. */
  declare readonly clients: Set<WebSocket>;
  /** Open connections, counted even without clientTracking (for maxConnections). */
  private _open = 0;
  private _server: http.Server | https.Server | null = null;
  private _ownServer = false;
  private _state = RUNNING;
  private _removeListeners: (() => void) | null = null;
  private _closeWhenEmpty = false;
  private _socketOptions: ClientOptions | undefined;
  private _backpressure: BackpressureOptions | undefined;
  private _admission: Admission;
  private _sweeps: Sweeps<WebSocket> | null = null;
  /** permessage-deflate as configured (null: off, no offer is accepted). */
  private _deflate: DeflateSettings | null;
  /** Counters for operators: what the limits did. */
  readonly stats = { dropped: 0, closedForBackpressure: 0, heartbeatTimeouts: 0, idleTimeouts: 0, refusedOverCapacity: 0 };

  constructor(given?: ServerOptions | null, callback?: () => void) {
    super();
    // As in ws, no options object is the same as an empty one (and refused below).
    const options: ServerOptions = given ?? {};
    // As in ws: `port` counts unless null/undefined, `server` and `noServer` when truthy.
    const hasPort = options.port != null;
    if ((!hasPort && !options.server && !options.noServer) || (hasPort && (options.server || options.noServer)) || (options.server && options.noServer)) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    // ws's defaults, spread under the given options, so `wss.options` reads as ws's does.
    this.options = { ...WS_DEFAULTS, WebSocket, ...options };
    if (this.options.perMessageDeflate === true) this.options.perMessageDeflate = {};
    this._deflate = deflateSettings(this.options.perMessageDeflate, 'server');
    if (this.options.clientTracking) this.clients = new Set();
    if ((options.heartbeatInterval || options.idleTimeout) && !this.options.clientTracking) {
      throw new TypeError('heartbeatInterval and idleTimeout need clientTracking');
    }
    if (options.backpressure && options.backpressure.limit > 0) {
      this._backpressure = {
        ...options.backpressure,
        onLimit: (ws, action, bytes) => {
          if (action === 'drop') this.stats.dropped++;
          else this.stats.closedForBackpressure++;
          if (this.listenerCount('backpressure') > 0) this.emit('backpressure', ws, action, bytes);
        },
      };
    }
    // The limits ws does not have; shutdown and path are checked where ws checks them.
    this._admission = new Admission({ allowedOrigins: options.allowedOrigins, maxConnections: options.maxConnections }, {
      accepting: () => true,
      connections: () => this._open,
      counters: this.stats,
    });
    if (options.heartbeatInterval || options.idleTimeout) {
      this._sweeps = new Sweeps<WebSocket>(
        {
          connections: () => this.clients,
          counters: this.stats,
          heartbeatTimeout: (ws) => {
            if (this.listenerCount('heartbeatTimeout') > 0) this.emit('heartbeatTimeout', ws);
          },
        },
        options.heartbeatInterval ?? 0,
        options.idleTimeout ?? 0,
      );
      this._sweeps.start();
    }
    if (hasPort) {
      const server = createStandaloneServer({
        handshakeTimeout: options.handshakeTimeout ?? HANDSHAKE_DEFAULTS.handshakeTimeout,
        maxHeaderSize: options.maxHeaderSize ?? HANDSHAKE_DEFAULTS.maxHeaderSize,
      });
      this._server = server;
      this._ownServer = true;
      server.listen(options.port as number, options.host ?? undefined, options.backlog ?? undefined, callback);
    } else if (options.server) {
      this._server = options.server;
    }
    if (this._server !== null) this._listen(this._server);
  }

  private _listen(server: http.Server | https.Server): void {
    const onListening = (): void => {
      this.emit('listening');
    };
    const onError = (err: Error): void => {
      this.emit('error', err);
    };
    const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
      // Another path's server (or handler) on the same http server may own it.
      if (!this.shouldHandle(req) && server.listenerCount('upgrade') > 1) return;
      this.handleUpgrade(req, socket, head, (ws) => this.emit('connection', ws, req));
    };
    server.on('listening', onListening);
    server.on('error', onError);
    server.on('upgrade', onUpgrade);
    this._removeListeners = () => {
      server.removeListener('listening', onListening);
      server.removeListener('error', onError);
      server.removeListener('upgrade', onUpgrade);
    };
  }

  /** The bound address of the underlying server (not available with noServer). */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return this._server?.address() ?? null;
  }

  /** Whether this server accepts the request: its pathname (query ignored) is `path`, when set. */
  shouldHandle(req: http.IncomingMessage): boolean {
    const path = this.options.path;
    if (!path) return true;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === path;
  }

  /**
   * Performs the opening handshake on an upgrade request; calls `cb` with the
   * new WebSocket. Every refusal is a complete HTTP response.
   */
  handleUpgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (ws: WebSocket, req: http.IncomingMessage) => void,
  ): void {
    socket.on('error', onHandshakeError);
    const check = validateUpgradeRequest(req);
    if (!check.ok) {
      this._refuse(socket, req, check);
      return;
    }
    // As in ws, the refusals below are answered, never handed to 'wsClientError'.
    if (!this.shouldHandle(req)) {
      refuse(socket, { status: 400 });
      return;
    }
    // allowedOrigins and maxConnections (not in ws): policy refusals, answered as verifyClient's are.
    const refusal = this._admission.check(req);
    if (refusal !== null) {
      refuse(socket, refusal);
      return;
    }
    const verify = this.options.verifyClient;
    if (verify) {
      // The hybi-08 draft named the header Sec-WebSocket-Origin.
      const hybi8 = Number(req.headers['sec-websocket-version']) === 8;
      const origin = req.headers[hybi8 ? 'sec-websocket-origin' : 'origin'] as string | undefined;
      const tls = req.socket as { authorized?: boolean; encrypted?: boolean };
      const info: VerifyClientInfo = { origin, secure: Boolean(tls.authorized || tls.encrypted), req };
      if (verify.length === 2) {
        // Holds a place while pending so maxConnections covers slow verifications.
        const release = this._admission.hold();
        let settled = false;
        (verify as VerifyClientAsync)(info, (ok, code, message, headers) => {
          if (settled) return;
          settled = true;
          release();
          if (!ok) refuse(socket, { status: code || 401, message, headers });
          else this._complete(check.key, check.protocols, req, socket, head, cb);
        });
        return;
      }
      if (!(verify as VerifyClientSync)(info)) {
        refuse(socket, { status: 401 });
        return;
      }
    }
    this._complete(check.key, check.protocols, req, socket, head, cb);
  }

  /** A malformed request: handed to 'wsClientError' listeners when there are some, as in ws, else answered. */
  private _refuse(socket: Duplex, req: http.IncomingMessage, refusal: Refusal): void {
    if (this.listenerCount('wsClientError') > 0) {
      const err = Object.assign(new Error(refusal.message ?? reasonPhrase(refusal.status)), { status: refusal.status });
      this.emit('wsClientError', err, socket, req);
      return;
    }
    refuse(socket, refusal);
  }

  private _complete(
    key: string,
    protocols: Set<string>,
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (ws: WebSocket, req: http.IncomingMessage) => void,
  ): void {
    // The peer may have gone while an async verifyClient was pending.
    if (!socket.readable || !socket.writable || socket.destroyed) {
      socket.destroy();
      return;
    }
    claimUpgradedSocket(socket);
    if (this._state !== RUNNING) {
      refuse(socket, CLOSED_SERVER);
      return;
    }
    let protocol: string | undefined;
    if (protocols.size > 0) {
      const pick = this.options.handleProtocols;
      const chosen = pick ? pick(protocols, req) : protocols.values().next().value;
      // RFC 6455 §4.2.2: the server may only select one of the offered values.
      if (typeof chosen === 'string' && protocols.has(chosen)) protocol = chosen;
    }
    // RFC 7692 §5: the first acceptable permessage-deflate offer, if enabled.
    const deflate = this._deflate === null ? null : acceptOffers(req.headers['sec-websocket-extensions'], this._deflate);
    const lines = buildAcceptHeaders(key, protocol, deflate === null ? [] : [`Sec-WebSocket-Extensions: ${deflate.header}`]);
    this.emit('headers', lines, req);
    const Ctor = this.options.WebSocket ?? WebSocket;
    // One options object per server, shared by every connection.
    this._socketOptions ??= {
      maxPayload: this.options.maxPayload,
      skipUTF8Validation: this.options.skipUTF8Validation,
      autoPong: this.options.autoPong,
      closeTimeout: this.options.closeTimeout,
      backpressure: this._backpressure,
    };
    const ws = new Ctor(null, undefined, this._socketOptions);
    ws._protocol = protocol ?? '';
    if (deflate !== null) ws._useDeflate(deflate, this._deflate!);
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    socket.removeListener('error', onHandshakeError);
    ws._attach(socket, head);
    this._open++;
    if (this.options.clientTracking) this.clients.add(ws);
    // A back-reference instead of a 'close' listener: no closure per connection.
    ws._server = this;
    cb(ws, req);
  }

  /**
   * Stops accepting upgrades. As in ws 8, existing connections stay open;
   * 'close' is emitted once the server is closed and, with clientTracking,
   * every tracked connection has closed.
   */
  close(cb?: (err?: Error) => void): void {
    if (this._state === CLOSED) {
      if (cb) this.once('close', () => cb(new Error('The server is not running')));
      process.nextTick(() => this.emit('close'));
      return;
    }
    if (cb) this.once('close', () => cb());
    if (this._state === CLOSING) return;
    this._state = CLOSING;
    this._sweeps?.stop();
    this._removeListeners?.();
    this._removeListeners = null;
    // As in ws, address() is null from now on.
    const server = this._server;
    this._server = null;
    if (this._ownServer && server !== null) {
      // The http server we created closes once its last connection has.
      server.close(() => this._emitClose());
    } else if (this.options.clientTracking && this._open > 0) {
      this._closeWhenEmpty = true;
    } else {
      process.nextTick(() => this._emitClose());
    }
  }

  /** @internal Called by a connection of ours when it has closed, before its 'close' listeners run. */
  _clientClosed(ws: WebSocket): void {
    this._open--;
    if (this.options.clientTracking) this.clients.delete(ws);
    // After the connection's own 'close' listeners, as in ws.
    if (this._closeWhenEmpty && this._open === 0) process.nextTick(() => this._emitClose());
  }

  private _emitClose(): void {
    if (this._state === CLOSED) return;
    this._state = CLOSED;
    this._closeWhenEmpty = false;
    this.emit('close');
  }
}

function onHandshakeError(this: Duplex): void {
  this.destroy();
}
