// Control frames overtake queued data. With a peer that stops reading, data
// waits in the connection's own queue; a pong (answering the peer's ping) or
// a close frame is written ahead of it, at a frame boundary, so liveness and
// the close handshake work on a backed-up connection. Pongs to many pings
// are merged into one. The byte order is observed on the wire by a raw TCP
// peer that reads again afterwards.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from '../../dist/esm/index.js';
import { serverWithRawPeer } from '../helpers/raw-client.mjs';
import { OP, encodeFrame, parseClose } from '../helpers/frames.mjs';

const FRAMES = 200;
const SIZE = 64 * 1024;
const cleanups = [];
after(() => cleanups.forEach((f) => f()));

/** A server connection and a raw peer that has stopped reading, with FRAMES x 64 KiB sent to it. */
async function backedUp() {
  const { wss, ws, peer } = await serverWithRawPeer(WebSocketServer, cleanups);
  peer.socket.pause();
  const callbacks = [];
  for (let seq = 0; seq < FRAMES; seq++) {
    const data = Buffer.alloc(SIZE);
    data.writeUInt32BE(seq, 0);
    ws.send(data, (err) => callbacks.push([seq, err ? 'error' : 'ok']));
    // Several iterations, so the socket is offered bytes and backs up.
    if (seq % 4 === 3) await new Promise((r) => setImmediate(r));
  }
  // 12.5 MiB is more than the loopback buffers hold: most of it is queued here.
  assert.ok(ws.bufferedAmount > 4 * 1024 * 1024, `queued ${ws.bufferedAmount}`);
  return { wss, ws, peer, callbacks };
}

const seqs = (frames) => frames.filter((f) => f.opcode === OP.BINARY).map((f) => f.payload.readUInt32BE(0));

test('pings to a backed-up connection: one pong, the latest, written before the queued data', async () => {
  const { ws, peer, callbacks } = await backedUp();
  const pings = [];
  ws.on('ping', (p) => pings.push(p.toString()));
  const before = ws.bufferedAmount;
  peer.socket.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeFrame({ opcode: OP.PING, payload: `p${i}` }))));
  for (let i = 0; i < 300 && pings.length < 50; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(pings.length, 50);
  assert.ok(ws.bufferedAmount - before <= 5, `50 pings added ${ws.bufferedAmount - before} bytes: one pong frame at most`);
  peer.socket.resume();
  assert.ok(await peer.waitFor(() => seqs(peer.frames).length === FRAMES, 8000), 'all data arrives');
  const pongs = peer.frames.filter((f) => f.opcode === OP.PONG);
  assert.deepEqual(pongs.map((f) => f.payload.toString()), ['p49']);
  const pongAt = peer.frames.indexOf(pongs[0]);
  assert.ok(pongAt < FRAMES, `the pong came after ${pongAt} of ${FRAMES} data frames, ahead of the queued ones`);
  assert.deepEqual(seqs(peer.frames), Array.from({ length: FRAMES }, (_, i) => i), 'data complete and in order');
  for (let i = 0; i < 100 && callbacks.length < FRAMES; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(callbacks, Array.from({ length: FRAMES }, (_, i) => [i, 'ok']), 'send callbacks in order');
});

test('a normal close() on a backed-up connection follows the queued data: nothing is lost', async () => {
  const { ws, peer, callbacks } = await backedUp();
  ws.close(1000, 'bye');
  peer.socket.resume();
  assert.ok(await peer.waitFor(() => peer.frames.some((f) => f.opcode === OP.CLOSE), 8000), 'the close frame arrives');
  await new Promise((r) => setTimeout(r, 100));
  const last = peer.frames.at(-1);
  assert.equal(last.opcode, OP.CLOSE, 'nothing after the close frame');
  assert.equal(parseClose(last.payload).code, 1000);
  assert.deepEqual(seqs(peer.frames), Array.from({ length: FRAMES }, (_, i) => i), 'every data frame, in order, before the close');
  for (let i = 0; i < 100 && callbacks.length < FRAMES; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(callbacks, Array.from({ length: FRAMES }, (_, i) => [i, 'ok']));
});

test('a close for cause (1008) on a backed-up connection goes ahead of the queued data, which is not sent', async () => {
  const { ws, peer, callbacks } = await backedUp();
  ws.close(1008, 'bye');
  peer.socket.resume();
  assert.ok(await peer.waitFor(() => peer.frames.some((f) => f.opcode === OP.CLOSE), 8000), 'the close frame arrives');
  await new Promise((r) => setTimeout(r, 100));
  const last = peer.frames.at(-1);
  assert.equal(last.opcode, OP.CLOSE, 'nothing after the close frame');
  assert.deepEqual(parseClose(last.payload).code, 1008);
  const received = seqs(peer.frames);
  assert.ok(received.length < FRAMES, `${received.length} of ${FRAMES} data frames were written before the close frame`);
  assert.deepEqual(received, Array.from({ length: received.length }, (_, i) => i), 'what was sent is a prefix, in order');
  for (let i = 0; i < 100 && callbacks.length < FRAMES; i++) await new Promise((r) => setTimeout(r, 10));
  // Every callback ran once, in send order: ok for what was written, an error for the rest.
  assert.deepEqual(callbacks.map(([seq]) => seq), Array.from({ length: FRAMES }, (_, i) => i));
  const firstError = callbacks.findIndex(([, r]) => r === 'error');
  assert.ok(firstError > 0 && callbacks.slice(firstError).every(([, r]) => r === 'error'));
});
