// Request/response: every way a handler can answer, correlation under
// concurrency, errors, and a client leaving while its request runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError } from '../../dist/esm/index.js';
import { startServer, login, simpleAuth, closeAll, barrier } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

test('a handler answers through respond(), by returning, or by resolving', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('cb', (body, { respond }) => respond(null, { got: body }));
    s.onRequest('ret', (body) => body.a + body.b);
    s.onRequest('async', async (body) => ({ twice: body * 2 }));
    s.onRequest('later', (body, { respond }) => void setImmediate(() => respond(null, 'late')));
    s.onRequest('nothing', (body, { respond }) => respond(null));
  });
  const c = await login(ctx.url, { name: 'ana' });
  assert.deepEqual(await c.ok('request', { name: 'cb', data: { x: 1 } }), { got: { x: 1 } });
  assert.equal(await c.ok('request', { name: 'ret', data: { a: 2, b: 3 } }), 5);
  assert.deepEqual(await c.ok('request', { name: 'async', data: 21 }), { twice: 42 });
  assert.equal(await c.ok('request', { name: 'later' }), 'late');
  assert.equal(await c.ok('request', { name: 'nothing' }), null);
  await closeAll(ctx, [c]);
});

test('the handler gets (body, { session, respond }): one frozen context, the session once', async () => {
  let seen;
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('whoami', (body, context, ...rest) => {
      seen = { context, rest };
      const { session, respond } = context;
      respond(null, { alias: session.alias, secret: session.data.secret.length, groups: [...session.groups] });
    });
  });
  const c = await login(ctx.url, { name: 'ana', groups: ['g1'] });
  assert.deepEqual(await c.ok('request', { name: 'whoami' }), { alias: 'ana', secret: 'secret-of-ana'.length, groups: ['g1'] });
  assert.deepEqual(Object.keys(seen.context).sort(), ['respond', 'session']);
  assert.equal(seen.context.session, ctx.server.getSession(c.self.id));
  assert.ok(Object.isFrozen(seen.context), 'a handler cannot swap the session out for the next one');
  assert.deepEqual(seen.rest, [], 'nothing after the context');
  await closeAll(ctx, [c]);
});

test('a handler in the 0.2.x shape (body, respond, session, ...) is refused at registration with a TypeError', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  assert.throws(() => ctx.server.onRequest('old', (body, respond, session) => respond(null, session.id)), {
    name: 'TypeError',
    message: /\(body, \{ session, respond \}\)/,
  });
  assert.throws(() => ctx.server.onRequest('old', 'not a function'), TypeError);
  const c = await login(ctx.url, { name: 'ana' });
  assert.equal((await c.send('request', { name: 'old' })).error.code, 'unknown_request', 'nothing was registered');
  await closeAll(ctx, [c]);
});

test('the first answer wins; later ones are ignored', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('twice', (body, { respond }) => {
      respond(null, 1);
      respond(null, 2);
      return 3;
    });
  });
  const c = await login(ctx.url, { name: 'ana' });
  assert.equal(await c.ok('request', { name: 'twice' }), 1);
  await barrier(ctx.server, [c]);
  assert.ok(!c.has((m) => m.type === 'reply'), 'exactly one reply');
  await closeAll(ctx, [c]);
});

test('error answers are structured: respond(error), RequestError, and thrown errors', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('denied', (body, { respond }) => respond('not allowed'));
    s.onRequest('detailed', (body, { respond }) => respond({ field: 'name' }));
    s.onRequest('coded', () => {
      throw new RequestError('forbidden', 'admins only', { need: 'admin' });
    });
    s.onRequest('throws', () => {
      throw new Error('secret stack');
    });
    s.onRequest('rejects', async () => {
      throw new TypeError('boom');
    });
  });
  const c = await login(ctx.url, { name: 'ana' });
  assert.deepEqual((await c.send('request', { name: 'denied' })).error, { code: 'request_failed', message: 'not allowed' });
  assert.deepEqual((await c.send('request', { name: 'detailed' })).error, { code: 'request_failed', message: 'request failed', details: { field: 'name' } });
  assert.deepEqual((await c.send('request', { name: 'coded' })).error, { code: 'forbidden', message: 'admins only', details: { need: 'admin' } });
  assert.deepEqual((await c.send('request', { name: 'throws' })).error, { code: 'internal_error', message: 'the request handler failed' });
  assert.deepEqual((await c.send('request', { name: 'rejects' })).error, { code: 'internal_error', message: 'the request handler failed' });
  assert.equal(ctx.errors.length, 2, 'a RequestError is an answer, not a failure');
  assert.deepEqual(ctx.errors.map((e) => e.hook), ['onRequest(throws)', 'onRequest(rejects)']);
  assert.equal(ctx.errors[0].sessionId, c.self.id);
  assert.ok(!c.raw.join('').includes('secret stack'));
  assert.equal(await c.ok('clients').then((l) => l.length), 0, 'the connection still works');
  await closeAll(ctx, [c]);
});

test('an unknown request name gets unknown_request', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const c = await login(ctx.url, { name: 'ana' });
  const answer = await c.send('request', { name: 'nope' });
  assert.equal(answer.error.code, 'unknown_request');
  await closeAll(ctx, [c]);
});

test('an unserializable response becomes internal_error', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('cyclic', () => {
      const o = {};
      o.self = o;
      return o;
    });
  });
  const c = await login(ctx.url, { name: 'ana' });
  assert.equal((await c.send('request', { name: 'cyclic' })).error.code, 'internal_error');
  await closeAll(ctx, [c]);
});

test('concurrent requests from several clients are answered to the right id, whatever the completion order', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    // Later requests finish first: each waits for a shrinking number of turns.
    s.onRequest('slow-echo', async (body) => {
      for (let i = 0; i < body.turns; i++) await new Promise((r) => setImmediate(r));
      return body;
    });
  });
  const clients = await Promise.all(['a', 'b', 'c'].map((name) => login(ctx.url, { name })));
  const all = [];
  for (const c of clients) {
    for (let i = 0; i < 20; i++) {
      const body = { who: c.self.alias, i, turns: 20 - i };
      all.push(c.ok('request', { name: 'slow-echo', data: body }).then((got) => assert.deepEqual(got, body)));
    }
  }
  await Promise.all(all);
  await closeAll(ctx, clients);
});

test('session.broadcast from a handler can exclude the sender', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('create', (body, { session, respond }) => {
      respond(null, { done: true });
      session.broadcast('created', body, { except: session });
    });
    s.onRequest('create-all', (body, { session, respond }) => {
      respond(null, { done: true });
      session.broadcast('created-all', body);
    });
  });
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => login(ctx.url, { name })));
  await a.ok('request', { name: 'create', data: { n: 1 } });
  assert.deepEqual((await b.event('created')).data, { n: 1 });
  assert.deepEqual((await c.event('created')).data, { n: 1 });
  await a.ok('request', { name: 'create-all', data: 2 });
  for (const x of [a, b, c]) assert.equal((await x.event('created-all')).data, 2);
  await barrier(ctx.server, [a, b, c]);
  assert.ok(!a.has((m) => m.event === 'created'), 'the sender was excluded');
  await closeAll(ctx, [a, b, c]);
});

test('a client that leaves while its request runs: the late answer goes nowhere, nothing throws', async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  let finished = false;
  let gone;
  const left = new Promise((r) => (gone = r));
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onConnectionClose((session) => gone(session.alias));
    s.onRequest('slow', async (body, { session, respond }) => {
      await gate;
      respond(null, 'too late');
      session.send('also-late', 1);
      finished = !session.connected;
    });
  });
  const a = await login(ctx.url, { name: 'a' });
  const b = await login(ctx.url, { name: 'b' });
  a.sendRaw(JSON.stringify({ type: 'request', id: 99, name: 'slow' }));
  await a.close();
  assert.equal(await within(left, 'close hook'), 'a');
  release();
  await until(() => finished, 'handler end');
  assert.equal(ctx.errors.length, 0);
  assert.equal(ctx.server.sessionCount, 1);
  assert.equal((await b.ok('clients')).length, 0);
  await closeAll(ctx, [b]);
});

test('a request handler registered again replaces the previous one; null removes it', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('v', () => 1);
    s.onRequest('v', () => 2);
  });
  const c = await login(ctx.url, { name: 'a' });
  assert.equal(await c.ok('request', { name: 'v' }), 2);
  ctx.server.onRequest('v', null);
  assert.equal((await c.send('request', { name: 'v' })).error.code, 'unknown_request');
  await closeAll(ctx, [c]);
});
