// RFC 6455 §5.5.1: after a close frame the peer may not send data, and what
// it sends anyway never reaches the application, even when it arrives in the
// same TCP chunk as the close frame. Both roles, with raw bytes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocketServer, WebSocket } from '../../dist/esm/index.js';
import { serverWithRawPeer } from '../helpers/raw-client.mjs';
import { startFakeServer } from '../helpers/fake-server.mjs';
import { OP, encodeFrame, closePayload } from '../helpers/frames.mjs';
import { within } from '../helpers/wait.mjs';

const cleanups = [];
after(() => cleanups.forEach((f) => f()));

const frames = (mask) => Buffer.concat([
  encodeFrame({ opcode: OP.TEXT, payload: 'before', mask }),
  encodeFrame({ opcode: OP.CLOSE, payload: closePayload(1000, 'bye'), mask }),
  encodeFrame({ opcode: OP.TEXT, payload: 'after', mask }),
  encodeFrame({ opcode: OP.PING, payload: 'late', mask }),
]);

test('server: a text frame in the same chunk after the close frame is not delivered', async () => {
  const { ws, peer } = await serverWithRawPeer(WebSocketServer, cleanups);
  const events = [];
  ws.on('message', (m) => events.push(['message', m.toString()]));
  ws.on('ping', () => events.push(['ping']));
  const closed = once(ws, 'close');
  peer.socket.write(frames(true)); // one write: one chunk on loopback
  const [code] = await within(closed, 'close', 3000);
  assert.equal(code, 1000);
  assert.deepEqual(events, [['message', 'before']]);
  // The close echo is the last frame we sent; no pong for the late ping.
  assert.ok(await peer.waitFor(() => peer.closed, 3000));
  assert.deepEqual(peer.frames.map((f) => f.opcode), [OP.CLOSE]);
});

test('client: a text frame in the same chunk after the close frame is not delivered', async () => {
  const fake = await startFakeServer((p) => {
    p.accept();
    p.write(frames(false));
  });
  cleanups.push(() => fake.close());
  const ws = new WebSocket(fake.url, { closeTimeout: 300 });
  cleanups.push(() => ws.terminate());
  const events = [];
  ws.on('message', (m) => events.push(['message', m.toString()]));
  ws.on('ping', () => events.push(['ping']));
  const [code] = await within(once(ws, 'close'), 'close', 8000);
  assert.equal(code, 1000);
  assert.deepEqual(events, [['message', 'before']]);
  const sent = fake.peers[0].frames.map((f) => f.opcode);
  assert.deepEqual(sent, [OP.CLOSE], 'only the close echo, no pong');
});
