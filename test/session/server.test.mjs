// WebSocketServer and WebSocket over real TCP on 127.0.0.1.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocketServer, WebSocket } from '../../dist/esm/index.js';

const servers = [];
after(() => servers.forEach((s) => s.close()));

async function listen(options = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  servers.push(wss);
  await once(wss, 'listening');
  return { wss, url: `ws://127.0.0.1:${wss.address().port}` };
}
async function open(url, ...args) {
  const ws = new WebSocket(url, ...args);
  ws.on('error', () => {});
  await once(ws, 'open');
  return ws;
}
/** Sends a raw HTTP request and returns the raw response text. */
function rawRequest(port, text) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('close', () => resolve(data));
    // A 101 keeps the connection open: stop once the response head is in.
    s.on('data', () => data.startsWith('HTTP/1.1 101') && data.includes('\r\n\r\n') && s.destroy());
    s.on('error', reject);
    s.setTimeout(3000, () => s.destroy());
  });
}
const upgradeText = (path = '/', extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('WebSocketServer', () => {
  test('requires exactly one of port, server, noServer', () => {
    assert.throws(() => new WebSocketServer({}), TypeError);
    assert.throws(() => new WebSocketServer({ noServer: true, port: 1 }), TypeError);
    assert.throws(() => new WebSocketServer({ noServer: true }).address(), /noServer/);
  });

  test('connection event carries the socket and the request; echo works', async () => {
    const { wss, url } = await listen();
    const seen = once(wss, 'connection');
    wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
    const c = await open(url + '/room?x=1', { headers: { 'X-Test': 'yes' } });
    const [, req] = await seen;
    assert.equal(req.url, '/room?x=1');
    assert.equal(req.headers['x-test'], 'yes');
    c.send('ping?');
    const [data, isBinary] = await once(c, 'message');
    assert.equal(data.toString(), 'ping?');
    assert.equal(isBinary, false);
    assert.equal(wss.clients.size, 1);
    c.close();
    await once(c, 'close');
  });

  test('a plain HTTP request to the port gets 426', async () => {
    const { wss } = await listen();
    const res = await rawRequest(wss.address().port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(res, /^HTTP\/1.1 426 /);
  });

  test('bad handshakes get a real HTTP error, then the socket closes', async () => {
    const { wss } = await listen();
    const port = wss.address().port;
    let res = await rawRequest(port, upgradeText('/').replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 7'));
    assert.match(res, /^HTTP\/1.1 400 /);
    assert.match(res, /Sec-WebSocket-Version: 13, 8/);
    res = await rawRequest(port, upgradeText('/').replace('dGhlIHNhbXBsZSBub25jZQ==', 'short'));
    assert.match(res, /^HTTP\/1.1 400 /);
    assert.match(res, /Sec-WebSocket-Key/);
    res = await rawRequest(port, upgradeText('/'));
    assert.match(res, /^HTTP\/1.1 101 /);
    assert.match(res, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
  });

  test('path: other paths are refused with 400', async () => {
    const { wss, url } = await listen({ path: '/ws' });
    const res = await rawRequest(wss.address().port, upgradeText('/other'));
    assert.match(res, /^HTTP\/1.1 400 /);
    const c = await open(url + '/ws?token=1');
    assert.equal(c.readyState, WebSocket.OPEN);
    c.terminate();
  });

  test('attached to an http server, two servers share it by path', async () => {
    const server = http.createServer((req, res) => res.end('plain http'));
    const a = new WebSocketServer({ server, path: '/a' });
    const b = new WebSocketServer({ server, path: '/b' });
    a.on('connection', (ws) => ws.send('from a'));
    b.on('connection', (ws) => ws.send('from b'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `ws://127.0.0.1:${server.address().port}`;
    for (const p of ['a', 'b']) {
      const c = new WebSocket(`${base}/${p}`);
      const [m] = await once(c, 'message');
      assert.equal(m.toString(), `from ${p}`);
      c.terminate();
    }
    const res = await new Promise((r) => http.get(`http://127.0.0.1:${server.address().port}/`, (x) => { let t = ''; x.on('data', (d) => (t += d)); x.on('end', () => r(t)); }));
    assert.equal(res, 'plain http');
    a.close();
    b.close();
    server.closeAllConnections();
    server.close();
  });

  test('noServer: the application routes upgrades with handleUpgrade', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/live') return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    wss.on('connection', (ws) => ws.send('live'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const c = new WebSocket(`ws://127.0.0.1:${server.address().port}/live`);
    const [m] = await once(c, 'message');
    assert.equal(m.toString(), 'live');
    c.terminate();
    await once(c, 'close');
    server.close();
  });

  test('verifyClient (sync) refuses with 401', async () => {
    const { url } = await listen({ verifyClient: (info) => info.req.headers['x-token'] === 'ok' });
    const bad = new WebSocket(url);
    const [err] = await once(bad, 'error');
    assert.match(err.message, /401/);
    const good = await open(url, { headers: { 'X-Token': 'ok' } });
    good.terminate();
  });

  test('verifyClient (async) refuses with a chosen status, message and headers', async () => {
    const { wss, url } = await listen({
      verifyClient: (info, cb) => setTimeout(() => (info.origin === 'https://good.example' ? cb(true) : cb(false, 403, 'Origin not allowed', { 'X-Reason': 'origin' })), 5),
    });
    const res = await rawRequest(wss.address().port, upgradeText('/', 'Origin: https://evil.example\r\n'));
    assert.match(res, /^HTTP\/1.1 403 /);
    assert.match(res, /X-Reason: origin/);
    assert.match(res, /Origin not allowed$/);
    const c = await open(url, { origin: 'https://good.example' });
    c.terminate();
  });

  test('subprotocols: default picks the first offered; handleProtocols chooses; false means none', async () => {
    let { url } = await listen();
    let c = await open(url, ['v2', 'v1']);
    assert.equal(c.protocol, 'v2');
    c.terminate();
    ({ url } = await listen({ handleProtocols: (set) => (set.has('v1') ? 'v1' : false) }));
    c = await open(url, ['v2', 'v1']);
    assert.equal(c.protocol, 'v1');
    c.terminate();
    // None selected: the 101 carries no subprotocol, which the client (as ws's) refuses.
    c = new WebSocket(url, ['v3']);
    const [err] = await once(c, 'error');
    assert.equal(err.message, 'Server sent no subprotocol');
  });

  test('a server choosing an unoffered protocol fails the client', async () => {
    const { wss, url } = await listen();
    wss.on('headers', (lines) => lines.push('Sec-WebSocket-Protocol: rogue'));
    const c = new WebSocket(url, 'good');
    const closed = new Promise((r) => c.on('close', (...a) => r(a)));
    const [err] = await once(c, 'error');
    assert.match(err.message, /subprotocol/);
    const [code] = await closed;
    assert.equal(code, 1006);
  });

  test('clientTracking: false leaves clients undefined (as ws); maxConnections still counts', async () => {
    const { wss, url } = await listen({ clientTracking: false, maxConnections: 1 });
    const c = await open(url);
    assert.equal(wss.clients, undefined);
    const second = new WebSocket(url);
    const [err] = await once(second, 'error');
    assert.match(err.message, /503/);
    c.terminate();
  });

  test('clients are removed when they close; close() waits for them', async () => {
    const { wss, url } = await listen();
    const c = await open(url);
    await new Promise((r) => setImmediate(r));
    assert.equal(wss.clients.size, 1);
    let closed = false;
    wss.close(() => (closed = true));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(closed, false, 'still open clients keep the server from closing');
    const refused = new WebSocket(url);
    const refusedCode = await new Promise((r) => {
      refused.on('error', () => {});
      refused.on('close', r);
    });
    assert.equal(refusedCode, 1006, 'no new connections after close()');
    for (const ws of wss.clients) ws.close(1001, 'bye');
    const [code, reason] = await once(c, 'close');
    assert.equal(code, 1001);
    assert.equal(reason.toString(), 'bye');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(wss.clients.size, 0);
    assert.equal(closed, true);
  });

  test('bytes sent right after the handshake (head) are not lost', async () => {
    const { wss } = await listen();
    const got = new Promise((r) => wss.on('connection', (ws) => ws.on('message', (d) => r(d.toString()))));
    const s = net.connect(wss.address().port, '127.0.0.1');
    // One write: the upgrade request immediately followed by a masked frame.
    const frame = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]);
    s.write(Buffer.concat([Buffer.from(upgradeText('/')), frame]));
    assert.equal(await got, 'hi');
    s.destroy();
  });

  test('a protocol violation closes with 1002 (1006 locally) and does not crash without an error listener', async () => {
    const { wss } = await listen();
    const closed = new Promise((r) => wss.on('connection', (ws) => ws.on('close', (code) => r(code))));
    const s = net.connect(wss.address().port, '127.0.0.1');
    s.write(upgradeText('/'));
    let data = Buffer.alloc(0);
    s.on('data', (d) => (data = Buffer.concat([data, d])));
    const tcpClosed = once(s, 'close');
    await once(s, 'data');
    s.write(Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f])); // unmasked
    assert.equal(await closed, 1006);
    await tcpClosed;
    const tail = data.subarray(data.indexOf('\r\n\r\n') + 4);
    assert.deepEqual([...tail], [0x88, 0x02, 0x03, 0xea]);
  });
});

describe('no listener leaks', () => {
  test('closing a WebSocketServer removes its listeners from the http server', async () => {
    const server = http.createServer();
    const before = ['upgrade', 'listening', 'error'].map((e) => server.listenerCount(e));
    for (let i = 0; i < 20; i++) {
      const wss = new WebSocketServer({ server });
      await new Promise((r) => wss.close(r));
    }
    assert.deepEqual(['upgrade', 'listening', 'error'].map((e) => server.listenerCount(e)), before);
  });

  test('a closed connection leaves no data/end/drain listeners on its socket', async () => {
    const { wss, url } = await listen();
    const sockets = [];
    wss.on('connection', (ws) => sockets.push(ws._socket));
    for (let i = 0; i < 5; i++) {
      const c = await open(url);
      c.close();
      await once(c, 'close');
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sockets.length, 5);
    for (const s of sockets) {
      assert.equal(s.destroyed, true);
      assert.equal(s.listenerCount('data') + s.listenerCount('drain') + s.listenerCount('close'), 0);
      // Node's own stream bookkeeping may stay; none of ours may.
      assert.deepEqual(s.listeners('end').filter((f) => f.name === 'socketOnEnd'), []);
    }
    assert.equal(wss.clients.size, 0);
  });
});
