// The exported WebSocket class. `new WebSocket(url, protocols?, options?)`
// opens a client connection over node:http / node:https (which carry the
// HTTP part of the upgrade; our handshake module builds and verifies it).
// The server creates its per-connection objects with a null address.

import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { buildClientRequest, verifyServerResponse } from '../handshake/client.js';
import { WebSocketBase, type SocketOptions } from './websocket.js';
import type { OtherEvent, WebSocketEvents } from './event-types.js';
import { defineWsShape } from './descriptors.js';

export interface ClientOptions extends SocketOptions {
  /** Extra request headers (cannot override the handshake's own). */
  headers?: Record<string, string>;
  /** Milliseconds allowed for the opening handshake. Default: none. */
  handshakeTimeout?: number;
  /** Sets the Origin header. */
  origin?: string;
  /** Passed through to http(s).request: agent, TLS options (ca, cert, key, rejectUnauthorized, servername), family, localAddress... */
  [requestOption: string]: unknown;
}

const OWN_OPTIONS = new Set(['headers', 'handshakeTimeout', 'origin', 'maxPayload', 'skipUTF8Validation', 'autoPong', 'closeTimeout', 'perMessageDeflate', 'protocolVersion', 'followRedirects', 'maxRedirects']);

export class WebSocket extends WebSocketBase {
  // ws exposes the server class on the WebSocket constructor too
  // (`WebSocket.Server`): declared and assigned in ./index.ts.

  constructor(address: string | URL | null, protocols?: string | readonly string[] | ClientOptions, options?: ClientOptions) {
    if (protocols !== undefined && typeof protocols === 'object' && !Array.isArray(protocols)) {
      options = protocols as ClientOptions;
      protocols = undefined;
    }
    super(address === null ? 'server' : 'client', options);
    if (address === null) return;
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...(protocols as readonly string[])];
    connect(this, address, list, options ?? {});
  }
}

/**
 * The events' listeners typed per event, as @types/ws types them (the
 * argument lists are in ./event-types.ts); any other event name takes any
 * listener, as on an EventEmitter. Declarations only: the methods are
 * EventEmitter's.
 */
export interface WebSocket {
  on<K extends keyof WebSocketEvents>(event: K, listener: (this: WebSocket, ...args: WebSocketEvents[K]) => void): this;
  on<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketEvents>, listener: (this: WebSocket, ...args: A) => void): this;
  once<K extends keyof WebSocketEvents>(event: K, listener: (this: WebSocket, ...args: WebSocketEvents[K]) => void): this;
  once<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketEvents>, listener: (this: WebSocket, ...args: A) => void): this;
  off<K extends keyof WebSocketEvents>(event: K, listener: (this: WebSocket, ...args: WebSocketEvents[K]) => void): this;
  off<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketEvents>, listener: (this: WebSocket, ...args: A) => void): this;
  addListener<K extends keyof WebSocketEvents>(event: K, listener: (this: WebSocket, ...args: WebSocketEvents[K]) => void): this;
  addListener<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketEvents>, listener: (this: WebSocket, ...args: A) => void): this;
  removeListener<K extends keyof WebSocketEvents>(event: K, listener: (this: WebSocket, ...args: WebSocketEvents[K]) => void): this;
  removeListener<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketEvents>, listener: (this: WebSocket, ...args: A) => void): this;
  prependListener<K extends keyof WebSocketEvents>(event: K, listener: (this: WebSocket, ...args: WebSocketEvents[K]) => void): this;
  prependListener<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketEvents>, listener: (this: WebSocket, ...args: A) => void): this;
  prependOnceListener<K extends keyof WebSocketEvents>(event: K, listener: (this: WebSocket, ...args: WebSocketEvents[K]) => void): this;
  prependOnceListener<E extends string | symbol, A extends unknown[]>(event: OtherEvent<E, WebSocketEvents>, listener: (this: WebSocket, ...args: A) => void): this;
}

function connect(ws: WebSocket, address: string | URL, protocols: string[], options: ClientOptions): void {
  let url: URL;
  try {
    url = address instanceof URL ? address : new URL(address);
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(address)}`);
  }
  // RFC 6455 §3: ws and wss; http(s) are accepted as their equivalents.
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError(`The URL's protocol must be "ws:" or "wss:", got "${url.protocol}"`);
  }
  if (url.hash !== '') throw new SyntaxError('The URL contains a fragment identifier');
  ws._url = url.href;

  const plan = buildClientRequest(protocols, options.headers ?? {});
  if (options.origin !== undefined) plan.headers['Origin'] = options.origin;
  const secure = url.protocol === 'wss:';
  const passThrough: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!OWN_OPTIONS.has(k)) passThrough[k] = v;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const requestOptions: https.RequestOptions = {
    ...passThrough,
    protocol: secure ? 'https:' : 'http:',
    hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: url.pathname + url.search,
    method: 'GET',
    headers: plan.headers,
  };
  if (secure && requestOptions.servername === undefined && !/^[\d.:]+$/.test(hostname)) requestOptions.servername = hostname;
  if (url.username !== '' || url.password !== '') {
    requestOptions.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  }

  const req = (secure ? https : http).request(requestOptions);
  ws._req = req;
  let timer: NodeJS.Timeout | null = null;
  if (typeof options.handshakeTimeout === 'number' && options.handshakeTimeout > 0) {
    timer = setTimeout(() => fail(ws, req, new Error('Opening handshake has timed out')), options.handshakeTimeout);
  }
  const clear = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  req.on('error', (err) => {
    clear();
    fail(ws, req, err);
  });
  req.on('response', (res) => {
    clear();
    if (ws.listenerCount('unexpected-response') > 0) {
      ws._req = null;
      ws.emit('unexpected-response', req, res);
      return;
    }
    res.resume();
    fail(ws, req, new Error(`Unexpected server response: ${res.statusCode}`));
  });
  req.on('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    clear();
    ws.emit('upgrade', res);
    if (ws._req === null) {
      // Aborted (close/terminate) while the response was in flight.
      socket.destroy();
      return;
    }
    ws._req = null;
    const check = verifyServerResponse(res.statusCode, res.headers, plan.key, protocols);
    if (!check.ok) {
      socket.destroy();
      fail(ws, null, new Error(check.message));
      return;
    }
    ws._protocol = check.protocol;
    ws._attach(socket, head);
    ws.emit('open');
  });
  req.end();
}

/** Fails the opening handshake: 'error' then 'close' (1006), like ws. */
function fail(ws: WebSocket, req: http.ClientRequest | null, err: Error): void {
  if (ws._req === null && req !== null) return; // already settled
  ws._req = null;
  if (req !== null) req.destroy();
  ws._abortHandshake(err);
}

// Abort of a pending client handshake (close()/terminate() while CONNECTING).
const baseAbort = WebSocketBase.prototype._abortHandshake;
WebSocket.prototype._abortHandshake = function (this: WebSocket, err: Error): void {
  const req = this._req;
  this._req = null;
  if (req !== null) req.destroy();
  if (this.readyState !== WebSocket.CONNECTING && this._socket !== null) return;
  process.nextTick(() => baseAbort.call(this, err));
};

// ws's property shape: read-only enumerable constants, enumerable accessors.
defineWsShape(WebSocket);
