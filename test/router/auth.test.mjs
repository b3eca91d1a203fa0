// Authentication: success and failure, nothing before it, its timeouts and
// limits, hooks that throw, and a client leaving in the middle of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TestClient, login, simpleAuth, closeAll } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

test('successful authentication starts a session; the client sees its own public state, never the server-side data', async () => {
  const started = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.on('session', (session) => started.push(session));
  });
  const c = await TestClient.connect(ctx.url);
  const answer = await c.auth({ name: 'ana', groups: ['staff'], publicData: { team: 'red' } });
  assert.equal(answer.type, 'reply');
  assert.deepEqual(answer.data.session, { welcome: 'ana' });
  assert.equal(answer.data.self.alias, 'ana');
  assert.equal(answer.data.self.available, true);
  assert.deepEqual(answer.data.self.groups, ['staff']);
  assert.deepEqual(answer.data.self.publicData, { team: 'red' });
  assert.match(answer.data.self.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(started.length, 1);
  assert.equal(started[0].id, answer.data.self.id);
  assert.equal(started[0].data.secret, 'secret-of-ana');
  assert.ok(Object.isFrozen(started[0].publicData), 'public data is immutable');
  assert.equal(ctx.server.getSession(answer.data.self.id), started[0]);
  assert.ok(!c.raw.join('').includes('secret-of-ana'));
  await closeAll(ctx, [c]);
});

test('session ids are unique per session', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const clients = await Promise.all([1, 2, 3, 4, 5].map((i) => login(ctx.url, { name: `u${i}` })));
  assert.equal(new Set(clients.map((c) => c.self.id)).size, 5);
  assert.equal(ctx.server.sessionCount, 5);
  await closeAll(ctx, clients);
});

test('a refused authentication leaves the connection unauthenticated, and it may retry', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const c = await TestClient.connect(ctx.url);
  const refused = await c.auth({ name: 'ana', password: 'wrong' });
  assert.equal(refused.type, 'error');
  assert.deepEqual(refused.error, { code: 'auth_failed', message: 'invalid credentials' });
  assert.equal((await c.send('request', { name: 'x' })).error.code, 'not_authenticated');
  assert.equal(ctx.server.sessionCount, 0);
  assert.equal((await c.auth({ name: 'ana' })).type, 'reply');
  assert.equal(ctx.server.sessionCount, 1);
  await closeAll(ctx, [c]);
});

test('nothing but authentication is possible before it, and it changes no state', async () => {
  const handled = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('x', () => handled.push('x'));
    s.onGroupChange(() => true);
  });
  const c = await TestClient.connect(ctx.url);
  const attempts = [
    ['request', { name: 'x' }],
    ['broadcast', { event: 'e' }],
    ['message', { to: { alias: 'a' } }],
    ['join', { group: 'admin' }],
    ['clients', {}],
    ['update', { alias: 'evil' }],
  ];
  for (const [type, fields] of attempts) {
    const answer = await c.send(type, fields);
    assert.equal(answer.error?.code, 'not_authenticated', type);
  }
  assert.deepEqual(handled, []);
  assert.equal(ctx.server.groupSize('admin'), 0);
  await closeAll(ctx, [c]);
});

test('a second authentication is refused', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const c = await login(ctx.url, { name: 'ana' });
  assert.equal((await c.auth({ name: 'bob' })).error.code, 'already_authenticated');
  assert.equal([...ctx.server.sessions()][0].alias, 'ana');
  await closeAll(ctx, [c]);
});

test('authentication while another is pending is refused', async () => {
  let release;
  const ctx = await startServer((s) =>
    s.onAuthentication(async (c, start, respond) => {
      await new Promise((r) => (release = r));
      start({}, [], 'ana');
      respond(null, {});
    }),
  );
  const c = await TestClient.connect(ctx.url);
  const first = c.auth({});
  const second = await c.auth({});
  assert.equal(second.error.code, 'already_authenticated');
  release();
  assert.equal((await first).type, 'reply');
  await closeAll(ctx, [c]);
});

test('an unauthenticated connection is closed with 1008 after authTimeout', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { authTimeout: 50 });
  const c = await TestClient.connect(ctx.url);
  const { code } = await within(c.closed, 'auth timeout close');
  assert.equal(code, 1008);
  await ctx.server.close();
});

test('an authenticated connection outlives authTimeout', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { authTimeout: 50 });
  const slow = await TestClient.connect(ctx.url);
  const c = await login(ctx.url, { name: 'ana' });
  await within(slow.closed, 'the unauthenticated one closing');
  assert.equal((await c.send('clients')).type, 'reply');
  await closeAll(ctx, [c]);
});

test('too many failed attempts close the connection with 1008', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { maxAuthAttempts: 2 });
  const c = await TestClient.connect(ctx.url);
  assert.equal((await c.auth({ password: 'wrong' })).error.code, 'auth_failed');
  assert.equal((await c.auth({ password: 'wrong' })).error.code, 'auth_failed');
  assert.equal((await within(c.closed, 'close')).code, 1008);
  await ctx.server.close();
});

test('without an authentication hook every authentication is refused', async () => {
  const ctx = await startServer();
  const c = await TestClient.connect(ctx.url);
  assert.equal((await c.auth({ name: 'x' })).error.code, 'auth_failed');
  await closeAll(ctx, [c]);
});

test('a throwing or rejecting hook becomes internal_error plus an error event; the server lives on', async () => {
  let mode = 'throw';
  const ctx = await startServer((s) =>
    s.onAuthentication(async (c, start, respond) => {
      if (mode === 'throw') throw new Error('database down');
      start({}, [], 'ok');
      respond(null, {});
    }),
  );
  const c = await TestClient.connect(ctx.url);
  const answer = await c.auth({});
  assert.deepEqual(answer.error, { code: 'internal_error', message: 'authentication failed on the server' });
  assert.equal(ctx.errors.length, 1);
  assert.equal(ctx.errors[0].hook, 'onAuthentication');
  assert.equal(ctx.errors[0].cause.message, 'database down');
  assert.ok(!c.raw.join('').includes('database down'), 'internals stay on the server');
  mode = 'ok';
  assert.equal((await c.auth({})).type, 'reply');
  await closeAll(ctx, [c]);
});

test('respond(null) without startSession is a server error, not a session', async () => {
  const ctx = await startServer((s) => s.onAuthentication((c, start, respond) => respond(null, {})));
  const c = await TestClient.connect(ctx.url);
  assert.equal((await c.auth({})).error.code, 'internal_error');
  assert.equal(ctx.server.sessionCount, 0);
  assert.equal(ctx.errors.length, 1);
  await closeAll(ctx, [c]);
});

test('invalid startSession arguments are reported and refuse the authentication', async () => {
  const ctx = await startServer((s) => s.onAuthentication((c, start, respond) => {
    start({}, [42]);
    respond(null, {});
  }));
  const c = await TestClient.connect(ctx.url);
  assert.equal((await c.auth({})).error.code, 'internal_error');
  assert.match(ctx.errors[0].message, /groups must be non-empty strings/);
  await closeAll(ctx, [c]);
});

test('a client that leaves during an async authentication: no presence, close hook exactly once, no leak', async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  const closed = [];
  const ctx = await startServer((s) => {
    s.onAuthentication(async (c, start, respond) => {
      if (c.slow) await gate;
      start({ token: c.name }, ['g'], c.name);
      respond(null, {});
    });
    s.onConnectionClose((session) => closed.push(session.data.token));
  });
  const watcher = await login(ctx.url, { name: 'watcher' });
  const leaver = await TestClient.connect(ctx.url);
  leaver.sendRaw(JSON.stringify({ type: 'auth', id: 1, credentials: { name: 'ghost', slow: true } }));
  await leaver.close();
  release();
  await until(() => closed.length >= 1, 'close hook');
  assert.deepEqual(closed, ['ghost'], 'the started session still gets its one close call');
  assert.equal(ctx.server.sessionCount, 1, 'only the watcher');
  assert.equal(ctx.server.groupSize('g'), 1);
  assert.equal((await watcher.ok('clients')).length, 0);
  assert.ok(!watcher.has((m) => m.type === 'presence'), 'the ghost was never announced');
  await closeAll(ctx, [watcher]);
  assert.deepEqual(closed, ['ghost', 'watcher']);
});

test('onConnectionClose runs exactly once per session, with code and session intact', async () => {
  const calls = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onConnectionClose((session, code) => calls.push([session.alias, code, session.connected]));
  });
  const a = await login(ctx.url, { name: 'a' });
  const b = await login(ctx.url, { name: 'b' });
  await a.close();
  b.ws.terminate();
  await within(b.closed, 'b closed');
  await until(() => calls.length >= 2, 'both close hooks');
  await ctx.server.close();
  calls.sort();
  assert.deepEqual(calls, [['a', 1000, false], ['b', 1006, false]]);
  assert.equal(ctx.server.sessionCount, 0);
});
