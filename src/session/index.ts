// The session layer: one connection's state machine, its socket binding,
// and the ws-compatible WebSocket / WebSocketServer.
export { Connection, CONNECTING, OPEN, CLOSING, CLOSED, checkClose, closeKind, type ConnectionEvents, type FrameBytes, type ConnectionOptions, type ReadyState } from './connection.js';
export { WebSocketBase, type BinaryType, type SendData, type SocketOptions, type BackpressureOptions } from './websocket.js';
export { WebSocket, type ClientOptions } from './client.js';
export type { RawData, WebSocketEvents, WebSocketServerEvents } from './event-types.js';
export { WebSocketServer, type ServerOptions, type VerifyClientInfo, type VerifyClientSync, type VerifyClientAsync } from './server.js';
export { WsEvent as Event, MessageEvent, CloseEvent, ErrorEvent } from './events.js';

import { WebSocket as WebSocketClass } from './client.js';
import { WebSocketServer as WebSocketServerClass } from './server.js';
// The shapes code written for ws reaches for: WebSocket.Server and friends.
WebSocketClass.Server = WebSocketServerClass;
WebSocketClass.WebSocketServer = WebSocketServerClass;
WebSocketClass.WebSocket = WebSocketClass;
