// `ws-node-server/compat`: the PascalCase API of ws-node-server 0.2.x on top
// of the new server, so applications written for the original run unchanged.
// The wire protocol spoken to their clients is the original one (see
// docs/migrating-from-0.2.md); the original's flaws are not carried over.

import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { WebSocketServer } from '../session/index.js';
import type { HookError } from '../router/errors.js';
import { WebSocketNodeServer as ModernServer } from '../router/server.js';
import type { Session } from '../router/session.js';
import type { WebSocketNodeServerOptions } from '../router/types.js';

type Data = Record<string, unknown>;

/** The original's timings: a heartbeat every 9 s, 6 s to authenticate. */
export const LEGACY_DEFAULTS = { heartbeatInterval: 9_000, authTimeout: 6_000 } as const;

/** A session as the 0.2.x API showed it to hooks and handlers. */
export class SocketSession {
  readonly session: Session<Data>;
  readonly #server: WebSocketNodeServer;
  /** @internal Created by the compat server, one per session. */
  constructor(session: Session<Data>, server: WebSocketNodeServer) {
    this.session = session;
    this.#server = server;
  }
  get uuid(): string {
    return this.session.id;
  }
  get serverSideSessionData(): Data {
    return this.session.data;
  }
  get clientGroups(): string[] {
    return this.session.groupList();
  }
  get publicAlias(): string | null {
    return this.session.alias;
  }
  get isAvailable(): boolean {
    return this.session.available;
  }
  get publicInmutableData(): unknown {
    return this.session.publicData;
  }
  /** Broadcast from a request handler; pass this emitter as `except` to skip the sender. */
  Broadcast(eventName: string, groupName: string | null, data: unknown, except?: SocketSession | null): number {
    return this.#server.Broadcast(eventName, groupName, data, except);
  }
  toJSON(): unknown {
    return this.session.toJSON();
  }
}

export type StartSessionWith = (
  serverSideSessionData: Data,
  clientGroups?: string[],
  publicAlias?: string | null,
  available?: boolean,
  publicInmutableData?: unknown,
) => void;
export type AuthResponse = (error: unknown, clientSideSessionObject: unknown) => void;
export type OnAuthenticationFn = (credentials: unknown, startSessionWith: StartSessionWith, response: AuthResponse) => void | Promise<void>;
export type OnHTTPUpgradeRequestFn = (req: http.IncomingMessage, allow: () => void, deny: () => void) => void | Promise<void>;
export type OnConnectionCloseFn = (serverSideSessionData: Data) => void | Promise<void>;
export type RequestResponse = (error: unknown, data: unknown) => void;
export type OnRequestFn = (
  requestBody: unknown,
  response: RequestResponse,
  serverSideSessionData: Data,
  clientGroups: string[],
  emitter: SocketSession,
) => unknown;
export type OnPrivateMessageSentFn = (sessionSender: SocketSession, sessionReceiver: SocketSession, dataSent: unknown) => void | Promise<void>;
export type OnGroupChangeFn = (session: SocketSession, group: string, join: boolean) => boolean | Promise<boolean>;

/**
 * Groups clients may join and leave by themselves: a list of names, a test
 * of the name, or 'any' (the 0.2.x behaviour: every group, `admin`
 * included, so only for applications that use no group for authorization).
 */
export type JoinableGroups = readonly string[] | ((group: string, session: SocketSession) => boolean) | 'any';

/** Options of the compat server: the new server's options, plus the 0.2.x behaviours to opt into. */
/** The 0.2.x API runs in one process: scale-out (the `adapter` option) is WebSocketNodeServer's (docs/scaling.md). */
export interface CompatOptions extends Omit<WebSocketNodeServerOptions, 'adapter'> {
  /** What clients may join and leave without an OnGroupChange hook (default: nothing). */
  joinableGroups?: JoinableGroups;
}

function checkJoinable(value: unknown): JoinableGroups | null {
  if (value === undefined || value === null) return null;
  if (value === 'any' || typeof value === 'function') return value as JoinableGroups;
  if (Array.isArray(value) && value.every((g) => typeof g === 'string' && g !== '')) return Object.freeze([...value]);
  throw new TypeError("option joinableGroups must be an array of group names, a function (group, session) => boolean, or 'any'");
}

/**
 * The 0.2.x server API. Differences from the original, all on the safe side:
 * clients may join and leave only the groups `joinableGroups` names (none by
 * default; override with OnGroupChange), and broadcast to everyone only with
 * `clientBroadcasts: { toEveryone: true }`; malformed messages get an error
 * reply instead of crashing the process; ids come from crypto.randomUUID.
 */
export class WebSocketNodeServer extends EventEmitter<{ error: [HookError] }> {
  /** The underlying new-style server, for hooks the old API lacks. */
  readonly server: ModernServer<Data>;
  readonly #views = new WeakMap<Session<Data>, SocketSession>();
  /** The groups clients manage themselves (null: none). */
  readonly #joinable: JoinableGroups | null;

  constructor(server?: http.Server | https.Server | CompatOptions | null, options: CompatOptions = {}) {
    super();
    const standalone = server && !(server instanceof EventEmitter);
    const { joinableGroups, ...rest } = standalone ? { ...(server as CompatOptions), ...options } : options;
    this.#joinable = checkJoinable(joinableGroups);
    if ((rest as WebSocketNodeServerOptions).adapter != null) {
      throw new TypeError('the 0.2.x API runs in one process; use WebSocketNodeServer with an adapter to run on several (docs/scaling.md)');
    }
    const merged = { ...LEGACY_DEFAULTS, ...rest };
    this.server = standalone ? new ModernServer<Data>(merged) : new ModernServer<Data>((server as http.Server | null | undefined) ?? null, merged);
    this.server.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
      else process.emitWarning(error);
    });
    this.OnGroupChange(null);
  }

  /** The compat view of a session (stable: the same object every time). */
  view(session: Session<Data>): SocketSession {
    let v = this.#views.get(session);
    if (v === undefined) this.#views.set(session, (v = new SocketSession(session, this)));
    return v;
  }

  OnAuthentication(fn: OnAuthenticationFn): void {
    this.server.onAuthentication((credentials, startSession, respond) =>
      fn(
        credentials,
        (data, groups = [], alias = null, available = true, publicData = null) => {
          startSession(data ?? {}, groups ?? [], alias, available, publicData);
        },
        respond,
      ),
    );
  }
  OnHTTPUpgradeRequest(fn: OnHTTPUpgradeRequestFn): void {
    this.server.onUpgrade((req, allow, deny) => fn(req, allow, () => deny()));
  }
  OnConnectionClose(fn: OnConnectionCloseFn): void {
    this.server.onConnectionClose((session) => fn(session.data));
  }
  SetOnPrivateMessageSent(fn: OnPrivateMessageSentFn | null): void {
    // Without an adapter (refused above) every receiver is a session of this process.
    this.server.onPrivateMessage(fn ? (sender, receiver, data) => fn(this.view(sender), this.view(receiver as Session<Data>), data) : null);
  }
  OnRequest(requestName: string, fn: OnRequestFn): void {
    this.server.onRequest(requestName, (body, { session, respond }) => {
      const view = this.view(session);
      return fn(body, respond, session.data, session.groupList(), view) as unknown;
    });
  }
  /** Decides client join/leave requests (replaces the default rule described on the class). */
  OnGroupChange(fn: OnGroupChangeFn | null): void {
    this.server.onGroupChange(async (session, group, join) => {
      const allowed = fn ? await fn(this.view(session), group, join) : this.#defaultGroupRule(session, group);
      return allowed === true;
    });
  }
  StartListening(): void {
    this.server.listen().catch((error: unknown) => this.emit('error', error as HookError));
  }
  Broadcast(eventName: string, groupName: string | null, data: unknown, except?: SocketSession | null): number {
    return this.server.broadcast(eventName, data, { group: groupName ?? null, except: except?.session ?? null });
  }
  getServer(): WebSocketServer {
    return this.server.getServer();
  }
  SetHeartbeatInterval(ms: number): void {
    this.server.setHeartbeatInterval(ms);
  }
  SetTimeoutForAuthenticationRequest(ms: number): void {
    this.server.setAuthTimeout(ms);
  }
  /** Graceful close (see WebSocketNodeServer.close in the main API). */
  Close(): Promise<void> {
    return this.server.close();
  }

  /**
   * Without OnGroupChange: a client may join or leave a group only if
   * `joinableGroups` names it. Nothing else is allowed, whoever is logged in:
   * the original let any client join any group, "admin" included.
   */
  #defaultGroupRule(session: Session<Data>, group: string): boolean {
    const joinable = this.#joinable;
    if (joinable === null) return false;
    if (joinable === 'any') return true;
    if (typeof joinable === 'function') return joinable(group, this.view(session)) === true;
    return joinable.includes(group);
  }
}
