// The application the client tests talk to: a real WebSocketNodeServer on
// 127.0.0.1 with a small set of hooks and request handlers. restart() stops
// it gracefully (clients get 1001) and starts a new one on the same port.
import { WebSocketNodeServer, RequestError } from '../../dist/esm/index.js';

/** Credentials every test user shares. */
export const PASS = 'secret';

/**
 * Starts the app. `tokens`: when given, credentials must carry a token from
 * this set, and each token works once (the re-authentication tests need
 * fresh credentials per connection). `banned`: users refused outright.
 */
export async function startApp({ port = 0, options = {}, tokens = null, banned = new Set() } = {}) {
  // Clients of this app may broadcast to everyone and choose their alias.
  const server = new WebSocketNodeServer({ host: '127.0.0.1', port, heartbeatInterval: 0, closeTimeout: 500, clientBroadcasts: { toEveryone: true }, ...options });
  const app = { server, port: 0, url: '', errors: [], connections: 0, logins: 0, tokens, banned, closes: [] };
  server.on('error', (e) => app.errors.push(e));
  server.getServer().on('connection', () => app.connections++);
  server.onConnectionClose((session, code) => app.closes.push({ user: session.data.user, code }));
  server.onAuthentication((cred, startSession, respond) => {
    if (cred === null || typeof cred !== 'object' || cred.pass !== PASS || banned.has(cred.user)) return respond('bad credentials');
    if (tokens !== null) {
      if (!tokens.has(cred.token)) return respond('token expired');
      tokens.delete(cred.token);
    }
    app.logins++;
    startSession({ user: cred.user }, cred.groups ?? [], cred.alias ?? null, cred.available ?? true, { user: cred.user });
    respond(null, { name: cred.user, login: app.logins });
  });
  server.onRequest('sum', (body) => body.reduce((a, b) => a + b, 0));
  server.onRequest('whoami', (_body, { session }) => session.data.user);
  server.onRequest('fail', () => {
    throw new RequestError('request_failed', 'it failed', { reason: 'test' });
  });
  // Never answers: for timeouts and lost connections.
  server.onRequest('never', () => {});
  server.onRequest('delay', (ms) => new Promise((resolve) => setTimeout(() => resolve(`waited ${ms}`), ms)));
  // Ends the caller's session the way an application kicks a user.
  server.onRequest('kick', (_body, { session, respond }) => {
    respond(null, true);
    setTimeout(() => session.close(1000, 'kicked'), 10);
  });
  server.onGroupChange((_session, group) => group !== 'admin');
  server.onAliasChange(() => true);
  const address = await server.listen();
  app.port = address.port;
  app.url = `ws://127.0.0.1:${address.port}/`;
  return app;
}

/** Graceful stop (1001 to every client), then the same app on the same port. */
export async function restartApp(app, changes = {}) {
  await app.server.close();
  return startApp({ port: app.port, tokens: app.tokens, banned: app.banned, ...changes });
}

/** Credentials for `user`. */
export const cred = (user, extra = {}) => ({ user, pass: PASS, ...extra });

/** Resolves with the first state event matching `pred` (bounded). */
export function nextState(client, pred, what = 'state', ms = 5000) {
  const match = typeof pred === 'string' ? (e) => e.state === pred : pred;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what} (client is ${client.state})`));
    }, ms);
    const off = client.onState((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** Collects what a client receives: events by name, private messages, presence changes. */
export function inbox(client, events = []) {
  const box = { events: [], messages: [], presence: [] };
  for (const name of events) client.on(name, (data, meta) => box.events.push({ name, data, ...meta }));
  client.onMessage((data, from) => box.messages.push({ data, from }));
  client.onPresence((c, change) => box.presence.push({ id: c.id, alias: c.alias, available: c.available, change }));
  return box;
}
