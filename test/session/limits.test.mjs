// Limits of the session layer: backpressure policy, heartbeat, idle timeout,
// connection cap, origin allow-list, handshake time and size.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocketServer, WebSocket, prepareFrame } from '../../dist/esm/index.js';
import { within } from '../helpers/wait.mjs';

const closers = [];
after(() => closers.forEach((f) => f()));
async function listen(options) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  closers.push(() => { for (const c of wss.clients) c.terminate(); wss.close(); });
  await once(wss, 'listening');
  return { wss, port: wss.address().port, url: `ws://127.0.0.1:${wss.address().port}` };
}
const upgrade = (extra = '') =>
  `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
/** A raw peer: sends `text`, collects everything, resolves when the server closes. */
function rawPeer(port, text, { stopReading = false } = {}) {
  const s = net.connect(port, '127.0.0.1');
  const peer = { socket: s, data: Buffer.alloc(0) };
  s.on('error', () => {});
  s.on('connect', () => {
    s.write(text);
  });
  if (!stopReading) s.on('data', (d) => (peer.data = Buffer.concat([peer.data, d])));
  else s.once('data', () => s.pause());
  peer.closed = once(s, 'close');
  return peer;
}

describe('backpressure', () => {
  test("'drop': a peer that stops reading gets its messages dropped, counted and reported; memory stays bounded", async () => {
    const limit = 256 * 1024;
    const { wss, port } = await listen({ backpressure: { limit, policy: 'drop' } });
    const reports = [];
    wss.on('backpressure', (ws, action, bytes) => reports.push([action, bytes]));
    const connected = once(wss, 'connection');
    rawPeer(port, upgrade(), { stopReading: true });
    const [ws] = await connected;
    const frame = prepareFrame(Buffer.alloc(64 * 1024), true);
    let written = 0;
    let refused = 0;
    let maxQueued = 0;
    // Bounded: 1,000 rounds of 64 KiB, one per iteration, so each is offered
    // to the kernel before the next (the bound is on what the peer does not
    // take; a burst within one iteration is the next test's subject).
    for (let i = 0; i < 1000 && refused < 20; i++) {
      if (ws.sendPrepared(frame)) written++;
      else refused++;
      maxQueued = Math.max(maxQueued, ws.bufferedAmount);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(refused, 20, 'sends were refused once the peer stopped reading');
    assert.ok(written > 0);
    assert.ok(maxQueued <= limit + frame.length, `queued ${maxQueued} bytes, bound ${limit + frame.length}`);
    assert.equal(ws.droppedMessages, 20);
    assert.equal(wss.stats.dropped, 20);
    assert.equal(reports.length, 20);
    assert.equal(reports[0][0], 'drop');
    assert.equal(ws.readyState, WebSocket.OPEN, 'the connection itself stays open');
    const err = await new Promise((r) => ws.send('x', r));
    assert.match(err.message, /backpressure/);
  });

  test("'close': the connection is closed with 1013 once over the limit", async () => {
    const { wss, url } = await listen({ backpressure: { limit: 128 * 1024, policy: 'close' } });
    const connected = once(wss, 'connection');
    const client = new WebSocket(url);
    await once(client, 'open');
    const [ws] = await connected;
    client.pause();
    const frame = prepareFrame(Buffer.alloc(64 * 1024), true);
    let i = 0;
    for (; i < 1000 && ws.readyState === WebSocket.OPEN; i++) {
      ws.sendPrepared(frame);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(ws.readyState, WebSocket.CLOSING);
    assert.equal(wss.stats.closedForBackpressure, 1);
    const closed = new Promise((r) => client.on('close', (code, reason) => r([code, reason.toString()])));
    client.resume();
    assert.deepEqual(await closed, [1013, 'Backpressure limit exceeded']);
  });
});

describe('backpressure: bursts and the hard cap', () => {
  test('20 x 64 KiB sent in one iteration to a reader that keeps up: all delivered, no close (bound 1 MiB)', async () => {
    const { wss, url } = await listen({ backpressure: { limit: 1024 * 1024, policy: 'close' } });
    const connected = once(wss, 'connection');
    const client = new WebSocket(url);
    const received = [];
    client.on('message', (m) => received.push(m.readUInt32BE(0)));
    await once(client, 'open');
    const [ws] = await connected;
    for (let seq = 0; seq < 20; seq++) {
      const data = Buffer.alloc(64 * 1024);
      data.writeUInt32BE(seq, 0);
      ws.send(data);
    }
    for (let i = 0; i < 500 && received.length < 20; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => i));
    assert.equal(wss.stats.closedForBackpressure, 0);
    assert.equal(ws.readyState, WebSocket.OPEN);
    client.terminate();
  });

  test('within one iteration, everything queued is capped at 8 x the limit', async () => {
    const limit = 64 * 1024;
    const { wss, port } = await listen({ backpressure: { limit, policy: 'drop' } });
    const connected = once(wss, 'connection');
    rawPeer(port, upgrade(), { stopReading: true });
    const [ws] = await connected;
    const frame = prepareFrame(Buffer.alloc(16 * 1024), true);
    let written = 0;
    for (let i = 0; i < 10000; i++) if (ws.sendPrepared(frame)) written++;
    assert.ok(written < 10000 && ws.droppedMessages === 10000 - written, `${written} written`);
    assert.ok(ws.bufferedAmount <= 8 * limit + frame.length, `queued ${ws.bufferedAmount}`);
    assert.ok(ws.bufferedAmount > 4 * limit, 'a burst is not held to the limit itself');
  });
});

describe('liveness', () => {
  test('heartbeat terminates a peer that stopped answering, keeps a live one', async () => {
    const { wss, port, url } = await listen({ heartbeatInterval: 80 });
    const live = new WebSocket(url);
    await once(live, 'open');
    let liveClosed = false;
    live.on('close', () => (liveClosed = true));
    // A vanished peer: handshake done, then silence (no pongs, no FIN).
    const reaped = once(wss, 'heartbeatTimeout');
    const deadConnected = once(wss, 'connection');
    rawPeer(port, upgrade(), { stopReading: true });
    const [deadWs] = await deadConnected;
    const [ws] = await reaped;
    assert.equal(ws, deadWs, 'the silent peer is the one reaped');
    await new Promise((r) => (ws.readyState === WebSocket.CLOSED ? r() : ws.on('close', r)));
    assert.equal(wss.stats.heartbeatTimeouts, 1);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(liveClosed, false, 'the peer that answers pings stays');
    assert.equal(wss.clients.size, 1);
    live.terminate();
  });

  test('idleTimeout closes connections without messages with 1001', async () => {
    const { wss, url } = await listen({ idleTimeout: 80 });
    const idle = new WebSocket(url);
    const busy = new WebSocket(url);
    await Promise.all([once(idle, 'open'), once(busy, 'open')]);
    const timer = setInterval(() => busy.send('still here'), 20);
    const [code, reason] = await new Promise((r) => idle.on('close', (c, why) => r([c, why.toString()])));
    assert.equal(code, 1001);
    assert.equal(reason, 'Idle timeout');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(busy.readyState, WebSocket.OPEN);
    clearInterval(timer);
    assert.equal(wss.stats.idleTimeouts, 1);
    busy.terminate();
  });

  test('heartbeat and idle timeout sweep in one pass: a peer both dead and idle is counted once', async () => {
    // Equal periods: both policies find the silent peer in the same round.
    const { wss, port } = await listen({ heartbeatInterval: 40, idleTimeout: 40 });
    const connected = once(wss, 'connection');
    rawPeer(port, upgrade(), { stopReading: true });
    const [ws] = await connected;
    await new Promise((r) => ws.on('close', r));
    await new Promise((r) => setTimeout(r, 200)); // more rounds: none counts it again
    assert.equal(wss.stats.heartbeatTimeouts + wss.stats.idleTimeouts, 1);
  });

  test('liveness options need clientTracking', () => {
    assert.throws(() => new WebSocketServer({ noServer: true, clientTracking: false, heartbeatInterval: 10 }), TypeError);
  });
});

describe('admission', () => {
  test('maxConnections: further upgrades get 503 with Retry-After', async () => {
    const { wss, port, url } = await listen({ maxConnections: 2 });
    const a = new WebSocket(url);
    const b = new WebSocket(url);
    await Promise.all([once(a, 'open'), once(b, 'open')]);
    const third = rawPeer(port, upgrade());
    await third.closed;
    assert.match(third.data.toString(), /^HTTP\/1.1 503 /);
    assert.match(third.data.toString(), /Retry-After: 5/);
    assert.equal(wss.stats.refusedOverCapacity, 1);
    a.close();
    await once(a, 'close');
    const c = new WebSocket(url);
    await once(c, 'open');
    b.terminate();
    c.terminate();
  });

  test('allowedOrigins: unlisted browser origins get 403; listed and absent pass', async () => {
    const { port, url } = await listen({ allowedOrigins: ['https://app.example'] });
    const evil = rawPeer(port, upgrade('Origin: https://evil.example\r\n'));
    await evil.closed;
    assert.match(evil.data.toString(), /^HTTP\/1.1 403 /);
    const good = new WebSocket(url, { origin: 'https://app.example' });
    await once(good, 'open');
    const cli = new WebSocket(url);
    await once(cli, 'open');
    good.terminate();
    cli.terminate();
  });

  test("allowedOrigins and maxConnections refusals are answered, not handed to 'wsClientError' (policy, not a malformed request)", async () => {
    const { wss, port } = await listen({ allowedOrigins: ['https://app.example'] });
    let emitted = 0;
    wss.on('wsClientError', () => emitted++);
    const evil = rawPeer(port, upgrade('Origin: https://evil.example\r\n'));
    await within(evil.closed, 'the refused socket closing');
    assert.match(evil.data.toString(), /^HTTP\/1.1 403 /);
    assert.equal(emitted, 0);
  });

  test('a closing server answers upgrades 503 with Retry-After, as the application server does', async () => {
    const wss = new WebSocketServer({ noServer: true });
    wss.close();
    const server = net.createServer((socket) => {
      socket.once('data', () => wss.handleUpgrade({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, url: '/', socket,
        headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } },
      socket, Buffer.alloc(0), () => assert.fail('no connection while closing')));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const peer = rawPeer(server.address().port, upgrade());
    await peer.closed;
    assert.match(peer.data.toString(), /^HTTP\/1.1 503 Service Unavailable\r\n/);
    assert.match(peer.data.toString(), /\r\nRetry-After: 5\r\n/);
  });

  test('a plain HTTP request to the owned port gets 426 naming the protocol in Upgrade (RFC 9110 §15.5.22)', async () => {
    const { port } = await listen({});
    const peer = rawPeer(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await peer.closed;
    assert.match(peer.data.toString(), /^HTTP\/1.1 426 /);
    assert.match(peer.data.toString(), /\r\nupgrade: websocket\r\n/i);
  });

  test('a half-sent upgrade request is dropped after handshakeTimeout', async () => {
    const { port } = await listen({ handshakeTimeout: 200 });
    const slow = rawPeer(port, 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
    await slow.closed;
    assert.match(slow.data.toString(), /^HTTP\/1.1 408 |^$/);
  });

  test('an oversized request head gets 431', async () => {
    const { port } = await listen({ maxHeaderSize: 4096 });
    const big = rawPeer(port, upgrade(`X-Big: ${'a'.repeat(8000)}\r\n`));
    await big.closed;
    assert.match(big.data.toString(), /^HTTP\/1.1 431 /);
  });
});
