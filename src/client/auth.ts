// Authentication, the client's side of it: the credentials it logs in
// with, who the server says it is (`session`, `self`), the waiters of
// authenticate() without credentials, and the automatic re-authentication
// after a reconnect, which asks to resume the session when the server
// offered it (recovery.ts). The connection (connection.ts) owns the WebSocket and
// the client's state and says when an authentication may go out; this
// module decides what goes out and what the answer means.

import { waitInSet, type Call, type Done } from './calls.js';
import { ClientClosedError, ClientError, ServerError } from './errors.js';
import { isRecord, selfOf } from './inbound.js';
import type { Outbox } from './outbox.js';
import { Recovery } from './recovery.js';
import { refreshedSession, sendRefresh } from './refresh.js';
import type { CallOptions, ClientState, ClientTypeMap, CredentialsOf, PublicDataOf, SelfInfo, SessionOf, StateEvent, WebSocketLike } from './types.js';

export type AuthenticatedEvent<S> = Extract<StateEvent<S>, { state: 'authenticated' }>;

/** What authentication asks of the connection. */
export interface AuthHost<S> {
  readonly out: Outbox;
  readonly requestTimeout: number;
  state(): ClientState;
  /** The WebSocket now in use: work begun on an older one is stale. */
  socket(): WebSocketLike | null;
  /** A session started: apply the announced `limits`, then tell the app. */
  started(event: AuthenticatedEvent<S>, limits: unknown): void;
  /** The server refused the stored credentials: retrying would not change that. */
  refused(error: ServerError): void;
  /** Re-authentication failed otherwise: report `error`, drop the connection, retry with backoff. */
  failed(error: ClientError, reason: string): void;
  /** Reports an error to onError without changing the connection (a failed automatic refresh). */
  report(error: ClientError): void;
}

export class Authentication<T extends ClientTypeMap = ClientTypeMap> {
  readonly #host: AuthHost<SessionOf<T>>;
  /** The `credentials` option, or those of the last successful authenticate(credentials). */
  credentials: (() => unknown) | undefined;
  /** The client-side session the server answered the last authentication with. */
  session: SessionOf<T> | null = null;
  self: SelfInfo<PublicDataOf<T>> | null = null;
  /** True while stored credentials are being fetched and sent. */
  auto = false;
  /** A session started since connect(): the next one is a reconnection. */
  #before = false;
  /** Waiters of authenticate() without credentials. */
  readonly #waiters = new Set<Done>();
  /** What resumes the session after a reconnect; positions of the pushes delivered. */
  readonly recovery = new Recovery();

  constructor(host: AuthHost<SessionOf<T>>, credentials: unknown) {
    this.#host = host;
    if (credentials !== undefined) this.credentials = typeof credentials === 'function' ? (credentials as () => unknown) : () => credentials;
  }

  /** connect() starts over: the next session is not a reconnection. */
  restart(): void {
    this.#before = false;
  }

  /** Settles every waiter of authenticate() with `error` (the client closed). */
  failWaiters(error: Error): void {
    for (const waiter of [...this.#waiters]) waiter(error);
  }

  /** See ClientConnection.authenticate. */
  authenticate(credentials: CredentialsOf<T> | undefined, options: CallOptions): Promise<SessionOf<T>> {
    const host = this.#host;
    return new Promise((resolve, reject) => {
      const done: Done = (error, data) => (error ? reject(error) : resolve(data as SessionOf<T>));
      if (host.state() === 'closed') return done(new ClientClosedError());
      if (credentials !== undefined && host.state() === 'authenticated') {
        // New credentials for the live session: a refresh, not a new login.
        sendRefresh(host, credentials, options, (error, data) => {
          if (error === null) this.#refreshed(data, credentials);
          done(error, this.session);
        });
        return;
      }
      if (credentials !== undefined) {
        // An explicit login is a fresh session: it never resumes one.
        const call = host.out.calls.create({ type: 'auth', credentials }, options, host.requestTimeout, (error, data) => {
          if (error === null) this.#authenticated(data, call!, false);
          else host.out.flush(); // a failed authentication may unblock the queue
          done(error, this.session);
        }, 'explicit', credentials);
        if (call !== null) host.out.submit(call);
        return;
      }
      if (this.credentials === undefined) return done(new TypeError('no credentials given and none stored'));
      if (host.state() === 'authenticated') return done(null, this.session);
      // Settled by the next authentication, a refusal, the client closing, or its own timeout or abort.
      waitInSet(this.#waiters, options, host.requestTimeout, done);
    });
  }

  /** After a reconnect: authenticate again with the stored credentials. */
  async reauthenticate(): Promise<void> {
    const host = this.#host;
    const socket = host.socket();
    this.auto = true;
    let credentials: unknown;
    try {
      credentials = await this.credentials!();
    } catch (error) {
      if (socket !== host.socket()) return;
      host.failed(new ClientError('credentials', 'the credentials callback failed', error), 'credentials unavailable');
      return;
    }
    if (socket !== host.socket() || host.state() !== 'open') return;
    // Positions cannot move while disconnected, so they are read just before sending.
    const resume = this.recovery.request();
    const message = resume === null ? { type: 'auth' as const, credentials } : { type: 'auth' as const, credentials, resume };
    const call = host.out.calls.create(message, {}, host.requestTimeout, (error, data) => {
      if (error === null) return this.#authenticated(data, call!, resume !== null);
      if (socket !== host.socket()) return;
      this.auto = false;
      // A server that cannot read our `resume` would refuse it every time: the next attempt goes without.
      if (resume !== null && error instanceof ServerError && error.code === 'bad_message') this.recovery.forget();
      // The server is going down and will close with 1001; the reconnect will authenticate.
      if (error instanceof ServerError && error.code === 'shutting_down') return;
      // A refusal of stored credentials will not change by retrying.
      if (error instanceof ServerError && error.code === 'auth_failed') host.refused(error);
      else host.failed(error instanceof ClientError ? error : new ClientError('auth', String(error), error), 'authentication failed');
    }, 'auto');
    if (call !== null) host.out.transmit(call);
  }

  /**
   * The server says the session expires soon: fetch the credentials again
   * and refresh. A failure is reported to onError as a ClientError with code
   * `refresh`; the session runs until the server closes it with 4001, and
   * the reconnection then logs in afresh.
   */
  async expiring(): Promise<void> {
    const host = this.#host;
    if (this.credentials === undefined || host.state() !== 'authenticated') return;
    const socket = host.socket();
    let credentials: unknown;
    try {
      credentials = await this.credentials();
    } catch (error) {
      host.report(new ClientError('refresh', 'the credentials callback failed', error));
      return;
    }
    if (socket !== host.socket() || host.state() !== 'authenticated') return;
    sendRefresh(host, credentials, {}, (error, data) => {
      // The credentials function stays: the next notice calls it again.
      if (error === null) this.session = refreshedSession(data) as SessionOf<T>;
      else host.report(new ClientError('refresh', `the session could not be refreshed: ${error.message}`, error));
    });
  }

  #refreshed(data: unknown, credentials: unknown): void {
    this.credentials = () => credentials;
    this.session = refreshedSession(data) as SessionOf<T>;
  }

  /** `resumed`: the authentication asked to resume the session. */
  #authenticated(data: unknown, call: Call, resumed: boolean): void {
    this.auto = false;
    if (call.auth === 'explicit') this.credentials = () => call.credentials;
    this.self = selfOf(isRecord(data) ? data.self : null) as SelfInfo<PublicDataOf<T>> | null;
    this.session = (isRecord(data) && 'session' in data ? data.session : data) as SessionOf<T>;
    const reconnected = this.#before;
    this.#before = true;
    const answer = this.recovery.answered(data, resumed, this.self);
    // Told before the replayed messages that follow this answer are delivered.
    this.#host.started({ state: 'authenticated', session: this.session, reconnected, ...answer }, isRecord(data) ? data.limits : undefined);
    for (const waiter of [...this.#waiters]) waiter(null, this.session);
    this.#host.out.flush();
  }
}
