// Server lifecycle: standalone and attached modes, the upgrade gate, the
// heartbeat, protocol negotiation and graceful shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocket, WebSocketNodeServer, PROTOCOL_V1 } from '../../dist/esm/index.js';
import { startServer, login, legacyLogin, simpleAuth, closeAll, TestClient } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

/** Attempts an upgrade and resolves with the HTTP status of a refusal (or 101). */
function upgradeStatus(url, protocols = [PROTOCOL_V1]) {
  return within(
    new Promise((resolve) => {
      const ws = new WebSocket(url, protocols);
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode);
        res.resume();
      });
      ws.on('open', () => {
        resolve(101);
        ws.close();
      });
      ws.on('error', (e) => {
        const m = /(\d{3})/.exec(e.message);
        resolve(m ? Number(m[1]) : e.message);
      });
    }),
    'upgrade outcome',
  );
}

test('attached to an http server: plain HTTP keeps working, upgrades become sessions', async () => {
  const httpServer = http.createServer((req, res) => res.end('plain http'));
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  const server = new WebSocketNodeServer(httpServer, { heartbeatInterval: 0 });
  simpleAuth(server);
  await server.listen();
  const { port } = httpServer.address();
  const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  assert.equal(body, 'plain http');
  const c = await login(`ws://127.0.0.1:${port}`, { name: 'ana' });
  assert.equal(server.getServer().clients.size, 1);
  assert.equal(server.httpServer, httpServer);
  await c.close();
  await server.close();
  assert.ok(httpServer.listening, 'an attached http server is left to its owner');
  await new Promise((r) => httpServer.close(r));
});

test('standalone: plain HTTP gets 426, close() releases the port', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const res = await fetch(`http://127.0.0.1:${ctx.port}/`);
  assert.equal(res.status, 426);
  await res.text();
  await ctx.server.close();
  assert.equal(ctx.server.httpServer.listening, false);
  await assert.rejects(ctx.server.listen(), /closed|closing/);
});

test('onUpgrade gates every upgrade: allow, deny with a status, async, and a throwing hook answers 500', async () => {
  const seen = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onUpgrade(async (req, allow, deny) => {
      seen.push(req.url);
      if (req.url === '/banned') return deny(403, 'banned');
      if (req.url === '/teapot') return deny(418);
      if (req.url === '/weird') return deny(200);
      if (req.url === '/boom') throw new Error('hook bug');
      await new Promise((r) => setImmediate(r));
      allow();
      allow(); // a second call is ignored
    });
  });
  assert.equal(await upgradeStatus(`${ctx.url}/ok`), 101);
  assert.equal(await upgradeStatus(`${ctx.url}/banned`), 403);
  assert.equal(await upgradeStatus(`${ctx.url}/teapot`), 418);
  assert.equal(await upgradeStatus(`${ctx.url}/weird`), 403, 'a non-error status becomes 403');
  assert.equal(await upgradeStatus(`${ctx.url}/boom`), 500);
  assert.deepEqual(seen, ['/ok', '/banned', '/teapot', '/weird', '/boom']);
  assert.equal(ctx.errors.length, 1);
  assert.equal(ctx.errors[0].hook, 'onUpgrade');
  await ctx.server.close();
});

test('an onUpgrade hook that never decides is answered 503 after upgradeTimeout', async () => {
  const ctx = await startServer((s) => s.onUpgrade(() => {}), { upgradeTimeout: 50 });
  assert.equal(await upgradeStatus(ctx.url), 503);
  await ctx.server.close();
});

test('the path option limits upgrades to one pathname', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { path: '/ws' });
  assert.equal(await upgradeStatus(`${ctx.url}/ws?x=1`), 101);
  assert.equal(await upgradeStatus(`${ctx.url}/other`), 400);
  await ctx.server.close();
});

test('our subprotocol is negotiated when offered; otherwise the legacy protocol is spoken', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const modern = await login(ctx.url, { name: 'm' });
  assert.equal(modern.ws.protocol, PROTOCOL_V1);
  const old = await legacyLogin(ctx.url, { name: 'o' });
  assert.equal(old.ws.protocol, '');
  assert.deepEqual(old.session, { welcome: 'o' });
  const other = await TestClient.connect(ctx.url, { protocols: ['chat', PROTOCOL_V1] });
  assert.equal(other.ws.protocol, PROTOCOL_V1);
  assert.deepEqual([...ctx.server.sessions()].map((s) => s.protocol).sort(), ['legacy', 'v1']);
  await closeAll(ctx, [modern, old, other]);
});

test('legacyProtocol: false refuses upgrades that do not offer our subprotocol', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { legacyProtocol: false });
  assert.equal(await upgradeStatus(ctx.url, []), 400);
  assert.equal(await upgradeStatus(ctx.url, [PROTOCOL_V1]), 101);
  await ctx.server.close();
});

test('the heartbeat terminates a peer that stops answering pings, and keeps live ones', async () => {
  const closes = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onConnectionClose((session, code) => closes.push([session.alias, code]));
  }, { heartbeatInterval: 30 });
  const live = await login(ctx.url, { name: 'live' });
  const mute = new TestClient(new WebSocket(ctx.url, [PROTOCOL_V1], { autoPong: false }));
  await within(new Promise((r) => mute.ws.once('open', r)), 'open');
  assert.equal((await mute.auth({ name: 'mute' })).type, 'reply');
  assert.equal((await within(mute.closed, 'reaped')).code, 1006);
  await until(() => closes.length > 0, 'close hook');
  assert.deepEqual(closes, [['mute', 1006]]);
  assert.equal((await live.ok('clients')).length, 0);
  ctx.server.setHeartbeatInterval(0);
  assert.throws(() => ctx.server.setHeartbeatInterval(-1), RangeError);
  await closeAll(ctx, [live]);
});

test('graceful close: in-flight requests are answered, new ones refused, clients get 1001, close hooks run once', async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  let started;
  const running = new Promise((r) => (started = r));
  const closes = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('slow', async () => {
      started();
      await gate;
      return 'finished';
    });
    s.onRequest('fast', () => 'fast');
    s.onConnectionClose((session, code) => closes.push([session.alias, code]));
  });
  const a = await login(ctx.url, { name: 'a' });
  const b = await legacyLogin(ctx.url, { name: 'b' });
  const pending = a.send('request', { name: 'slow' });
  await running;
  const closing = ctx.server.close();
  const refused = await a.send('request', { name: 'fast' });
  assert.equal(refused.error.code, 'shutting_down');
  assert.notEqual(await upgradeStatus(ctx.url), 101, 'no new upgrades while closing');
  release();
  assert.deepEqual(await pending, { type: 'reply', id: 2, data: 'finished' });
  await within(closing, 'close()');
  assert.equal((await a.closed).code, 1001);
  assert.equal((await b.closed).code, 1001);
  closes.sort();
  assert.deepEqual(closes, [['a', 1001], ['b', 1001]]);
  assert.equal(ctx.server.sessionCount, 0);
  assert.equal(await ctx.server.close(), undefined, 'close() is idempotent');
});

test('listen() on a port in use rejects and can be retried', async () => {
  const first = await startServer();
  const second = new WebSocketNodeServer({ host: '127.0.0.1', port: first.port, heartbeatInterval: 0 });
  await assert.rejects(second.listen(), { code: 'EADDRINUSE' });
  await first.server.close();
  const address = await second.listen();
  assert.equal(address.port, first.port);
  await second.close();
});
