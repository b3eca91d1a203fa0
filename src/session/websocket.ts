// The ws-compatible WebSocket: the public API of one connection. The
// protocol is a Connection (connection.ts, sans-I/O); the socket, the write
// path and the close timer are its Transport (transport.ts), a separate
// object, so the WebSocket itself carries only the ws API. Used for both
// the server's per-connection object and the Node client (see client.ts).

import type { Duplex } from 'node:stream';
import type { ClientRequest } from 'node:http';
import { MAX_CONTROL_PAYLOAD } from '../frame/constants.js';
import { FrameCache } from '../frame/encoder.js';
import { backlog, overLimit } from './backpressure.js';
import { CLOSED, CLOSING, CONNECTING, FRAME_CONTROL, FRAME_DATA, OPEN, checkClose, type Connection, type ReadyState } from './connection.js';
import { BrowserEvents } from './event-target.js';
import { Transport, type BinaryType } from './transport.js';
import { isBlob, isText, normalize, type SendData } from './send-data.js';
import type { DeflateParams, DeflateSettings } from '../handshake/permessage-deflate.js';
import { EXTENSION_NAME } from '../handshake/permessage-deflate.js';
import type { SharedDeflate } from './deflate.js';

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

export type { SendData } from './send-data.js';

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

type Callback = (err?: Error | null) => void;
const EMPTY = Buffer.alloc(0);

/**
 * An operation waiting behind a Blob being read: sends, pings, pongs and
 * closes keep their order, as in ws, so a Blob's bytes go out where it was
 * sent. `payload` is null until a Blob is read (a close has none: EMPTY).
 */
interface Waiting {
  op: 'send' | 'ping' | 'pong' | 'close';
  payload: string | Buffer | null;
  size: number;
  error: Error | null;
  isBinary: boolean;
  fin: boolean;
  cb: Callback | undefined;
  /** send's `compress` option (permessage-deflate). */
  compress?: boolean;
  code?: number;
  reason?: string | Buffer;
}

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
  /** @internal The client's URL; a server-side connection has none (undefined, as in ws). */
  _url: string | undefined = undefined;
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
  /** Operations queued behind a Blob being read (null when none). */
  #waiting: Waiting[] | null = null;
  /** Bytes of the operations in #waiting, and of sends made after the connection stopped being open (ws counts both). */
  #held = 0;
  /** The negotiated extensions, as ws lists them (names). */
  #extensions = '';

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
    return this.#extensions;
  }
  /**
   * @internal Non-null when permessage-deflate is active and
   * server_no_context_takeover is in effect (server side): a frame from
   * prepareDeflatedFrame(data, binary, ws.sharedDeflate) is valid here.
   */
  get sharedDeflate(): SharedDeflate | null {
    return this.#conn.sharedDeflate;
  }
  get url(): string {
    // Typed string as in ws's declarations; undefined on a server-side connection, as in ws.
    return this._url as string;
  }
  get isPaused(): boolean {
    return this.#paused;
  }
  /** Bytes the socket could not hand to the kernel yet (see Transport.unsent), plus sends made after close. */
  get bufferedAmount(): number {
    return this.#io.unsent + this.#held;
  }
  /** Messages refused by the 'drop' backpressure policy on this connection. */
  get droppedMessages(): number {
    return this.#io.dropped;
  }
  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  set binaryType(type: BinaryType) {
    if (type !== 'nodebuffer' && type !== 'arraybuffer' && type !== 'fragments' && type !== 'blob') return;
    this.#binaryType = type;
    // Frame boundaries are tracked only when they are asked for.
    this.#conn.trackFrames = type === 'fragments';
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

  /** @internal The handshake negotiated permessage-deflate: turn it on (before _attach). */
  _useDeflate(params: DeflateParams, settings: DeflateSettings): void {
    this.#conn.enableDeflate(params, settings);
    this.#extensions = EXTENSION_NAME;
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
    const fin = options?.fin !== false;
    const compress = options?.compress !== false;
    if (typeof data !== 'string' && isBlob(data)) {
      this.#readBlob(data, { op: 'send', payload: null, size: data.size, error: null, isBinary: options?.binary ?? true, fin, cb, compress });
      return;
    }
    const payload = normalize(data);
    const isBinary = options?.binary ?? !isText(data);
    if (this.#waiting !== null) {
      this.#wait({ op: 'send', payload, size: byteLength(payload), error: null, isBinary, fin, cb, compress });
      return;
    }
    this.#send(payload, isBinary, fin, cb, compress);
  }

  #send(payload: string | Buffer, isBinary: boolean, fin: boolean, cb: Callback | undefined, compress = true): void {
    if (this.readyState !== OPEN) {
      this.#notOpen(payload, cb);
      return;
    }
    const io = this.#io;
    if (overLimit(io)) {
      if (cb) process.nextTick(cb, new Error('Message dropped: the connection is over its backpressure limit'));
      return;
    }
    const frame = this.#conn.send(payload, isBinary, fin, compress);
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

  ping(data?: SendData, mask?: boolean | Callback, cb?: Callback): void {
    this.#control(true, data, mask, cb);
  }

  pong(data?: SendData, mask?: boolean | Callback, cb?: Callback): void {
    this.#control(false, data, mask, cb);
  }

  #control(ping: boolean, data: SendData | undefined, mask: unknown, cb?: Callback): void {
    if (typeof data === 'function') {
      cb = data as Callback;
      data = undefined;
    } else if (typeof mask === 'function') {
      cb = mask as Callback;
    }
    if (this.readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    const op = ping ? 'ping' : 'pong';
    if (isBlob(data)) {
      if (data.size > MAX_CONTROL_PAYLOAD) throw new RangeError('The data size must not be greater than 125 bytes');
      this.#readBlob(data, { op, payload: null, size: data.size, error: null, isBinary: true, fin: true, cb });
      return;
    }
    const payload = normalize(data);
    const size = byteLength(payload);
    if (size > MAX_CONTROL_PAYLOAD) throw new RangeError('The data size must not be greater than 125 bytes');
    if (this.#waiting !== null) {
      this.#wait({ op, payload, size, error: null, isBinary: true, fin: true, cb });
      return;
    }
    this.#sendControl(ping, payload, cb);
  }

  #sendControl(ping: boolean, payload: string | Buffer, cb: Callback | undefined): void {
    if (this.readyState !== OPEN) {
      this.#notOpen(payload, cb);
      return;
    }
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const frame = ping ? this.#conn.ping(bytes) : this.#conn.pong(bytes);
    if (frame !== null) this.#io.write(frame, cb, false, FRAME_CONTROL);
  }

  /** A send, ping or pong on a connection that is no longer open: counted in bufferedAmount, its callback told. */
  #notOpen(payload: string | Buffer, cb: Callback | undefined): void {
    this.#held += byteLength(payload);
    if (cb) {
      const err = new Error(`WebSocket is not open: readyState ${this.readyState} (${this.readyState === CLOSING ? 'CLOSING' : 'CLOSED'})`);
      process.nextTick(cb, err);
    }
  }

  /** Queues `w` behind the Blob being read, or starts the queue with it. */
  #wait(w: Waiting): void {
    (this.#waiting ??= []).push(w);
    this.#held += w.size;
  }

  #readBlob(blob: Blob, w: Waiting): void {
    this.#wait(w);
    blob.arrayBuffer().then(
      (bytes) => {
        w.payload = Buffer.from(bytes);
        this.#runWaiting();
      },
      (err: unknown) => {
        w.error = err instanceof Error ? err : new Error(String(err));
        this.#runWaiting();
      },
    );
  }

  /** Runs the queued operations in order, up to the next Blob still being read. */
  #runWaiting(): void {
    const queue = this.#waiting;
    while (queue !== null && queue.length > 0 && (queue[0].payload !== null || queue[0].error !== null)) {
      const w = queue.shift()!;
      this.#held -= w.size;
      if (w.error !== null) {
        if (w.cb) w.cb(w.error);
        continue;
      }
      if (w.op === 'close') this.#close(w.code, w.reason);
      else if (w.op === 'send') this.#send(w.payload!, w.isBinary, w.fin, w.cb, w.compress);
      else this.#sendControl(w.op === 'ping', w.payload!, w.cb);
    }
    if (queue !== null && queue.length === 0 && this.#waiting === queue) this.#waiting = null;
  }

  close(code?: number, reason?: string | Buffer): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this._abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    // As in ws, a closing connection (a close frame sent, or a failed
    // opening handshake) ignores close(), whatever its arguments.
    if (this.readyState === CLOSING) return;
    checkClose(code, reason);
    // As in ws, a reason without a code is not sent (the close frame has no body).
    if (code === undefined) reason = undefined;
    if (this.#waiting !== null) {
      this.#wait({ op: 'close', payload: EMPTY, size: 0, error: null, isBinary: false, fin: true, cb: undefined, code, reason });
      return;
    }
    this.#close(code, reason);
  }

  #close(code: number | undefined, reason: string | Buffer | undefined): void {
    if (this.readyState === OPEN) this.#io.close(code, reason);
  }

  /** Destroys the connection at once, without a close handshake. */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this._abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this.#io.terminate();
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

  /** @internal The opening handshake failed: CLOSING from now on, as in ws, until 'close'. */
  _handshakeFailed(): void {
    this.#conn.abort();
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

function byteLength(payload: string | Buffer): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}
