// Test helpers for the application layer: a server on 127.0.0.1:0 and small
// clients for both wire protocols, built on the project's own WebSocket
// client. Every wait is bounded, so a missing message fails the test instead
// of hanging it.
import { WebSocket, WebSocketNodeServer, PROTOCOL_V1 } from '../../dist/esm/index.js';
import { within } from '../helpers/wait.mjs';

/** Starts a standalone server; `setup` registers hooks before it listens. */
export async function startServer(setup, options = {}, Server = WebSocketNodeServer) {
  const server = new Server({ host: '127.0.0.1', port: 0, heartbeatInterval: 0, ...options });
  const errors = [];
  server.on('error', (e) => errors.push(e));
  await setup?.(server);
  // The compat server's StartListening() is synchronous; its port comes from the server beneath.
  const { port } = await (server.listen ? server.listen() : server.server.listen());
  return { server, errors, port, url: `ws://127.0.0.1:${port}` };
}

/** One connection; every inbound JSON message lands in `inbox` until taken by next(). */
export class TestClient {
  inbox = [];
  raw = [];
  #waiters = [];
  #nextId = 1;
  closed;

  constructor(ws) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      let msg;
      try {
        msg = JSON.parse(text);
      } catch {
        msg = { unparsable: text };
      }
      this.inbox.push(msg);
      this.#wake();
    });
  }

  static async connect(url, { legacy = false, protocols } = {}) {
    const ws = new WebSocket(url, protocols ?? (legacy ? [] : [PROTOCOL_V1]));
    const client = new TestClient(ws);
    await within(
      new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
      'open',
    );
    return client;
  }

  #wake() {
    for (const w of [...this.#waiters]) {
      const i = this.inbox.findIndex(w.pred);
      if (i !== -1) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(this.inbox.splice(i, 1)[0]);
      }
    }
  }

  /** Takes the first message matching `pred`, waiting for it if needed. */
  next(pred = () => true, what = 'a message') {
    const i = this.inbox.findIndex(pred);
    if (i !== -1) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    const waiter = { pred };
    const p = new Promise((resolve) => (waiter.resolve = resolve));
    this.#waiters.push(waiter);
    return within(p, what).finally(() => {
      const k = this.#waiters.indexOf(waiter);
      if (k !== -1) this.#waiters.splice(k, 1);
    });
  }

  sendRaw(data) {
    this.ws.send(data);
  }

  /** v1: sends one message with a fresh id and resolves with its reply or error. */
  send(type, fields = {}) {
    const id = this.#nextId++;
    this.ws.send(JSON.stringify({ type, id, ...fields }));
    return this.next((m) => (m.type === 'reply' || m.type === 'error') && m.id === id, `answer to ${type} #${id}`);
  }

  /** v1: like send(), but resolves with `data` and rejects on an error answer. */
  async ok(type, fields = {}) {
    const answer = await this.send(type, fields);
    if (answer.type !== 'reply') throw new Error(`${type} failed: ${JSON.stringify(answer.error)}`);
    return answer.data;
  }

  auth(credentials) {
    return this.send('auth', { credentials });
  }

  /** Legacy: sends `{ info, data }` with a fresh packageID and resolves with the reply. */
  call(action, request, data, group = null) {
    const packageID = this.#nextId++;
    this.ws.send(JSON.stringify({ info: { action, request, group, packageID }, data }));
    return this.next((m) => m.info?.packageID === packageID && m.info?.action === action, `legacy reply #${packageID}`);
  }

  /** Legacy: fire and forget (broadcasts get no reply). */
  post(action, request, data, group = null) {
    this.ws.send(JSON.stringify({ info: { action, request, group, packageID: this.#nextId++ }, data }));
  }

  /** Takes a server-pushed event by name (either protocol). */
  event(name) {
    return this.next((m) => m.event === name || (m.info?.action === 'broadcast' && m.info?.request === name), `event ${name}`);
  }

  /** True if any message still in the inbox matches. */
  has(pred) {
    return this.inbox.some(pred);
  }

  close(code = 1000) {
    this.ws.close(code);
    return within(this.closed, 'close');
  }
}

/**
 * Ordering proof without timing: a server broadcast sent after an action
 * arrives after anything that action sent to the same clients, so once every
 * client has the barrier, absent messages are really absent.
 */
let barrierCount = 0;
export async function barrier(server, clients) {
  const tag = `barrier-${++barrierCount}`;
  server.broadcast(tag, null);
  await Promise.all(clients.map((c) => c.event(tag)));
}

/** An authentication hook taking `{ name, groups, alias, available, data }`. */
export function simpleAuth(server, onSession) {
  server.onAuthentication((c, start, respond) => {
    if (!c || c.password === 'wrong') return respond('invalid credentials', null);
    start({ secret: `secret-of-${c.name}`, ...(c.data ?? {}) }, c.groups ?? [], c.alias === undefined ? c.name : c.alias, c.available ?? true, c.publicData ?? null);
    respond(null, { welcome: c.name });
    onSession?.(c);
  });
}

/** Connects and authenticates a v1 client. */
export async function login(url, credentials) {
  const client = await TestClient.connect(url);
  const answer = await client.auth(credentials);
  if (answer.type !== 'reply') throw new Error(`login failed: ${JSON.stringify(answer)}`);
  client.self = answer.data.self;
  return client;
}

/** Connects and authenticates a legacy client. */
export async function legacyLogin(url, credentials) {
  const client = await TestClient.connect(url, { legacy: true });
  const answer = await client.call('auth', 'login', credentials);
  if (answer.error) throw new Error(`legacy login failed: ${JSON.stringify(answer)}`);
  client.session = answer.response;
  return client;
}

export async function closeAll(ctx, clients = []) {
  await Promise.all(clients.map((c) => (c.ws.readyState === 1 ? c.close() : null)));
  await (ctx.server.close ? ctx.server.close() : ctx.server.Close());
}
