// The ws-compatible WebSocketServer: accepts upgrades on an http(s) server
// it owns (`port`), one it is given (`server`), or none (`noServer`, the
// application calls handleUpgrade itself).

import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { buildAcceptHeaders, rejectUpgrade, validateUpgradeRequest } from '../handshake/server.js';
import { WebSocket } from './client.js';
import type { BackpressureOptions } from './websocket.js';
import type { ClientOptions } from './client.js';
import { OPEN as WS_OPEN } from './connection.js';
import type { OtherEvent, WebSocketServerEvents } from './event-types.js';
import { claimUpgradedSocket } from './upgrade-guard.js';

export interface VerifyClientInfo {
  origin: string | undefined;
  secure: boolean;
  req: http.IncomingMessage;
}
export type VerifyClientSync = (info: VerifyClientInfo) => boolean;
export type VerifyClientAsync = (
  info: VerifyClientInfo,
  callback: (result: boolean, code?: number, message?: string, headers?: Record<string, string>) => void,
) => void;

export interface ServerOptions {
  port?: number;
  host?: string;
  backlog?: number;
  server?: http.Server | import('node:https').Server;
  noServer?: boolean;
  /** Only accept upgrades for this pathname. */
  path?: string;
  /** Largest message accepted, in bytes. Default 100 MiB (as ws). */
  maxPayload?: number;
  /** Track connections in `clients`. Default true. */
  clientTracking?: boolean;
  /** Picks one of the offered subprotocols, or false for none. Default: the first offered. */
  handleProtocols?: (protocols: Set<string>, req: http.IncomingMessage) => string | false;
  /** Accept or refuse an upgrade; refuse with a status code (default 401). */
  verifyClient?: VerifyClientSync | VerifyClientAsync;
  skipUTF8Validation?: boolean;
  autoPong?: boolean;
  /** Milliseconds to wait for the peer during the close handshake. Default 30 s. */
  closeTimeout?: number;
  /**
   * Ping every open connection this often (ms) and terminate those that sent
   * nothing since the previous ping: half-open TCP connections are reaped
   * within two intervals. Default 0 (off). Needs clientTracking.
   */
  heartbeatInterval?: number;
  /**
   * Close connections (1001) that delivered no message for this long (ms;
   * detected within one to two periods). Pings/pongs do not count. Default 0 (off).
   */
  idleTimeout?: number;
  /** Most simultaneous connections (open + handshaking); further upgrades get 503. Default 0 (no limit). */
  maxConnections?: number;
  /**
   * Browser origins allowed to connect (exact match, e.g. "https://app.example").
   * A request whose Origin is not listed gets 403 (cross-site WebSocket
   * hijacking). Requests without Origin (non-browser clients) pass.
   */
  allowedOrigins?: readonly string[];
  /**
   * With `port`: ms allowed to send the complete upgrade request head
   * (a half-sent request is answered 408 and dropped). Default 10 000.
   */
  handshakeTimeout?: number;
  /** With `port`: largest request head accepted, in bytes (431 above it). Default 16 KiB. */
  maxHeaderSize?: number;
  /** Outbound bound per connection and the policy past it. Default: no limit (as ws). */
  backpressure?: Omit<BackpressureOptions, 'onLimit'>;
  /** Accepted for compatibility; compression is not implemented (no extension is negotiated). */
  perMessageDeflate?: boolean;
  WebSocket?: typeof WebSocket;
}

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

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
  /** Open connections. As in ws, `undefined` when clientTracking is false. */
  readonly clients: Set<WebSocket>;
  /** Open connections, counted even without clientTracking (for maxConnections). */
  private _open = 0;
  private _server: http.Server | import('node:https').Server | null = null;
  private _ownServer = false;
  private _state = RUNNING;
  private _removeListeners: (() => void) | null = null;
  private _closeWhenEmpty = false;
  private _handshaking = 0;
  private _socketOptions: ClientOptions | undefined;
  private _timers: NodeJS.Timeout[] = [];
  private _backpressure: BackpressureOptions | undefined;
  /** Counters for operators: what the limits did. */
  readonly stats = { dropped: 0, closedForBackpressure: 0, heartbeatTimeouts: 0, idleTimeouts: 0, refusedOverCapacity: 0 };

  constructor(options: ServerOptions, callback?: () => void) {
    super();
    const modes = (options.port !== undefined ? 1 : 0) + (options.server !== undefined ? 1 : 0) + (options.noServer ? 1 : 0);
    if (modes !== 1) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    this.options = { maxPayload: 100 * 1024 * 1024, clientTracking: true, ...options };
    this.clients = (this.options.clientTracking === false ? undefined : new Set()) as Set<WebSocket>;
    if ((options.heartbeatInterval || options.idleTimeout) && this.options.clientTracking === false) {
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
    this._startSweeps();
    if (options.port !== undefined) {
      const handshakeTimeout = options.handshakeTimeout ?? 10_000;
      const serverOptions: http.ServerOptions = {
        maxHeaderSize: options.maxHeaderSize ?? 16 * 1024,
        headersTimeout: handshakeTimeout,
        requestTimeout: Math.max(handshakeTimeout, 30_000),
        // How often Node checks the two timeouts above.
        connectionsCheckingInterval: Math.max(100, Math.min(1000, handshakeTimeout / 2)),
      };
      const server = http.createServer(serverOptions, (_req, res) => {
        const body = http.STATUS_CODES[426] ?? 'Upgrade Required';
        res.writeHead(426, { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'text/plain' });
        res.end(body);
      });
      this._server = server;
      this._ownServer = true;
      server.listen(options.port, options.host, options.backlog, callback);
    } else if (options.server !== undefined) {
      this._server = options.server;
    }
    if (this._server !== null) this._listen(this._server);
  }

  private _listen(server: http.Server | import('node:https').Server): void {
    const onListening = (): void => {
      this.emit('listening');
    };
    const onError = (err: Error): void => {
      this.emit('error', err);
    };
    const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (!this.shouldHandle(req)) {
        // Another WebSocketServer (or handler) on the same http server may
        // own this path; answer only when nobody else listens.
        if (server.listenerCount('upgrade') === 1) rejectUpgrade(socket, 400, 'No WebSocket endpoint at this path');
        return;
      }
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

  /** Whether this server accepts the request (path match). */
  shouldHandle(req: http.IncomingMessage): boolean {
    if (this.options.path === undefined) return true;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === this.options.path;
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
      this._refuse(socket, req, check.status, check.message, check.headers);
      return;
    }
    if (this._state !== RUNNING) {
      this._refuse(socket, req, 503, 'Server is shutting down');
      return;
    }
    if (!this.shouldHandle(req)) {
      this._refuse(socket, req, 400, 'No WebSocket endpoint at this path');
      return;
    }
    const max = this.options.maxConnections ?? 0;
    if (max > 0 && this._open + this._handshaking >= max) {
      this.stats.refusedOverCapacity++;
      this._refuse(socket, req, 503, 'Too many connections', { 'Retry-After': '5' });
      return;
    }
    const allowed = this.options.allowedOrigins;
    const origin = req.headers.origin;
    if (allowed !== undefined && origin !== undefined && !allowed.includes(origin)) {
      this._refuse(socket, req, 403, 'Origin not allowed');
      return;
    }
    const verify = this.options.verifyClient;
    if (verify !== undefined) {
      const origin = (req.headers.origin as string | undefined) ?? (req.headers['sec-websocket-origin'] as string | undefined);
      const info: VerifyClientInfo = { origin, secure: Boolean((req.socket as { encrypted?: boolean }).encrypted), req };
      if (verify.length === 2) {
        // Counted while pending so maxConnections covers slow verifications.
        this._handshaking++;
        let settled = false;
        (verify as VerifyClientAsync)(info, (ok, code, message, headers) => {
          if (settled) return;
          settled = true;
          this._handshaking--;
          if (!ok) this._refuse(socket, req, code ?? 401, message, headers);
          else this._complete(check.key, check.protocols, req, socket, head, cb);
        });
        return;
      }
      if (!(verify as VerifyClientSync)(info)) {
        this._refuse(socket, req, 401);
        return;
      }
    }
    this._complete(check.key, check.protocols, req, socket, head, cb);
  }

  private _refuse(socket: Duplex, req: http.IncomingMessage, status: number, message?: string, headers?: Record<string, string>): void {
    if (this.listenerCount('wsClientError') > 0) {
      const err = Object.assign(new Error(message ?? http.STATUS_CODES[status] ?? 'Handshake refused'), { status });
      this.emit('wsClientError', err, socket, req);
      return;
    }
    rejectUpgrade(socket, status, message, headers);
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
      rejectUpgrade(socket, 503, 'Server is shutting down');
      return;
    }
    let protocol: string | undefined;
    if (protocols.size > 0) {
      const pick = this.options.handleProtocols;
      const chosen = pick ? pick(protocols, req) : protocols.values().next().value;
      // RFC 6455 §4.2.2: the server may only select one of the offered values.
      if (typeof chosen === 'string' && protocols.has(chosen)) protocol = chosen;
    }
    const lines = buildAcceptHeaders(key, protocol);
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
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    socket.removeListener('error', onHandshakeError);
    ws._attach(socket, head);
    this._open++;
    if (this.options.clientTracking !== false) this.clients.add(ws);
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
    for (const t of this._timers) clearInterval(t);
    this._timers = [];
    this._removeListeners?.();
    this._removeListeners = null;
    const done = (): void => {
      if (this.options.clientTracking !== false && this._open > 0) this._closeWhenEmpty = true;
      else this._emitClose();
    };
    if (this._ownServer && this._server !== null) {
      this._server.close(() => done());
    } else {
      process.nextTick(done);
    }
  }

  /** @internal Called by a connection of ours when it has closed. */
  _clientClosed(ws: WebSocket): void {
    this._open--;
    if (this.options.clientTracking !== false) this.clients.delete(ws);
    if (this._closeWhenEmpty && this._open === 0) this._emitClose();
  }

  /**
   * One interval per server (not a timer per connection) sweeps the clients:
   * liveness costs a boolean per connection, set on inbound data.
   */
  private _startSweeps(): void {
    const hb = this.options.heartbeatInterval ?? 0;
    if (hb > 0) {
      const t = setInterval(() => {
        for (const ws of this.clients) {
          if (ws.readyState !== WS_OPEN) continue;
          if (!ws._alive) {
            this.stats.heartbeatTimeouts++;
            if (this.listenerCount('heartbeatTimeout') > 0) this.emit('heartbeatTimeout', ws);
            ws.terminate();
            continue;
          }
          ws._alive = false;
          ws.ping();
        }
      }, hb);
      t.unref();
      this._timers.push(t);
    }
    const idle = this.options.idleTimeout ?? 0;
    if (idle > 0) {
      const t = setInterval(() => {
        for (const ws of this.clients) {
          if (ws.readyState !== WS_OPEN) continue;
          if (!ws._active) {
            this.stats.idleTimeouts++;
            ws.close(1001, 'Idle timeout');
            continue;
          }
          ws._active = false;
        }
      }, idle);
      t.unref();
      this._timers.push(t);
    }
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
