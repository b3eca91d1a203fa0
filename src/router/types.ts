// Public types of the application layer: options and hook signatures. Every
// hook may return a value or a Promise of it.

import type { IncomingMessage } from 'node:http';
import type { Adapter, AdapterStats } from './adapter.js';
import type { RemoteSession } from './remote-session.js';
import type { Session } from './session.js';
import type { AppTypeMap } from './wire.js';
import type { PerMessageDeflateOptions } from '../session/index.js';
import type { CompressionStats } from './outgoing.js';

export type { BroadcastOptions } from './session.js';
export type { AppTypeMap } from './wire.js';
export type { CompressionStats } from './outgoing.js';

export type Awaitable<T> = T | PromiseLike<T>;

/**
 * Per-connection inbound rate: a token bucket. Every message (and every
 * ping or pong frame) takes a token; tokens come back at `messagesPerSecond`
 * up to `burst`. A message that finds no token is answered `rate_limited`
 * and not processed; the bucket then goes into debt, and a connection whose
 * debt reaches `burst` (it kept on sending) is closed with 1008.
 */
export interface RateLimitOptions {
  /** Sustained rate, tokens per second (default 100). */
  messagesPerSecond?: number;
  /** Bucket size: messages accepted in a burst, and the debt tolerated before 1008 (default 200). */
  burst?: number;
}

/**
 * Bound on the bytes queued for one connection. Past `limit`, pushes to it
 * (broadcasts, events, presence, private messages) are dropped or the
 * connection is closed, per `policy`. Answers to the client's own messages
 * are never dropped: they may use up to twice the limit, and past that the
 * connection is closed whatever the policy.
 */
export interface BackpressurePolicy {
  /** Queued bytes above which the policy applies (default 1 MiB; 0 disables). */
  limit?: number;
  /** 'close' (default): close the connection; 'drop': skip the message for that client, counted. */
  policy?: 'drop' | 'close';
  /** Close code for 'close' and for the hard bound: 1013 (try again later, default) or 1008. */
  closeCode?: 1008 | 1013;
}

/**
 * What clients may broadcast (client-originated fan-out). Broadcasts into a
 * group the sender is a member of are allowed; broadcasts to everyone only
 * with `toEveryone` (or an onClientMessage hook returning true). Each one is
 * charged its size times its recipients against a per-session budget.
 */
export interface ClientBroadcastOptions {
  /** Let clients broadcast to every session (group null) without a hook's say-so (default false). */
  toEveryone?: boolean;
  /** Largest client broadcast, in bytes as sent to recipients; bigger ones are answered `too_large` (default 64 KiB; 0: no limit). */
  maxSize?: number;
  /**
   * Bytes times recipients one session may send per second; the budget holds
   * one second's worth. Over it, broadcasts are answered `rate_limited`
   * (default 1 MiB; 0: no budget).
   */
  bytesPerSecond?: number;
}

/**
 * How presence announcements are paced. Changes of one session within
 * `coalesceMs` of its last announcement are merged (the latest state goes
 * out at the end of the window), and each session's announcements are
 * charged one per recipient against `deliveriesPerSecond`: over it they
 * wait, never fail. Disconnects are always announced at once.
 */
export interface PresenceOptions {
  /** Window in which a session's changes are merged into one announcement (default 100 ms; 0: none). */
  coalesceMs?: number;
  /** Presence events one session's changes may cause per second, summed over recipients (default 10 000; 0: no budget). */
  deliveriesPerSecond?: number;
}

/** Options of WebSocketNodeServer. Every limit has a safe default. */
export interface WebSocketNodeServerOptions {
  /** Standalone mode: the port `listen()` binds (default 0: any free port). */
  port?: number;
  /** Standalone mode: the address `listen()` binds (default: all interfaces). */
  host?: string;
  /** Only upgrades to this pathname are handled (default: every path). */
  path?: string;
  /** Largest inbound message in bytes; bigger ones close the connection with 1009 (default 1 MiB). */
  maxPayload?: number;
  /** Milliseconds a connection may stay unauthenticated before it is closed with 1008 (default 10 000; 0 disables). */
  authTimeout?: number;
  /**
   * Milliseconds before a session's expiry (startSession's `expiresIn`,
   * session.setExpiry()) at which the server pushes `expiring` to a client of
   * our protocol; a third of the remaining time when that is shorter (default 30 000).
   */
  refreshNotice?: number;
  /** Failed authentications allowed per connection before it is closed with 1008 (default 5). */
  maxAuthAttempts?: number;
  /** Milliseconds between heartbeat pings; a peer that has not answered the previous one is terminated (default 30 000; 0 disables). */
  heartbeatInterval?: number;
  /** Milliseconds without an inbound message after which a connection is closed with 1001 (default 0: off). */
  idleTimeout?: number;
  /** Milliseconds the onUpgrade hook has to call allow() or deny() before the upgrade is refused with 503 (default 10 000). */
  upgradeTimeout?: number;
  /** Milliseconds close() waits for in-flight handlers, then again for clients to finish the close handshake (default 5 000). */
  closeTimeout?: number;
  /** Standalone mode: milliseconds allowed for the whole upgrade request head; a half-sent one gets 408 (default 10 000). */
  handshakeTimeout?: number;
  /** Standalone mode: largest upgrade request head in bytes; larger gets 431 (default 16 KiB). */
  maxHeaderSize?: number;
  /** Most connections at once (open, handshaking, or waiting for onUpgrade); further upgrades get 503 (default 10 000; 0: no limit). */
  maxConnections?: number;
  /** Exact Origin values browsers may connect from; others get 403. Requests without Origin pass (default: any origin). */
  allowedOrigins?: readonly string[] | null;
  /** Inbound message rate per connection (default 100/s, burst 200); false disables. */
  rateLimit?: RateLimitOptions | false;
  /** Messages of one connection being processed at once; more are answered `rate_limited` (default 100; 0: no limit). */
  maxInflight?: number;
  /** Outbound bound per connection and what happens past it (default 1 MiB, close with 1013); false disables. */
  backpressure?: BackpressurePolicy | false;
  /** Speak the 0.2.x wire protocol to clients that do not negotiate ours (default true). */
  legacyProtocol?: boolean;
  /** Deepest JSON nesting accepted in a message (default 32). */
  maxDepth?: number;
  /** Longest request, event, group or alias name accepted (default 256). */
  maxNameLength?: number;
  /** Client-originated broadcasts: to everyone or not, size, and budget (defaults: off, 64 KiB, 1 MiB/s). */
  clientBroadcasts?: ClientBroadcastOptions;
  /** Pacing of presence announcements (defaults: 100 ms window, 10 000 deliveries/s per session). */
  presence?: PresenceOptions;
  /** Groups one session may be in before its `join` requests are refused `limit_reached` (default 128; 0: no limit). */
  maxGroupsPerSession?: number;
  /** Distinct groups on the server before `join` requests that would add one are refused `limit_reached` (default 100 000; 0: no limit). */
  maxGroups?: number;
  /**
   * What carries broadcasts, private messages and presence to the other
   * server processes: `createClusterAdapter()` (ws-node-server/cluster) or
   * `createRedisAdapter(...)` (ws-node-server/redis). Default: one process,
   * no adapter (docs/scaling.md).
   */
  adapter?: Adapter | null;
  /**
   * Session recovery (docs/server.md, "Session recovery"): a session of our
   * protocol whose connection drops is kept for a resume, and the pushes it
   * missed are replayed. false (default) or true (all defaults) or limits.
   */
  recovery?: RecoveryOptions | boolean;
  /**
   * permessage-deflate, RFC 7692 (docs/server.md, "Compression"): false
   * (default: not accepted), true (the defaults) or options, with the names
   * and meanings of ws's. With our defaults (no context takeover), a
   * broadcast is compressed once and that one frame goes to every
   * connection that negotiated the extension.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** Limits of session recovery. */
export interface RecoveryOptions {
  /** How long (ms) a disconnected session waits for a resume, and how long history is kept (default 120 000). */
  maxDisconnection?: number;
  /** Entries kept per stream (default 1000). */
  maxMessages?: number;
  /** Total bytes of history kept; past it the oldest entries of any stream go first (default 64 MiB). */
  maxBytes?: number;
}

/** Options after defaults are applied. */
export type ResolvedOptions = Required<
  Omit<WebSocketNodeServerOptions, 'port' | 'host' | 'path' | 'allowedOrigins' | 'rateLimit' | 'backpressure' | 'clientBroadcasts' | 'presence' | 'adapter' | 'recovery'>
> &
  Pick<WebSocketNodeServerOptions, 'port' | 'host' | 'path'> & {
    allowedOrigins: readonly string[] | null;
    rateLimit: Required<RateLimitOptions> | false;
    backpressure: Required<BackpressurePolicy> | false;
    clientBroadcasts: Required<ClientBroadcastOptions>;
    presence: Required<PresenceOptions>;
    recovery: Required<RecoveryOptions> | false;
  };

export const DEFAULTS = {
  maxPayload: 1024 * 1024,
  authTimeout: 10_000,
  refreshNotice: 30_000,
  maxAuthAttempts: 5,
  heartbeatInterval: 30_000,
  idleTimeout: 0,
  upgradeTimeout: 10_000,
  closeTimeout: 5_000,
  handshakeTimeout: 10_000,
  maxHeaderSize: 16 * 1024,
  maxConnections: 10_000,
  allowedOrigins: null,
  rateLimit: { messagesPerSecond: 100, burst: 200 },
  maxInflight: 100,
  backpressure: { limit: 1024 * 1024, policy: 'close', closeCode: 1013 },
  legacyProtocol: true,
  maxDepth: 32,
  maxNameLength: 256,
  clientBroadcasts: { toEveryone: false, maxSize: 64 * 1024, bytesPerSecond: 1024 * 1024 },
  presence: { coalesceMs: 100, deliveriesPerSecond: 10_000 },
  maxGroupsPerSession: 128,
  maxGroups: 100_000,
  recovery: false,
  perMessageDeflate: false,
} as const;

/** The limits of `recovery: true`. */
export const RECOVERY_DEFAULTS = { maxDisconnection: 120_000, maxMessages: 1000, maxBytes: 64 * 1024 * 1024 } as const;

/** What the limits did, and how much is live: WebSocketNodeServer#stats. */
export interface ServerStats {
  /** Connections adopted and not yet closed (authenticated or not). */
  connections: number;
  /** Live sessions. */
  sessions: number;
  /** Groups with at least one member. */
  groups: number;
  /** Pushes skipped for a connection over its backpressure limit ('drop' policy). */
  dropped: number;
  /** Connections closed for backpressure. */
  closedForBackpressure: number;
  /** Messages answered `rate_limited` (rate or in-flight limit). */
  rateLimited: number;
  /** Connections closed with 1008 because they kept on over the rate limit. */
  closedForRate: number;
  /** Connections terminated by the heartbeat (no pong in time). */
  heartbeatTimeouts: number;
  /** Connections closed by the idle timeout. */
  idleTimeouts: number;
  /** Connections closed for not authenticating in time. */
  authTimeouts: number;
  /** Upgrades refused with 503 because of maxConnections. */
  refusedOverCapacity: number;
  /** Upgrades refused with 403 because of allowedOrigins. */
  refusedOrigin: number;
  /** Client broadcasts refused for size (`too_large`) or over the fan-out budget (`rate_limited`). */
  refusedBroadcasts: number;
  /** Client joins refused `limit_reached` (maxGroupsPerSession or maxGroups). */
  refusedJoins: number;
  /** Presence changes merged into a later announcement or held back by the budget. */
  deferredPresence: number;
  /** What the adapter did and knows (docs/scaling.md): broker connectivity, other nodes, messages. */
  adapter: AdapterStats;
  /** Session recovery (all 0 when it is off). */
  recovery: RecoveryStats;
  /** Pushes the router compressed (all 0 when perMessageDeflate is off); answers compressed by the connection are not counted. */
  compression: CompressionStats;
}

/** ServerStats.recovery. */
export interface RecoveryStats {
  /** Disconnected sessions waiting for a resume now. */
  retained: number;
  /** Resumes accepted, and of those, with the gap replayed (recovered) or not. */
  resumed: number;
  recovered: number;
  notRecovered: number;
  /** History kept now by this process: entries and bytes of text (0 with a shared store: the history is in it). */
  entries: number;
  bytes: number;
  /** With a shared store: broadcasts it could not take (the store unreachable), so no node delivered them. */
  unrecorded: number;
  /** Whether the history and retained sessions live in a store every node shares (the Redis adapter). */
  shared: boolean;
}

/** Gate for every upgrade request, before the handshake. Call exactly one of allow/deny. */
export type UpgradeHook = (
  req: IncomingMessage,
  allow: () => void,
  deny: (status?: number, reason?: string) => void,
) => Awaitable<void>;

/** Creates the session; call it before `respond(null, ...)`. */
export type StartSession<TData> = (
  serverSideData: TData,
  groups?: Iterable<string>,
  publicAlias?: string | null,
  available?: boolean,
  publicImmutableData?: unknown,
  options?: SessionStartOptions,
) => void;

/** The 6th argument of startSession(). */
export interface SessionStartOptions {
  /** Milliseconds until the session expires (closed with 4001 unless refreshed); null or absent: never. */
  expiresIn?: number | null;
}

/** Answers the authentication: a non-null error refuses it. */
export type AuthRespond = (error: unknown, clientSideSession?: unknown) => void;

/**
 * What an authentication is for (the hook's 5th argument): a `login` starts
 * a session; a `resume` brings back `session` (retained after a disconnect)
 * and a `refresh` renews the live `session`, so the hook can check that the
 * credentials belong to that session's user.
 */
export type AuthContext<TData> = { kind: 'login'; session: null } | { kind: 'resume' | 'refresh'; session: Session<TData> };

/**
 * `req` is the upgrade request of the connection that authenticates; it is
 * null on a refresh (a session does not keep its connection's request).
 */
export type AuthenticationHook<TData> = (
  credentials: unknown,
  startSession: StartSession<TData>,
  respond: AuthRespond,
  req: IncomingMessage | null,
  context: AuthContext<TData>,
) => Awaitable<void>;

/** Called exactly once per session, however it ended. */
export type ConnectionCloseHook<TData> = (session: Session<TData>, code: number, reason: string) => Awaitable<void>;

/** Answers a request: a non-null error becomes an error response. */
export type Respond<TResult = unknown> = (error: unknown, data?: TResult) => void;

/** What a request handler gets besides the body. */
export interface RequestContext<TData, TResult = unknown> {
  /** The session that sent the request (its groups: `session.groups`). */
  readonly session: Session<TData>;
  /** Answers the request, for handlers that answer through a callback rather than a return value. */
  readonly respond: Respond<TResult>;
}

/**
 * Handles one named request: `(body, { session, respond })`. Answer with
 * `respond`, or return (or resolve) a value other than undefined. A thrown
 * RequestError answers with its code; anything else thrown answers
 * `internal_error` and is reported as 'error'.
 */
export type RequestHandler<TData, TBody = unknown, TResult = unknown> = (
  body: TBody,
  context: RequestContext<TData, TResult>,
) => Awaitable<TResult | void>;

/** Called after a private message was delivered. The receiver is a RemoteSession when it is held by another node (docs/scaling.md). */
export type PrivateMessageHook<TData> = (sender: Session<TData>, receiver: Session<TData> | RemoteSession, data: unknown) => Awaitable<void>;

/** A client-initiated broadcast or private message, before it is delivered. */
export type ClientMessage<TData> =
  | { kind: 'broadcast'; sender: Session<TData>; event: string; group: string | null; data: unknown }
  | { kind: 'private'; sender: Session<TData>; receiver: Session<TData> | RemoteSession; data: unknown };

/**
 * Vets client-initiated messages. false vetoes; true allows a broadcast into a
 * group the sender is not a member of; undefined applies the default rules.
 * It cannot make an unavailable client reachable.
 */
export type ClientMessageHook<TData> = (message: ClientMessage<TData>) => Awaitable<boolean | void>;

/** Decides whether a client may join (join=true) or leave a group. Only true allows. */
export type GroupChangeHook<TData> = (session: Session<TData>, group: string, join: boolean) => Awaitable<boolean>;

/**
 * Decides whether a client may change its own public alias (null: drop it).
 * Only true allows. An alias another live session holds is refused
 * `alias_taken` before the hook is asked.
 */
export type AliasChangeHook<TData> = (session: Session<TData>, alias: string | null) => Awaitable<boolean>;

/** The hooks one server holds. */
export interface Hooks<TData> {
  upgrade?: UpgradeHook;
  authentication?: AuthenticationHook<TData>;
  connectionClose?: ConnectionCloseHook<TData>;
  privateMessage?: PrivateMessageHook<TData>;
  clientMessage?: ClientMessageHook<TData>;
  groupChange?: GroupChangeHook<TData>;
  aliasChange?: AliasChangeHook<TData>;
  requests: Map<string, RequestHandler<TData, never, unknown>>;
}

// Helpers over AppTypeMap, which lives in ./wire.ts because the client
// declares its app with the same map.
type Field<T, K extends PropertyKey, D> = K extends keyof T ? Exclude<T[K], undefined> : D;
/** Request names of an app map (any string when it declares none). */
export type AppRequestName<T extends AppTypeMap> = keyof Field<T, 'requests', Record<string, { body: unknown; result: unknown }>> & string;
export type AppRequestBody<T extends AppTypeMap, K extends AppRequestName<T>> = Field<T, 'requests', Record<string, { body: unknown; result: unknown }>>[K]['body'];
export type AppRequestResult<T extends AppTypeMap, K extends AppRequestName<T>> = Field<T, 'requests', Record<string, { body: unknown; result: unknown }>>[K]['result'];
/** Event names of an app map (any string when it declares none). */
export type AppEventName<T extends AppTypeMap> = keyof Field<T, 'events', Record<string, unknown>> & string;
export type AppEventData<T extends AppTypeMap, K extends AppEventName<T>> = Field<T, 'events', Record<string, unknown>>[K];
