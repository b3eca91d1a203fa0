// A failed opening handshake ends as in ws: exactly one 'error' (seen with
// readyState CLOSING), then 'close' 1006 (readyState CLOSED); close() or
// terminate() inside the 'error' listener adds nothing; 'unexpected-response'
// hands the response to the application, and closing from it releases the
// request's socket.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { impls, record, types, httpServer, pause, within } from './impls.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups) await c(); });

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** A TCP server that answers every connection with `bytes` (after reading the request head). */
async function rawServer(answer) {
  const server = net.createServer((socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) socket.write(answer(head));
    });
  });
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); });
  cleanups.push(close);
  return { port: server.address().port, close };
}

const unauthorized = async () => {
  const srv = await httpServer((req, res) => { res.writeHead(401, { 'Content-Type': 'text/plain' }); res.end('no'); });
  cleanups.push(srv.close);
  return srv;
};

function assertFailedOnce(log, message) {
  assert.deepEqual(types(log).filter((t) => t === 'error' || t === 'close'), ['error', 'close']);
  const err = log.events.find((e) => e.type === 'error');
  assert.equal(err.readyState, 2, "readyState is CLOSING when 'error' is emitted");
  if (message instanceof RegExp) assert.match(err.message, message);
  else if (message !== undefined) assert.equal(err.message, message);
  assert.equal(log.close.code, 1006);
  assert.equal(log.close.readyState, 3, "readyState is CLOSED at 'close'");
}

for (const { name, WebSocket, WebSocketServer } of impls) {
  describe(`failed handshake [${name}]`, () => {
    test('connection refused: one error (CLOSING), then close 1006 (CLOSED)', async () => {
      const port = await freePort();
      const log = record(new WebSocket(`ws://127.0.0.1:${port}/`));
      await log.done();
      assertFailedOnce(log);
      assert.equal(log.errors[0].code, 'ECONNREFUSED');
    });

    test('a 401 answer: "Unexpected server response: 401", then close 1006', async () => {
      const srv = await unauthorized();
      const log = record(new WebSocket(`ws://127.0.0.1:${srv.port}/`));
      await log.done();
      assertFailedOnce(log, 'Unexpected server response: 401');
    });

    test('a garbage response: one error, then close 1006', async () => {
      const srv = await rawServer(() => 'garbage, not HTTP\r\n\r\n');
      const log = record(new WebSocket(`ws://127.0.0.1:${srv.port}/`));
      await log.done();
      assertFailedOnce(log);
    });

    test('a bad Sec-WebSocket-Accept: upgrade, one error, then close 1006', async () => {
      const srv = await rawServer(() => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n');
      const log = record(new WebSocket(`ws://127.0.0.1:${srv.port}/`));
      await log.done();
      assert.deepEqual(types(log), ['upgrade', 'error', 'close']);
      assertFailedOnce(log, 'Invalid Sec-WebSocket-Accept header');
    });

    test('a 101 without "Upgrade: websocket": "Invalid Upgrade header"', async () => {
      const srv = await rawServer(() => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: something\r\nConnection: Upgrade\r\n\r\n');
      const log = record(new WebSocket(`ws://127.0.0.1:${srv.port}/`));
      await log.done();
      assertFailedOnce(log, 'Invalid Upgrade header');
    });

    for (const method of ['terminate', 'close']) {
      test(`${method}() and a reconnect inside the error listener: one error, one reconnect`, async () => {
        const port = await freePort();
        let errors = 0;
        let closes = 0;
        let reconnects = 0;
        const closed = new Promise((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
          ws.on('error', () => {
            errors++;
            ws[method]();
            ws[method]();
            reconnects++;
          });
          ws.on('close', (code) => { closes++; resolve(code); });
        });
        assert.equal(await within(closed, 'close'), 1006);
        await pause(50);
        assert.equal(errors, 1);
        assert.equal(closes, 1);
        assert.equal(reconnects, 1);
      });
    }

    test('terminate() inside the error listener of a 401: one error, one close', async () => {
      const srv = await unauthorized();
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
      const log = record(ws);
      ws.on('error', () => ws.terminate());
      await log.done();
      await pause(50);
      assertFailedOnce(log, 'Unexpected server response: 401');
    });

    test('a handshakeTimeout: "Opening handshake has timed out", then close 1006', async () => {
      const srv = await rawServer(() => '');
      const log = record(new WebSocket(`ws://127.0.0.1:${srv.port}/`, { handshakeTimeout: 100 }));
      await log.done();
      assertFailedOnce(log, 'Opening handshake has timed out');
    });

    test('close() while connecting: error "WebSocket was closed before the connection was established", then 1006', async () => {
      const srv = await rawServer(() => '');
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
      const log = record(ws);
      ws.close();
      assert.equal(ws.readyState, 2);
      await log.done();
      assertFailedOnce(log, 'WebSocket was closed before the connection was established');
    });
  });

  describe(`closing from 'upgrade', sending after a failure [${name}]`, () => {
    test("close() in the 'upgrade' listener: no 'open'; one error, then close 1006", async () => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await new Promise((r) => wss.on('listening', r));
      cleanups.push(() => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }));
      const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
      const log = record(ws);
      ws.on('upgrade', () => ws.close());
      await log.done();
      assert.deepEqual(types(log), ['upgrade', 'error', 'close']);
      assertFailedOnce(log, 'WebSocket was closed before the connection was established');
    });

    test('send() after a failed handshake reports "WebSocket is not open" to its callback', async () => {
      const port = await freePort();
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      const log = record(ws);
      await log.done();
      const err = await within(new Promise((resolve) => ws.send('x', resolve)), 'the send callback');
      assert.equal(err.message, 'WebSocket is not open: readyState 3 (CLOSED)');
    });
  });

  describe(`unexpected-response [${name}]`, () => {
    test('with a listener: no error until the application closes; closing gives one error and close 1006', async () => {
      const srv = await unauthorized();
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
      const log = record(ws);
      const responses = [];
      ws.on('unexpected-response', () => responses.push('unexpected-response'));
      const [req, res] = await within(new Promise((resolve) => ws.on('unexpected-response', (...a) => resolve(a))), 'unexpected-response');
      assert.equal(typeof req.setHeader, 'function', 'the first argument is the http.ClientRequest');
      assert.equal(res.statusCode, 401);
      await pause(50);
      assert.deepEqual(responses, ['unexpected-response']);
      assert.deepEqual(types(log), []);
      assert.equal(ws.readyState, 0, 'still CONNECTING while the application holds the response');
      ws.close();
      await log.done();
      assertFailedOnce(log, 'WebSocket was closed before the connection was established');
    });

    for (const method of ['close', 'terminate']) {
      test(`${method}() in the listener releases the socket: the server's close() completes`, async () => {
        // The 401's body never ends, so the server's connection stays busy
        // until the client lets go of it.
        const srv = await httpServer((req, res) => {
          res.writeHead(401, { 'Content-Type': 'text/plain', Connection: 'keep-alive' });
          res.write('partial');
        });
        const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
        const log = record(ws);
        ws.on('unexpected-response', () => ws[method]());
        await log.done();
        await within(new Promise((resolve) => srv.server.close(resolve)), "the http server's close callback");
        assertFailedOnce(log, 'WebSocket was closed before the connection was established');
      });
    }
  });
}
