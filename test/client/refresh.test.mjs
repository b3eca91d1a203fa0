// Refreshing the session, the client's side, against a scripted server on an
// in-memory WebSocket (fake-socket.mjs): authenticate(credentials) while
// authenticated sends `refresh`, an `expiring` push makes the client fetch
// its credentials again and refresh, a refused refresh is reported to
// onError, and a close with 4001 (session expired) leads to a fresh login.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeClient, ServerError } from '../../dist/esm/client/index.js';
import { fakeTransport } from './fake-socket.mjs';
import { until, sleep } from '../helpers/wait.mjs';

const fast = { initialDelay: 10, maxDelay: 20 };

let clients = [];
afterEach(async () => {
  for (const c of clients) await c.close();
  clients = [];
});

function make(options = {}) {
  const t = fakeTransport();
  const client = new WebSocketNodeClient('ws://example.test/app', { WebSocket: t.factory, reconnect: fast, ...options });
  clients.push(client);
  return { t, client };
}

const self = (id) => ({ id, alias: null, available: true, publicData: null, connected: true, groups: [] });

/** Opens the current fake socket and answers its `auth`; returns the auth message. */
async function openAndAuth(t, id = 's1', session = { name: 'ana' }) {
  t.last.serverOpen();
  await sleep();
  const auth = t.last.messages.find((m) => m.type === 'auth');
  assert.ok(auth, 'the client must authenticate');
  t.last.serverReply(auth.id, { self: self(id), session, limits: { maxInflight: 0, rate: null, maxPayload: 1 << 20 }, expiresIn: 1000 });
  await until(() => t.last && t.sockets.length > 0, 'auth answered');
  return auth;
}

const sent = (t, type) => t.last.messages.filter((m) => m.type === type);

describe('client refresh', () => {
  test('authenticate(credentials) while authenticated sends refresh, not a new login, and stores the credentials', async () => {
    const { t, client } = make({ credentials: { token: 'old' } });
    await openAndAuth(t);
    await until(() => client.state === 'authenticated', 'authenticated');
    const result = client.authenticate({ token: 'new' });
    await until(() => sent(t, 'refresh').length === 1, 'a refresh');
    const refresh = sent(t, 'refresh')[0];
    assert.deepEqual(refresh.credentials, { token: 'new' });
    assert.equal(sent(t, 'auth').length, 1, 'no second auth');
    t.last.serverReply(refresh.id, { session: { name: 'ana', v: 2 }, expiresIn: 1000 });
    assert.deepEqual(await result, { name: 'ana', v: 2 });
    assert.deepEqual(client.session, { name: 'ana', v: 2 });
    // The stored credentials are the new ones: the next login after a loss uses them.
    const n = t.sockets.length;
    t.last.serverClose(1006);
    await until(() => t.sockets.length === n + 1, 'a reconnection attempt');
    const again = await openAndAuth(t, 's2');
    assert.deepEqual(again.credentials, { token: 'new' });
  });

  test('a refused authenticate(credentials) while authenticated rejects and keeps the session', async () => {
    const { t, client } = make({ credentials: { token: 'old' } });
    await openAndAuth(t);
    await until(() => client.state === 'authenticated', 'authenticated');
    const result = client.authenticate({ token: 'bad' });
    await until(() => sent(t, 'refresh').length === 1, 'a refresh');
    t.last.serverError(sent(t, 'refresh')[0].id, 'auth_failed', 'revoked');
    await assert.rejects(result, (e) => e instanceof ServerError && e.code === 'auth_failed');
    assert.equal(client.state, 'authenticated');
    assert.deepEqual(client.session, { name: 'ana' });
  });

  test('on expiring, the client calls its credentials function again and refreshes', async () => {
    let calls = 0;
    const { t, client } = make({ credentials: async () => ({ token: `t${++calls}` }) });
    await openAndAuth(t);
    await until(() => client.state === 'authenticated', 'authenticated');
    assert.equal(calls, 1);
    t.last.serverSend({ type: 'expiring', in: 500 });
    await until(() => sent(t, 'refresh').length === 1, 'a refresh');
    assert.equal(calls, 2, 'the credentials function ran again');
    assert.deepEqual(sent(t, 'refresh')[0].credentials, { token: 't2' });
    t.last.serverReply(sent(t, 'refresh')[0].id, { session: { name: 'ana', v: 2 }, expiresIn: 1000 });
    await until(() => client.session?.v === 2, 'the new session');
    // The function stays the source of credentials: the next notice calls it again.
    t.last.serverSend({ type: 'expiring', in: 500 });
    await until(() => sent(t, 'refresh').length === 2, 'a second refresh');
    assert.deepEqual(sent(t, 'refresh')[1].credentials, { token: 't3' });
  });

  test('a refused automatic refresh is reported to onError with code refresh; the state does not change', async () => {
    const { t, client } = make({ credentials: () => ({ token: 'x' }) });
    const errors = [];
    client.onError((e) => errors.push(e));
    const states = [];
    client.onState((e) => states.push(e.state));
    await openAndAuth(t);
    await until(() => client.state === 'authenticated', 'authenticated');
    t.last.serverSend({ type: 'expiring', in: 500 });
    await until(() => sent(t, 'refresh').length === 1, 'a refresh');
    t.last.serverError(sent(t, 'refresh')[0].id, 'auth_failed', 'revoked');
    await until(() => errors.length === 1, 'the error report');
    assert.equal(errors[0].code, 'refresh');
    assert.equal(errors[0].cause.code, 'auth_failed');
    assert.equal(client.state, 'authenticated');
    assert.deepEqual([...states], ['open', 'authenticated'], 'no state event for a failed refresh');
  });

  test('closed with 4001 (session expired), the client logs in again with its credentials function', async () => {
    let calls = 0;
    const { t, client } = make({ credentials: () => ({ token: `t${++calls}` }) });
    await openAndAuth(t);
    await until(() => client.state === 'authenticated', 'authenticated');
    const n = t.sockets.length;
    t.last.serverClose(4001, 'Session expired');
    await until(() => t.sockets.length === n + 1, 'a reconnection attempt');
    const again = await openAndAuth(t, 's2');
    assert.deepEqual(again.credentials, { token: 't2' });
    await until(() => client.state === 'authenticated' && client.self?.id === 's2', 'a fresh session');
  });
});
