// The WebSocket class as a client and its per-connection API, over TCP.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocketServer, WebSocket, MessageEvent, CloseEvent } from '../../dist/esm/index.js';

const closers = [];
after(() => closers.forEach((f) => f()));
async function echoServer(options = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  closers.push(() => { for (const c of wss.clients) c.terminate(); wss.close(); });
  wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
  await once(wss, 'listening');
  return { wss, url: `ws://127.0.0.1:${wss.address().port}` };
}
/** A TCP server that runs `onSocket` for each connection (for misbehaving peers). */
async function rawServer(onSocket) {
  const server = net.createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.close());
  return `ws://127.0.0.1:${server.address().port}`;
}
const events = (ws, name) => new Promise((r) => ws.on(name, (...a) => r(a)));

describe('WebSocket client', () => {
  test('constants and initial state', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url);
    assert.equal(WebSocket.OPEN, 1);
    assert.equal(ws.CLOSED, 3);
    assert.equal(ws.readyState, WebSocket.CONNECTING);
    assert.equal(ws.url, url + '/');
    assert.throws(() => ws.send('too early'), /CONNECTING/);
    await once(ws, 'open');
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.terminate();
  });

  test('invalid URLs throw SyntaxError', () => {
    assert.throws(() => new WebSocket('not a url'), SyntaxError);
    assert.throws(() => new WebSocket('ftp://127.0.0.1/'), SyntaxError);
    assert.throws(() => new WebSocket('ws://127.0.0.1/#frag'), SyntaxError);
  });

  test('http:// URLs are accepted as ws://', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url.replace('ws:', 'http:'));
    await once(ws, 'open');
    ws.terminate();
  });

  test('send callback, bufferedAmount, binary detection', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url);
    await once(ws, 'open');
    const sent = await new Promise((r) => ws.send('x', (err) => r(err ?? 'ok')));
    assert.equal(sent, 'ok');
    assert.deepEqual((await once(ws, 'message')).map(String), ['x', 'false']);
    ws.send(new Uint8Array([1, 2]));
    const [data, isBinary] = await once(ws, 'message');
    assert.deepEqual([...data], [1, 2]);
    assert.equal(isBinary, true);
    assert.equal(typeof ws.bufferedAmount, 'number');
    ws.terminate();
  });

  test('a large write reports bufferedAmount and emits drain', async () => {
    const { wss, url } = await echoServer();
    wss.removeAllListeners('connection');
    const ws = new WebSocket(url);
    await once(ws, 'open');
    ws.send(Buffer.alloc(32 * 1024 * 1024));
    assert.ok(ws.bufferedAmount > 0, 'bytes are queued');
    await once(ws, 'drain');
    assert.equal(ws.bufferedAmount, 0);
    ws.terminate();
  });

  test('ping/pong events and payloads; oversize ping throws', async () => {
    const { wss, url } = await echoServer();
    const serverSide = once(wss, 'connection');
    const ws = new WebSocket(url);
    await once(ws, 'open');
    const [peer] = await serverSide;
    const gotPing = events(peer, 'ping');
    ws.ping('hello');
    const [pong] = await once(ws, 'pong');
    assert.equal(pong.toString(), 'hello', 'server answered automatically');
    assert.equal((await gotPing)[0].toString(), 'hello');
    peer.ping();
    const [ping] = await once(ws, 'ping');
    assert.equal(ping.length, 0);
    assert.throws(() => ws.ping(Buffer.alloc(126)), RangeError);
    ws.terminate();
  });

  test('close with code and reason; invalid codes throw; sending after close reports an error', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url);
    await once(ws, 'open');
    assert.throws(() => ws.close(1005), TypeError);
    assert.throws(() => ws.close(1000, 'x'.repeat(124)), RangeError);
    const closed = events(ws, 'close');
    ws.close(4321, 'done');
    assert.equal(ws.readyState, WebSocket.CLOSING);
    const err = await new Promise((r) => ws.send('late', (e) => r(e)));
    assert.match(err.message, /not open/);
    const [code, reason] = await closed;
    assert.equal(code, 4321);
    assert.equal(reason.toString(), 'done');
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  test('terminate reports 1006', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url);
    await once(ws, 'open');
    const closed = events(ws, 'close');
    ws.terminate();
    assert.equal((await closed)[0], 1006);
  });

  test('close() while connecting aborts with an error and 1006', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url);
    const err = events(ws, 'error');
    const closed = events(ws, 'close');
    ws.close();
    assert.match((await err)[0].message, /closed before the connection was established/);
    assert.equal((await closed)[0], 1006);
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  test('the close handshake times out when the peer never answers', async () => {
    const url = await rawServer((s) => {
      s.once('data', (d) => {
        const key = /Sec-WebSocket-Key: (.+)\r\n/i.exec(d.toString())[1];
        import('../../dist/esm/handshake/index.js').then(({ computeAccept }) => {
          s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAccept(key)}\r\n\r\n`);
        });
      });
      s.on('error', () => {});
    });
    const ws = new WebSocket(url, { closeTimeout: 100 });
    await once(ws, 'open');
    const closed = events(ws, 'close');
    ws.close(1000);
    const [code] = await closed;
    assert.equal(code, 1006, 'no close frame came back');
  });

  test('handshakeTimeout fails a server that never answers', async () => {
    const url = await rawServer((s) => s.on('error', () => {}));
    const ws = new WebSocket(url, { handshakeTimeout: 100 });
    const closed = events(ws, 'close');
    const [err] = await events(ws, 'error');
    assert.match(err.message, /handshake has timed out/);
    assert.equal((await closed)[0], 1006);
  });

  test('a non-101 response is an error, or an unexpected-response event when listened to', async () => {
    const { url } = await echoServer({ verifyClient: () => false });
    const a = new WebSocket(url);
    assert.match((await events(a, 'error'))[0].message, /Unexpected server response: 401/);
    const b = new WebSocket(url);
    const [req, res] = await events(b, 'unexpected-response');
    assert.equal(res.statusCode, 401);
    req.destroy();
  });

  test('connection refused is an error event, then close 1006', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = server.address().port;
    server.close();
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const closed = events(ws, 'close');
    assert.equal((await events(ws, 'error'))[0].code, 'ECONNREFUSED');
    assert.equal((await closed)[0], 1006);
  });

  test('no error listener: a failing connection does not crash the process', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1');
    const [code] = await events(ws, 'close');
    assert.equal(code, 1006);
  });

  test('a masked frame from the server fails the connection (1002 on the wire, 1006 locally)', async () => {
    const url = await rawServer((s) => {
      s.once('data', async (d) => {
        const key = /Sec-WebSocket-Key: (.+)\r\n/i.exec(d.toString())[1];
        const { computeAccept } = await import('../../dist/esm/handshake/index.js');
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAccept(key)}\r\n\r\n`);
        s.write(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x60]));
      });
      s.on('error', () => {});
    });
    const ws = new WebSocket(url);
    const closed = events(ws, 'close');
    const [err] = await events(ws, 'error');
    assert.equal(err.code, 'WS_ERR_UNEXPECTED_MASK');
    // The close handshake was not completed: 'close' reports 1006, as ws does.
    assert.equal((await closed)[0], 1006);
  });
});

describe('browser-style API', () => {
  test('addEventListener, on* properties, event objects, once, removal', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url);
    const seen = [];
    ws.onopen = (ev) => seen.push(['open', ev.type, ev.target === ws]);
    const listener = (ev) => seen.push(['message', ev.data]);
    ws.addEventListener('message', listener);
    ws.addEventListener('message', listener); // no duplicates
    ws.addEventListener('message', { handleEvent: (ev) => seen.push(['handleEvent', ev instanceof MessageEvent]) }, { once: true });
    await once(ws, 'open');
    ws.send('one');
    await once(ws, 'message');
    ws.send('two');
    await once(ws, 'message');
    ws.removeEventListener('message', listener);
    ws.binaryType = 'arraybuffer';
    let binary;
    ws.onmessage = (ev) => (binary = ev.data);
    assert.equal(typeof ws.onmessage, 'function');
    ws.send(Buffer.from([9, 8]));
    await once(ws, 'message');
    assert.ok(binary instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(binary)], [9, 8]);
    const closed = new Promise((r) => (ws.onclose = r));
    ws.close(1000, 'bye');
    const ev = await closed;
    assert.ok(ev instanceof CloseEvent);
    assert.equal(ev.code, 1000);
    assert.equal(ev.reason, 'bye');
    assert.equal(ev.wasClean, true);
    assert.deepEqual(seen, [['open', 'open', true], ['message', 'one'], ['handleEvent', true], ['message', 'two']]);
  });

  test('onerror receives an ErrorEvent', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1');
    const ev = await new Promise((r) => (ws.onerror = r));
    assert.equal(ev.type, 'error');
    assert.ok(ev.error instanceof Error);
    assert.ok(ev.message.length > 0);
  });

  test('binaryType fragments and blob', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url);
    await once(ws, 'open');
    ws.binaryType = 'fragments';
    ws.send(Buffer.from([1]));
    const [frags] = await once(ws, 'message');
    assert.ok(Array.isArray(frags));
    ws.binaryType = 'blob';
    ws.send(Buffer.from([2, 3]));
    const [blob] = await once(ws, 'message');
    assert.ok(blob instanceof Blob);
    assert.deepEqual([...new Uint8Array(await blob.arrayBuffer())], [2, 3]);
    ws.binaryType = 'nonsense';
    assert.equal(ws.binaryType, 'blob');
    ws.terminate();
  });
});

describe('listener failures', () => {
  test('a throwing message listener fails the connection with 1011 and reaches the error listener', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    closers.push(() => wss.close());
    await once(wss, 'listening');
    const errors = [];
    wss.on('connection', (ws) => {
      ws.on('error', (e) => errors.push(e.message));
      ws.on('message', () => {
        throw new Error('handler bug');
      });
    });
    const c = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    await once(c, 'open');
    const closed = events(c, 'close');
    c.send('boom');
    const [code] = await closed;
    assert.equal(code, 1011);
    assert.deepEqual(errors, ['handler bug']);
  });
});
