// `ws-node-server/client` for Node: the client core over this package's own
// WebSocket (src/session). Browsers use ./browser.ts, which has the same
// API over the global WebSocket.

import { WebSocket, type ClientOptions as SocketOptions } from '../session/client.js';
import { ClientCore } from './core.js';
import type { ClientOptions, ClientTypeMap } from './types.js';

export interface NodeClientOptions<T extends ClientTypeMap = ClientTypeMap> extends ClientOptions<T> {
  /**
   * Options of the underlying WebSocket (docs/websocket.md): `headers`,
   * `origin`, TLS options (`ca`, `rejectUnauthorized`...), `maxPayload`,
   * `closeTimeout` (here 5 000 ms by default), `maxPayload` (here 16 MiB by
   * default)...
   */
  socket?: SocketOptions;
  /**
   * permessage-deflate, RFC 7692 (docs/client.md, "Compression"): true
   * (default, as ws's client and browsers do: offered in the handshake, used
   * when the server accepts), false (not offered) or options with the names
   * and meanings of ws's (docs/websocket.md). Shorthand for
   * `socket.perMessageDeflate`; this one wins when both are given. Browsers
   * negotiate compression by themselves.
   */
  perMessageDeflate?: SocketOptions['perMessageDeflate'];
}

/** Largest message accepted from the server unless `socket.maxPayload` says otherwise. */
const CLIENT_MAX_PAYLOAD = 16 * 1024 * 1024;

/** The application-protocol client (docs/client.md). */
export class WebSocketNodeClient<T extends ClientTypeMap = ClientTypeMap> extends ClientCore<T> {
  constructor(url: string | URL, options: NodeClientOptions<T> = {}) {
    // A server that never answers our close frame should not hold close() for
    // the 30 s server default; and an application client has no use for the
    // 100 MiB messages the ws-compatible default allows a server to send.
    const socketOptions: SocketOptions = { closeTimeout: 5000, maxPayload: CLIENT_MAX_PAYLOAD, ...options.socket };
    if (options.perMessageDeflate !== undefined) socketOptions.perMessageDeflate = options.perMessageDeflate;
    super(String(url), options, { createSocket: (u, protocols) => new WebSocket(u, protocols, socketOptions) });
  }
}

export { ClientCore, PROTOCOL } from './core.js';
export * from './errors.js';
export type * from './types.js';
