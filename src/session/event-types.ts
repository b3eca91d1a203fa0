// The listener arguments of the ws-compatible classes' events, as the `ws`
// package's type declarations (@types/ws) give them, so that under
// `--strict` `ws.on('message', (data, isBinary) => ...)` types its
// parameters instead of leaving them implicitly `any`. Types only: the
// on/once/off/... overloads that use these maps sit next to each class
// (./client.ts, ./server.ts), where TypeScript merges them into it.

import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The `data` of a 'message' listener: a Buffer (binaryType 'nodebuffer', the
 * default, and always for text messages), an ArrayBuffer ('arraybuffer'), or
 * Buffer[] ('fragments'). With binaryType 'blob' a binary message is a Blob,
 * which this type leaves out, as @types/ws does.
 */
export type RawData = Buffer | ArrayBuffer | Buffer[];

/** The events of a WebSocket and their listener arguments. */
export interface WebSocketEvents {
  open: [];
  message: [data: RawData, isBinary: boolean];
  close: [code: number, reason: Buffer];
  error: [error: Error];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /** Client: the server's 101 response, before 'open'. */
  upgrade: [response: IncomingMessage];
  /** Client: the server answered the upgrade with something other than 101. */
  'unexpected-response': [request: ClientRequest, response: IncomingMessage];
  /** Client, with followRedirects: a redirect is being followed to `url` with the new `request` (not yet sent). */
  redirect: [url: string, request: ClientRequest];
  /** The connection's own send queue was written out. */
  drain: [];
}

/**
 * The events of a WebSocketServer whose connections are `Socket`s, and their
 * listener arguments (generic so this module needs no WebSocket class:
 * ./server-types.ts names the one the server uses, WebSocketServerEvents).
 */
export interface WebSocketServerEventsOf<Socket> {
  connection: [socket: Socket, request: IncomingMessage];
  error: [error: Error];
  /** The response header lines, before they are written: listeners may add to them. */
  headers: [headers: string[], request: IncomingMessage];
  close: [];
  listening: [];
  /** A refused handshake, when someone listens: the listener answers on `socket`. */
  wsClientError: [error: Error & { status?: number }, socket: Duplex, request: IncomingMessage];
  /** The backpressure policy dropped a message for, or closed, a connection. */
  backpressure: [socket: Socket, action: 'drop' | 'close', bufferedAmount: number];
  /** A connection missed its heartbeat and is being terminated. */
  heartbeatTimeout: [socket: Socket];
}

/**
 * An event name that is not one of `Events`: the catch-all overloads take
 * only these, so a listener of the wrong shape for a known event is an error
 * rather than a match of the catch-all.
 */
export type OtherEvent<E extends string | symbol, Events> = E extends keyof Events ? never : E;
