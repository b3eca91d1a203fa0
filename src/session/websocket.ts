// The ws-compatible WebSocket: the public API of one connection. The
// protocol is a Connection (connection.ts, sans-I/O); the socket, the write
// path and the close timer are its Transport (transport.ts), a separate
// object, so the WebSocket itself carries only the ws API. Used for both
// the server's per-connection object and the Node client (see client.ts).

import type { Duplex } from 'node:stream';
import type { ClientRequest } from 'node:http';
import { MAX_CONTROL_PAYLOAD } from '../frame/constants.js';
import { FrameCache, toBuffer } from '../frame/encoder.js';
import { backlog, overLimit } from './backpressure.js';
import { CLOSED, CLOSING, CONNECTING, FRAME_CONTROL, FRAME_DATA, OPEN, checkClose, type Connection, type ReadyState } from './connection.js';
import { BrowserEvents } from './event-target.js';
import { Transport, type BinaryType } from './transport.js';

export type { BinaryType } from './transport.js';

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
  /** Client: fills the 4-byte mask key of each frame sent (default: random keys). */
  generateMask?: (mask: Buffer) => void;
}

/**
 * One cache of string frames for every connection of the process: the
 * idiomatic broadcast loop sends the same string to each client, and each
 * send after the first reuses the frame (see FrameCache).
 */
const sharedFrames = new FrameCache();

const EMPTY = Buffer.alloc(0);
type Callback = (err?: Error | null) => void;

/**
 * Shared implementation. The exported `WebSocket` (client.ts) adds the
 * client constructor; the server creates its connections with a null address.
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

  /** @internal */ _req: ClientRequest | null = null;
  /** @internal */ _protocol = '';
  /** @internal */ _url = '';
  /** @internal The server that accepted this connection (told when it closes). */
  _server: { _clientClosed(ws: never): void } | null = null;
  /** @internal Set on inbound data; cleared by the server's heartbeat sweep. */
  _alive = true;
  /** @internal Set on inbound messages; cleared by the server's idle sweep. */
  _active = true;
  readonly #io: Transport;
  readonly #conn: Connection;
  #binaryType: BinaryType = 'nodebuffer';
  #paused = false;

  constructor(role: 'server' | 'client', options: SocketOptions = {}) {
    super();
    this.#io = new Transport(this, role, options, sharedFrames);
    this.#conn = this.#io.conn;
  }

  get readyState(): ReadyState {
    return this.#conn.readyState;
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
    return this.#paused;
  }
  /** Bytes queued (in the socket and in the connection's own queue) and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#io.bufferedAmount;
  }
  /** Messages refused by the 'drop' backpressure policy on this connection. */
  get droppedMessages(): number {
    return this.#io.dropped;
  }
  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  set binaryType(type: BinaryType) {
    if (type === 'nodebuffer' || type === 'arraybuffer' || type === 'fragments' || type === 'blob') this.#binaryType = type;
  }

  /**
   * @internal What the peer failed to take (see backlog() in
   * backpressure.ts): the measure the backpressure bound applies to.
   */
  get _backlog(): number {
    return backlog(this.#io);
  }
  /** @internal The upgraded socket (null before the handshake completes). */
  get _socket(): Duplex | null {
    return this.#io.socket;
  }

  /** @internal Attaches the upgraded socket and any bytes read past the handshake. */
  _attach(socket: Duplex, head: Buffer): void {
    this.#io.attach(socket, head);
  }

  send(data: SendData, options?: { binary?: boolean; fin?: boolean; mask?: boolean; compress?: boolean } | Callback, cb?: Callback): void {
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
    const io = this.#io;
    if (overLimit(io)) {
      if (cb) process.nextTick(cb, new Error('Message dropped: the connection is over its backpressure limit'));
      return;
    }
    const frame = this.#conn.send(data, isBinary, options?.fin !== false);
    if (frame !== null) io.send(frame, cb, FRAME_DATA);
  }

  /**
   * Writes an already-encoded server frame (from prepareFrame) as is: the
   * encode-once, write-many path of broadcasts. Returns false when the frame
   * was not written (not OPEN, or refused by the backpressure policy).
   */
  sendPrepared(frame: Buffer): boolean {
    const io = this.#io;
    if (overLimit(io)) return false;
    if (this.#conn.sendRaw(frame) === null) return false;
    io.write(frame, undefined, false, FRAME_DATA);
    return true;
  }

  ping(data?: SendData | number, mask?: boolean | Callback, cb?: Callback): void {
    this.#control(true, data, mask, cb);
  }

  pong(data?: SendData | number, mask?: boolean | Callback, cb?: Callback): void {
    this.#control(false, data, mask, cb);
  }

  #control(ping: boolean, data: SendData | number | undefined, mask: unknown, cb?: Callback): void {
    if (typeof data === 'function') {
      cb = data as Callback;
      data = undefined;
    } else if (typeof mask === 'function') {
      cb = mask as Callback;
    }
    if (this.readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    const payload = data === undefined ? EMPTY : toBuffer(typeof data === 'number' ? String(data) : data);
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError('The data size must not be greater than 125 bytes');
    if (this.readyState !== OPEN) {
      notOpen(this, cb);
      return;
    }
    const frame = ping ? this.#conn.ping(payload) : this.#conn.pong(payload);
    if (frame !== null) this.#io.write(frame, cb, false, FRAME_CONTROL);
  }

  close(code?: number, reason?: string | Buffer): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this._abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    checkClose(code, reason);
    this.#io.close(code, reason);
  }

  /** Destroys the connection at once, without a close handshake. */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this._abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this.#io.socket?.destroy();
  }

  pause(): void {
    if (this.readyState === CONNECTING || this.readyState === CLOSED) return;
    this.#paused = true;
    this.#io.socket?.pause();
  }

  resume(): void {
    if (this.readyState === CONNECTING || this.readyState === CLOSED) return;
    this.#paused = false;
    this.#io.socket?.resume();
  }

  /** @internal Overridden by the client to abort a pending handshake. */
  _abortHandshake(err: Error): void {
    this._failHandshake(err);
  }

  /** @internal The opening handshake failed: 'error' (when listened to), then 'close' 1006. */
  _failHandshake(err: Error): void {
    this.#io.emitError(err);
    this.#io.finish();
  }

  /** @internal Both close frames were exchanged (CloseEvent.wasClean). */
  _wasClean(): boolean {
    return this.#conn.wasClean;
  }
}

function notOpen(ws: WebSocketBase, cb?: Callback): void {
  if (cb) {
    const err = new Error(`WebSocket is not open: readyState ${ws.readyState} (${ws.readyState === CLOSING ? 'CLOSING' : 'CLOSED'})`);
    process.nextTick(cb, err);
  }
}
