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
export type { RawData, WebSocketEvents, WebSocketServerEvents } from './session/event-types.js';
export type { BinaryType, SendData, SocketOptions, BackpressureOptions } from './session/websocket.js';
export type { ReadyState } from './session/connection.js';
// `ws.sendPrepared(frame)` takes what this builds: one encoding, many sockets.
export { prepareFrame } from './frame/encoder.js';

// The application server (docs/server.md).
export {
  WebSocketNodeServer,
  type WebSocketNodeServerEvents,
  Session,
  type WireProtocol,
  PROTOCOL_V1,
  ERROR_CODES,
  RequestError,
  HookError,
  isErrorCode,
  type ErrorCode,
  type WireError,
  type PublicClient,
  SERVER_DEFAULTS,
  type Awaitable,
  type WebSocketNodeServerOptions,
  type RateLimitOptions,
  type BackpressurePolicy,
  type ServerStats,
  type UpgradeHook,
  type StartSession,
  type AuthRespond,
  type AuthenticationHook,
  type ConnectionCloseHook,
  type Respond,
  type RequestHandler,
  type PrivateMessageHook,
  type ClientMessage,
  type ClientMessageHook,
  type GroupChangeHook,
  type AliasChangeHook,
  type ClientBroadcastOptions,
  type PresenceOptions,
  type AppTypeMap,
  type AppRequestName,
  type AppRequestBody,
  type AppRequestResult,
  type AppEventName,
  type AppEventData,
} from './router/index.js';

// Importing the session layer's index also attaches WebSocket.Server,
// WebSocket.WebSocketServer and WebSocket.WebSocket, as ws does.
import { WebSocket } from './session/index.js';
/** Default export, as `import WebSocket from 'ws'`. */
export default WebSocket;
