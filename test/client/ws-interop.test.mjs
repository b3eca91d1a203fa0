// Interop with the `ws` package, an independent implementation, in both
// roles: our Node client (over our own WebSocket) against a protocol server
// built on ws's WebSocketServer, and the client core running over ws's
// WebSocket against our real server. The ws-based server also plays a
// hostile server: no subprotocol, garbage, binary frames, odd close codes.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer as WsServer, WebSocket as WsWebSocket } from 'ws';
import { WebSocketNodeClient, PROTOCOL, ClientProtocolError, ClientClosedError } from '../../dist/esm/client/index.js';
import { startApp, cred, nextState, inbox } from './app-server.mjs';
import { until, sleep } from '../helpers/wait.mjs';

const fast = { initialDelay: 10, maxDelay: 50 };
let cleanup = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/**
 * A small server for our protocol on the ws package. `behave(ws, msg)` may
 * answer a message itself (return true) to play a hostile server.
 */
async function wsProtocolServer({ protocol = PROTOCOL, behave = () => false, port = 0 } = {}) {
  const wss = new WsServer({ host: '127.0.0.1', port, handleProtocols: (offered) => (protocol !== null && offered.has(protocol) ? protocol : false) });
  await new Promise((resolve) => wss.on('listening', resolve));
  const server = { wss, port: wss.address().port, connections: 0, received: [] };
  let n = 0;
  wss.on('connection', (ws) => {
    server.connections++;
    const id = `ws-${++n}`;
    ws.on('message', (data, isBinary) => {
      const msg = JSON.parse(data.toString());
      server.received.push({ msg, isBinary });
      if (behave(ws, msg)) return;
      const reply = (value) => ws.send(JSON.stringify({ type: 'reply', id: msg.id, data: value }));
      if (msg.type === 'auth') reply({ self: { id, alias: null, available: true, publicData: null, connected: true, groups: [] }, session: { via: 'ws', user: msg.credentials.user } });
      else if (msg.type === 'request' && msg.name === 'echo') reply(msg.data);
      else if (msg.type === 'request' && msg.name === 'push') {
        ws.send(JSON.stringify({ type: 'event', event: 'pushed', group: null, data: msg.data }));
        reply(true);
      } else ws.send(JSON.stringify({ type: 'error', id: msg.id, error: { code: 'unknown_request', message: 'no' } }));
    });
  });
  cleanup.push(() => new Promise((resolve) => {
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => resolve());
  }));
  return server;
}

function client(url, options = {}) {
  const c = new WebSocketNodeClient(url, { reconnect: fast, ...options });
  cleanup.push(() => c.close());
  return c;
}

describe('Node client <-> ws WebSocketServer', () => {
  test('authenticate, requests with large and non-ASCII bodies, pushed events', async () => {
    const srv = await wsProtocolServer();
    const c = client(`ws://127.0.0.1:${srv.port}/`);
    const box = inbox(c, ['pushed']);
    assert.deepEqual(await c.authenticate({ user: 'ana' }), { via: 'ws', user: 'ana' });
    assert.equal(c.id, 'ws-1');
    const big = 'µ€😀 '.repeat(50_000);
    assert.equal(await c.request('echo', big), big);
    assert.equal(await c.request('push', { n: 1 }), true);
    await until(() => box.events.length === 1, 'pushed event');
    assert.deepEqual(box.events[0].data, { n: 1 });
    assert.ok(srv.received.every((r) => r.isBinary === false), 'the protocol travels as text frames');
  });

  test('connections cut by the ws server: the client reconnects and authenticates again', async () => {
    const srv = await wsProtocolServer();
    const c = client(`ws://127.0.0.1:${srv.port}/`);
    await c.authenticate({ user: 'bob' });
    for (let i = 0; i < 3; i++) {
      const back = nextState(c, 'authenticated', `re-auth ${i}`);
      for (const ws of srv.wss.clients) ws.terminate();
      await back;
    }
    assert.equal(srv.connections, 4);
    assert.equal(srv.received.filter((r) => r.msg.type === 'auth').length, 4);
    assert.equal(await c.request('echo', 'still here'), 'still here');
  });

  test('a server that does not select our subprotocol: ClientProtocolError, closed, no retry', async () => {
    const srv = await wsProtocolServer({ protocol: null });
    const c = client(`ws://127.0.0.1:${srv.port}/`);
    const closed = await nextState(c, 'closed');
    assert.ok(closed.error instanceof ClientProtocolError);
    await sleep(100);
    assert.equal(srv.connections, 1);
  });

  test('garbage, binary frames and replies to unknown ids are reported; the client keeps working', async () => {
    const srv = await wsProtocolServer({
      behave(ws, msg) {
        if (msg.type !== 'request' || msg.name !== 'echo') return false;
        ws.send('{not json');
        ws.send(Buffer.from([1, 2, 3]));
        ws.send(JSON.stringify({ type: 'reply', id: 999_999, data: 'stray' }));
        ws.send(JSON.stringify({ type: 'event', event: 7 }));
        ws.send(JSON.stringify({ type: 'reply', id: msg.id, data: msg.data }));
        return true;
      },
    });
    const c = client(`ws://127.0.0.1:${srv.port}/`);
    const errors = [];
    c.onError((e) => errors.push(e));
    await c.authenticate({ user: 'x' });
    assert.equal(await c.request('echo', 'real'), 'real');
    assert.ok(errors.length >= 3, `errors reported: ${errors.map((e) => e.message).join('; ')}`);
    assert.ok(errors.every((e) => e instanceof ClientProtocolError));
    assert.equal(c.state, 'authenticated');
  });

  test('close codes from the ws server: 1011 reconnects, 1008 ends it', async () => {
    let closeWith = 1011;
    const srv = await wsProtocolServer({
      behave(ws, msg) {
        if (msg.type === 'request' && msg.name === 'bye') {
          ws.close(closeWith, 'test');
          return true;
        }
        return false;
      },
    });
    const c = client(`ws://127.0.0.1:${srv.port}/`, { credentials: { user: 'z' } });
    await c.authenticate();
    const back = nextState(c, (e) => e.state === 'authenticated' && e.reconnected);
    await assert.rejects(c.request('bye'), (e) => e.code === 'connection_lost' && e.closeCode === 1011);
    await back;
    closeWith = 1008;
    const closed = nextState(c, 'closed');
    await assert.rejects(c.request('bye'), (e) => e.closeCode === 1008);
    assert.equal((await closed).code, 1008);
    await sleep(100);
    assert.equal(srv.connections, 2);
    await assert.rejects(c.request('echo', 1), ClientClosedError);
  });
});

describe('the client core over the ws package WebSocket <-> WebSocketNodeServer', () => {
  test('two clients (ws transport and our transport) authenticate, message and broadcast to each other', async () => {
    const app = await startApp();
    cleanup.push(() => app.server.close());
    const viaWs = client(app.url, { WebSocket: (url, protocols) => new WsWebSocket(url, protocols) });
    const ours = client(app.url);
    const boxWs = inbox(viaWs, ['hi']);
    const boxOurs = inbox(ours, ['hi']);
    await viaWs.authenticate(cred('ws-user', { alias: 'ws-user' }));
    await ours.authenticate(cred('our-user', { alias: 'our-user' }));
    assert.equal(await viaWs.request('sum', [2, 3]), 5);
    await viaWs.sendMessage({ alias: 'our-user' }, 'from ws');
    await ours.broadcast('hi', 'from ours');
    await until(() => boxOurs.messages.length === 1 && boxWs.events.length === 1, 'delivery both ways');
    assert.deepEqual(boxOurs.messages[0], { data: 'from ws', from: { id: viaWs.id, alias: 'ws-user' } });
    assert.equal(boxWs.events[0].data, 'from ours');
    assert.equal(app.errors.length, 0);
  });
});
