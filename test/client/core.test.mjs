// The client core against an in-memory WebSocket (fake-socket.mjs): calls,
// the queue, timeouts, aborts, authentication gating and the reconnection
// rules, with no network and no real server in the way.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  WebSocketNodeClient, ClientCore, PROTOCOL, ServerError, RequestTimeoutError, RequestAbortedError,
  ConnectionLostError, ClientClosedError, QueueFullError, ClientProtocolError, ClientError,
} from '../../dist/esm/client/index.js';
import { ProtocolError as FrameProtocolError } from '../../dist/esm/frame/errors.js';
import { fakeTransport } from './fake-socket.mjs';
import { recordStates } from './states.mjs';
import { until, sleep } from '../helpers/wait.mjs';

const fast = { initialDelay: 10, maxDelay: 20 };

function make(options = {}) {
  const t = fakeTransport();
  const client = new WebSocketNodeClient('ws://example.test/app', { WebSocket: t.factory, reconnect: fast, ...options });
  return { t, client };
}

/** Opens the current fake socket and, with credentials, answers the authentication. */
async function openAndAuth(t, { session = { name: 'ana' }, id = 'self-1' } = {}) {
  t.last.serverOpen();
  await sleep();
  const auth = t.last.messages.find((m) => m.type === 'auth');
  if (auth) t.last.serverReply(auth.id, { self: { id, alias: null, available: true, publicData: null, connected: true, groups: [] }, session });
  return auth;
}

describe('client core: calls', () => {
  test('offers our subprotocol and sends a request once open, resolving to the reply data', async () => {
    const { t, client } = make();
    assert.equal(client.state, 'connecting');
    assert.deepEqual(t.last.protocols, [PROTOCOL]);
    const p = client.request('sum', [1, 2]);
    assert.equal(t.last.sent.length, 0, 'nothing may be sent before the socket is open');
    t.last.serverOpen();
    const [msg] = t.last.messages;
    assert.deepEqual({ ...msg, id: undefined }, { id: undefined, type: 'request', name: 'sum', data: [1, 2] });
    t.last.serverReply(msg.id, 3);
    assert.equal(await p, 3);
    await client.close();
  });

  test('a server error rejects with ServerError carrying code, message and details', async () => {
    const { t, client } = make();
    t.last.serverOpen();
    const p = client.request('x', null);
    t.last.serverError(t.last.messages[0].id, 'request_failed', 'nope', { why: 1 });
    await assert.rejects(p, (e) => e instanceof ServerError && e instanceof ClientError && e.code === 'request_failed' && e.message === 'nope' && e.details.why === 1);
    await client.close();
  });

  test('no answer in time: RequestTimeoutError with sent=true; a late reply is ignored', async () => {
    const { t, client } = make();
    t.last.serverOpen();
    const p = client.request('slow', null, { timeout: 20 });
    await assert.rejects(p, (e) => e instanceof RequestTimeoutError && e.code === 'timeout' && e.sent === true);
    const errors = [];
    client.onError((e) => errors.push(e));
    t.last.serverReply(t.last.messages[0].id, 'late');
    assert.equal(errors.length, 0);
    await client.close();
  });

  test('abort before and after sending rejects with RequestAbortedError', async () => {
    const { t, client } = make();
    const early = new AbortController();
    early.abort('changed my mind');
    await assert.rejects(client.request('a', null, { signal: early.signal }), (e) => e instanceof RequestAbortedError && e.cause === 'changed my mind');
    t.last.serverOpen();
    const ac = new AbortController();
    const p = client.request('b', null, { signal: ac.signal });
    assert.equal(t.last.sent.length, 1);
    ac.abort();
    await assert.rejects(p, (e) => e.code === 'aborted');
    await client.close();
  });

  test('an unserializable body rejects the call at once; nothing is sent', async () => {
    const { t, client } = make();
    t.last.serverOpen();
    const cyclic = {};
    cyclic.self = cyclic;
    await assert.rejects(client.request('x', cyclic), TypeError);
    await assert.rejects(client.request('x', 1n), TypeError);
    assert.equal(t.last.sent.length, 0);
    await client.close();
  });

  test('broadcast, private message, join, leave and update send the protocol messages', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    await openAndAuth(t);
    const calls = [
      [client.broadcast('news', { a: 1 }), { type: 'broadcast', event: 'news', group: null, data: { a: 1 } }, null, undefined],
      [client.broadcast('news', 2, { group: 'g' }), { type: 'broadcast', event: 'news', group: 'g', data: 2 }, null, undefined],
      [client.sendMessage('id-2', 'hi'), { type: 'message', to: { id: 'id-2' }, data: 'hi' }, null, undefined],
      [client.sendMessage({ alias: 'bob' }, 'yo'), { type: 'message', to: { alias: 'bob' }, data: 'yo' }, null, undefined],
      [client.join('g'), { type: 'join', group: 'g' }, { groups: ['g'] }, ['g']],
      [client.leave('g'), { type: 'leave', group: 'g' }, { groups: [] }, []],
      [client.setAlias('ana'), { type: 'update', alias: 'ana' }, { alias: 'ana', available: true }, { alias: 'ana', available: true }],
      [client.setAvailable(false), { type: 'update', available: false }, { alias: 'ana', available: false }, { alias: 'ana', available: false }],
    ];
    const sent = t.last.messages.filter((m) => m.type !== 'auth');
    assert.equal(sent.length, calls.length);
    for (const [i, [p, expected, reply, result]] of calls.entries()) {
      const { id, ...rest } = sent[i];
      assert.deepEqual(rest, expected);
      t.last.serverReply(id, reply);
      assert.deepEqual(await p, result);
    }
    assert.deepEqual(client.self.alias, 'ana');
    assert.equal(client.self.available, false);
    await client.close();
  });

  test('events, private messages and presence reach their handlers; off() unsubscribes', async () => {
    const { t, client } = make();
    await openAndAuth(t);
    const seen = [];
    const onNews = (data, meta) => seen.push(['news', data, meta]);
    client.on('news', onNews);
    client.onMessage((data, from) => seen.push(['msg', data, from]));
    client.onPresence((c, change) => seen.push(['presence', c.id, change]));
    t.last.serverSend({ type: 'event', event: 'news', group: 'g', data: 1, from: { id: 'b', alias: 'bob' } });
    t.last.serverSend({ type: 'event', event: 'other', group: null, data: 2 });
    t.last.serverSend({ type: 'message', from: { id: 'b', alias: 'bob' }, data: 'hi' });
    const bob = { id: 'b', alias: 'bob', available: true, publicData: null, connected: true };
    t.last.serverSend({ type: 'presence', client: bob });
    t.last.serverSend({ type: 'presence', client: { ...bob, alias: 'rob', available: false } });
    t.last.serverSend({ type: 'presence', client: { ...bob, connected: false } });
    client.off('news', onNews);
    t.last.serverSend({ type: 'event', event: 'news', group: null, data: 3 });
    assert.deepEqual(seen, [
      ['news', 1, { event: 'news', group: 'g', from: { id: 'b', alias: 'bob' } }],
      ['msg', 'hi', { id: 'b', alias: 'bob' }],
      ['presence', 'b', 'connect'],
      ['presence', 'b', 'alias'],
      ['presence', 'b', 'availability'],
      ['presence', 'b', 'disconnect'],
    ]);
    await client.close();
  });

  test('hostile server input is reported as errors and never throws or settles the wrong call', async () => {
    const { t, client } = make();
    t.last.serverOpen();
    const errors = [];
    client.onError((e) => errors.push(e));
    const p = client.request('x', null);
    for (const bad of ['not json', '[]', 'null', '{"type":"event"}', '{"type":"message","from":7}', '{"type":"presence","client":{}}', '{"__proto__":{"polluted":1},"type":"reply","id":"1"}']) {
      t.last.serverSend(bad);
    }
    t.last.onmessage({ data: new ArrayBuffer(4) });
    t.last.serverSend({ type: 'error', id: null, error: { code: 'bad_message', message: 'what' } });
    t.last.serverSend({ type: 'future-thing', x: 1 });
    assert.equal({}.polluted, undefined);
    assert.ok(errors.length >= 7, `expected errors, got ${errors.length}`);
    assert.ok(errors.some((e) => e instanceof ClientProtocolError));
    assert.ok(errors.some((e) => e instanceof ServerError && e.code === 'bad_message'));
    t.last.serverReply(t.last.messages[0].id, 'ok');
    assert.equal(await p, 'ok');
    await client.close();
  });

  test('a throwing handler goes to onError and the client keeps working', async () => {
    const { t, client } = make();
    t.last.serverOpen();
    const errors = [];
    client.onError((e) => errors.push(e));
    client.on('boom', () => { throw new Error('handler bug'); });
    t.last.serverSend({ type: 'event', event: 'boom', group: null, data: 1 });
    assert.equal(errors[0]?.message, 'handler bug');
    const p = client.request('x', null);
    t.last.serverReply(t.last.messages[0].id, 1);
    assert.equal(await p, 1);
    await client.close();
  });
});

describe('client core: queue and authentication', () => {
  test('calls made while connecting are queued up to maxQueue; one more gets QueueFullError', async () => {
    const { t, client } = make({ maxQueue: 2 });
    const a = client.request('a', 1);
    const b = client.request('b', 2);
    await assert.rejects(client.request('c', 3), (e) => e instanceof QueueFullError && e.code === 'queue_full');
    t.last.serverOpen();
    assert.deepEqual(t.last.messages.map((m) => m.name), ['a', 'b']);
    for (const m of t.last.messages) t.last.serverReply(m.id, m.name);
    assert.deepEqual(await Promise.all([a, b]), ['a', 'b']);
    await client.close();
  });

  test('a queued call that is never delivered rejects with RequestTimeoutError sent=false', async () => {
    const { t, client } = make();
    await assert.rejects(client.request('a', 1, { timeout: 20 }), (e) => e instanceof RequestTimeoutError && e.sent === false);
    t.last.serverOpen();
    assert.equal(t.last.sent.length, 0, 'a timed-out call must not be sent later');
    await client.close();
  });

  test('authenticate() before open goes first; app calls wait until authenticated', async () => {
    const { t, client } = make();
    const states = recordStates(client);
    const r = client.request('after-auth', null);
    const auth = client.authenticate({ token: 't1' });
    t.last.serverOpen();
    assert.deepEqual(t.last.messages.map((m) => m.type), ['auth'], 'the request must wait for the session');
    assert.deepEqual(t.last.messages[0].credentials, { token: 't1' });
    t.last.serverReply(t.last.messages[0].id, { self: { id: 'me', alias: null, available: true, publicData: null, connected: true, groups: ['a'] }, session: { name: 'ana' } });
    assert.deepEqual(await auth, { name: 'ana' });
    assert.equal(client.id, 'me');
    assert.deepEqual(client.self.groups, ['a']);
    assert.deepEqual(client.session, { name: 'ana' });
    assert.deepEqual(t.last.messages.map((m) => m.type), ['auth', 'request']);
    t.last.serverReply(t.last.messages[1].id, 'ok');
    assert.equal(await r, 'ok');
    assert.deepEqual(states.map((s) => s.state), ['open', 'authenticated']);
    assert.equal(states[1].reconnected, false);
    await client.close();
  });

  test('a refused authenticate() rejects with auth_failed, keeps the connection and stores nothing', async () => {
    const { t, client } = make();
    t.last.serverOpen();
    const p = client.authenticate({ pass: 'wrong' });
    t.last.serverError(t.last.messages[0].id, 'auth_failed', 'bad password');
    await assert.rejects(p, (e) => e instanceof ServerError && e.code === 'auth_failed');
    assert.equal(client.state, 'open');
    await assert.rejects(client.authenticate(), TypeError, 'no credentials may have been stored');
    await client.close();
  });

  test('lost connection: in-flight calls get ConnectionLostError, queued ones go out after re-auth', async () => {
    const { t, client } = make({ credentials: () => ({ token: `t${t.sockets.length}` }) });
    const states = recordStates(client);
    await openAndAuth(t);
    const inflight = client.request('in-flight', null);
    t.last.serverClose(1006);
    await assert.rejects(inflight, (e) => e instanceof ConnectionLostError && e.closeCode === 1006);
    assert.equal(client.state, 'reconnecting');
    const queued = client.request('queued', null);
    await until(() => t.sockets.length === 2, 'a second connection');
    await openAndAuth(t, { id: 'self-2' });
    const msgs = t.sockets[1].messages;
    assert.deepEqual(msgs[0].credentials, { token: 't2' }, 'the callback must be asked for fresh credentials');
    assert.deepEqual(msgs.map((m) => m.type), ['auth', 'request']);
    t.last.serverReply(msgs[1].id, 'delivered');
    assert.equal(await queued, 'delivered');
    assert.equal(client.id, 'self-2');
    const auths = states.filter((s) => s.state === 'authenticated');
    assert.deepEqual(auths.map((s) => s.reconnected), [false, true]);
    const rec = states.find((s) => s.state === 'reconnecting');
    assert.equal(rec.attempt, 1);
    assert.ok(rec.delay >= 0 && rec.delay < fast.initialDelay);
    await client.close();
  });

  test('calls answered shutting_down are sent again after the reconnect', async () => {
    const { t, client } = make({ credentials: { user: 'a' } });
    await openAndAuth(t);
    const p = client.request('late', 1);
    const sent = t.last.messages.find((m) => m.type === 'request');
    t.last.serverError(sent.id, 'shutting_down', 'the server is shutting down');
    t.last.serverClose(1001, 'Server shutting down');
    await until(() => t.sockets.length === 2, 'reconnect');
    await openAndAuth(t);
    await sleep();
    const again = t.last.messages.find((m) => m.type === 'request');
    assert.equal(again.name, 'late');
    t.last.serverReply(again.id, 'done');
    assert.equal(await p, 'done');
    await client.close();
  });

  test('a failing credentials callback or a server error during re-authentication: reported, retried with backoff', async () => {
    let fail = true;
    const { t, client } = make({ credentials: async () => { if (fail) throw new Error('token service down'); return { token: 'ok' }; } });
    const errors = [];
    client.onError((e) => errors.push(e));
    const states = recordStates(client);
    t.last.serverOpen();
    await until(() => t.sockets.length === 2, 'a retry after the callback failed');
    assert.equal(errors[0].code, 'credentials');
    assert.equal(errors[0].cause.message, 'token service down');
    fail = false;
    t.last.serverOpen();
    await sleep();
    t.last.serverError(t.last.messages[0].id, 'internal_error', 'hook crashed');
    await until(() => t.sockets.length === 3, 'a retry after internal_error');
    assert.ok(errors[1] instanceof ServerError && errors[1].code === 'internal_error');
    await openAndAuth(t);
    assert.equal(client.state, 'authenticated');
    assert.deepEqual(states.filter((s) => s.state === 'reconnecting').map((s) => s.attempt), [1, 2], 'failed logins count as failed attempts');
    await client.close();
  });

  test('authenticate() without credentials: waits for the automatic login, with timeout and abort', async () => {
    const { t, client } = make({ credentials: { user: 'a' } });
    await assert.rejects(client.authenticate(undefined, { timeout: 10 }), (e) => e instanceof RequestTimeoutError && e.sent === false);
    const ac = new AbortController();
    const aborted = client.authenticate(undefined, { signal: ac.signal });
    ac.abort('stop');
    await assert.rejects(aborted, (e) => e instanceof RequestAbortedError && e.cause === 'stop');
    const waiting = client.authenticate();
    await openAndAuth(t, { session: { name: 'auto' } });
    assert.deepEqual(await waiting, { name: 'auto' });
    assert.deepEqual(await client.authenticate(), { name: 'auto' }, 'already authenticated: at once');
    await client.close();
    await assert.rejects(client.authenticate(), ClientClosedError);
  });

  test('stored credentials refused after a reconnect: closed with the error, no further attempts', async () => {
    const { t, client } = make();
    t.last.serverOpen();
    const a = client.authenticate({ token: 'old' });
    t.last.serverReply(t.last.messages[0].id, { self: { id: 'x' }, session: null });
    await a;
    t.last.serverClose(1006);
    const pending = client.request('queued-later', null);
    await until(() => t.sockets.length === 2, 'reconnect');
    t.last.serverOpen();
    await sleep();
    assert.deepEqual(t.last.messages[0].credentials, { token: 'old' });
    const closed = new Promise((r) => client.onState((e) => e.state === 'closed' && r(e)));
    t.last.serverError(t.last.messages[0].id, 'auth_failed', 'expired');
    const e = await closed;
    assert.ok(e.error instanceof ServerError && e.error.code === 'auth_failed');
    await assert.rejects(pending, (err) => err instanceof ClientClosedError && err.cause === e.error);
    await sleep(50);
    assert.equal(t.sockets.length, 2, 'no reconnection after a refusal');
  });
});

describe('client core: reconnection rules', () => {
  for (const code of [1008, 1000]) {
    test(`server close ${code}: closed for good, pending calls rejected`, async () => {
      const { t, client } = make();
      t.last.serverOpen();
      const p = client.request('x', null);
      const states = recordStates(client);
      t.last.serverClose(code, 'go');
      await assert.rejects(p, ConnectionLostError);
      assert.equal(client.state, 'closed');
      assert.equal(states.at(-1).code, code);
      assert.ok(states.at(-1).error instanceof ClientClosedError);
      await assert.rejects(client.request('y', null), ClientClosedError);
      await sleep(50);
      assert.equal(t.sockets.length, 1);
    });
  }

  test('1001 (going away): reconnects, starting the backoff two steps up', async () => {
    const { t, client } = make({ reconnect: { initialDelay: 10, maxDelay: 1000, random: () => 0.999 } });
    const states = recordStates(client);
    t.last.serverOpen();
    t.last.serverClose(1001, 'Server shutting down');
    const rec = states.find((s) => s.state === 'reconnecting');
    assert.equal(rec.code, 1001);
    // Bound of step 2: 10 * 2^2 = 40 ms; full jitter picks just under it.
    assert.equal(rec.delay, 39);
    await until(() => t.sockets.length === 2, 'reconnect');
    await client.close();
  });

  test('backoff grows per failed attempt up to maxDelay; maxAttempts ends it', async () => {
    const { t, client } = make({ reconnect: { initialDelay: 2, maxDelay: 5, maxAttempts: 4, random: () => 0.999 } });
    const states = recordStates(client);
    const p = client.request('never', null, { timeout: 0 });
    for (let i = 0; i < 5 && client.state !== 'closed'; i++) {
      await until(() => t.sockets.length === i + 1, `attempt ${i + 1}`);
      t.last.serverClose(1006);
    }
    assert.deepEqual(states.filter((s) => s.state === 'reconnecting').map((s) => s.delay), [1, 3, 4, 4]);
    assert.equal(client.state, 'closed');
    assert.match(states.at(-1).error.message, /gave up after 4/);
    await assert.rejects(p, ClientClosedError);
  });

  test('reconnect: false closes on the first loss', async () => {
    const { t, client } = make({ reconnect: false });
    t.last.serverOpen();
    t.last.serverClose(1006);
    assert.equal(client.state, 'closed');
    await sleep(30);
    assert.equal(t.sockets.length, 1);
  });

  test('a server without our subprotocol: ClientProtocolError, closed, no retry', async () => {
    const { t, client } = make();
    const states = recordStates(client);
    t.last.serverOpen('');
    assert.equal(client.state, 'closed');
    const error = states.at(-1).error;
    assert.ok(error instanceof ClientProtocolError && error instanceof ClientError);
    assert.equal(error.name, 'ClientProtocolError');
    assert.equal(error.code, 'protocol');
    assert.notEqual(ClientProtocolError, FrameProtocolError, 'the client error is not the frame parser\'s ProtocolError');
    assert.ok(t.last.closedWith, 'the socket must be closed');
    await sleep(30);
    assert.equal(t.sockets.length, 1);
  });

  test('a connection attempt that hangs counts as failed after connectTimeout', async () => {
    const { t, client } = make({ connectTimeout: 20 });
    await until(() => t.sockets.length >= 2, 'a second attempt');
    assert.ok(t.sockets[0].closedWith, 'the hung socket is closed');
    await client.close();
  });

  test('the platform reporting the network back skips the backoff delay', async () => {
    const t = fakeTransport();
    let retry = null;
    const platform = { createSocket: t.factory, watchNetwork: (fn) => ((retry = fn), () => (retry = null)) };
    const client = new ClientCore('ws://x.test/', { reconnect: { initialDelay: 60_000, maxDelay: 60_000 } }, platform);
    t.last.serverOpen();
    t.last.serverClose(1006);
    assert.equal(client.state, 'reconnecting');
    retry();
    assert.equal(t.sockets.length, 2);
    assert.equal(client.state, 'connecting');
    await client.close();
    assert.equal(retry, null, 'close() unsubscribes from network changes');
  });

  test('close(): pending calls reject, no reconnection, bad codes refused, connect() starts over', async () => {
    const { t, client } = make();
    t.last.serverOpen();
    const p = client.request('x', null);
    assert.throws(() => client.close(1002), RangeError);
    const closing = client.close(4000, 'bye');
    await assert.rejects(p, ClientClosedError);
    assert.deepEqual(t.sockets[0].closedWith, { code: 4000, reason: 'bye' });
    await closing;
    assert.equal(client.state, 'closed');
    client.connect();
    assert.equal(t.sockets.length, 2);
    assert.equal(client.state, 'connecting');
    await client.close();
  });

  test('autoConnect: false waits for connect(); calls before it are refused', async () => {
    const { t, client } = make({ autoConnect: false });
    assert.equal(t.sockets.length, 0);
    await assert.rejects(client.request('x'), ClientClosedError);
    client.connect();
    assert.equal(t.sockets.length, 1);
    await client.close();
  });

  test('an invalid URL throws from the constructor; a WebSocket that cannot be created later closes the client', async () => {
    assert.throws(() => new WebSocketNodeClient('ftp://example.test/'), SyntaxError);
    assert.throws(() => new WebSocketNodeClient('not a url'), SyntaxError);
    let calls = 0;
    const t = fakeTransport();
    const factory = (url, protocols) => {
      if (++calls > 1) throw new Error('no more sockets');
      return t.factory(url, protocols);
    };
    const client = new WebSocketNodeClient('ws://x.test/', { WebSocket: factory, reconnect: fast });
    const states = recordStates(client);
    t.last.serverClose(1006);
    await until(() => client.state === 'closed', 'closed');
    assert.equal(states.at(-1).error.code, 'connect_failed');
    assert.equal(states.at(-1).error.cause.message, 'no more sockets');
  });
});
