// Public types of the application layer: options and hook signatures. Every
// hook may return a value or a Promise of it.

import type { IncomingMessage } from 'node:http';
import type { Session } from './session.js';

export type Awaitable<T> = T | PromiseLike<T>;

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
  /** Failed authentications allowed per connection before it is closed with 1008 (default 5). */
  maxAuthAttempts?: number;
  /** Milliseconds between heartbeat pings; a peer that has not answered the previous one is terminated (default 30 000; 0 disables). */
  heartbeatInterval?: number;
  /** Milliseconds the onUpgrade hook has to call allow() or deny() before the upgrade is refused with 503 (default 10 000). */
  upgradeTimeout?: number;
  /** Milliseconds close() waits for in-flight handlers, then again for clients to finish the close handshake (default 5 000). */
  closeTimeout?: number;
  /** Speak the 0.2.x wire protocol to clients that do not negotiate ours (default true). */
  legacyProtocol?: boolean;
  /** Deepest JSON nesting accepted in a message (default 32). */
  maxDepth?: number;
  /** Longest request, event, group or alias name accepted (default 256). */
  maxNameLength?: number;
}

/** Options after defaults are applied. */
export type ResolvedOptions = Required<Omit<WebSocketNodeServerOptions, 'port' | 'host' | 'path'>> &
  Pick<WebSocketNodeServerOptions, 'port' | 'host' | 'path'>;

export const DEFAULTS = {
  maxPayload: 1024 * 1024,
  authTimeout: 10_000,
  maxAuthAttempts: 5,
  heartbeatInterval: 30_000,
  upgradeTimeout: 10_000,
  closeTimeout: 5_000,
  legacyProtocol: true,
  maxDepth: 32,
  maxNameLength: 256,
} as const;

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
) => void;

/** Answers the authentication: a non-null error refuses it. */
export type AuthRespond = (error: unknown, clientSideSession?: unknown) => void;

export type AuthenticationHook<TData> = (
  credentials: unknown,
  startSession: StartSession<TData>,
  respond: AuthRespond,
  req: IncomingMessage,
) => Awaitable<void>;

/** Called exactly once per session, however it ended. */
export type ConnectionCloseHook<TData> = (session: Session<TData>, code: number, reason: string) => Awaitable<void>;

/** Answers a request: a non-null error becomes an error response. */
export type Respond<TResult = unknown> = (error: unknown, data?: TResult) => void;

/**
 * Handles one named request. Answer with `respond`, or return (or resolve) a
 * value other than undefined. A thrown RequestError answers with its code;
 * anything else thrown answers `internal_error` and is reported as 'error'.
 */
export type RequestHandler<TData, TBody = unknown, TResult = unknown> = (
  body: TBody,
  respond: Respond<TResult>,
  session: Session<TData>,
  groups: string[],
  emitter: Session<TData>,
) => Awaitable<TResult | void>;

export type PrivateMessageHook<TData> = (sender: Session<TData>, receiver: Session<TData>, data: unknown) => Awaitable<void>;

/** A client-initiated broadcast or private message, before it is delivered. */
export type ClientMessage<TData> =
  | { kind: 'broadcast'; sender: Session<TData>; event: string; group: string | null; data: unknown }
  | { kind: 'private'; sender: Session<TData>; receiver: Session<TData>; data: unknown };

/**
 * Vets client-initiated messages. false vetoes; true allows a broadcast into a
 * group the sender is not a member of; undefined applies the default rules.
 * It cannot make an unavailable client reachable.
 */
export type ClientMessageHook<TData> = (message: ClientMessage<TData>) => Awaitable<boolean | void>;

/** Decides whether a client may join (join=true) or leave a group. Only true allows. */
export type GroupChangeHook<TData> = (session: Session<TData>, group: string, join: boolean) => Awaitable<boolean>;

/** The hooks one server holds. */
export interface Hooks<TData> {
  upgrade?: UpgradeHook;
  authentication?: AuthenticationHook<TData>;
  connectionClose?: ConnectionCloseHook<TData>;
  privateMessage?: PrivateMessageHook<TData>;
  clientMessage?: ClientMessageHook<TData>;
  groupChange?: GroupChangeHook<TData>;
  requests: Map<string, RequestHandler<TData, never, unknown>>;
}
