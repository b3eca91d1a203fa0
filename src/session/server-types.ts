// The types of the ws-compatible WebSocketServer: its options, the
// verifyClient shapes and its events' listener arguments. Kept apart from
// the class so the WebSocket class (./client.ts) never depends on the server.

import type * as http from 'node:http';
import type * as https from 'node:https';
import type { WebSocket } from './client.js';
import type { WebSocketServerEventsOf } from './event-types.js';
import type { BackpressureOptions } from './websocket.js';
import type { PerMessageDeflateOptions } from '../handshake/permessage-deflate.js';

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

/** The events of a WebSocketServer and their listener arguments. */
export type WebSocketServerEvents = WebSocketServerEventsOf<WebSocket>;

export interface ServerOptions {
  port?: number | null;
  host?: string | null;
  backlog?: number | null;
  server?: http.Server | https.Server | null;
  noServer?: boolean;
  /** Only accept upgrades for this pathname. */
  path?: string | null;
  /** Largest message accepted, in bytes. Default 100 MiB (as ws). */
  maxPayload?: number;
  /** Track connections in `clients`. Default true. */
  clientTracking?: boolean;
  /** Picks one of the offered subprotocols, or false for none. Default: the first offered. */
  handleProtocols?: ((protocols: Set<string>, req: http.IncomingMessage) => string | false) | null;
  /** Accept or refuse an upgrade; refuse with a status code (default 401). */
  verifyClient?: VerifyClientSync | VerifyClientAsync | null;
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
  /**
   * permessage-deflate (RFC 7692). Default false: no offer is accepted.
   * true or an object: the first acceptable offer of each client is
   * (see docs/websocket.md, "Compression (permessage-deflate)").
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /**
   * Accepted as in ws 8.17+ (default true); messages are always emitted as
   * they are parsed, as with ws's default.
   */
  allowSynchronousEvents?: boolean;
  /** Accepted and shown in `options` as in ws (see docs/websocket.md, Differences from ws). */
  maxBufferedChunks?: number;
  /** Accepted and shown in `options` as in ws (see docs/websocket.md, Differences from ws). */
  maxFragments?: number;
  /** Accepted and shown in `options` as in ws (see docs/websocket.md, Differences from ws). */
  maxPendingAutoPongs?: number;
  WebSocket?: typeof WebSocket;
}
