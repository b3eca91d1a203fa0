// The application client's own inbound bound: a server (or something posing
// as one) cannot make a WebSocketNodeClient buffer more than 16 MiB for one
// message by default; `socket.maxPayload` still sets it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeClient, PROTOCOL } from '../../dist/esm/client/index.js';
import { startFakeServer } from '../helpers/fake-server.mjs';
import { OP, parseClose } from '../helpers/frames.mjs';

const MiB = 1024 * 1024;
const cleanups = [];
after(async () => { for (const f of cleanups) await f(); });

/** A frame header announcing a binary message of `length` bytes (unmasked, server to client). */
function header(length) {
  const h = Buffer.alloc(10);
  h[0] = 0x82;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

/** Connects a client to a fake server that announces a `length`-byte message; returns the client's close frame, if any. */
async function announce(length, options = {}) {
  const fake = await startFakeServer((p) => {
    p.accept({ protocol: PROTOCOL });
    p.write(header(length));
    p.write(Buffer.alloc(1024));
  });
  cleanups.push(() => fake.close());
  const client = new WebSocketNodeClient(fake.url, { reconnect: false, ...options });
  cleanups.push(() => client.close());
  client.onError(() => {});
  for (let i = 0; i < 300 && fake.peers.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const peer = fake.peers[0];
  await peer.waitFor(() => peer.frames.some((f) => f.opcode === OP.CLOSE), 1000);
  const close = peer.frames.find((f) => f.opcode === OP.CLOSE);
  return close ? parseClose(close.payload).code : null;
}

test('WebSocketNodeClient refuses a message over 16 MiB by default (close 1009)', async () => {
  assert.equal(await announce(16 * MiB + 1), 1009);
});

test('a message of 16 MiB is within the default', async () => {
  assert.equal(await announce(16 * MiB), null);
});

test('socket.maxPayload overrides the default', async () => {
  assert.equal(await announce(16 * MiB + 1, { socket: { maxPayload: 64 * MiB } }), null);
  assert.equal(await announce(1025, { socket: { maxPayload: 1024 } }), 1009);
});
