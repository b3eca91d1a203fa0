// Our server with the `ws` package's client (CONFORMANCE_TARGET=ws: ws with ws).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocket as WsClient } from 'ws';
import { WebSocketServer, targetName } from '../helpers/target.mjs';
import { openPair, echo, httpServer, WAIT } from '../helpers/pairs.mjs';
import { record, bytesOf } from '../helpers/client-log.mjs';
import { listen, closeServer } from '../helpers/servers.mjs';
import { defineInteropTests } from './scenarios.mjs';
import { onceWithin } from '../helpers/wait.mjs';

/** Connect a ws client that is expected to be refused; resolve with what it saw. */
async function refusedClient(url, protocols) {
  const client = new WsClient(url, protocols);
  const log = record(client);
  let status = null;
  client.on('unexpected-response', (req, res) => {
    status = res.statusCode;
    res.resume();
    client.terminate();
  });
  await log.waitFor(() => log.closeEvent || status !== null && log.order.includes('close'), WAIT);
  return { log, status };
}

describe(`${targetName} server <-> ws client`, () => {
  defineInteropTests(WebSocketServer, WsClient);

  test("'connection' passes the upgrade request; path option routes by path", { timeout: 10000 }, async () => {
    const p = await openPair(WebSocketServer, WsClient, {
      serverOptions: { path: '/chat' }, path: '/chat?room=7', clientOptions: { headers: { 'X-Test': 'yes' } },
    });
    try {
      assert.ok(p.req instanceof http.IncomingMessage, 'req should be an http.IncomingMessage');
      assert.equal(p.req.url, '/chat?room=7');
      assert.equal(p.req.headers['x-test'], 'yes');
      const other = await refusedClient(`ws://127.0.0.1:${p.port}/elsewhere`);
      assert.equal(other.log.opened, false);
      assert.equal(other.status, 400);
    } finally { await p.cleanup(); }
  });

  test('verifyClient returning false rejects with 401 and no connection', { timeout: 10000 }, async () => {
    const wss = await listen(WebSocketServer, { verifyClient: (info) => info.req.headers['x-token'] === 'ok' });
    let connections = 0;
    wss.on('connection', () => { connections++; });
    try {
      const url = `ws://127.0.0.1:${wss.address().port}/`;
      const refused = await refusedClient(url);
      assert.equal(refused.status, 401);
      assert.equal(refused.log.opened, false);
      const ok = new WsClient(url, { headers: { 'x-token': 'ok' } });
      const okLog = record(ok);
      await okLog.waitFor(() => okLog.opened || okLog.closeEvent, WAIT);
      assert.ok(okLog.opened, 'client with the right token should connect');
      assert.equal(connections, 1);
      ok.terminate();
    } finally { await closeServer(wss); }
  });

  test('async verifyClient (info, cb) can reject with a custom status', { timeout: 10000 }, async () => {
    const wss = await listen(WebSocketServer, {
      verifyClient: (info, cb) => setImmediate(() => cb(info.req.url === '/yes', 403, 'Forbidden')),
    });
    try {
      const url = `ws://127.0.0.1:${wss.address().port}`;
      const refused = await refusedClient(`${url}/no`);
      assert.equal(refused.status, 403);
      const ok = new WsClient(`${url}/yes`);
      const okLog = record(ok);
      await okLog.waitFor(() => okLog.opened || okLog.closeEvent, WAIT);
      assert.ok(okLog.opened);
      ok.terminate();
    } finally { await closeServer(wss); }
  });

  test('server option: attaches to an existing http.Server, which still serves HTTP', { timeout: 10000 }, async () => {
    const srv = await httpServer((req, res) => { res.end('plain http'); });
    const wss = new WebSocketServer({ server: srv });
    wss.on('connection', echo);
    const port = srv.address().port;
    try {
      const body = await new Promise((resolve, reject) => {
        http.get(`http://127.0.0.1:${port}/`, (res) => {
          let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      assert.equal(body, 'plain http');
      const c = new WsClient(`ws://127.0.0.1:${port}/`);
      const log = record(c);
      await log.waitFor(() => log.opened || log.closeEvent, WAIT);
      c.send('via shared server');
      await log.waitFor(() => log.messages.length >= 1 || log.closeEvent, WAIT);
      assert.equal(bytesOf(log.messages[0]?.data ?? '').toString(), 'via shared server');
      c.terminate();
    } finally {
      await closeServer(wss);
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  test('noServer + handleUpgrade: the app routes upgrades itself', { timeout: 10000 }, async () => {
    const wss = new WebSocketServer({ noServer: true });
    wss.on('connection', echo);
    const srv = await httpServer();
    srv.on('upgrade', (req, socket, head) => {
      if (req.url !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    try {
      const c = new WsClient(`ws://127.0.0.1:${srv.address().port}/ws`);
      const log = record(c);
      await log.waitFor(() => log.opened || log.closeEvent, WAIT);
      c.send(Buffer.from([1, 2, 3]));
      await log.waitFor(() => log.messages.length >= 1 || log.closeEvent, WAIT);
      assert.deepEqual([...bytesOf(log.messages[0]?.data ?? [])], [1, 2, 3]);
      assert.equal(log.messages[0].isBinary, true);
      c.terminate();
    } finally {
      await closeServer(wss);
      srv.closeAllConnections?.();
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  test('clientTracking: wss.clients holds open connections only', { timeout: 10000 }, async () => {
    const p = await openPair(WebSocketServer, WsClient);
    try {
      assert.ok(p.wss.clients instanceof Set, 'wss.clients should be a Set');
      assert.equal(p.wss.clients.size, 1);
      assert.ok(p.wss.clients.has(p.server));
      p.client.close(1000);
      await p.slog.waitFor(() => p.slog.closeEvent !== null, WAIT);
      assert.equal(p.wss.clients.size, 0);
    } finally { await p.cleanup(); }
    const untracked = await openPair(WebSocketServer, WsClient, { serverOptions: { clientTracking: false } });
    try {
      assert.equal(untracked.wss.clients, undefined);
    } finally { await untracked.cleanup(); }
  });

  test('maxPayload: a message over the limit closes the connection with 1009', { timeout: 10000 }, async () => {
    const p = await openPair(WebSocketServer, WsClient, { serverOptions: { maxPayload: 1000 }, onConnection: echo });
    try {
      p.client.send(Buffer.alloc(1000, 1));
      await p.clog.waitFor(() => p.clog.messages.length >= 1 || p.clog.closeEvent, WAIT);
      assert.equal(p.clog.messages.length, 1, 'a message of exactly maxPayload bytes is accepted');
      p.client.send(Buffer.alloc(1001, 2));
      await p.clog.waitFor(() => p.clog.closeEvent !== null, WAIT);
      assert.equal(p.clog.closeEvent?.code, 1009);
      assert.equal(p.clog.messages.length, 1);
    } finally { await p.cleanup(); }
  });

  test("wss.close() stops listening and emits 'close'", { timeout: 10000 }, async () => {
    const wss = await listen(WebSocketServer);
    const port = wss.address().port;
    const closed = onceWithin(wss, 'close', "wss 'close'", WAIT);
    wss.close();
    await closed;
    const c = new WsClient(`ws://127.0.0.1:${port}/`);
    const log = record(c);
    await log.waitFor(() => log.closeEvent !== null, WAIT);
    assert.equal(log.opened, false);
    assert.ok(log.errors.length >= 1);
  });
});
