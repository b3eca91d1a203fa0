// The application layer: sessions, groups, request/response, broadcasts,
// private messages and presence over our JSON protocol (and the 0.2.x one).
export { WebSocketNodeServer, type WebSocketNodeServerEvents } from './server.js';
export { Session, type WireProtocol } from './session.js';
export { RemoteSession } from './remote-session.js';
export type { Adapter, AdapterStats, RemoteClient } from './adapter.js';
export type { QueryOptions, ClusterAnswer, ClusterStats, ClusterGroupSize, ClusterSessions } from './cluster-queries.js';
export { PROTOCOL_V1, ERROR_CODES, isErrorCode, type ErrorCode, type WireError, type PublicClient, type StreamPosition, type ResumeRequest } from './wire.js';
export { RequestError, HookError } from './errors.js';
export {
  DEFAULTS as SERVER_DEFAULTS,
  type Awaitable,
  type WebSocketNodeServerOptions,
  type RateLimitOptions,
  type BackpressurePolicy,
  type ServerStats,
  type UpgradeHook,
  type SessionStartOptions,
  type StartSession,
  type AuthRespond,
  type AuthenticationHook,
  type AuthContext,
  type ConnectionCloseHook,
  type Respond,
  type RequestHandler,
  type RequestContext,
  type BroadcastOptions,
  type PrivateMessageHook,
  type ClientMessage,
  type ClientMessageHook,
  type GroupChangeHook,
  type AliasChangeHook,
  type ClientBroadcastOptions,
  type PresenceOptions,
  type RecoveryOptions,
  type RecoveryStats,
  type CompressionStats,
  type AppTypeMap,
  type AppRequestName,
  type AppRequestBody,
  type AppRequestResult,
  type AppEventName,
  type AppEventData,
} from './types.js';
