// Reconnection against the real server over TCP: the server is stopped and
// started again under the client, connections are cut, credentials expire,
// and the server refuses clients with 1008. Backoff delays are kept tiny so
// the tests are quick; no assertion is about how long anything took.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  WebSocketNodeClient, ServerError, RequestTimeoutError, ConnectionLostError, ClientClosedError, QueueFullError,
} from '../../dist/esm/client/index.js';
import { startApp, restartApp, cred, nextState, inbox } from './app-server.mjs';
import { until, sleep } from '../helpers/wait.mjs';

const fast = { initialDelay: 10, maxDelay: 50 };
let cleanup = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function app(opts) {
  const a = await startApp(opts);
  const holder = { current: a };
  cleanup.push(() => holder.current.server.close());
  holder.restart = async (changes) => (holder.current = await restartApp(holder.current, changes));
  return holder;
}

function client(url, options = {}) {
  const c = new WebSocketNodeClient(url, { reconnect: fast, ...options });
  cleanup.push(() => c.close());
  return c;
}

/** Cuts every connection without a close handshake (1006 at the client). */
function cut(server) {
  for (const ws of server.getServer().clients) ws.terminate();
}

describe('reconnection against the real server', () => {
  test('server stopped and started again: 1001, backoff, reconnect, re-auth with the stored credentials', async () => {
    const srv = await app();
    const c = client(srv.current.url);
    await c.authenticate(cred('ana', { alias: 'ana' }));
    const firstId = c.id;
    const reconnecting = nextState(c, 'reconnecting');
    const stopping = srv.current.server.close();
    const r = await reconnecting;
    assert.equal(r.code, 1001, 'graceful shutdown says "going away"');
    await stopping;
    // Down: calls queue up.
    const queued = [c.request('sum', [1, 2]), c.request('whoami')];
    const back = nextState(c, (e) => e.state === 'authenticated', 'authenticated again');
    srv.current = await startApp({ port: srv.current.port });
    const e = await back;
    assert.equal(e.reconnected, true);
    assert.equal(e.session.name, 'ana');
    assert.notEqual(c.id, firstId, 'a new session on the new server');
    assert.equal(c.self.alias, 'ana');
    assert.deepEqual(await Promise.all(queued), [3, 'ana']);
    assert.equal(srv.current.logins, 1);
  });

  test('calls refused with shutting_down during a graceful stop are delivered after the restart', async () => {
    const srv = await app();
    const c = client(srv.current.url, { credentials: cred('late') });
    await c.authenticate();
    // A slow request keeps the closing server waiting, so the next call meets "shutting down".
    const slow = c.request('delay', 300);
    await sleep(20);
    const stopping = srv.current.server.close();
    const late = c.request('sum', [1, 2]);
    let answered = false;
    late.then(() => (answered = true), () => {});
    assert.equal(await slow, 'waited 300', 'in-flight requests are answered before the close');
    await stopping;
    assert.equal(answered, false, 'the stopping server must not have run it');
    srv.current = await startApp({ port: srv.current.port });
    assert.equal(await late, 3);
  });

  test('re-authentication asks the credentials callback for fresh ones (single-use tokens)', async () => {
    const tokens = new Set();
    let issued = 0;
    const fresh = () => {
      const token = `tok-${++issued}`;
      tokens.add(token);
      return cred('tok', { token });
    };
    const srv = await app({ tokens });
    const c = client(srv.current.url, { credentials: async () => fresh() });
    const auths = [];
    c.onState((e) => e.state === 'authenticated' && auths.push(e));
    await c.authenticate();
    for (let round = 0; round < 3; round++) {
      const again = nextState(c, (e) => e.state === 'authenticated', `re-auth ${round}`);
      cut(srv.current.server);
      await again;
    }
    assert.deepEqual(auths.map((e) => e.reconnected), [false, true, true, true]);
    assert.equal(issued, 4, 'one fresh token per connection');
    assert.equal(await c.request('whoami'), 'tok');
  });

  test('a cut connection: in-flight calls reject with ConnectionLostError, later ones are delivered', async () => {
    const srv = await app();
    const c = client(srv.current.url);
    await c.authenticate(cred('cut'));
    const inflight = c.request('never', null, { timeout: 0 });
    await sleep(20);
    const reconnecting = nextState(c, 'reconnecting');
    cut(srv.current.server);
    await assert.rejects(inflight, (e) => e instanceof ConnectionLostError && e.closeCode === 1006);
    assert.equal((await reconnecting).code, 1006);
    assert.equal(await c.request('sum', [40, 2]), 42);
  });

  test('while the server is down: a bounded queue, and calls that cannot be delivered in time reject', async () => {
    const srv = await app();
    const c = client(srv.current.url, { maxQueue: 3, reconnect: { initialDelay: 20, maxDelay: 100 } });
    await c.authenticate(cred('down'));
    await srv.current.server.close();
    assert.notEqual(c.state, 'authenticated');
    const late = c.request('sum', [1], { timeout: 30 });
    const kept = [c.request('sum', [2]), c.broadcast('news', 1)];
    await assert.rejects(c.request('sum', [3]), QueueFullError);
    await assert.rejects(late, (e) => e instanceof RequestTimeoutError && e.sent === false);
    srv.current = await startApp({ port: srv.current.port });
    const [two, none] = await Promise.all(kept);
    assert.equal(two, 2);
    assert.equal(none, undefined);
  });

  test('1008 from an authentication timeout: closed, no reconnection loop', async () => {
    const srv = await app({ options: { authTimeout: 100 } });
    const c = client(srv.current.url);
    const closed = await nextState(c, 'closed');
    assert.equal(closed.code, 1008);
    assert.ok(closed.error instanceof ClientClosedError);
    // Several backoff windows later, still the one connection.
    await sleep(200);
    assert.equal(srv.current.connections, 1);
    assert.equal(c.state, 'closed');
  });

  test('1008 after too many failed authentications: closed, no loop', async () => {
    const srv = await app({ options: { maxAuthAttempts: 2 } });
    const c = client(srv.current.url);
    const closed = nextState(c, 'closed');
    await assert.rejects(c.authenticate({ user: 'x', pass: 'no' }), (e) => e.code === 'auth_failed');
    await assert.rejects(c.authenticate({ user: 'x', pass: 'no' }), (e) => e.code === 'auth_failed');
    assert.equal((await closed).code, 1008);
    await sleep(200);
    assert.equal(srv.current.connections, 1);
  });

  test('stored credentials refused after a restart: closed with auth_failed, no loop, queued calls told', async () => {
    const srv = await app();
    const c = client(srv.current.url);
    await c.authenticate(cred('mallory'));
    await srv.current.server.close();
    const queued = c.request('whoami');
    const closed = nextState(c, 'closed');
    srv.current = await startApp({ port: srv.current.port, banned: new Set(['mallory']) });
    const e = await closed;
    assert.ok(e.error instanceof ServerError && e.error.code === 'auth_failed');
    await assert.rejects(queued, (err) => err instanceof ClientClosedError && err.cause === e.error);
    await sleep(200);
    assert.equal(srv.current.connections, 1);
  });

  test('no server at all: attempts stop after maxAttempts, pending calls are rejected', async () => {
    const srv = await app();
    const port = srv.current.port;
    await srv.current.server.close();
    const c = client(`ws://127.0.0.1:${port}/`, { reconnect: { initialDelay: 5, maxDelay: 10, maxAttempts: 3 } });
    const pending = c.request('sum', [1], { timeout: 0 });
    const attempts = [];
    c.onState((e) => e.state === 'connecting' && attempts.push(e.attempt));
    const closed = await nextState(c, 'closed');
    assert.match(closed.error.message, /gave up after 3/);
    assert.deepEqual(attempts, [1, 2, 3]);
    await assert.rejects(pending, ClientClosedError);
  });

  test('the app is told: events during a restart, in order', async () => {
    const srv = await app();
    const c = client(srv.current.url, { credentials: cred('told') });
    const box = inbox(c, ['hello']);
    const states = [];
    c.onState((e) => states.push(e.state));
    await c.authenticate();
    await srv.restart();
    await until(() => c.state === 'authenticated' && states.filter((s) => s === 'authenticated').length === 2, 'back');
    srv.current.server.broadcast('hello', 'again');
    await until(() => box.events.length === 1, 'event after restart');
    const tail = states.slice(states.indexOf('reconnecting'));
    assert.equal(tail[0], 'reconnecting');
    assert.deepEqual(tail.slice(-3), ['connecting', 'open', 'authenticated']);
  });

  test('a server that authenticates and then drops the client: the backoff keeps growing, it does not restart at 1', async () => {
    const srv = await app();
    // Every session is cut as soon as it starts (a crash loop, a broken handler).
    srv.current.server.on('session', () => setImmediate(() => cut(srv.current.server)));
    const c = client(srv.current.url, { credentials: cred('looped'), reconnect: { initialDelay: 4, maxDelay: 40, resetAfter: 60_000 } });
    const attempts = [];
    c.onState((e) => e.state === 'reconnecting' && attempts.push(e.attempt));
    await until(() => attempts.length >= 5, 'five reconnections', 5000);
    assert.deepEqual(attempts.slice(0, 5), [1, 2, 3, 4, 5], 'each quick loss counts as another failed attempt');
    assert.ok(srv.current.logins >= 5, 'every one of them had authenticated');
  });

  test('a connection that stayed up for resetAfter starts the backoff from the bottom again', async () => {
    const srv = await app();
    const c = client(srv.current.url, { credentials: cred('steady'), reconnect: { initialDelay: 4, maxDelay: 40, resetAfter: 150 } });
    const attempts = [];
    c.onState((e) => e.state === 'reconnecting' && attempts.push(e.attempt));
    await c.authenticate();
    cut(srv.current.server); // lost at once after the first login: attempt 1
    await until(() => c.state === 'authenticated' && attempts.length === 1, 'back after the first cut');
    cut(srv.current.server); // lost again before resetAfter: attempt 2
    await until(() => c.state === 'authenticated' && attempts.length === 2, 'back after the second cut');
    await sleep(400); // healthy for longer than resetAfter
    cut(srv.current.server);
    await until(() => c.state === 'authenticated' && attempts.length === 3, 'back after the third cut');
    assert.deepEqual(attempts, [1, 2, 1]);
  });

  test('reconnect.resetAfter is validated', () => {
    assert.throws(() => new WebSocketNodeClient('ws://127.0.0.1:1/', { autoConnect: false, reconnect: { resetAfter: -1 } }), RangeError);
  });
});
