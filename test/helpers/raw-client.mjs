// A raw TCP WebSocket client for conformance tests: performs the opening
// handshake by hand, then lets a test write arbitrary bytes and observe
// every frame the server sends and when the server closes TCP.
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { FrameReader } from './frames.mjs';
import { acceptFor, buildUpgradeRequest, newKey, parseHead } from './handshake.mjs';
import { changedWithin } from './wait.mjs';

export class RawConnection {
  constructor(socket) {
    this.socket = socket;
    this.reader = new FrameReader();
    this.frames = [];
    this.bytesReceived = 0;
    this.ended = false; // server sent FIN
    this.closed = false; // socket fully closed
    this.errors = [];
    this.changes = new EventEmitter();
    this.changes.setMaxListeners(100);
    socket.on('data', (chunk) => {
      this.bytesReceived += chunk.length;
      for (const f of this.reader.push(chunk)) this.frames.push(f);
      this.#wake();
    });
    socket.on('end', () => { this.ended = true; this.#wake(); });
    socket.on('close', () => { this.closed = true; this.#wake(); });
    socket.on('error', (err) => { this.errors.push(err); this.#wake(); });
  }

  #wake() {
    this.changes.emit('change');
  }

  /** Resolve true when `predicate()` holds, false after `timeoutMs`. */
  waitFor(predicate, timeoutMs) {
    return changedWithin(this.changes, predicate, timeoutMs);
  }

  get gone() {
    return this.closed || this.socket.destroyed;
  }

  /**
   * Write buffers. mode: 'whole' (one write), 'frames' (one write per buffer),
   * 'bytewise' (one write per byte), or a number n (pieces of n bytes).
   * Stops quietly once the peer has closed; returns whether everything was written.
   */
  async send(bufs, mode = 'whole') {
    const list = Array.isArray(bufs) ? bufs : [bufs];
    let pieces;
    if (mode === 'frames') pieces = list;
    else {
      const all = list.length === 1 ? list[0] : Buffer.concat(list);
      if (mode === 'whole') pieces = [all];
      else {
        const n = mode === 'bytewise' ? 1 : Number(mode);
        if (!(n >= 1)) throw new Error(`bad send mode ${mode}`);
        pieces = [];
        for (let off = 0; off < all.length; off += n) pieces.push(all.subarray(off, off + n));
      }
    }
    for (const piece of pieces) {
      if (this.gone || this.socket.writableEnded || this.ended) return false;
      const ok = await this.#write(piece);
      if (!ok) return false;
    }
    return true;
  }

  #write(piece) {
    return new Promise((resolve) => {
      const onClose = () => resolve(false);
      this.socket.once('close', onClose);
      this.socket.write(piece, (err) => {
        this.socket.removeListener('close', onClose);
        resolve(!err);
      });
    });
  }

  destroy() {
    this.socket.destroy();
  }
}

/**
 * Connect to 127.0.0.1:port and complete the opening handshake.
 * Throws if the server does not answer 101 with the right accept value.
 * `earlyData` (frames) goes out in the same write as the request, before any answer.
 */
export function connectRaw(port, { path = '/', protocols, extraHeaders, earlyData, timeoutMs = 3000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const key = newKey();
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('opening handshake timed out')), timeoutMs);
    const fail = (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const parsed = parseHead(head);
      if (!parsed) {
        if (head.length > 16384) fail(new Error('response head too large'));
        return;
      }
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', fail);
      socket.removeListener('close', onEarlyClose);
      if (!/^HTTP\/1\.1 101 /.test(parsed.startLine)) {
        return fail(new Error(`expected 101, got "${parsed.startLine}"`));
      }
      if (parsed.headers['sec-websocket-accept'] !== acceptFor(key)) {
        return fail(new Error(`bad Sec-WebSocket-Accept ${parsed.headers['sec-websocket-accept']}`));
      }
      const conn = new RawConnection(socket);
      conn.handshakeHeaders = parsed.headers;
      if (parsed.rest.length) socket.emit('data', parsed.rest);
      resolve(conn);
    };
    const onEarlyClose = () => fail(new Error('connection closed during handshake'));
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onEarlyClose);
    socket.on('connect', () => {
      const request = Buffer.from(buildUpgradeRequest({ host: `127.0.0.1:${port}`, path, key, protocols, extraHeaders }), 'latin1');
      socket.write(earlyData ? Buffer.concat([request, earlyData]) : request);
    });
  });
}

/**
 * A WebSocketServer on 127.0.0.1:0 with one raw peer connected to it.
 * Resolves to { wss, ws, peer }; what undoes it is pushed onto `cleanups`.
 */
export async function serverWithRawPeer(WebSocketServer, cleanups) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  const connected = new Promise((resolve) => wss.once('connection', resolve));
  const peer = await connectRaw(wss.address().port);
  cleanups.push(() => peer.destroy());
  return { wss, ws: await connected, peer };
}
