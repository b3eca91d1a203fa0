// What each upgrade request gets from a WebSocketServer, as ws 8 answers it:
// the status, body and headers of every refusal, which refusals reach
// 'wsClientError', verifyClient in its two forms, 'headers', handleProtocols,
// shouldHandle overridden by a subclass, and the 'connection' arguments.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { impls, httpServer, within, pause } from './impls.mjs';
import { exchange, upgradeRequest } from './server-http.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** A port-mode server on 127.0.0.1, closed after the file. */
async function listen(WebSocketServer, options = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await within(new Promise((r) => wss.once('listening', r)), 'listening');
  cleanups.push(() => new Promise((r) => { for (const c of wss.clients ?? []) c.terminate(); wss.close(() => r()); }));
  return wss;
}

const VERSION_MESSAGE = 'Missing or invalid Sec-WebSocket-Version header';
const KEY_MESSAGE = 'Missing or invalid Sec-WebSocket-Key header';
const PROTOCOL_MESSAGE = 'Invalid Sec-WebSocket-Protocol header';

// [name, request options, status, body, headers expected]
const REFUSALS = [
  ['POST', { method: 'POST' }, 405, 'Invalid HTTP method'],
  ['Upgrade: h2c', { headers: { Upgrade: 'h2c' } }, 400, 'Invalid Upgrade header'],
  ['no Sec-WebSocket-Key', { headers: { 'Sec-WebSocket-Key': null } }, 400, KEY_MESSAGE],
  ['a key that is not 16 bytes', { headers: { 'Sec-WebSocket-Key': 'AAAA' } }, 400, KEY_MESSAGE],
  ['no Sec-WebSocket-Version', { headers: { 'Sec-WebSocket-Version': null } }, 400, VERSION_MESSAGE, { 'sec-websocket-version': '13, 8' }],
  ['Sec-WebSocket-Version: 7', { headers: { 'Sec-WebSocket-Version': '7' } }, 400, VERSION_MESSAGE, { 'sec-websocket-version': '13, 8' }],
  ['a bad key and a bad version: the key is reported', { headers: { 'Sec-WebSocket-Key': 'x', 'Sec-WebSocket-Version': '7' } }, 400, KEY_MESSAGE],
  ['a repeated subprotocol', { headers: { 'Sec-WebSocket-Protocol': 'a, a' } }, 400, PROTOCOL_MESSAGE],
  ['an empty subprotocol element', { headers: { 'Sec-WebSocket-Protocol': 'a,,b' } }, 400, PROTOCOL_MESSAGE],
  ['a trailing comma', { headers: { 'Sec-WebSocket-Protocol': 'a,' } }, 400, PROTOCOL_MESSAGE],
  ['a subprotocol that is not a token', { headers: { 'Sec-WebSocket-Protocol': 'a b' } }, 400, PROTOCOL_MESSAGE],
  ['another path', { path: '/elsewhere' }, 400, 'Bad Request'],
];

for (const { name, WebSocketServer, WebSocket } of impls) {
  describe(`WebSocketServer upgrades [${name}]`, () => {
    test('each malformed request gets ws\'s status, body and headers', async () => {
      const wss = await listen(WebSocketServer, { path: '/ws' });
      const port = wss.address().port;
      for (const [what, request, status, body, headers = {}] of REFUSALS) {
        const res = await exchange(port, upgradeRequest({ path: '/ws', ...request }));
        assert.equal(res.status, status, what);
        assert.equal(res.body, body, what);
        assert.equal(res.headers.connection, 'close', what);
        assert.equal(Number(res.headers['content-length']), Buffer.byteLength(body), what);
        for (const [h, v] of Object.entries(headers)) assert.equal(res.headers[h], v, `${what}: ${h}`);
      }
    });

    test('version 8 and a path with a query are accepted', async () => {
      const wss = await listen(WebSocketServer, { path: '/ws' });
      const res = await exchange(wss.address().port, upgradeRequest({ path: '/ws?x=1', headers: { 'Sec-WebSocket-Version': '8' } }));
      assert.equal(res.status, 101);
      assert.equal(res.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    });

    test('a plain HTTP request to the owned port gets 426', async () => {
      const wss = await listen(WebSocketServer);
      const res = await exchange(wss.address().port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      assert.equal(res.status, 426);
      assert.equal(res.body, 'Upgrade Required');
    });

    test("'wsClientError' gets (err, socket, req) for a malformed request and the socket is left to it", async () => {
      const wss = await listen(WebSocketServer);
      const seen = [];
      wss.on('wsClientError', (err, socket, req) => {
        seen.push({ err, req });
        socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
      });
      const res = await exchange(wss.address().port, upgradeRequest({ path: '/k', headers: { 'Sec-WebSocket-Key': 'x' } }));
      assert.equal(res.status, 418, 'the listener answered, not the server');
      assert.equal(seen.length, 1);
      assert.ok(seen[0].err instanceof Error);
      assert.equal(seen[0].err.message, KEY_MESSAGE);
      assert.ok(seen[0].req instanceof http.IncomingMessage);
      assert.equal(seen[0].req.url, '/k');
    });

    test("a path mismatch and verifyClient refusals are answered, never given to 'wsClientError'", async () => {
      const wss = await listen(WebSocketServer, { path: '/ws', verifyClient: (info) => info.req.url !== '/ws?deny' });
      let emitted = 0;
      wss.on('wsClientError', () => emitted++);
      const wrongPath = await exchange(wss.address().port, upgradeRequest({ path: '/other' }));
      const denied = await exchange(wss.address().port, upgradeRequest({ path: '/ws?deny' }));
      assert.equal(wrongPath.status, 400);
      assert.equal(denied.status, 401);
      assert.equal(denied.body, 'Unauthorized');
      assert.equal(emitted, 0);
    });

    test('verifyClient gets { origin, secure, req }; the origin of a version 8 request is Sec-WebSocket-Origin', async () => {
      const infos = [];
      const wss = await listen(WebSocketServer, { verifyClient: (info) => { infos.push(info); return true; } });
      const port = wss.address().port;
      assert.equal((await exchange(port, upgradeRequest({ headers: { Origin: 'http://a.example' } }))).status, 101);
      assert.equal((await exchange(port, upgradeRequest({ headers: { 'Sec-WebSocket-Version': '8', 'Sec-WebSocket-Origin': 'http://b.example', Origin: 'http://c.example' } }))).status, 101);
      assert.equal((await exchange(port, upgradeRequest())).status, 101);
      assert.deepEqual(infos.map((i) => [Object.keys(i).sort().join(), i.origin, i.secure]), [
        ['origin,req,secure', 'http://a.example', false],
        ['origin,req,secure', 'http://b.example', false],
        ['origin,req,secure', undefined, false],
      ]);
      assert.ok(infos[0].req instanceof http.IncomingMessage);
    });

    test('an asynchronous verifyClient refuses with its status, message and headers (401 by default)', async () => {
      const answers = [[false, 404, 'Nope', { 'X-Reason': 'test' }], [false], [false, 403], [false, 0, '']];
      let i = 0;
      const wss = await listen(WebSocketServer, { verifyClient: (info, cb) => setImmediate(() => cb(...answers[i++])) });
      const port = wss.address().port;
      const custom = await exchange(port, upgradeRequest());
      assert.equal(custom.status, 404);
      assert.equal(custom.body, 'Nope');
      assert.equal(custom.headers['x-reason'], 'test');
      const plain = await exchange(port, upgradeRequest());
      assert.deepEqual([plain.status, plain.body], [401, 'Unauthorized']);
      const forbidden = await exchange(port, upgradeRequest());
      assert.deepEqual([forbidden.status, forbidden.body], [403, 'Forbidden']);
      const zero = await exchange(port, upgradeRequest());
      assert.deepEqual([zero.status, zero.body], [401, 'Unauthorized']);
    });

    test('an asynchronous verifyClient that accepts gives a connection', async () => {
      const wss = await listen(WebSocketServer, { verifyClient: (info, cb) => setImmediate(() => cb(true)) });
      const connected = new Promise((r) => wss.once('connection', r));
      const res = await exchange(wss.address().port, upgradeRequest());
      assert.equal(res.status, 101);
      await within(connected, 'connection');
    });

    test('a verifyClient that throws: the exception leaves handleUpgrade', async () => {
      const boom = new Error('verify failed');
      const wss = new WebSocketServer({ noServer: true, verifyClient: () => { throw boom; } });
      const thrown = [];
      const srv = await httpServer(null, (req, socket, head) => {
        try {
          wss.handleUpgrade(req, socket, head, () => thrown.push('connected'));
        } catch (err) {
          thrown.push(err);
          socket.destroy();
        }
      });
      cleanups.push(srv.close);
      await exchange(srv.port, upgradeRequest());
      assert.deepEqual(thrown, [boom]);
    });

    test("'headers' gets the mutable 101 lines and the request; what it adds is sent", async () => {
      const wss = await listen(WebSocketServer);
      const seen = [];
      wss.on('headers', (lines, req) => {
        seen.push([...lines]);
        assert.ok(req instanceof http.IncomingMessage);
        lines.push('X-Added: yes');
      });
      const res = await exchange(wss.address().port, upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'chat' } }));
      assert.equal(res.status, 101);
      assert.equal(res.headers['x-added'], 'yes');
      assert.deepEqual(seen, [[
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
        'Sec-WebSocket-Protocol: chat',
      ]]);
    });

    test('handleProtocols gets a Set of the offers in order; false selects none; default is the first', async () => {
      const calls = [];
      const picks = ['b', false];
      let i = 0;
      const wss = await listen(WebSocketServer, {
        handleProtocols: (protocols, req) => {
          calls.push([protocols instanceof Set, [...protocols], req instanceof http.IncomingMessage]);
          return picks[i++];
        },
      });
      const protocols = [];
      wss.on('connection', (ws) => protocols.push(ws.protocol));
      const port = wss.address().port;
      const picked = await exchange(port, upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'a, b' } }));
      const none = await exchange(port, upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'a' } }));
      const notOffered = await exchange(port, upgradeRequest());
      assert.equal(picked.headers['sec-websocket-protocol'], 'b');
      assert.equal(none.status, 101);
      assert.equal(none.headers['sec-websocket-protocol'], undefined);
      assert.equal(notOffered.status, 101);
      assert.deepEqual(calls, [[true, ['a', 'b'], true], [true, ['a'], true]], 'not called without an offer');
      assert.deepEqual(protocols.slice(0, 3), ['b', '', '']);

      const plain = await listen(WebSocketServer);
      const first = await exchange(plain.address().port, upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'x, y' } }));
      assert.equal(first.headers['sec-websocket-protocol'], 'x');
    });

    test('a subclass overriding shouldHandle decides which requests are taken', async () => {
      class OnlyOk extends WebSocketServer {
        shouldHandle(req) {
          return req.url === '/ok';
        }
      }
      const wss = await listen(OnlyOk, { path: '/ignored' });
      const ok = await exchange(wss.address().port, upgradeRequest({ path: '/ok' }));
      const no = await exchange(wss.address().port, upgradeRequest({ path: '/ignored' }));
      assert.equal(ok.status, 101);
      assert.equal(no.status, 400);
    });

    test("'connection' gets (ws, req); the server-side WebSocket's defaults", async () => {
      const wss = await listen(WebSocketServer);
      const connected = new Promise((r) => wss.once('connection', (...args) => r(args)));
      const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}/p?q=1`);
      client.on('error', () => {});
      const args = await within(connected, 'connection');
      assert.equal(args.length, 2);
      const [ws, req] = args;
      assert.ok(ws instanceof WebSocket);
      assert.ok(req instanceof http.IncomingMessage);
      assert.equal(req.url, '/p?q=1');
      assert.deepEqual(
        [ws.readyState, ws.protocol, ws.extensions, ws.isPaused, ws.binaryType, ws.bufferedAmount],
        [WebSocket.OPEN, '', '', false, 'nodebuffer', 0],
      );
      client.terminate();
    });

    test('clients holds a connection while it is open and not in its close listeners; clientTracking false: no clients', async () => {
      const wss = await listen(WebSocketServer);
      const states = [];
      const closed = new Promise((resolve) => {
        wss.once('connection', (ws) => {
          states.push(wss.clients.has(ws), wss.clients.size);
          ws.on('close', () => { states.push(wss.clients.has(ws), wss.clients.size); resolve(); });
        });
      });
      const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
      client.on('open', () => client.close());
      await within(closed, 'server-side close');
      assert.deepEqual(states, [true, 1, false, 0]);

      const untracked = await listen(WebSocketServer, { clientTracking: false });
      assert.equal(untracked.clients, undefined);
      assert.equal('clients' in untracked, false);
      const connected = new Promise((r) => untracked.once('connection', r));
      const c2 = new WebSocket(`ws://127.0.0.1:${untracked.address().port}`);
      await within(Promise.all([connected, new Promise((r) => c2.once('open', r))]), 'connection');
      assert.equal(untracked.clients, undefined);
      c2.terminate();
      await pause(10);
    });
  });
}
