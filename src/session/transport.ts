// The binding of one Connection (the sans-I/O state machine) to a node:net /
// node:tls socket: the I/O half of a WebSocket. It owns the socket and the
// close timer, receives the Connection's events (messages, pings, pongs,
// bytes to write, shutdown) and turns them into socket writes and events on
// its WebSocket. It is an object of its own, so that none of this is a
// method of the public WebSocket.
//
// The write path: writes go into the socket, corked until this
// connection's flush slice (write-batch.ts) or until the batch passes
// EARLY_FLUSH bytes, so everything one event-loop iteration sends leaves in
// one writev. Once the socket is backed up (it needs a 'drain' and holds
// bytes offered to the kernel earlier), whole frames wait in the
// connection's own queue instead (outbound.ts), where control frames can
// overtake data; 'drain' refills the socket from there, REFILL bytes at a
// time. No closure or object is made per message.

import type { Duplex } from 'node:stream';
import type { ProtocolError } from '../frame/errors.js';
import type { FrameCache } from '../frame/encoder.js';
import { Connection, OPEN, closeKind, type ConnectionEvents, type FrameBytes, type FrameKind } from './connection.js';
import { OutboundQueue } from './outbound.js';
import { batch, type Batched } from './write-batch.js';
import { convertBinary } from './binary-type.js';
import { NO_BACKPRESSURE, type BackpressurePolicy, type TransportOptions, type TransportOwner } from './transport-types.js';

export type { BinaryType } from './binary-type.js';
export { NO_BACKPRESSURE, type BackpressurePolicy, type TransportOptions, type TransportOwner } from './transport-types.js';

type Callback = (err?: Error | null) => void;

/** A corked batch this big is handed to the kernel at once, without waiting for the end of the iteration. */
const EARLY_FLUSH = 128 * 1024;
/** On 'drain', the socket is refilled from the connection's own queue up to this many bytes. */
const REFILL = 64 * 1024;
const DEFAULT_CLOSE_TIMEOUT = 30_000;
const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

const kIo = Symbol('ws-node-server.transport');
type SocketWithIo = Duplex & { [kIo]?: Transport };

export class Transport implements ConnectionEvents, Batched {
  readonly ws: TransportOwner;
  readonly conn: Connection;
  socket: Duplex | null = null;
  /** Shared by reference: one options object per server, not per connection. */
  readonly backpressure: BackpressurePolicy;
  /** Messages refused by the 'drop' backpressure policy. */
  dropped = 0;
  /** Bytes written since this connection's last batch flush (not yet offered to the kernel as a batch). */
  fresh = 0;
  readonly #closeTimeout: number;
  #closeTimer: NodeJS.Timeout | null = null;
  #closeEmitted = false;
  /** Corked for this iteration and entered in a flush slice. */
  #inBatch = false;
  /** Bytes written into the corked socket since it was last uncorked. */
  #corked = 0;
  /** The last socket write was a frame header whose payload comes next. */
  #midFrame = false;
  /** Frames held while the socket is backed up (see outbound.ts). */
  #out: OutboundQueue | null = null;
  /** The socket is to be ended once the own queue is written. */
  #endWhenDrained = false;
  /** The socket's error (ECONNRESET, EPIPE...), given to the callbacks of frames it kept from being sent. */
  socketError: Error | null = null;
  /** The protocol error the last receive() failed the connection with, not yet emitted. */
  #failed: ProtocolError | null = null;

  constructor(ws: TransportOwner, role: 'server' | 'client', options: TransportOptions, frameCache: FrameCache) {
    this.ws = ws;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.backpressure = options.backpressure ?? NO_BACKPRESSURE;
    this.conn = new Connection(
      {
        role,
        maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
        skipUtf8Validation: options.skipUTF8Validation,
        autoPong: options.autoPong,
        frameCache,
        generateMask: options.generateMask,
      },
      this,
    );
  }

  /** Bytes queued (in the socket, this iteration's corked batch included, and in the own queue): what backpressure bounds. */
  get queued(): number {
    return this.socket === null ? 0 : this.socket.writableLength + (this.#out === null ? 0 : this.#out.bytes);
  }

  /**
   * What ws's bufferedAmount counts: bytes the socket could not hand to the
   * kernel. The batch of the current iteration, corked until its flush
   * slice, is left out: ws writes each frame at once, so on a socket that
   * keeps up its bufferedAmount stays 0 after a send.
   */
  get unsent(): number {
    if (this.socket === null) return 0;
    const held = this.socket.writableLength - this.#corked;
    return (held > 0 ? held : 0) + (this.#out === null ? 0 : this.#out.bytes);
  }

  /** Attaches the upgraded socket and any bytes read past the handshake. */
  attach(socket: Duplex, head: Buffer): void {
    (socket as SocketWithIo)[kIo] = this;
    this.socket = socket;
    const net = socket as Duplex & { setNoDelay?: (v: boolean) => void; setTimeout?: (ms: number) => void };
    net.setNoDelay?.(true);
    net.setTimeout?.(0);
    // Shared listener functions (not closures): no per-connection functions.
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('drain', socketOnDrain);
    this.conn.open();
    // Bytes that arrived with the handshake are delivered on the next tick,
    // after the 'connection'/'open' listeners are attached and before any
    // later socket data (I/O callbacks run after the nextTick queue).
    if (head.length > 0) process.nextTick(receiveHead, this, head);
  }

  /** Writes a command's frame (see Connection), with the caller's callback on its last bytes. */
  send(frame: FrameBytes, cb: Callback | undefined, kind: FrameKind): void {
    if (Buffer.isBuffer(frame)) {
      this.write(frame, cb, false, kind);
    } else {
      this.write(frame[0], undefined, true, kind);
      this.write(frame[1], cb, false, kind);
    }
  }

  /**
   * Starts the close handshake: writes the close frame (queued as
   * closeKind says) and arms the close timer. False when a close frame was
   * already sent (or none can be).
   */
  close(code: number | undefined, reason: string | Buffer | undefined): boolean {
    const frame = this.conn.close(code, reason);
    if (frame === null) return false;
    this.write(frame, undefined, false, closeKind(code));
    this.armCloseTimer();
    return true;
  }

  /** Puts bytes on the wire (corked), or in the own queue while the socket is backed up. `more`: the next write continues this frame. */
  write(bytes: Buffer, cb: Callback | undefined, more: boolean, kind: FrameKind): void {
    const socket = this.socket;
    if (socket === null || socket.destroyed) return;
    if (!this.#inBatch) {
      this.#inBatch = true;
      socket.cork();
      batch(this);
    }
    const n = bytes.length;
    this.fresh += n;
    if (this.#out !== null || (socket.writableNeedDrain && !this.#midFrame && socket.writableLength > this.#corked)) {
      (this.#out ??= new OutboundQueue()).push(bytes, cb, more, kind);
      return;
    }
    if (cb !== undefined) socket.write(bytes, cb);
    else socket.write(bytes);
    this.#midFrame = more;
    if ((this.#corked += n) >= EARLY_FLUSH && !more) {
      socket.uncork();
      socket.cork();
      this.#corked = 0;
    }
  }

  /** The flush slice reached this connection: hand its batch to the kernel. */
  flushBatch(): number {
    this.#inBatch = false;
    this.fresh = 0;
    const n = this.#corked;
    this.#corked = 0;
    const socket = this.socket;
    if (socket !== null && socket.writableCorked > 0) socket.uncork();
    return n;
  }

  /** The socket drained: refill it from the own queue; 'drain' once that is empty. */
  drained(): void {
    const out = this.#out;
    const socket = this.socket;
    if (out !== null && socket !== null) {
      const cork = socket.writableCorked === 0;
      if (cork) socket.cork();
      out.moveTo(socket, Math.max(REFILL, socket.writableHighWaterMark));
      if (cork) socket.uncork();
      if (!out.empty) return;
      this.#out = null;
      if (this.#endWhenDrained) {
        socket.end();
        return;
      }
    }
    this.ws.emit('drain');
  }

  // ---- ConnectionEvents ----

  onMessage(data: Buffer, isBinary: boolean, frameEnds: readonly number[] | null): void {
    const ws = this.ws;
    ws._active = true;
    ws.emit('message', isBinary ? convertBinary(data, ws.binaryType, frameEnds) : data, isBinary);
  }

  onPing(payload: Buffer): void {
    this.ws.emit('ping', payload);
  }

  onPong(payload: Buffer): void {
    this.ws.emit('pong', payload);
  }

  onOutput(bytes: Buffer, kind: FrameKind): void {
    this.write(bytes, undefined, false, kind);
  }

  onShutdown(failed: ProtocolError | null): void {
    const socket = this.socket;
    if (socket === null) return;
    if (failed !== null) {
      // Nothing after a protocol error is trusted: later bytes are read (so
      // the peer's FIN is seen) and discarded. The connection is failed
      // here; 'error' is emitted once receive() is done (see there).
      socket.removeListener('data', socketOnData);
      this.end();
      this.armCloseTimer();
      this.#failed = failed;
      return;
    }
    // RFC 6455 §7.1.1: the server closes the TCP connection first; the
    // client waits for it (with a timeout) so the server can reuse its port.
    if (this.conn.role === 'server') this.end();
    this.armCloseTimer();
  }

  // ---- lifecycle ----

  /** Ends the socket once the own queue (holding at least the close frame) is written. */
  end(): void {
    if (this.#out !== null) this.#endWhenDrained = true;
    else this.socket?.end();
  }

  /**
   * Destroys the socket without a close handshake. What was already sent
   * is handed to the kernel first, as ws writes each frame at once: a
   * close frame (or message) sent just before still leaves. Frames waiting
   * in the own queue are dropped (their callbacks get an error).
   */
  terminate(): void {
    const socket = this.socket;
    if (socket === null) return;
    this.conn.abort();
    if (socket.writableCorked > 0) socket.uncork();
    socket.destroy();
  }

  armCloseTimer(): void {
    if (this.#closeTimer !== null || this.socket === null) return;
    const socket = this.socket;
    this.#closeTimer = setTimeout(() => socket.destroy(), this.#closeTimeout);
  }

  /**
   * A 'message'/'ping'/'pong' listener threw. The connection is failed with
   * 1011 (RFC 6455 §7.4.1: an unexpected condition) and the error goes to
   * the 'error' listeners; with none, it is rethrown like any EventEmitter
   * listener error.
   */
  listenerFailed(err: unknown): void {
    if (this.conn.readyState === OPEN) this.close(1011, '');
    if (this.ws.listenerCount('error') > 0) this.ws.emit('error', err);
    else throw err;
  }

  /** Emits 'error' only when someone listens, so a hostile peer cannot crash the process. */
  emitError(err: Error): void {
    if (this.ws.listenerCount('error') > 0) this.ws.emit('error', err);
  }

  /**
   * Received bytes, through the state machine. A message/ping/pong
   * listener that throws fails the connection (listenerFailed). A protocol
   * error is emitted after the state machine returns, outside that guard:
   * the connection is already failed, and an 'error' listener that throws
   * propagates as any EventEmitter listener's exception does.
   */
  receive(chunk: Buffer): void {
    try {
      this.conn.receive(chunk);
    } catch (err) {
      this.listenerFailed(err);
    }
    const failed = this.#failed;
    if (failed !== null) {
      this.#failed = null;
      this.emitError(failed);
    }
  }

  /** The transport is gone: emit 'close' exactly once. */
  finish(): void {
    if (this.#closeTimer !== null) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = null;
    }
    // CLOSING until 'close' is emitted, however the socket went away.
    this.conn.abort();
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    const out = this.#out;
    if (out !== null) {
      // As in ws, the callbacks of what was not sent run (with the socket's
      // error) before 'close': they are queued first, 'close' after them.
      this.#out = null;
      out.fail(this.socketError ?? new Error('Message not sent: the connection closed'));
      process.nextTick(emitClose, this);
      return;
    }
    this.emitClose();
  }

  /** 'close', once the connection is CLOSED. */
  emitClose(): void {
    this.conn.transportClosed();
    const socket = this.socket as SocketWithIo | null;
    if (socket !== null) {
      socket.removeListener('data', socketOnData);
      socket.removeListener('end', socketOnEnd);
      socket.removeListener('drain', socketOnDrain);
      socket[kIo] = undefined;
    }
    const ws = this.ws;
    // The server forgets the connection before 'close' listeners run, as ws does.
    if (ws._server !== null) ws._server._clientClosed(ws as never);
    ws.emit('close', this.conn.closeCode, this.conn.closeReason);
  }
}

function emitClose(io: Transport): void {
  io.emitClose();
}

function receiveHead(io: Transport, head: Buffer): void {
  io.receive(head);
}

function socketOnData(this: SocketWithIo, chunk: Buffer): void {
  const io = this[kIo];
  if (io === undefined) return;
  io.ws._alive = true;
  io.receive(chunk);
}

function socketOnEnd(this: SocketWithIo): void {
  // The peer half-closed. Finish our side; 'close' follows.
  const io = this[kIo];
  if (io === undefined) {
    this.end();
    return;
  }
  io.conn.transportEnded();
  io.end();
}

function socketOnClose(this: SocketWithIo): void {
  this[kIo]?.finish();
  this.removeListener('close', socketOnClose);
  this.removeListener('error', socketOnError);
  // Keep a no-op error listener: a late 'error' must never crash the process.
  this.on('error', noop);
}

function socketOnError(this: SocketWithIo, err: Error): void {
  // Network errors (ECONNRESET, EPIPE) end the connection; 'close' reports 1006.
  const io = this[kIo];
  if (io !== undefined) io.socketError ??= err;
  this.destroy();
}

function socketOnDrain(this: SocketWithIo): void {
  this[kIo]?.drained();
}

function noop(): void {}
