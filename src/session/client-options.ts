// What `new WebSocket(url, protocols?, options?)` accepts, checked as the
// `ws` package checks it (same error classes and messages), the request
// options one handshake attempt is made with, and what a redirect keeps.

import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { SocketOptions, WebSocketBase } from './websocket.js';
import type { DeflateSettings, PerMessageDeflateOptions } from '../handshake/permessage-deflate.js';

export interface ClientOptions extends SocketOptions {
  /** Extra request headers (cannot override the handshake's own). */
  headers?: OutgoingHttpHeaders;
  /** Milliseconds of socket inactivity allowed during the opening handshake. Default: none. */
  handshakeTimeout?: number;
  /** The Origin header (Sec-WebSocket-Origin with protocolVersion 8). */
  origin?: string;
  /** Sec-WebSocket-Version: 13 (default) or 8. */
  protocolVersion?: number;
  /** Follow 3xx answers with a Location header. Default false. */
  followRedirects?: boolean;
  /** Most redirects followed before failing. Default 10. */
  maxRedirects?: number;
  /** Called instead of `request.end()`; it must end the request. */
  finishRequest?: (request: ClientRequest, websocket: WebSocketBase) => void;
  /** Opens the transport, called with the request options. */
  createConnection?: typeof net.createConnection;
  /** Subprotocols, when the `protocols` argument is not given. */
  protocols?: string | string[];
  /**
   * permessage-deflate (RFC 7692). Default true, as in ws: the extension
   * is offered (`permessage-deflate; client_max_window_bits`) and used if
   * the server accepts it. false: not offered.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Passed to http(s).request: agent, auth, TLS options, family, localAddress... */
  [requestOption: string]: unknown;
}

/** Sec-WebSocket-Version values spoken: RFC 6455 (13) and hybi draft 8. */
const VERSIONS = [8, 13];

/** The `(protocols?, options?)` arguments sorted out as ws sorts them. */
export function normalizeArguments(protocols: unknown, options: ClientOptions | undefined): { protocols: unknown[]; options: ClientOptions } {
  let list: unknown[];
  if (protocols === undefined) {
    list = listOf(options?.protocols);
  } else if (Array.isArray(protocols)) {
    list = protocols;
  } else if (typeof protocols === 'object' && protocols !== null) {
    options = protocols as ClientOptions;
    list = listOf(options.protocols);
  } else {
    list = [protocols];
  }
  options = options ?? {};
  const version = options.protocolVersion ?? 13;
  if (!VERSIONS.includes(version as number)) {
    throw new RangeError(`Unsupported protocol version: ${String(version)} (supported versions: ${VERSIONS.join(', ')})`);
  }
  return { protocols: list, options };
}

function listOf(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Parses the address; http(s) become ws(s) (RFC 6455 §3 names only ws and wss). */
export function parseAddress(address: string | URL): URL {
  let url: URL;
  if (address instanceof URL) url = address;
  else {
    try {
      url = new URL(address);
    } catch {
      throw new SyntaxError(`Invalid URL: ${String(address)}`);
    }
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    url = new URL(url);
    url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  }
  return url;
}

/** Why a URL cannot be connected to, or null. */
export function urlProblem(url: URL): string | null {
  const p = url.protocol;
  if (p !== 'ws:' && p !== 'wss:' && p !== 'ws+unix:') {
    return 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"';
  }
  if (p === 'ws+unix:' && url.pathname === '') return "The URL's pathname is empty";
  // RFC 6455 §3: fragment identifiers are meaningless in WebSocket URIs.
  if (url.hash !== '') return 'The URL contains a fragment identifier';
  return null;
}

/** Where one attempt connects: host and port, or a Unix socket (`ws+unix:/path.sock:/request/path`). */
export interface Target {
  secure: boolean;
  ipc: boolean;
  /** host:port for TCP, the socket path for IPC: what decides "same host" across redirects. */
  place: string;
  requestOptions: Record<string, unknown>;
}

/**
 * The http(s).request options for one attempt: the caller's options passed
 * through (agent, TLS options, family...), with the target's own fields on
 * top. `headers` are the finished handshake headers.
 */
export function requestOptionsFor(url: URL, options: ClientOptions, headers: Record<string, unknown>): Target {
  const secure = url.protocol === 'wss:';
  const ipc = url.protocol === 'ws+unix:';
  const defaultPort = secure ? 443 : 80;
  const o: Record<string, unknown> = {
    ...options,
    protocols: undefined,
    socketPath: undefined,
    hostname: undefined,
    protocol: undefined,
    method: 'GET',
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port || defaultPort,
    defaultPort: options.defaultPort || defaultPort,
    path: url.pathname + url.search,
    headers,
    timeout: options.handshakeTimeout,
    createConnection: options.createConnection ?? (secure ? tlsConnect : netConnect),
  };
  if (url.username !== '' || url.password !== '') o.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  if (ipc) {
    const path = o.path as string;
    const colon = path.indexOf(':');
    o.socketPath = colon === -1 ? path : path.slice(0, colon);
    o.path = colon === -1 ? '' : path.slice(colon + 1);
  }
  return { secure, ipc, place: ipc ? (o.socketPath as string) : url.host, requestOptions: o };
}

function netConnect(options: Record<string, unknown>): Duplex {
  // http.request leaves `path` as the request path; net.connect reads it as an IPC path.
  options.path = options.socketPath;
  return net.connect(options as unknown as net.NetConnectOpts);
}

function tlsConnect(options: Record<string, unknown>): Duplex {
  options.path = undefined;
  // SNI carries host names only (RFC 6066 §3), never IP literals.
  if (options.servername === undefined || options.servername === null) {
    options.servername = net.isIP(options.host as string) ? '' : options.host;
  }
  return tls.connect(options as tls.ConnectionOptions);
}

// Redirects (followRedirects, maxRedirects). Credentials stay with the host
// they were given for: on a redirect to another host (or socket path), or
// from wss: down to ws:, the Authorization and Cookie headers and `auth` are
// dropped (and Host, when the host changed), as curl does. With a 'redirect'
// listener the application decides instead, on the request it is handed.

/** What the first attempt went to: the reference for "same host". */
export interface Origin {
  ipc: boolean;
  secure: boolean;
  place: string;
}

/** Handshake state kept across the attempts of one connection. */
export interface DialState {
  protocols: string[];
  /** The caller's options; with followRedirects, a copy whose headers are keyed in lower case. */
  options: ClientOptions;
  redirects: number;
  origin: Origin | null;
  /** permessage-deflate as offered (null: not offered). */
  deflate: DeflateSettings | null;
}

/**
 * A copy of the options whose headers can be changed without touching the
 * caller's object, keyed in lower case so that one name is one entry.
 */
export function ownHeaders(options: ClientOptions): ClientOptions {
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
  return { ...options, headers: headers as ClientOptions['headers'] };
}

/** Removes what must not follow a redirect from `origin` to `to`, unless the same host over a no less secure scheme. */
export function dropCredentials(origin: Origin, to: Origin, headers: Record<string, unknown>, requestOptions: Record<string, unknown>): void {
  const sameHost = origin.ipc === to.ipc && origin.place === to.place;
  if (sameHost && !(origin.secure && !to.secure)) return;
  delete headers.authorization;
  delete headers.cookie;
  if (!sameHost) delete headers.host;
  requestOptions.auth = undefined;
}

/**
 * Keeps credentials from the URL or `auth` as an Authorization header on the
 * caller's copy, so a same-host redirect (whose URL has none) still carries
 * them; a header the caller set wins.
 */
export function carryAuth(options: ClientOptions, requestOptions: Record<string, unknown>): void {
  const auth = requestOptions.auth;
  const headers = options.headers as Record<string, unknown>;
  if (typeof auth === 'string' && auth !== '' && headers.authorization === undefined) {
    headers.authorization = 'Basic ' + Buffer.from(auth).toString('base64');
  }
}
