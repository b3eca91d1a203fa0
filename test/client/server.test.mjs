// The Node client against the real WebSocketNodeServer over TCP: every
// feature of the protocol, from authentication to presence.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeClient, ServerError, RequestTimeoutError, RequestAbortedError, ClientClosedError } from '../../dist/esm/client/index.js';
import { PROTOCOL_V1 } from '../../dist/esm/index.js';
import { PROTOCOL } from '../../dist/esm/client/index.js';
import { startApp, cred, nextState, inbox } from './app-server.mjs';
import { recordStates } from './states.mjs';
import { until } from '../helpers/wait.mjs';

const fast = { initialDelay: 10, maxDelay: 50 };

describe('Node client <-> WebSocketNodeServer over TCP', () => {
  let app;
  const clients = [];
  const connect = (options = {}) => {
    const c = new WebSocketNodeClient(app.url, { reconnect: fast, ...options });
    clients.push(c);
    return c;
  };
  /** A client authenticated as `user`, with its inbox. */
  const login = async (user, extra = {}, events = []) => {
    const c = connect();
    const box = inbox(c, events);
    await c.authenticate(cred(user, extra));
    return { c, box };
  };

  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await app.server.close();
    assert.deepEqual(app.errors, [], 'no application errors on the server');
  });

  test('the client offers the subprotocol the server speaks', () => {
    assert.equal(PROTOCOL, PROTOCOL_V1);
  });

  test('authenticate resolves to the client-side session; id, self and states follow', async () => {
    const c = connect();
    const states = recordStates(c);
    const session = await c.authenticate(cred('ana', { alias: 'ana', groups: ['team'] }));
    assert.equal(session.name, 'ana');
    assert.match(c.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...c.self, id: 'x' }, { id: 'x', alias: 'ana', available: true, publicData: { user: 'ana' }, connected: true, groups: ['team'] });
    assert.deepEqual(states.map((s) => s.state), ['open', 'authenticated']);
    assert.equal(c.state, 'authenticated');
    assert.equal(await c.request('whoami'), 'ana');
    await c.close();
    assert.equal(c.state, 'closed');
  });

  test('credentials option: authenticate() without arguments waits for the automatic login', async () => {
    const c = connect({ credentials: cred('auto') });
    const session = await c.authenticate();
    assert.equal(session.name, 'auto');
    assert.equal(await c.request('whoami'), 'auto');
  });

  test('refused credentials reject with auth_failed; the connection stays and a retry works', async () => {
    const c = connect();
    await assert.rejects(c.authenticate({ user: 'eve', pass: 'guess' }), (e) => e instanceof ServerError && e.code === 'auth_failed');
    assert.equal(c.state, 'open');
    assert.equal((await c.authenticate(cred('eve'))).name, 'eve');
  });

  test('requests before authentication get not_authenticated', async () => {
    const c = connect();
    await assert.rejects(c.request('sum', [1]), (e) => e instanceof ServerError && e.code === 'not_authenticated');
  });

  test('request: result, handler error with details, unknown name', async () => {
    const { c } = await login('req');
    assert.equal(await c.request('sum', [1, 2, 3]), 6);
    await assert.rejects(c.request('fail', null), (e) => e instanceof ServerError && e.code === 'request_failed' && e.message === 'it failed' && e.details.reason === 'test');
    await assert.rejects(c.request('nope', null), (e) => e.code === 'unknown_request');
  });

  test('request timeout and abort; the connection keeps serving', async () => {
    const { c } = await login('slow');
    await assert.rejects(c.request('never', null, { timeout: 50 }), (e) => e instanceof RequestTimeoutError && e.sent === true);
    const ac = new AbortController();
    const p = c.request('delay', 2000, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(p, RequestAbortedError);
    assert.equal(await c.request('delay', 1), 'waited 1');
  });

  test('broadcast to everyone reaches the others (with the sender) but not the sender; off() stops delivery', async () => {
    const a = await login('b-ana', { alias: 'ana' }, ['news', 'fence']);
    const b = await login('b-bob', {}, ['news', 'fence']);
    const seen = [];
    const handler = (data) => seen.push(data);
    b.c.on('news', handler);
    await a.c.broadcast('news', { n: 1 });
    await until(() => b.box.events.length === 1, 'news at b');
    assert.deepEqual(b.box.events[0], { name: 'news', data: { n: 1 }, event: 'news', group: null, from: { id: a.c.id, alias: 'ana' } });
    assert.deepEqual(seen, [{ n: 1 }]);
    b.c.off('news', handler);
    await a.c.broadcast('news', { n: 2 });
    await a.c.broadcast('fence', null);
    await until(() => b.box.events.some((e) => e.name === 'fence'), 'fence at b');
    assert.deepEqual(seen, [{ n: 1 }], 'a removed handler must not be called');
    assert.equal(a.box.events.length, 0, 'the sender does not get its own broadcast');
  });

  test('group broadcast: members only; joining is up to the server; non-members are refused', async () => {
    const a = await login('g-ana', {}, ['room-news', 'fence']);
    const b = await login('g-bob', {}, ['room-news', 'fence']);
    const c = await login('g-cid', {}, ['room-news', 'fence']);
    assert.deepEqual(await a.c.join('room'), ['room']);
    await b.c.join('room');
    assert.deepEqual(a.c.self.groups, ['room']);
    await assert.rejects(a.c.join('admin'), (e) => e instanceof ServerError && e.code === 'forbidden');
    await assert.rejects(c.c.broadcast('room-news', 0, { group: 'room' }), (e) => e.code === 'forbidden');
    await a.c.broadcast('room-news', 'hello room', { group: 'room' });
    await a.c.broadcast('fence', null);
    await until(() => c.box.events.some((e) => e.name === 'fence') && b.box.events.some((e) => e.name === 'fence'), 'fences');
    assert.deepEqual(b.box.events.filter((e) => e.name === 'room-news').map((e) => [e.data, e.group]), [['hello room', 'room']]);
    assert.equal(c.box.events.filter((e) => e.name === 'room-news').length, 0, 'a non-member got a group broadcast');
    assert.deepEqual(await b.c.leave('room'), []);
  });

  test('server-side broadcasts and session.send arrive with from = null', async () => {
    const a = await login('srv-ana', {}, ['sys', 'direct']);
    app.server.broadcast('sys', { up: true });
    app.server.getSession(a.c.id).send('direct', 42);
    await until(() => a.box.events.length === 2, 'server events');
    assert.deepEqual(a.box.events.map((e) => [e.name, e.data, e.from]), [['sys', { up: true }, null], ['direct', 42, null]]);
  });

  test('private messages by id and by alias; refusals are typed', async () => {
    const a = await login('pm-ana', { alias: 'pm-ana' });
    const b = await login('pm-bob', { alias: 'pm-bob' });
    const hidden = await login('pm-hid');
    await a.c.sendMessage(b.c.id, { text: 'by id' });
    await a.c.sendMessage({ alias: 'pm-bob' }, { text: 'by alias' });
    await until(() => b.box.messages.length === 2, 'two messages');
    assert.deepEqual(b.box.messages, [
      { data: { text: 'by id' }, from: { id: a.c.id, alias: 'pm-ana' } },
      { data: { text: 'by alias' }, from: { id: a.c.id, alias: 'pm-ana' } },
    ]);
    await assert.rejects(a.c.sendMessage({ id: 'no-such-id' }, 1), (e) => e.code === 'not_found');
    await assert.rejects(hidden.c.sendMessage(b.c.id, 1), (e) => e.code === 'unavailable');
  });

  test('presence: connect, alias, availability, disconnect events and the clients() list', async () => {
    const a = await login('pr-ana', { alias: 'pr-ana' });
    const b = await login('pr-bob');
    await until(() => a.box.presence.some((p) => p.id === b.c.id), 'connect of bob');
    assert.deepEqual(a.box.presence.filter((p) => p.id === b.c.id).map((p) => p.change), ['connect']);
    assert.ok(!(await a.c.clients()).some((x) => x.id === b.c.id), 'bob has no alias yet: not visible');
    assert.deepEqual(await b.c.setAlias('pr-bob'), { alias: 'pr-bob', available: true });
    const list = await a.c.clients();
    const bob = list.find((x) => x.id === b.c.id);
    assert.deepEqual(bob, { id: b.c.id, alias: 'pr-bob', available: true, publicData: { user: 'pr-bob' }, connected: true });
    await b.c.setAvailable(false);
    await until(() => a.box.presence.some((p) => p.change === 'availability'), 'availability change');
    await b.c.close();
    await until(() => a.box.presence.some((p) => p.change === 'disconnect'), 'disconnect');
    assert.deepEqual(a.box.presence.filter((p) => p.id === b.c.id).map((p) => p.change), ['connect', 'alias', 'availability', 'disconnect']);
    assert.deepEqual(a.box.presence.find((p) => p.change === 'alias').alias, 'pr-bob');
    assert.ok(b.box.presence.every((p) => p.id !== b.c.id), 'a client is not told about itself');
  });

  test('close(): the server ends the session; later calls reject', async () => {
    const { c } = await login('closer');
    const id = c.id;
    await c.close();
    await until(() => app.server.getSession(id) === undefined, 'session gone on the server');
    await assert.rejects(c.request('sum', [1]), ClientClosedError);
    assert.ok(app.closes.some((x) => x.user === 'closer' && x.code === 1000));
  });

  test('the server ending a session (1000) closes the client without reconnecting', async () => {
    const { c } = await login('kicked');
    const before = app.connections;
    const closed = nextState(c, 'closed');
    assert.equal(await c.request('kick'), true);
    const e = await closed;
    assert.equal(e.code, 1000);
    assert.ok(e.error instanceof ClientClosedError);
    assert.equal(app.connections, before);
  });
});

describe('Node client over wss://', () => {
  test('TLS options pass through `socket`; an untrusted certificate is a failed attempt, not a crash', async () => {
    const https = await import('node:https');
    const { WebSocketNodeServer } = await import('../../dist/esm/index.js');
    const { makeSelfSignedCert } = await import('../helpers/tls-cert.mjs');
    const tls = makeSelfSignedCert();
    const web = https.createServer(tls);
    const server = new WebSocketNodeServer(web, { heartbeatInterval: 0 });
    server.onAuthentication((c, start, respond) => {
      start({});
      respond(null, { secure: true });
    });
    await server.listen();
    await new Promise((resolve) => web.listen(0, '127.0.0.1', resolve));
    const url = `wss://127.0.0.1:${web.address().port}/`;
    const trusted = new WebSocketNodeClient(url, { socket: { ca: tls.cert } });
    const untrusted = new WebSocketNodeClient(url, { reconnect: { initialDelay: 5, maxDelay: 10, maxAttempts: 1 } });
    // Listen before awaiting anything: the untrusted client may give up first.
    const untrustedClosed = nextState(untrusted, 'closed');
    try {
      assert.deepEqual(await trusted.authenticate({}), { secure: true });
      const closed = await untrustedClosed;
      assert.match(closed.error.message, /gave up/);
    } finally {
      await trusted.close();
      await untrusted.close();
      await server.close();
      await new Promise((resolve) => web.close(resolve));
    }
  });
});
