// Memory held for a message that arrives as many tiny fragments and is never
// finished: bounded by the bytes received, not by the number of fragments
// (each fragment once cost a Buffer object, about 100 bytes of heap, or kept
// a whole socket chunk alive). Measured over real TCP for both roles: a
// server reading a client, a client reading a server. Memory is the heap plus
// Buffers' memory after full collections (see retainedBytes).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocketServer, WebSocket } from '../../dist/esm/index.js';
import { connectRaw } from '../helpers/raw-client.mjs';
import { startFakeServer } from '../helpers/fake-server.mjs';
import { retainedBytes } from '../reliability/helpers.mjs';

const cleanups = [];
after(() => cleanups.forEach((f) => f()));

const FRAGMENTS = 400_000;
const MiB = 1024 * 1024;

/**
 * FRAGMENTS frames of a binary message, one payload byte each, none final.
 * Masked frames (client to server) use the all-zero key, which is allowed.
 */
function oneByteFragments(masked) {
  const size = masked ? 7 : 3;
  const out = Buffer.alloc(FRAGMENTS * size);
  for (let i = 0, pos = 0; i < FRAGMENTS; i++, pos += size) {
    out[pos] = i === 0 ? 0x02 : 0x00; // FIN clear: binary, then continuations
    out[pos + 1] = masked ? 0x81 : 0x01;
    out[pos + size - 1] = 0x61;
  }
  return out;
}

/** Waits (bounded) until `socket` has read `bytes` more than `from`. */
async function readAll(socket, from, bytes) {
  for (let i = 0; i < 1000 && socket.bytesRead - from < bytes; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(socket.bytesRead - from, bytes, 'every byte was read');
  await new Promise((r) => setImmediate(r));
}

test('server: a message sent as 400,000 one-byte fragments, never finished, holds memory near its size', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 16 * MiB });
  await once(wss, 'listening');
  cleanups.push(() => { for (const c of wss.clients) c.terminate(); wss.close(); });
  const connected = once(wss, 'connection');
  const peer = await connectRaw(wss.address().port);
  const [ws] = await connected;
  const messages = [];
  ws.on('message', (m) => messages.push(m));
  const data = oneByteFragments(true);
  const baseline = await retainedBytes();
  const from = ws._socket.bytesRead;
  peer.socket.write(data);
  await readAll(ws._socket, from, data.length);
  const retained = (await retainedBytes()) - baseline;
  assert.equal(messages.length, 0);
  assert.equal(ws.readyState, WebSocket.OPEN);
  // 2.8 MB were sent, 400 KB of them payload. One Buffer per fragment held over 40 MB.
  assert.ok(retained < data.length / 2, `retained ${retained} bytes for ${data.length} bytes sent`);
  peer.destroy();
  ws.terminate();
  wss.close();
});

test('client: a server sending 400,000 one-byte fragments, never finished, holds client memory near its size', async () => {
  const data = oneByteFragments(false);
  let serverSocket = null;
  const fake = await startFakeServer((p) => {
    p.accept();
    serverSocket = p.socket;
  });
  cleanups.push(() => fake.close());
  const ws = new WebSocket(fake.url, { maxPayload: 16 * MiB });
  cleanups.push(() => ws.terminate());
  await once(ws, 'open');
  const messages = [];
  ws.on('message', (m) => messages.push(m));
  const baseline = await retainedBytes();
  const from = ws._socket.bytesRead;
  serverSocket.write(data);
  await readAll(ws._socket, from, data.length);
  const retained = (await retainedBytes()) - baseline;
  assert.equal(messages.length, 0);
  assert.equal(ws.readyState, WebSocket.OPEN);
  assert.ok(retained < data.length / 2, `retained ${retained} bytes for ${data.length} bytes sent`);
  ws.terminate();
  await fake.close();
});

test('fragments of a finished message are delivered whole, with the right bytes', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  cleanups.push(() => { for (const c of wss.clients) c.terminate(); wss.close(); });
  const connected = once(wss, 'connection');
  const peer = await connectRaw(wss.address().port);
  const [ws] = await connected;
  const got = once(ws, 'message');
  const data = oneByteFragments(true);
  data[data.length - 7] |= 0x80; // FIN on the last fragment
  peer.socket.write(data);
  const [message, isBinary] = await got;
  assert.equal(isBinary, true);
  assert.equal(message.length, FRAGMENTS);
  assert.ok(message.every((b) => b === 0x61));
  peer.destroy();
  ws.terminate();
  wss.close();
});

test('a large unfragmented frame trickling in as 1-byte chunks holds memory near the bytes received (parser, both roles)', async () => {
  const { FrameParser } = await import('../../dist/esm/frame/index.js');
  for (const role of ['server', 'client']) {
    const parser = new FrameParser({ role, maxPayload: 16 * MiB }, {
      onMessage: () => assert.fail('no message is complete'),
      onPing() {}, onPong() {}, onClose() {},
      onError: (e) => assert.fail(e.message),
    });
    const header = Buffer.alloc(role === 'server' ? 14 : 10);
    header[0] = 0x82;
    header[1] = (role === 'server' ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(BigInt(MiB), 2); // mask key (server role): all zero
    parser.push(header);
    const baseline = await retainedBytes();
    const CHUNKS = 200_000;
    for (let i = 0; i < CHUNKS; i++) parser.push(Buffer.from([0x61]));
    const retained = (await retainedBytes()) - baseline;
    // One Buffer per chunk would hold about 100 bytes each: 20 MB.
    assert.ok(retained < 2 * 1024 * 1024, `${role}: retained ${retained} bytes for ${CHUNKS} bytes received`);
    assert.equal(parser.failed, false, 'the parser (and what it holds) is still in use');
  }
});
