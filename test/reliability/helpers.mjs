// Helpers for the reliability tests: the application-layer helpers of
// test/router, plus raw TCP peers (for what a proper client would never
// send) and memory figures. Waits come from test/helpers/wait.mjs.
import net from 'node:net';
import { once } from 'node:events';
import { after } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocket, PROTOCOL_V1 } from '../../dist/esm/index.js';
import { startServer as start } from '../router/helpers.mjs';
import { within } from '../helpers/wait.mjs';

export { TestClient, simpleAuth, login, legacyLogin, closeAll, barrier } from '../router/helpers.mjs';

// Servers a test did not get to close (it failed first) are closed after the
// file's tests, so one failure cannot keep the process alive.
const started = new Set();
after(() => Promise.all([...started].map((s) => s.close())));

/** startServer of test/router, with the server closed after the file's tests if still open. */
export async function startServer(setup, options = {}, Server) {
  const ctx = await start(setup, { closeTimeout: 500, ...options }, Server);
  started.add(ctx.server.close ? ctx.server : ctx.server.server);
  return ctx;
}

/** A complete upgrade request head, with extra header lines. */
export function upgradeRequest(extra = '', path = '/') {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

/**
 * A raw TCP peer: writes `text`, collects every byte the server sends, and
 * resolves `closed` when the server ends the connection.
 */
export function rawPeer(port, text) {
  const socket = net.connect(port, '127.0.0.1');
  const peer = { socket, data: Buffer.alloc(0) };
  socket.on('error', () => {});
  socket.on('connect', () => socket.write(text));
  socket.on('data', (d) => (peer.data = Buffer.concat([peer.data, d])));
  peer.closed = once(socket, 'close');
  peer.status = () => {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(peer.data.toString('latin1'));
    return m ? Number(m[1]) : null;
  };
  return peer;
}

/** Memory the process holds outside V8's heap in Buffers, plus the heap. */
export function bytesInUse() {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * What the process retains: bytesInUse() after full collections. Buffers of
 * dead objects are freed by a sweeper that may still run after gc()
 * returns, hence a pause and a second collection.
 */
export async function retainedBytes() {
  gc();
  await new Promise((r) => setTimeout(r, 20));
  gc();
  return bytesInUse();
}

/**
 * Forces a full garbage collection, so memory figures mean retained memory.
 * Each test file runs in its own process, so turning the flag on here
 * affects no other test.
 */
export const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
})();

/**
 * A v1 client that keeps nothing it receives: it counts the events named
 * `tick`, checks their `seq` arrives in order, and resolves requests by id.
 * Used where thousands of large messages must not fill the test's own memory.
 */
export class LeanClient {
  ticks = 0;
  outOfOrder = 0;
  lastSeq = -1;
  #pending = new Map();
  #nextId = 1;

  static async login(url, credentials) {
    const ws = new WebSocket(url, [PROTOCOL_V1]);
    const c = new LeanClient(ws);
    await within(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    }), 'open');
    const answer = await c.request('auth', { credentials });
    if (answer.type !== 'reply') throw new Error(`login failed: ${JSON.stringify(answer)}`);
    c.id = answer.data.self.id;
    return c;
  }

  constructor(ws) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
    ws.on('message', (data) => {
      // Events are recognized from their first bytes; only answers are parsed.
      const head = data.toString('latin1', 0, 80);
      const m = /^\{"type":"event","event":"tick","group":null,"data":\{"seq":(\d+)/.exec(head);
      if (m) {
        const seq = Number(m[1]);
        if (seq !== this.lastSeq + 1) this.outOfOrder++;
        this.lastSeq = seq;
        this.ticks++;
        return;
      }
      const msg = JSON.parse(data.toString());
      const waiter = this.#pending.get(msg.id);
      if (waiter !== undefined && (msg.type === 'reply' || msg.type === 'error')) {
        this.#pending.delete(msg.id);
        waiter(msg);
      }
    });
  }

  /** Sends one v1 message and resolves with its answer (bounded). */
  request(type, fields = {}) {
    const id = this.#nextId++;
    const answer = new Promise((resolve) => this.#pending.set(id, resolve));
    this.ws.send(JSON.stringify({ type, id, ...fields }));
    return within(answer, `answer to ${type} #${id}`, 8000);
  }
}
