// The exported WebSocket class. `new WebSocket(url, protocols?, options?)`
// opens a client connection over node:http(s), which carry the HTTP part of
// the upgrade; our handshake module builds and verifies it. The server
// creates its per-connection objects with a null address. A failed opening
// handshake ends as in ws: readyState CLOSING, one 'error', then 'close'
// 1006 (CLOSED).

import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { buildClientRequest, verifyServerResponse } from '../handshake/client.js';
import { deflateOffer, deflateSettings } from '../handshake/permessage-deflate.js';
import { CONNECTING } from './connection.js';
import { WebSocketBase } from './websocket.js';
import type { OtherEvent, WebSocketEvents } from './event-types.js';
import { defineWsShape } from './descriptors.js';
import { carryAuth, dropCredentials, normalizeArguments, ownHeaders, parseAddress, requestOptionsFor, urlProblem, type ClientOptions, type DialState } from './client-options.js';

export type { ClientOptions } from './client-options.js';

/** Requests we aborted: their late 'error' is not the connection's. */
const aborted = new WeakSet<http.ClientRequest>();

export class WebSocket extends WebSocketBase {
  // ws exposes the server class on the WebSocket constructor too
  // (`WebSocket.Server`): declared and assigned in ./index.ts.

  constructor(address: string | URL | null, protocols?: string | readonly string[] | ClientOptions, options?: ClientOptions) {
    const args = address === null ? { protocols: [], options: options ?? {} } : normalizeArguments(protocols, options);
    super(address === null ? 'server' : 'client', args.options);
    if (address === null) return;
    // As in ws, the client offers permessage-deflate unless told not to; a bad option throws here.
    const deflate = deflateSettings(args.options.perMessageDeflate ?? true, 'client');
    const state: DialState = { protocols: args.protocols as string[], options: args.options, redirects: 0, origin: null, deflate };
    dial(this, state, address);
  }

  /** @internal close()/terminate() while CONNECTING. */
  override _abortHandshake(err: Error): void {
    const req = this._req;
    if (req !== null) abortRequest(this, req, err.message);
    else {
      this._handshakeFailed();
      process.nextTick(failNow, this, err);
    }
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

function dial(ws: WebSocket, state: DialState, address: string | URL): void {
  const first = state.redirects === 0;
  const url = parseAddress(address);
  ws._url = url.href;
  const problem = urlProblem(url);
  if (problem !== null) {
    const err = new SyntaxError(problem);
    // The constructor throws; a redirect to such a URL fails the connection.
    if (first) throw err;
    failNow(ws, err);
    return;
  }
  let options = state.options;
  const version = options.protocolVersion === 8 ? 8 : 13;
  const plan = buildClientRequest(state.protocols, (options.headers ?? {}) as Record<string, string>, version, state.deflate === null ? undefined : deflateOffer(state.deflate));
  const headers: Record<string, unknown> = plan.headers;
  if (options.origin) headers[version < 13 ? 'Sec-WebSocket-Origin' : 'Origin'] = options.origin;
  const target = requestOptionsFor(url, options, headers);
  const reqOptions = target.requestOptions;
  const place = { ipc: target.ipc, secure: target.secure, place: target.place };
  if (options.followRedirects) {
    if (first) {
      state.origin = place;
      state.options = options = ownHeaders(options);
    } else if (ws.listenerCount('redirect') === 0 && state.origin !== null) {
      dropCredentials(state.origin, place, headers, reqOptions);
    }
    carryAuth(options, reqOptions);
  }

  const req = (target.secure ? https : http).request(reqOptions as https.RequestOptions);
  ws._req = req;
  // Emitted before the request is sent, so a listener may still change its headers.
  if (!first) ws.emit('redirect', ws.url, req);

  req.on('timeout', () => abortRequest(ws, req, 'Opening handshake has timed out'));
  req.on('error', (err) => {
    if (aborted.has(req) || ws._req !== req) return;
    ws._req = null;
    failNow(ws, err);
  });
  req.on('response', (res) => {
    const location = res.headers.location;
    const status = res.statusCode ?? 0;
    if (location && options.followRedirects && status >= 300 && status < 400) {
      if (++state.redirects > (options.maxRedirects ?? 10)) {
        abortRequest(ws, req, 'Maximum redirects exceeded');
        return;
      }
      aborted.add(req);
      req.destroy();
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        ws._req = null;
        failNow(ws, new SyntaxError(`Invalid URL: ${location}`));
        return;
      }
      try {
        dial(ws, state, next);
      } catch (err) {
        // A Location that http.request refuses fails this connection, never the process.
        if (ws.readyState !== WebSocket.CLOSED) failNow(ws, err as Error);
      }
      return;
    }
    // The listener owns the response; it ends the attempt with close()/terminate().
    if (ws.emit('unexpected-response', req, res)) return;
    abortRequest(ws, req, `Unexpected server response: ${res.statusCode}`);
  });
  req.on('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    ws.emit('upgrade', res);
    // An 'upgrade' listener may have closed the connection.
    if (ws.readyState !== CONNECTING) {
      socket.destroy();
      return;
    }
    ws._req = null;
    const check = verifyServerResponse(res.statusCode, res.headers, plan.key, state.protocols, state.deflate);
    if (!check.ok) {
      ws._handshakeFailed();
      socket.once('close', () => failNow(ws, new Error(check.message)));
      socket.destroy();
      return;
    }
    ws._protocol = check.protocol;
    if (check.deflate) ws._useDeflate(check.deflate, state.deflate!);
    ws._attach(socket, head);
    ws.emit('open');
  });
  if (typeof options.finishRequest === 'function') options.finishRequest(req, ws);
  else req.end();
}

/** Aborts the pending request: its socket is released at once; 'error' and 'close' follow on the next tick. */
function abortRequest(ws: WebSocket, req: http.ClientRequest, message: string): void {
  ws._handshakeFailed();
  if (ws._req === req) ws._req = null;
  aborted.add(req);
  req.destroy();
  // After a response the request may hold its socket still (keep-alive): release it too.
  req.socket?.destroy();
  process.nextTick(failNow, ws, new Error(message));
}

/** 'error' (CLOSING), then 'close' 1006 (CLOSED), once. */
function failNow(ws: WebSocket, err: Error): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  ws._handshakeFailed();
  ws._failHandshake(err);
}


// ws's property shape: read-only enumerable constants, enumerable accessors.
defineWsShape(WebSocket);
