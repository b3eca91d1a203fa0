// The ws-compatible WebSocket: binds a Connection (the sans-I/O state
// machine) to a node:net / node:tls socket. Used for both the server's
// per-connection object and the Node client (see client.ts).

import type { Duplex } from 'node:stream';
import type { ClientRequest } from 'node:http';
import { MAX_CONTROL_PAYLOAD } from '../frame/constants.js';
import { toBuffer } from '../frame/encoder.js';
import type { ProtocolError } from '../frame/errors.js';
import { CLOSED, CLOSING, CONNECTING, Connection, FRAME_DATA, OPEN, checkClose, type FrameKind, type ReadyState } from './connection.js';
import { BrowserEvents } from './event-target.js';
import { OutboundQueue } from './outbound.js';
import { batch } from './write-batch.js';

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';
/**
 * What send/ping/pong take. A Buffer[] (a 'message' received with binaryType
 * 'fragments') is sent as one message of its chunks joined, so an echo of
 * `data` compiles whatever the binaryType.
 */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[];

export interface SocketOptions {
  maxPayload?: number;
  skipUTF8Validation?: boolean;
  autoPong?: boolean;
  /** How long to wait for the peer's close frame / TCP close. Default 30 s. */
  closeTimeout?: number;
  /** Outbound bound and what happens past it (see BackpressureOptions). */
  backpressure?: BackpressureOptions;
}

/**
 * Per-connection bound on bytes queued for sending. Past `limit`, a send is
 * either dropped (counted, reported) or the connection is closed with
 * `closeCode`, so a peer that stops reading cannot grow server memory.
 *
 * The bound applies to what the peer failed to take: bytes still queued from
 * earlier event-loop iterations (plus, once there are such bytes, everything
 * queued after them). Writes of the current iteration alone never trigger it,
 * however large the burst, so a fast reader is not punished for a big
 * broadcast; an absolute cap of HARD_CAP_FACTOR times `limit` on everything
 * queued still bounds a connection's memory within one iteration.
 */
export interface BackpressureOptions {
  /** Bytes the peer failed to take above which the policy applies. 0 = no limit. */
  limit: number;
  /** 'drop': refuse the message; 'close': close the connection. */
  policy: 'drop' | 'close';
  /** Close code for the 'close' policy: 1013 (try again later) or 1008. Default 1013. */
  closeCode?: number;
  /** Called once per dropped message or closed connection. */
  onLimit?: (ws: WebSocketBase, action: 'drop' | 'close', bufferedAmount: number) => void;
}

const NO_BACKPRESSURE: BackpressureOptions = { limit: 0, policy: 'drop' };

/**
 * Past this multiple of the backpressure limit, everything queued for a
 * connection counts, even bytes written in the current iteration.
 */
const HARD_CAP_FACTOR = 8;
/** A corked batch this big is handed to the kernel at once, without waiting for the end of the iteration. */
const EARLY_FLUSH = 128 * 1024;
/** On 'drain', the socket is refilled from the connection's own queue up to this many bytes. */
const REFILL = 64 * 1024;

const kWs = Symbol('ws-node-server.websocket');
const DEFAULT_CLOSE_TIMEOUT = 30_000;
const EMPTY = Buffer.alloc(0);

type SocketWithWs = Duplex & { [kWs]?: WebSocketBase };

/**
 * Shared implementation. The exported `WebSocket` (client.ts) adds the
 * client constructor; server connections are created with `fromSocket`.
 */
export class WebSocketBase extends BrowserEvents {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  // On the prototype, read-only, as in ws (descriptors.ts): not instance fields.
  declare readonly CONNECTING: typeof CONNECTING;
  declare readonly OPEN: typeof OPEN;
  declare readonly CLOSING: typeof CLOSING;
  declare readonly CLOSED: typeof CLOSED;

  /** @internal */ _conn: Connection;
  /** @internal */ _socket: Duplex | null = null;
  /** @internal */ _req: ClientRequest | null = null;
  /** @internal */ _protocol = '';
  /** @internal */ _url = '';
  /** @internal */ _error: ProtocolError | null = null;
  /** @internal The server that accepted this connection (told when it closes). */
  _server: { _clientClosed(ws: never): void } | null = null;
  /** @internal Set on inbound data; cleared by the server's heartbeat sweep. */
  _alive = true;
  /** @internal Set on inbound messages; cleared by the server's idle sweep. */
  _active = true;
  private _backpressure: BackpressureOptions;
  private _dropped = 0;
  private _binaryType: BinaryType = 'nodebuffer';
  private _closeTimer: NodeJS.Timeout | null = null;
  private _closeTimeout: number;
  private _closeEmitted = false;
  private _paused = false;
  // Outbound state (see write()). Corked for this iteration and queued for a flush slice.
  private _inBatch = false;
  /** Bytes written into the corked socket since it was last uncorked. */
  private _corked = 0;
  /** Bytes written since this connection's last batch flush (not yet offered to the kernel as a batch). */
  private _fresh = 0;
  /** The last socket write was a frame header whose payload comes next. */
  private _midFrame = false;
  /** Frames held while the socket is backed up (see outbound.ts). */
  private _out: OutboundQueue | null = null;
  /** The socket is to be ended once the own queue is written. */
  private _endWhenDrained = false;

  constructor(role: 'server' | 'client', options: SocketOptions = {}) {
    super();
    this._closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    // Shared by reference: one options object per server, not per connection.
    this._backpressure = options.backpressure ?? NO_BACKPRESSURE;
    this._conn = new Connection(
      {
        role,
        maxPayload: options.maxPayload ?? 100 * 1024 * 1024,
        skipUtf8Validation: options.skipUTF8Validation,
        autoPong: options.autoPong,
      },
      this,
    );
  }

  get readyState(): ReadyState {
    return this._conn.readyState;
  }
  get protocol(): string {
    return this._protocol;
  }
  get extensions(): string {
    return '';
  }
  get url(): string {
    return this._url;
  }
  get isPaused(): boolean {
    return this._paused;
  }
  /** Bytes queued (in the socket and in the connection's own queue) and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this._socket === null ? 0 : this._socket.writableLength + (this._out === null ? 0 : this._out.bytes);
  }

  /**
   * @internal What the peer failed to take: 0 while everything queued was
   * written in the current iteration (or since this connection's last batch
   * flush); once bytes from earlier iterations are still queued, everything
   * queued. The measure the backpressure bound applies to.
   */
  get _backlog(): number {
    const total = this.bufferedAmount;
    return total > this._fresh ? total : 0;
  }
  /** Messages refused by the 'drop' backpressure policy on this connection. */
  get droppedMessages(): number {
    return this._dropped;
  }
  get binaryType(): BinaryType {
    return this._binaryType;
  }
  set binaryType(type: BinaryType) {
    if (type === 'nodebuffer' || type === 'arraybuffer' || type === 'fragments' || type === 'blob') this._binaryType = type;
  }

  /** @internal Attaches the upgraded socket and any bytes read past the handshake. */
  _attach(socket: Duplex, head: Buffer): void {
    const s = socket as SocketWithWs;
    s[kWs] = this;
    this._socket = socket;
    const net = socket as Duplex & { setNoDelay?: (v: boolean) => void; setTimeout?: (ms: number) => void };
    net.setNoDelay?.(true);
    net.setTimeout?.(0);
    // Shared listener functions (not closures): no per-connection functions.
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('drain', socketOnDrain);
    this._conn.open();
    // Bytes that arrived with the handshake are delivered on the next tick,
    // after the 'connection'/'open' listeners are attached and before any
    // later socket data (I/O callbacks run after the nextTick queue).
    if (head.length > 0) process.nextTick(receiveHead, this, head);
  }

  send(data: SendData, options?: { binary?: boolean; fin?: boolean; mask?: boolean; compress?: boolean } | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): void {
    if (typeof options === 'function') {
      cb = options;
      options = undefined;
    }
    if (this.readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    const isBinary = options?.binary ?? typeof data !== 'string';
    if (this.readyState !== OPEN) {
      notOpen(this, cb);
      return;
    }
    if (this._overLimit()) {
      if (cb) process.nextTick(cb, new Error('Message dropped: the connection is over its backpressure limit'));
      return;
    }
    this._pendingCb = cb;
    this._conn.send(data, isBinary, options?.fin !== false);
    this._pendingCb = undefined;
  }

  /**
   * Writes an already-encoded server frame (from prepareFrame) as is: the
   * encode-once, write-many path of broadcasts. Returns false when the frame
   * was not written (not OPEN, or refused by the backpressure policy).
   */
  sendPrepared(frame: Buffer): boolean {
    if (this._overLimit()) return false;
    return this._conn.sendRaw(frame);
  }

  /** Applies the backpressure policy; true when the message must not be written. */
  private _overLimit(): boolean {
    const bp = this._backpressure;
    if (bp.limit === 0 || this._socket === null) return false;
    const queued = this.bufferedAmount;
    if (queued <= bp.limit) return false;
    // Over the limit only by this iteration's writes: a burst, not a slow reader.
    if (queued <= this._fresh && queued <= bp.limit * HARD_CAP_FACTOR) return false;
    if (bp.policy === 'drop') {
      this._dropped++;
      bp.onLimit?.(this, 'drop', queued);
      return true;
    }
    if (!this._conn.closeSent) {
      this._conn.close(bp.closeCode ?? 1013, 'Backpressure limit exceeded');
      this._armCloseTimer();
      bp.onLimit?.(this, 'close', queued);
    }
    return true;
  }

  ping(data?: SendData | number, mask?: boolean | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): void {
    this._control(true, data, mask, cb);
  }

  pong(data?: SendData | number, mask?: boolean | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): void {
    this._control(false, data, mask, cb);
  }

  private _control(ping: boolean, data: SendData | number | undefined, mask: unknown, cb?: (err?: Error | null) => void): void {
    if (typeof data === 'function') {
      cb = data as (err?: Error | null) => void;
      data = undefined;
    } else if (typeof mask === 'function') {
      cb = mask as (err?: Error | null) => void;
    }
    if (this.readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    const payload = data === undefined ? EMPTY : toBuffer(typeof data === 'number' ? String(data) : data);
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError('The data size must not be greater than 125 bytes');
    if (this.readyState !== OPEN) {
      notOpen(this, cb);
      return;
    }
    this._pendingCb = cb;
    if (ping) this._conn.ping(payload);
    else this._conn.pong(payload);
    this._pendingCb = undefined;
  }

  close(code?: number, reason?: string | Buffer): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this._abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    checkClose(code, reason);
    if (this._conn.closeSent) return;
    this._conn.close(code, reason);
    this._armCloseTimer();
  }

  /** Destroys the connection at once, without a close handshake. */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this._abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this._socket?.destroy();
  }

  pause(): void {
    if (this.readyState === CONNECTING || this.readyState === CLOSED) return;
    this._paused = true;
    this._socket?.pause();
  }

  resume(): void {
    if (this.readyState === CONNECTING || this.readyState === CLOSED) return;
    this._paused = false;
    this._socket?.resume();
  }

  /** @internal Overridden by the client to abort a pending handshake. */
  _abortHandshake(err: Error): void {
    this._emitError(err);
    this._finish();
  }

  // ---- ConnectionSink (the Connection built in the constructor calls these) ----

  private _pendingCb: ((err?: Error | null) => void) | undefined = undefined;

  /**
   * @internal Writes go into the socket, corked until this connection's flush slice
   * (write-batch.ts) or until the batch passes EARLY_FLUSH bytes. Once the
   * socket is backed up (it needs a 'drain' and holds bytes offered to the
   * kernel earlier), whole frames wait in the connection's own queue
   * instead, where control frames can overtake data.
   */
  write(bytes: Buffer, more?: boolean, kind?: FrameKind): void {
    const socket = this._socket;
    if (socket === null || socket.destroyed) return;
    if (!this._inBatch) {
      this._inBatch = true;
      socket.cork();
      batch(this);
    }
    const n = bytes.length;
    this._fresh += n;
    if (this._out !== null || (socket.writableNeedDrain && !this._midFrame && socket.writableLength > this._corked)) {
      (this._out ??= new OutboundQueue()).push(bytes, more === true ? undefined : this._pendingCb, more === true, kind ?? FRAME_DATA);
      return;
    }
    const cb = this._pendingCb;
    if (cb !== undefined && more !== true) socket.write(bytes, cb);
    else socket.write(bytes);
    this._midFrame = more === true;
    if ((this._corked += n) >= EARLY_FLUSH && more !== true) {
      socket.uncork();
      socket.cork();
      this._corked = 0;
    }
  }

  /** @internal The flush slice reached this connection: hand its batch to the kernel. */
  _flushBatch(): number {
    this._inBatch = false;
    this._fresh = 0;
    const n = this._corked;
    this._corked = 0;
    const socket = this._socket;
    if (socket !== null && socket.writableCorked > 0) socket.uncork();
    return n;
  }

  /** @internal The socket drained: refill it from the own queue; 'drain' once that is empty. */
  _drained(): void {
    const out = this._out;
    const socket = this._socket;
    if (out !== null && socket !== null) {
      const cork = socket.writableCorked === 0;
      if (cork) socket.cork();
      out.moveTo(socket, Math.max(REFILL, socket.writableHighWaterMark));
      if (cork) socket.uncork();
      if (!out.empty) return;
      this._out = null;
      if (this._endWhenDrained) {
        socket.end();
        return;
      }
    }
    this.emit('drain');
  }

  /** @internal */
  deliverMessage(data: Buffer, isBinary: boolean): void {
    this._active = true;
    this.emit('message', isBinary ? convertBinary(data, this._binaryType) : data, isBinary);
  }

  /** @internal */
  deliverPing(payload: Buffer): void {
    this.emit('ping', payload);
  }

  /** @internal */
  deliverPong(payload: Buffer): void {
    this.emit('pong', payload);
  }

  /** @internal */
  shutdown(failed: ProtocolError | null): void {
    const socket = this._socket;
    if (socket === null) return;
    if (failed !== null) {
      this._error = failed;
      // Nothing after a protocol error is trusted: later bytes are read (so
      // the peer's FIN is seen) and discarded.
      socket.removeListener('data', socketOnData);
      this._emitError(failed);
      this._end();
      this._armCloseTimer();
      return;
    }
    // RFC 6455 §7.1.1: the server closes the TCP connection first; the
    // client waits for it (with a timeout) so the server can reuse its port.
    if (this._conn.role === 'server') this._end();
    this._armCloseTimer();
  }

  /** @internal Ends the socket once the own queue (holding at least the close frame) is written. */
  _end(): void {
    if (this._out !== null) this._endWhenDrained = true;
    else this._socket?.end();
  }

  /** @internal */
  _armCloseTimer(): void {
    if (this._closeTimer !== null || this._socket === null) return;
    const socket = this._socket;
    this._closeTimer = setTimeout(() => socket.destroy(), this._closeTimeout);
  }

  /**
   * @internal A 'message'/'ping'/'pong' listener threw. The connection is
   * failed with 1011 (RFC 6455 §7.4.1: an unexpected condition) and the
   * error goes to the 'error' listeners; with none, it is rethrown like any
   * EventEmitter listener error.
   */
  _listenerFailed(err: unknown): void {
    if (this.readyState === OPEN) {
      this._conn.close(1011, '');
      this._armCloseTimer();
    }
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else throw err;
  }

  /** @internal Emits 'error' only when someone listens, so a hostile peer cannot crash the process. */
  _emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** @internal The transport is gone: emit 'close' exactly once. */
  _finish(): void {
    if (this._closeTimer !== null) {
      clearTimeout(this._closeTimer);
      this._closeTimer = null;
    }
    this._conn.transportClosed();
    if (this._out !== null) {
      this._out.fail(new Error('Message not sent: the connection closed'));
      this._out = null;
    }
    if (this._closeEmitted) return;
    this._closeEmitted = true;
    const socket = this._socket as SocketWithWs | null;
    if (socket !== null) {
      socket.removeListener('data', socketOnData);
      socket.removeListener('end', socketOnEnd);
      socket.removeListener('drain', socketOnDrain);
      socket[kWs] = undefined;
    }
    const c = this._conn;
    const code = c.closeReceived || this._error !== null ? c.closeCode : 1006;
    // The server forgets the connection before 'close' listeners run, as ws does.
    if (this._server !== null) this._server._clientClosed(this as never);
    this.emit('close', code, c.closeReason);
  }

  /** @internal Both close frames were exchanged (CloseEvent.wasClean). */
  _wasClean(): boolean {
    return this._conn.closeReceived && this._conn.closeSent;
  }
}


function convertBinary(data: Buffer, type: BinaryType): Buffer | ArrayBuffer | Buffer[] | Blob {
  if (type === 'nodebuffer') return data;
  if (type === 'arraybuffer') {
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? (data.buffer as ArrayBuffer)
      : (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  }
  if (type === 'fragments') return [data];
  return new Blob([data as Uint8Array<ArrayBuffer>]);
}

function notOpen(ws: WebSocketBase, cb?: (err?: Error | null) => void): void {
  if (cb) {
    const err = new Error(`WebSocket is not open: readyState ${ws.readyState} (${ws.readyState === CLOSING ? 'CLOSING' : 'CLOSED'})`);
    process.nextTick(cb, err);
  }
}

function receiveHead(ws: WebSocketBase, head: Buffer): void {
  ws._conn.receive(head);
}

function socketOnData(this: SocketWithWs, chunk: Buffer): void {
  const ws = this[kWs];
  if (ws === undefined) return;
  ws._alive = true;
  try {
    ws._conn.receive(chunk);
  } catch (err) {
    ws._listenerFailed(err);
  }
}

function socketOnEnd(this: SocketWithWs): void {
  // The peer half-closed. Finish our side; 'close' follows.
  const ws = this[kWs];
  if (ws === undefined) {
    this.end();
    return;
  }
  ws._conn.readyState = CLOSING;
  ws._end();
}

function socketOnClose(this: SocketWithWs): void {
  this[kWs]?._finish();
  this.removeListener('close', socketOnClose);
  this.removeListener('error', socketOnError);
  // Keep a no-op error listener: a late 'error' must never crash the process.
  this.on('error', noop);
}

function socketOnError(this: SocketWithWs): void {
  // Network errors (ECONNRESET, EPIPE) end the connection; 'close' reports 1006.
  this.destroy();
}

function socketOnDrain(this: SocketWithWs): void {
  this[kWs]?._drained();
}

function noop(): void {}
