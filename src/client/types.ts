// Public types of the client. Everything here is erased at build time, so
// the browser bundle pays nothing for it. The app describes its protocol
// once as a type map; request(), on(), broadcast() and sendMessage() then
// check names, bodies and results at compile time.

import type { AppTypeMap, Sender } from '../router/wire.js';
import type { ClientError } from './errors.js';

// The wire shapes the server sends (src/router/wire.ts, shared by both sides).
export type { PublicClient, SelfInfo, Sender } from '../router/wire.js';

/** One request an app's server handles: what is sent and what comes back. */
export interface RequestSpec {
  body: unknown;
  result: unknown;
}

/**
 * Describes an application's protocol. Every key is optional; what is left
 * out stays `unknown` (and any request or event name is accepted).
 *
 * ```ts
 * type Chat = {
 *   requests: { history: { body: { room: string }; result: Line[] } };
 *   events: { line: Line; typing: { who: string } };
 *   messages: { text: string };
 *   session: { name: string };
 *   credentials: { token: string };
 * };
 * const client = new WebSocketNodeClient<Chat>(url);
 * ```
 */
// The same map types the server (`WebSocketNodeServer<Data, App>`): one
// declaration drives both sides.
export interface ClientTypeMap extends AppTypeMap {}

type Pick2<T, K extends PropertyKey, D> = K extends keyof T ? Exclude<T[K], undefined> : D;

export type RequestsOf<T extends ClientTypeMap> = Pick2<T, 'requests', Record<string, RequestSpec>>;
export type EventsOf<T extends ClientTypeMap> = Pick2<T, 'events', Record<string, unknown>>;
export type MessageOf<T extends ClientTypeMap> = Pick2<T, 'messages', unknown>;
export type SessionOf<T extends ClientTypeMap> = Pick2<T, 'session', unknown>;
export type CredentialsOf<T extends ClientTypeMap> = Pick2<T, 'credentials', unknown>;
export type PublicDataOf<T extends ClientTypeMap> = Pick2<T, 'publicData', unknown>;

export type RequestName<T extends ClientTypeMap> = keyof RequestsOf<T> & string;
export type RequestBody<T extends ClientTypeMap, K extends RequestName<T>> = RequestsOf<T>[K]['body'];
export type RequestResult<T extends ClientTypeMap, K extends RequestName<T>> = RequestsOf<T>[K]['result'];
export type EventName<T extends ClientTypeMap> = keyof EventsOf<T> & string;

/** The body may be left out when its type admits undefined. */
export type BodyArgs<B, O> = undefined extends B ? [body?: B, options?: O] : [body: B, options?: O];

/** Per-call options of everything that talks to the server. */
export interface CallOptions {
  /**
   * Milliseconds from the call until the answer must have arrived, time
   * spent queued while disconnected included (default: the client's
   * `requestTimeout`; 0 waits forever).
   */
  timeout?: number;
  /** Aborting rejects the call with a RequestAbortedError. */
  signal?: AbortSignal;
}

export interface BroadcastOptions extends CallOptions {
  /** Deliver to this group's members only (the sender must be one); default: everyone. */
  group?: string | null;
}

/** Where an event came from. */
export interface EventMeta {
  event: string;
  /** The group it was sent to; null for everyone (or sent to this client alone). */
  group: string | null;
  /** The client that broadcast it; null when the server itself sent it. */
  from: Sender | null;
}

/** Who a private message is for. */
export type Recipient = string | { id: string } | { alias: string };

/**
 * What a presence update means, judged against what this client knew:
 * `connect` for a client seen for the first time on this connection (in a
 * presence update or a `clients()` list), `disconnect` when it left,
 * `alias` / `availability` when that field changed. A change of both fields
 * is reported as two updates.
 */
export type PresenceChange = 'connect' | 'disconnect' | 'alias' | 'availability';

export type ClientState = 'connecting' | 'open' | 'authenticated' | 'reconnecting' | 'closed';

/** Connection-state events, one per transition. */
export type StateEvent<S = unknown> =
  /** A connection attempt starts: attempt 0 after connect(), n for the n-th reconnection attempt in a row. */
  | { state: 'connecting'; attempt: number }
  /** The WebSocket is open; not authenticated (yet). */
  | { state: 'open' }
  /**
   * The session started; `reconnected` is true after a connection was lost
   * and restored. `resumed`: the server took the same session back (same id,
   * groups and alias); `recovered`: the messages missed meanwhile follow,
   * each once, in order. With `recovered` false after a reconnect, what was
   * missed is lost: reload what the app shows (docs/client.md, recovery).
   */
  | { state: 'authenticated'; session: S; reconnected: boolean; resumed: boolean; recovered: boolean }
  /** The connection is gone; reconnection attempt `attempt` starts in `delay` ms. */
  | { state: 'reconnecting'; attempt: number; delay: number; code: number; reason: string }
  /** Final until connect() is called again. `error` says why, when it was not close(). */
  | { state: 'closed'; code: number; reason: string; error: ClientError | null };

export interface ReconnectOptions {
  /** Upper bound of the first delay, in ms (default 500). */
  initialDelay?: number;
  /** Largest delay, in ms (default 30 000). */
  maxDelay?: number;
  /** Growth of the bound per attempt (default 2). */
  factor?: number;
  /** Consecutive failed attempts before giving up (default: no limit). */
  maxAttempts?: number;
  /**
   * Milliseconds a connection must stay up (authenticated, or open when there
   * is nothing to authenticate with) before the attempt count starts from 1
   * again (default 5 000). A connection lost sooner counts as a failed attempt.
   */
  resetAfter?: number;
  /** Source of randomness for the jitter, in [0, 1) (default Math.random). */
  random?: () => number;
}

/**
 * Anything with the browser WebSocket's shape: `new WebSocket(url,
 * protocols)` in browsers, this package's WebSocket or the `ws` package in
 * Node. The client assigns the `on*` slots and reads `code`/`reason` from
 * close events and `data` from message events.
 */
export interface WebSocketLike {
  readonly readyState: number;
  /** The negotiated subprotocol, when the implementation reports it. */
  readonly protocol?: string;
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Opens one WebSocket. */
export type SocketFactory = (url: string, protocols: string[]) => WebSocketLike;

/** Platform services the core needs; each entry point supplies its own. */
export interface Platform {
  createSocket: SocketFactory;
  /** Calls `retry` whenever the platform reports the network is back; returns an unsubscribe. */
  watchNetwork?: (retry: () => void) => () => void;
}

export type Awaitable<T> = T | PromiseLike<T>;

export interface ClientOptions<T extends ClientTypeMap = ClientTypeMap> {
  /**
   * Credentials sent on every (re)connection, or a function returning fresh
   * ones each time (a new token, say). Without this option, the credentials
   * of the last successful authenticate() are reused after a reconnect.
   */
  credentials?: CredentialsOf<T> | (() => Awaitable<CredentialsOf<T>>);
  /** Connect on construction (default true); otherwise call connect(). */
  autoConnect?: boolean;
  /** Automatic reconnection (default on); false closes for good on the first loss. */
  reconnect?: boolean | ReconnectOptions;
  /** Default per-call timeout in ms (default 10 000; 0 waits forever). */
  requestTimeout?: number;
  /** Milliseconds a connection attempt may take before it counts as failed (default 10 000). */
  connectTimeout?: number;
  /** Calls held while not connected; one more is refused with a QueueFullError (default 100). */
  maxQueue?: number;
  /** Replaces how WebSockets are created (tests, other implementations). */
  WebSocket?: SocketFactory;
}
