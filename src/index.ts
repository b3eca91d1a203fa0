// Package root (`ws-node-server`): what applications use. The ws-compatible
// WebSocket / WebSocketServer (the names `ws` 8 exports, plus the
// browser-style event classes) and the application server. The frame and
// handshake building blocks are in `ws-node-server/protocol`
// (src/protocol.ts); docs/api.md lists both, and test/package/exports.test.mjs
// holds the lists, so neither changes by accident.

// ws-compatible API (docs/websocket.md).
export { WebSocket, type ClientOptions } from './session/client.js';
export { WebSocketServer, type ServerOptions, type VerifyClientInfo, type VerifyClientSync, type VerifyClientAsync } from './session/server.js';
export { WsEvent as Event, MessageEvent, CloseEvent, ErrorEvent } from './session/events.js';
export { createWebSocketStream } from './session/stream.js';
export type { RawData, WebSocketEvents } from './session/event-types.js';
export type { WebSocketServerEvents } from './session/server-types.js';
export type { BinaryType, SendData, SocketOptions, BackpressureOptions } from './session/websocket.js';
export type { ReadyState } from './session/connection.js';
// `ws.sendPrepared(frame)` takes what this builds: one encoding, many sockets.
export { prepareFrame } from './frame/encoder.js';

// The application server (docs/server.md): src/router/index.ts is its
// curated list of values and types.
export * from './router/index.js';

// Importing the session layer's index also attaches WebSocket.Server,
// WebSocket.WebSocketServer and WebSocket.WebSocket, as ws does.
import { WebSocket } from './session/index.js';
/** Default export, as `import WebSocket from 'ws'`. */
export default WebSocket;
