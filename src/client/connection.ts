// The connection half of the client core: the WebSocket's life,
// reconnection, when calls may go out (the calls themselves wait in
// outbox.ts, authentication is auth.ts) and reading what the server sends.
// It never touches a platform API directly: the entry points
// (index.ts for Node, browser.ts) hand it a Platform that opens WebSockets
// and reports network changes. The protocol's operations are in core.ts.
//
// Connection life: connecting -> open -> authenticated, and on a loss
// reconnecting -> connecting ... with backoff, until close(), a refusal
// (1000 or 1008 from the server, rejected stored credentials, attempts
// exhausted) makes it closed.

import { Backoff, resolveReconnect } from './backoff.js';
import { Authentication, type AuthenticatedEvent } from './auth.js';
import { ClientClosedError, ClientError, ClientProtocolError, type ServerError } from './errors.js';
import { PresenceTracker, readMessage } from './inbound.js';
import { limitsOf } from './pacer.js';
import { Outbox } from './outbox.js';
import { ERROR, eventKey, Listeners, MESSAGE, PRESENCE, STATE } from './listeners.js';
import { closeSocket, nonNegative, OPEN } from './socket.js';
import { PROTOCOL_V1, type ClientMessageBody } from '../router/wire.js';
import type {
  CallOptions,
  ClientOptions,
  ClientState,
  ClientTypeMap,
  CredentialsOf,
  Platform,
  PublicDataOf,
  SelfInfo,
  SessionOf,
  StateEvent,
  WebSocketLike,
} from './types.js';

type Timer = ReturnType<typeof setTimeout>;

export class ClientConnection<T extends ClientTypeMap = ClientTypeMap> {
  readonly url: string;
  readonly #platform: Platform;
  /** Reconnection state; null when reconnection is off. */
  readonly #reconnect: Backoff | null;
  readonly #requestTimeout: number;
  readonly #connectTimeout: number;
  /** @internal Shared with the operations in core.ts. */
  protected readonly listeners = new Listeners();
  /** @internal */
  protected readonly presence = new PresenceTracker();
  readonly #out: Outbox;
  readonly #auth: Authentication<T>;
  /** The server answered `shutting_down` on this connection: app calls wait for the next one. */
  #serverClosing = false;
  #state: ClientState = 'closed';
  #socket: WebSocketLike | null = null;
  #retryTimer: Timer | undefined;
  #connectTimer: Timer | undefined;
  #unwatch: (() => void) | undefined;

  constructor(url: string, options: ClientOptions<T>, platform: Platform) {
    this.url = String(url);
    this.#platform = options.WebSocket ? { ...platform, createSocket: options.WebSocket } : platform;
    const reconnect = resolveReconnect(options.reconnect);
    this.#reconnect = reconnect === null ? null : new Backoff(reconnect);
    this.#requestTimeout = nonNegative(options.requestTimeout, 10_000, 'requestTimeout');
    this.#connectTimeout = nonNegative(options.connectTimeout, 10_000, 'connectTimeout');
    this.#out = new Outbox(
      {
        closed: () => this.#state === 'closed',
        canAuthenticate: () => this.#isOpen(),
        canCall: () => this.#ready(),
        send: (text) => this.#socket!.send(text),
      },
      nonNegative(options.maxQueue, 100, 'maxQueue'),
    );
    this.#auth = new Authentication<T>(
      {
        out: this.#out,
        requestTimeout: this.#requestTimeout,
        state: () => this.#state,
        socket: () => this.#socket,
        started: (event, limits) => this.#started(event, limits),
        refused: (error) => this.#finish(1000, '', error, new ClientClosedError('the server refused the stored credentials', error)),
        failed: (error, reason) => {
          this.#report(error);
          this.#abandon(1006, reason);
        },
        report: (error) => this.#report(error),
      },
      options.credentials,
    );
    if (options.autoConnect !== false) this.connect();
  }

  get state(): ClientState {
    return this.#state;
  }
  /** The client-side session the server answered the last authentication with. */
  get session(): SessionOf<T> | null {
    return this.#auth.session;
  }
  /** This client as the server sees it (id, alias, availability, groups); null before authentication. */
  get self(): SelfInfo<PublicDataOf<T>> | null {
    return this.#auth.self;
  }
  /** @internal This client left `group`: no position of its stream is kept for a resume. */
  protected leftGroup(group: string): void {
    this.#auth.recovery.drop(`g:${group}`);
  }
  /** @internal Keeps `self` in step with the answers to join, leave and update. */
  protected updateSelf(changes: Partial<SelfInfo>): void {
    if (this.#auth.self !== null) Object.assign(this.#auth.self, changes);
  }
  /** This client's session id; a reconnection gets a new one unless the session was resumed. */
  get id(): string | null {
    return this.#auth.self?.id ?? null;
  }

  // ---- connection -------------------------------------------------------

  /**
   * Starts connecting (again). Does nothing unless the client is closed.
   * Throws what the WebSocket constructor throws for an invalid URL.
   */
  connect(): void {
    if (this.#state !== 'closed') return;
    this.#reconnect?.reset();
    this.#auth.restart();
    this.#unwatch = this.#platform.watchNetwork?.(() => this.#networkBack());
    this.#open(true);
  }

  /**
   * Closes for good (until connect()): every pending call is rejected with
   * ClientClosedError and no reconnection follows. Resolves once the
   * WebSocket is closed. Codes as in the browser: 1000 or 3000-4999.
   */
  close(code = 1000, reason = ''): Promise<void> {
    if (code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw new RangeError('close code must be 1000 or in 3000-4999');
    }
    const socket = this.#socket;
    const done = socket === null ? Promise.resolve() : closeSocket(socket, code, reason);
    this.#socket = null;
    if (this.#state !== 'closed') this.#finish(code, reason, null, new ClientClosedError('the client was closed'));
    return done;
  }

  /** `first`: called by connect(), which throws what the WebSocket constructor threw (a bad URL). */
  #open(first = false): void {
    this.#retryTimer = undefined;
    this.#setState({ state: 'connecting', attempt: this.#reconnect?.attempt ?? 0 });
    let socket: WebSocketLike;
    try {
      socket = this.#platform.createSocket(this.url, [PROTOCOL_V1]);
    } catch (error) {
      // A bad URL fails the same way every time: no point retrying.
      const e = new ClientError('connect_failed', `cannot open a WebSocket to ${this.url}`, error);
      this.#finish(1006, '', e, new ClientClosedError(e.message, e));
      if (first) throw error;
      return;
    }
    this.#socket = socket;
    socket.onopen = () => socket === this.#socket && this.#opened();
    socket.onmessage = (ev: { data?: unknown }) => socket === this.#socket && this.#receive(ev.data);
    // A Node WebSocket (as ws) refuses a 101 without the subprotocol it
    // offered: the handshake fails with this error instead of opening.
    let noSubprotocol = false;
    socket.onclose = (ev: { code?: number; reason?: string }) => {
      if (socket === this.#socket && noSubprotocol) this.#notOurProtocol();
      else if (socket === this.#socket) this.#lost(typeof ev.code === 'number' ? ev.code : 1006, typeof ev.reason === 'string' ? ev.reason : '');
    };
    // Otherwise the close event that always follows an error carries what we need.
    socket.onerror = (ev: { message?: unknown }) => {
      noSubprotocol = ev?.message === 'Server sent no subprotocol';
    };
    if (this.#connectTimeout > 0) {
      this.#connectTimer = setTimeout(() => {
        if (socket === this.#socket && this.#state === 'connecting') this.#abandon(1006, 'connect timeout');
      }, this.#connectTimeout);
    }
  }

  #opened(): void {
    clearTimeout(this.#connectTimer);
    const socket = this.#socket!;
    // A server that did not pick our subprotocol speaks something else.
    if (typeof socket.protocol === 'string' && socket.protocol !== PROTOCOL_V1) {
      this.#notOurProtocol();
      return;
    }
    // The server's token bucket and in-flight count are per connection.
    this.#out.pacer.reset();
    this.#serverClosing = false;
    this.#setState({ state: 'open' });
    // Explicit authenticate() calls that waited go first; else the stored credentials.
    if (this.#out.calls.authQueue.length === 0 && this.#auth.credentials !== undefined) void this.#auth.reauthenticate();
    else if (this.#out.calls.authQueue.length === 0) this.#healthy();
    this.#out.flush();
  }

  #notOurProtocol(): void {
    const e = new ClientProtocolError(`the server did not accept the ${PROTOCOL_V1} subprotocol`);
    this.#finish(1006, '', e, new ClientClosedError(e.message, e));
  }

  /** The connection is usable; the backoff restarts if it stays so (see Backoff). */
  #healthy(): void {
    this.#reconnect?.healthy();
  }

  /** Drops the current socket without waiting for its close event, then handles the loss. */
  #abandon(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket === null) return;
    this.#socket = null;
    void closeSocket(socket, 1000, '');
    this.#lost(code, reason);
  }

  #lost(code: number, reason: string): void {
    this.#socket = null;
    clearTimeout(this.#connectTimer);
    this.#auth.auto = false;
    this.#out.calls.connectionLost(code, reason);
    this.#out.pacer.reset();
    this.presence.clear();
    if (this.#state === 'closed') return;
    // 1000: the server ended this client's session on purpose; 1008: it
    // refused it (auth timeout, too many attempts, rate limit). Coming back
    // would only repeat that.
    if (code === 1000 || code === 1008 || this.#reconnect === null) {
      const e = new ClientClosedError(`the server closed the connection (${code}${reason ? ` ${reason}` : ''})`);
      this.#finish(code, reason, code === 1008 || code === 1000 ? e : null, e);
      return;
    }
    const delay = this.#reconnect.failed(code);
    if (delay === null) {
      const e = new ClientClosedError(`gave up after ${this.#reconnect.options.maxAttempts} reconnection attempts`);
      this.#finish(code, reason, e, e);
      return;
    }
    this.#setState({ state: 'reconnecting', attempt: this.#reconnect.attempt, delay, code, reason });
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  /** The platform says the network is back: waiting out the backoff would only waste time. */
  #networkBack(): void {
    if (this.#state !== 'reconnecting' || this.#reconnect?.comeBackLater) return;
    clearTimeout(this.#retryTimer);
    this.#open();
  }

  /** Enters `closed`: stops timers and settles everything still waiting. */
  #finish(code: number, reason: string, error: ClientError | null, callError: ClientClosedError): void {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#connectTimer);
    this.#reconnect?.cancel();
    this.#unwatch?.();
    this.#unwatch = undefined;
    if (this.#socket !== null) void closeSocket(this.#socket, 1000, '');
    this.#socket = null;
    this.#auth.auto = false;
    this.#state = 'closed';
    this.#out.calls.failAll(callError);
    this.#out.pacer.reset();
    this.#auth.failWaiters(callError);
    // Closed is final until connect(), which starts a fresh session.
    this.#auth.recovery.forget();
    this.#setState({ state: 'closed', code, reason, error });
  }

  #setState(event: StateEvent<SessionOf<T>>): void {
    this.#state = event.state;
    this.listeners.emit(STATE, event);
  }

  // ---- authentication (auth.ts) ------------------------------------------

  /**
   * Authenticates with `credentials` and resolves to the client-side session
   * the server answered with; rejects with a ServerError (`auth_failed`...)
   * when refused. The credentials are kept for re-authentication after a
   * reconnect. Without arguments, waits for the authentication with the
   * `credentials` option (or the stored ones).
   */
  authenticate(credentials?: CredentialsOf<T>, options: CallOptions = {}): Promise<SessionOf<T>> {
    return this.#auth.authenticate(credentials, options);
  }

  #started(event: AuthenticatedEvent<SessionOf<T>>, limits: unknown): void {
    this.#out.pacer.configure(limitsOf(limits));
    this.#healthy();
    this.#setState(event);
  }

  // ---- sending ------------------------------------------------------------

  /** App calls go out once authenticated, or once open when there is nothing to authenticate with. */
  #ready(): boolean {
    if (!this.#isOpen() || this.#serverClosing) return false;
    if (this.#state === 'authenticated') return true;
    return !this.#auth.auto && this.#out.calls.authsInFlight === 0 && this.#out.calls.authQueue.length === 0 && this.#auth.credentials === undefined;
  }

  /** Authentications may go out as soon as the WebSocket is open. */
  #isOpen(): boolean {
    return this.#socket !== null && this.#socket.readyState === OPEN && (this.#state === 'open' || this.#state === 'authenticated');
  }

  /** @internal Sends one message as a call and maps its answer. */
  protected call<R>(message: ClientMessageBody, options: CallOptions = {}, map?: (data: unknown) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const call = this.#out.calls.create(message, options, this.#requestTimeout, (error, data) => {
        if (error !== null) return reject(error);
        try {
          resolve(map ? map(data) : (data as R));
        } catch (e) {
          reject(e);
        }
      });
      if (call !== null) this.#out.submit(call);
    });
  }

  // ---- receiving ----------------------------------------------------------

  #receive(raw: unknown): void {
    const msg = readMessage(raw);
    switch (msg.kind) {
      case 'answer': {
        // A freed slot lets the next waiting call go, once this one is settled.
        const freed = this.#out.pacer.answered(msg.id);
        const settled = this.#out.answer(msg.id, msg.error, msg.data, this.#reconnect !== null);
        // A closing server did not act on the call: it takes no more work on
        // this connection, and the call goes again after the reconnect.
        if (settled === 'requeued') this.#serverClosing = true;
        else if (settled === 'unknown' && msg.error !== null) this.#report(msg.error);
        if (freed) this.#out.flush();
        return;
      }
      // A push already delivered (the server replayed an overlap) is not delivered again.
      case 'event':
        if (this.#auth.recovery.accept(msg.pos)) this.listeners.emit(eventKey(msg.meta.event), msg.data, msg.meta);
        return;
      case 'message':
        if (this.#auth.recovery.accept(msg.pos)) this.listeners.emit(MESSAGE, msg.data, msg.from);
        return;
      case 'presence':
        for (const change of this.presence.update(msg.client)) this.listeners.emit(PRESENCE, msg.client, change);
        return;
      case 'expiring':
        void this.#auth.expiring();
        return;
      case 'bad':
        return this.#report(msg.error);
      case 'unknown':
        return;
    }
  }

  #report(error: Error): void {
    this.listeners.emit(ERROR, error);
  }
}
