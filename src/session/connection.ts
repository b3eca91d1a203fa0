// One WebSocket connection as a sans-I/O state machine: bytes in -> events
// out, commands in -> bytes out. No sockets, no timers: the binding
// (websocket.ts) owns I/O and time and tells this object what happened.
//
// States follow the WebSocket API: CONNECTING (handshake not done), OPEN,
// CLOSING (a close frame was sent or received), CLOSED (TCP is gone).

import { CloseCode, Opcode } from '../frame/constants.js';
import { encodeClosePayload, encodeFrame, encodeHeader, prepareFrame, toBuffer } from '../frame/encoder.js';
import { isValidCloseCode } from '../frame/close-codes.js';
import type { ProtocolError } from '../frame/errors.js';
import { FrameParser, type Role } from '../frame/parser.js';
import { isUtf8 } from '../frame/utf8.js';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
export type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

/**
 * What a write carries, for a binding that queues frames: control frames
 * may be sent ahead of queued data (at a frame boundary), automatic pongs
 * may replace one another, and nothing follows a close frame.
 */
export const FRAME_DATA = 0;
export const FRAME_CONTROL = 1;
export const FRAME_AUTO_PONG = 2;
export const FRAME_CLOSE = 3;
export type FrameKind = typeof FRAME_DATA | typeof FRAME_CONTROL | typeof FRAME_AUTO_PONG | typeof FRAME_CLOSE;

/** What the state machine asks of its binding. */
export interface ConnectionSink {
  /**
   * Bytes to put on the wire. `more`: the next write continues this frame.
   * `kind` (default FRAME_DATA) says what the frame is; a binding that
   * writes everything in order may ignore it.
   */
  write(bytes: Buffer, more?: boolean, kind?: FrameKind): void;
  deliverMessage(data: Buffer, isBinary: boolean): void;
  deliverPing(payload: Buffer): void;
  deliverPong(payload: Buffer): void;
  /**
   * The close handshake finished (both frames exchanged) or the connection
   * was failed: the transport should now be closed. `failed` carries the
   * protocol error when we failed the connection (RFC 6455 §7.1.7).
   */
  shutdown(failed: ProtocolError | null): void;
}

export interface ConnectionOptions {
  role: Role;
  maxPayload?: number;
  skipUtf8Validation?: boolean;
  /** Answer pings automatically (RFC 6455 §5.5.2). Default true. */
  autoPong?: boolean;
}

const EMPTY = Buffer.alloc(0);

/** Payloads at least this big are written after a separate header, uncopied. */
const GATHER_THRESHOLD = 16 * 1024;

export class Connection {
  readyState: ReadyState = CONNECTING;
  /** Close code and reason received from the peer (1005/empty when none given). */
  closeCode = CloseCode.Abnormal as number;
  closeReason: Buffer = EMPTY;
  closeSent = false;
  closeReceived = false;

  readonly role: Role;
  private readonly sink: ConnectionSink;
  private readonly parser: FrameParser;
  private readonly mask: boolean;
  private readonly autoPong: boolean;

  constructor(options: ConnectionOptions, sink: ConnectionSink) {
    this.sink = sink;
    this.role = options.role;
    this.mask = options.role === 'client';
    this.autoPong = options.autoPong !== false;
    this.parser = new FrameParser(
      { role: options.role, maxPayload: options.maxPayload, skipUtf8Validation: options.skipUtf8Validation },
      this,
    );
  }

  /** The handshake completed. */
  open(): void {
    if (this.readyState === CONNECTING) this.readyState = OPEN;
  }

  /** Bytes from the peer. */
  receive(chunk: Buffer): void {
    // RFC 6455 §5.5.1: nothing is processed after a close frame.
    if (this.closeReceived || this.readyState === CLOSED) return;
    this.parser.push(chunk);
  }

  /** The transport is gone (either side closed it, or it failed). */
  transportClosed(): void {
    this.readyState = CLOSED;
    this.parser.reset();
  }

  /** Encodes a data message. Returns false when not OPEN (nothing written). */
  /**
   * Encodes a data message, or one fragment of it when `fin` is false: the
   * following sends continue the same message (RFC 6455 §5.4) until one
   * with `fin` true ends it.
   */
  send(data: string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[], isBinary: boolean, fin = true): boolean {
    if (this.readyState !== OPEN) return false;
    const opcode = this.fragmenting ? Opcode.Continuation : isBinary ? Opcode.Binary : Opcode.Text;
    if (typeof data === 'string' && !this.mask && fin && opcode !== Opcode.Continuation) {
      // Whole server messages from strings: encoded straight into the frame,
      // and shared across recipients when the same string is sent again.
      this.sink.write(prepareFrame(data, isBinary));
      return true;
    }
    this.fragmenting = !fin;
    const payload = toBuffer(data);
    if (!this.mask && payload.length >= GATHER_THRESHOLD) {
      this.sink.write(encodeHeader(opcode, payload.length, { fin }), true);
      this.sink.write(payload);
    } else {
      this.sink.write(encodeFrame(opcode, payload, { mask: this.mask, fin }));
    }
    return true;
  }

  /** True while a message sent with fin=false awaits its final fragment. */
  fragmenting = false;

  /**
   * Writes a frame the caller already encoded (see prepareFrame). Refused
   * (false) while a fragmented send is open: a whole message cannot be
   * interleaved with the fragments of another (RFC 6455 §5.4).
   */
  sendRaw(frame: Buffer): boolean {
    if (this.readyState !== OPEN || this.fragmenting) return false;
    this.sink.write(frame);
    return true;
  }

  ping(payload: Buffer): boolean {
    return this.control(Opcode.Ping, payload);
  }

  pong(payload: Buffer): boolean {
    return this.control(Opcode.Pong, payload);
  }

  /**
   * Starts (or answers) the close handshake. Validation of code and reason is
   * the caller's job (see checkClose) so errors surface where they are made.
   */
  close(code?: number, reason?: string | Buffer): void {
    if (this.closeSent || this.readyState === CLOSED) return;
    this.closeSent = true;
    this.readyState = CLOSING;
    this.sink.write(encodeFrame(Opcode.Close, encodeClosePayload(code, reason), { mask: this.mask }), false, closeKind(code));
    if (this.closeReceived) this.sink.shutdown(null);
  }

  private control(opcode: number, payload: Buffer): boolean {
    if (this.readyState !== OPEN || this.closeSent) return false;
    this.sink.write(encodeFrame(opcode, payload, { mask: this.mask }), false, FRAME_CONTROL);
    return true;
  }

  // ---- ParserSink ----

  onMessage(data: Buffer, isBinary: boolean): void {
    this.sink.deliverMessage(data, isBinary);
  }

  onPing(payload: Buffer): void {
    // RFC 6455 §5.5.2: answer with a pong carrying the same payload, unless a
    // close frame was already sent.
    if (this.autoPong && this.readyState === OPEN && !this.closeSent) {
      this.sink.write(encodeFrame(Opcode.Pong, payload, { mask: this.mask }), false, FRAME_AUTO_PONG);
    }
    this.sink.deliverPing(payload);
  }

  onPong(payload: Buffer): void {
    this.sink.deliverPong(payload);
  }

  onClose(code: number, reason: Buffer): void {
    this.closeReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    if (this.readyState === OPEN) this.readyState = CLOSING;
    if (!this.closeSent) {
      // RFC 6455 §5.5.1: echo the status code we received (and its reason).
      this.closeSent = true;
      // The peer may still be reading what we sent before its close: the echo follows it.
      this.sink.write(encodeFrame(Opcode.Close, encodeClosePayload(code === 1005 ? undefined : code, reason), { mask: this.mask }), false, FRAME_DATA);
    }
    this.sink.shutdown(null);
  }

  onError(error: ProtocolError): void {
    // RFC 6455 §7.1.7: fail the connection: send a close frame with the
    // matching code (unless one went out already), then drop the transport.
    this.closeCode = error.closeCode;
    this.closeReason = EMPTY;
    if (!this.closeSent && this.readyState !== CLOSED) {
      this.closeSent = true;
      this.sink.write(encodeFrame(Opcode.Close, encodeClosePayload(error.closeCode), { mask: this.mask }), false, FRAME_CLOSE);
    }
    if (this.readyState !== CLOSED) this.readyState = CLOSING;
    this.sink.shutdown(error);
  }
}

/**
 * Where a close frame goes on a backed-up connection. A close for cause (a
 * protocol error or a policy: 1002-1011, 1013, 1014; a peer over a limit
 * such as the backpressure bound, a flood, an invalid message) overtakes the
 * queued data, which is then never sent: the peer is not reading, and the
 * close is what must reach it. A normal close (none, 1000, 1001 going away,
 * 1012 restart, 3000-4999) follows the data already sent, as in ws: a
 * graceful close loses nothing.
 */
function closeKind(code: number | undefined): FrameKind {
  return code !== undefined && code >= 1002 && code <= 1014 && code !== 1012 ? FRAME_CLOSE : FRAME_DATA;
}

/** Validates the arguments of close(): throws like the WebSocket API does. */
export function checkClose(code: number | undefined, reason: string | Buffer | undefined): void {
  if (code !== undefined && (typeof code !== 'number' || !isValidCloseCode(code) || code === 1005)) {
    throw new TypeError(`Invalid close code: ${String(code)}; use 1000 or 3000-4999 (or another sendable code)`);
  }
  if (reason !== undefined && reason !== '') {
    const bytes = typeof reason === 'string' ? Buffer.from(reason) : reason;
    if (bytes.length > 123) throw new SyntaxError('Close reason must be at most 123 bytes');
    if (!isUtf8(bytes)) throw new SyntaxError('Close reason must be valid UTF-8');
    if (code === undefined) throw new TypeError('A close reason needs a close code');
  }
}
