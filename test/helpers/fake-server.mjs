// A raw node:net "WebSocket server" for client conformance tests. It reads
// the client's upgrade request and then does exactly what a test tells it:
// answer correctly or not, send well-formed or broken frames, and record
// every frame the client sends.
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { FrameReader } from './frames.mjs';
import { buildSwitchingResponse, parseHead } from './handshake.mjs';
import { changedWithin } from './wait.mjs';

export class FakePeer extends EventEmitter {
  constructor(socket, head) {
    super();
    this.setMaxListeners(100);
    this.socket = socket;
    this.startLine = head.startLine;
    this.headers = head.headers;
    this.key = head.headers['sec-websocket-key'];
    this.requestedProtocols = (head.headers['sec-websocket-protocol'] ?? '')
      .split(',').map((s) => s.trim()).filter(Boolean);
    this.reader = new FrameReader();
    this.frames = [];
    this.ended = false;
    this.closed = false;
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('end', () => { this.ended = true; this.emit('change'); });
    socket.on('close', () => { this.closed = true; this.emit('change'); });
    socket.on('error', () => { this.emit('change'); });
    if (head.rest.length) this.#onData(head.rest);
  }

  #onData(chunk) {
    for (const f of this.reader.push(chunk)) this.frames.push(f);
    this.emit('change');
  }

  /** Write a 101 response; options override the accept value, protocol, status line or add lines. */
  accept(options = {}) {
    this.write(buildSwitchingResponse({ key: this.key, ...options }));
  }

  write(data) {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Write `data` one byte per write, yielding to the event loop between writes. */
  async writeBytewise(data) {
    for (let i = 0; i < data.length && !this.socket.destroyed; i++) {
      await new Promise((resolve) => this.socket.write(data.subarray(i, i + 1), () => resolve()));
    }
  }

  waitFor(predicate, ms) {
    return changedWithin(this, predicate, ms);
  }

  /** Wait for the first client frame with `opcode`; null if none arrives in time. */
  async frame(opcode, ms = 2000) {
    await this.waitFor(() => this.frames.some((f) => f.opcode === opcode), ms);
    return this.frames.find((f) => f.opcode === opcode) ?? null;
  }

  end() {
    this.socket.end();
  }

  destroy() {
    this.socket.destroy();
  }
}

/**
 * Start a fake server on 127.0.0.1:0. `onPeer(peer)` is called once the
 * client's request head has arrived.
 */
export async function startFakeServer(onPeer) {
  const sockets = new Set();
  const peers = [];
  const failures = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const head = parseHead(buf);
      if (!head) return;
      socket.removeListener('data', onData);
      const peer = new FakePeer(socket, head);
      peers.push(peer);
      Promise.resolve()
        .then(() => onPeer(peer))
        .catch((err) => { failures.push(err); socket.destroy(); });
    };
    socket.on('data', onData);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    url: `ws://127.0.0.1:${server.address().port}/`,
    peers,
    failures,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
