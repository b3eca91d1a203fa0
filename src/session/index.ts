// The session layer: one connection's state machine, its socket binding,
// and the ws-compatible WebSocket / WebSocketServer.
export { Connection, CONNECTING, OPEN, CLOSING, CLOSED, checkClose, closeKind, type ConnectionEvents, type FrameBytes, type ConnectionOptions, type ReadyState } from './connection.js';
export { WebSocketBase, type BinaryType, type SendData, type SocketOptions, type BackpressureOptions } from './websocket.js';
export { WebSocket, type ClientOptions } from './client.js';
export type { RawData, WebSocketEvents } from './event-types.js';
export { WebSocketServer, type ServerOptions, type VerifyClientInfo, type VerifyClientSync, type VerifyClientAsync, type WebSocketServerEvents } from './server.js';
export { WsEvent as Event, MessageEvent, CloseEvent, ErrorEvent } from './events.js';
export { createWebSocketStream } from './stream.js';
export { prepareDeflatedFrame, type SharedDeflate } from './deflate.js';
export type { PerMessageDeflateOptions } from '../handshake/permessage-deflate.js';

import { WebSocket as WebSocketClass } from './client.js';
import { WebSocketServer as WebSocketServerClass } from './server.js';

// The shapes code written for ws reaches for: WebSocket.Server and friends.
// Declared here, next to their assignment, so ./client.ts needs nothing of
// the server (the server depends on the WebSocket class, not the reverse).
declare module './client.js' {
  // A namespace merged into the class: its members are the class's statics.
  namespace WebSocket {
    let Server: typeof WebSocketServerClass;
    let WebSocketServer: typeof WebSocketServerClass;
    let WebSocket: typeof WebSocketClass;
  }
}
WebSocketClass.Server = WebSocketServerClass;
WebSocketClass.WebSocketServer = WebSocketServerClass;
WebSocketClass.WebSocket = WebSocketClass;
