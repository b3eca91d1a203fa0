// The wire vocabulary of our protocol, ws-node-server.v1 (docs/protocol.md),
// as the server (src/router) and the client (src/client) both speak it: the
// subprotocol name, the error codes, the messages each side sends by their
// `type` tag, and the limits a server announces. Every other module takes
// these names from here, so the two sides cannot drift apart. This module
// imports nothing and uses no Node API: the browser bundle takes it as it
// is (test/package/wire-module.test.mjs keeps it so).
//
// The 0.2.x protocol has no subprotocol name of its own: it is what a
// connection that offers none speaks (./protocol-legacy.ts, server only).

/** The WebSocket subprotocol (RFC 6455 §1.9, §4.1) that selects this protocol. */
export const PROTOCOL_V1 = 'ws-node-server.v1';

// The list of codes is closed: clients can switch on `code` exhaustively.
// Codes are only ever added (a client treats an unknown code like
// `internal_error`); removing or changing one means a new protocol version.

/** Every error code the server can put on the wire. */
export const ERROR_CODES = [
  'bad_message', // not JSON, wrong shape or types, unsafe keys, too deep, too long
  'unknown_type', // a message type (or legacy action) the protocol does not define
  'not_authenticated', // anything but authentication before the session started
  'already_authenticated', // a second authentication, or one while another is pending
  'auth_failed', // the application rejected the credentials
  'unknown_request', // no handler registered under that request name
  'request_failed', // the handler answered with an error (or threw a RequestError)
  'forbidden', // a hook or a default rule refused the action
  'not_found', // the addressed client does not exist or is not visible
  'unavailable', // the sender is not available/visible, so it cannot message others
  'internal_error', // an application hook or handler threw; details stay on the server
  'shutting_down', // the server is closing and takes no new work
  'rate_limited', // over the connection's message rate, in-flight limit or broadcast budget; slow down
  'too_large', // one item is over a size limit (a client broadcast over clientBroadcasts.maxSize)
  'alias_taken', // the alias is held by another live session
  'limit_reached', // a count limit is reached (groups per session, groups on the server)
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error object that travels on the wire. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

// Pure: a bundle that never asks (the browser client) leaves the list out.
const CODE_SET: ReadonlySet<string> = /* @__PURE__ */ new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

/** Request ids are chosen by the client: a safe integer or a short string. */
export type RequestId = number | string;

/** What other clients may know about a session: presence events and client lists. */
export interface PublicClient<PD = unknown> {
  id: string;
  alias: string | null;
  available: boolean;
  publicData: PD;
  connected: boolean;
}

/** A client's own entry, in the answer to `auth`. */
export interface SelfInfo<PD = unknown> extends PublicClient<PD> {
  groups: string[];
}

/** A sender as it appears on events and private messages. */
export interface Sender {
  id: string;
  alias: string | null;
}

/**
 * The limits a client must keep, told to it when its session starts (in the
 * answer to `auth`). Our client paces itself by them, so that only a client
 * that ignores them is ever answered `rate_limited` or closed with 1009.
 */
export interface AnnouncedLimits {
  /** Messages of one connection processed at once; 0: no limit. */
  maxInflight: number;
  /** Sustained messages per second and bucket size; null: no rate limit. */
  rate: { messagesPerSecond: number; burst: number } | null;
  /** Largest message the server accepts, in bytes. */
  maxPayload: number;
}

/** `reply.data` of a successful `auth`. */
export interface AuthAnswer {
  self: SelfInfo;
  /** The client-side session the application answered with. */
  session: unknown;
  limits: AnnouncedLimits;
  /** With recovery on: the session was taken back from a `resume`. */
  resumed?: boolean;
  /** With recovery on: every message missed while disconnected follows this answer. */
  recovered?: boolean;
  /** With recovery on: what resumes this session after a disconnect, for `ttl` ms. */
  recovery?: { token: string; ttl: number };
  /** When the session has an expiry: milliseconds left (refresh before, or it is closed with 4001). */
  expiresIn?: number;
}

/**
 * Where a recoverable push stands in its stream (`pos`): the stream (`all`,
 * `g:<group>`, `u:<session id>`), its epoch and the push's offset in it.
 */
export interface StreamPosition {
  s: string;
  e: string;
  o: number;
}

/** `reply.data` of a successful `refresh`: the hook's client-side session and the new expiry (ms, null: none). */
export interface RefreshAnswer {
  session: unknown;
  expiresIn: number | null;
}

/** The `resume` field of `auth`: the session to take back and the last position received per stream. */
export interface ResumeRequest {
  session: string;
  token: string;
  positions: Record<string, { e: string; o: number }>;
}

/** The messages a client sends, by `type`: their fields besides `type` and `id`. */
export interface ClientMessages {
  auth: { credentials?: unknown; resume?: ResumeRequest };
  /** Re-authenticates the live session (docs/protocol.md, "Refreshing a session"). */
  refresh: { credentials?: unknown };
  request: { name: string; data?: unknown };
  broadcast: { event: string; group?: string | null; data?: unknown };
  message: { to: { id: string } | { alias: string }; data?: unknown };
  join: { group: string };
  leave: { group: string };
  clients: Record<never, never>;
  update: { alias?: string | null; available?: boolean };
}

export type ClientMessageType = keyof ClientMessages;

/** A client message without its `id` (the client numbers its calls when it sends them). */
export type ClientMessageBody<K extends ClientMessageType = ClientMessageType> = { [T in K]: { type: T } & ClientMessages[T] }[K];

/** A client message as it travels: every one carries an `id`, answered by one `reply` or `error`. */
export type ClientMessage<K extends ClientMessageType = ClientMessageType> = ClientMessageBody<K> & { id: RequestId };

/** The messages the server sends, by `type`: their fields besides `type`. Pushes carry no `id`. */
export interface ServerMessages {
  reply: { id: RequestId; data: unknown };
  /** `id` is null when the message could not be tied to one (not JSON, no readable id). */
  error: { id: RequestId | null; error: WireError };
  /** A broadcast, or an event for one client; `from` is present when a client sent it. */
  event: { event: string; group: string | null; data: unknown; from?: Sender; pos?: StreamPosition };
  message: { from: Sender; data: unknown; pos?: StreamPosition };
  presence: { client: PublicClient };
  /** The session expires in `in` ms unless it is refreshed; then it is closed with 4001. */
  expiring: { in: number };
}

export type ServerMessageType = keyof ServerMessages;

export type ServerMessage<K extends ServerMessageType = ServerMessageType> = { [T in K]: { type: T } & ServerMessages[T] }[K];

/**
 * An application's protocol, declared once and shared by the server and the
 * client (`WebSocketNodeServer<Data, App>`, `WebSocketNodeClient<App>`):
 * request names with their body and result, and broadcast event payloads.
 * Every key is optional; what is left out stays `unknown`.
 */
export interface AppTypeMap {
  requests?: Record<string, { body: unknown; result: unknown }>;
  events?: Record<string, unknown>;
  /** Payload of private messages. */
  messages?: unknown;
  /** The client-side session object the authentication hook answers with. */
  session?: unknown;
  credentials?: unknown;
  /** The public immutable data attached to each session. */
  publicData?: unknown;
}
