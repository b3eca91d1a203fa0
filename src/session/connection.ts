// One WebSocket connection as a sans-I/O state machine. No sockets, no
// timers, no module-wide state: the binding (transport.ts) owns I/O and time
// and reports what happened to the transport.
//
//   bytes in:      receive(chunk)            -> events out (ConnectionEvents)
//   commands in:   send / sendRaw / ping /   -> the bytes to write, returned
//                  pong / close                 (null: nothing to send now)
//   transport:     open(), transportEnded(), transportClosed()
//
// Bytes the connection produces by itself while receiving (an automatic
// pong, the answer to the peer's close frame, the close frame that fails
// the connection) come out through the `onOutput(bytes, kind)` event, in
// order with the other events. A command's bytes are returned, so the
// binding writes them together with the caller's callback and no per-call
// object or closure is made. What kind of frame a command returns follows
// from the command: send/sendRaw give data, ping/pong control frames, and
// close a close frame whose queueing closeKind(code) tells.
//
// The state (one field, in the spirit of python wsproto's ConnectionState):
//
//   CONNECTING ──open()──> OPEN ──close()──────────> LOCAL_CLOSING
//                           │ │                            │ peer's close frame
//                           │ └─peer's close frame ────────┴──> CLOSE_EXCHANGED
//                           │   (answered at once)
//                           ├─transportEnded() (FIN, no close frame)──> REMOTE_CLOSING
//                           └─protocol error (close frame sent)─────────> FAILED
//   any ──transportClosed()──> CLOSED_CLEAN (from CLOSE_EXCHANGED) or CLOSED
//
// FAILED also follows LOCAL_CLOSING on a protocol error or a FIN, and
// REMOTE_CLOSING once it sends its close frame: in each, the peer's close
// frame cannot come any more. The WebSocket API's readyState is derived:
// CONNECTING 0, OPEN 1, the four closing states 2, the two closed states 3.

import { CloseCode, Opcode } from '../frame/constants.js';
import { encodeClosePayload, encodeHeader, encodeWith, toBuffer, type FrameCache } from '../frame/encoder.js';
import type { ProtocolError } from '../frame/errors.js';
import { MaskKeys } from '../frame/mask.js';
import { FrameParser, type ParserSink, type Role } from '../frame/parser.js';
import type { DeflateParams, DeflateSettings } from '../handshake/permessage-deflate.js';
import { atLeast, compressedFrame, createCodec, type DeflateCodec, type SharedDeflate } from './deflate.js';

export { checkClose } from './close-args.js';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
export type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

// The connection's own states (see the diagram above).
const S_CONNECTING = 0;
const S_OPEN = 1;
/** We sent a close frame; the peer's has not arrived. */
const S_LOCAL_CLOSING = 2;
/** The peer ended the transport (FIN) without a close frame; we sent none. */
const S_REMOTE_CLOSING = 3;
/** Both close frames were exchanged; the transport is to be closed. */
const S_CLOSE_EXCHANGED = 4;
/**
 * No clean close handshake any more, and nothing more to send or receive:
 * we failed the connection on a protocol error (RFC 6455 §7.1.7), or sent
 * our close frame after the peer ended the transport without one.
 */
const S_FAILED = 5;
/** The transport is gone after a clean close handshake. */
const S_CLOSED_CLEAN = 6;
/** The transport is gone, without a clean close handshake. */
const S_CLOSED = 7;
type State = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** readyState of each state. */
const READY_STATE: readonly ReadyState[] = [CONNECTING, OPEN, CLOSING, CLOSING, CLOSING, CLOSING, CLOSED, CLOSED];

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

/**
 * The bytes of one outgoing frame: one Buffer, or a header and the caller's
 * large payload, to be written one after the other without copying.
 */
export type FrameBytes = Buffer | readonly [header: Buffer, payload: Buffer];

/** What the connection reports to its binding while receiving. */
export interface ConnectionEvents {
  /** A complete data message; `frameEnds` as the parser reports it (ParserSink). */
  onMessage(data: Buffer, isBinary: boolean, frameEnds: readonly number[] | null): void;
  /** A ping; when autoPong is on, its pong went out through onOutput just before. */
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /**
   * Bytes to put on the wire that no command asked for: an automatic pong
   * (FRAME_AUTO_PONG), the answer to the peer's close frame (FRAME_DATA: it
   * follows what we sent before), the close frame failing the connection
   * (FRAME_CLOSE).
   */
  onOutput(bytes: Buffer, kind: FrameKind): void;
  /**
   * The close handshake finished (both frames exchanged) or the connection
   * was failed: the transport should now be closed. `failed` carries the
   * protocol error when we failed the connection (RFC 6455 §7.1.7).
   */
  onShutdown(failed: ProtocolError | null): void;
}

export interface ConnectionOptions {
  role: Role;
  maxPayload?: number;
  skipUtf8Validation?: boolean;
  /** Answer pings automatically (RFC 6455 §5.5.2). Default true. */
  autoPong?: boolean;
  /**
   * Frames of whole string messages are taken from here (server role): a
   * cache shared by many connections lets the same string sent to each of
   * them be encoded once. Default: none, each send encodes.
   */
  frameCache?: FrameCache;
  /** Client role: fills each frame's 4-byte mask key (default: random keys from a per-connection pool). */
  generateMask?: (mask: Buffer) => void;
}

const EMPTY = Buffer.alloc(0);

/** Payloads at least this big are written after a separate header, uncopied. */
const GATHER_THRESHOLD = 16 * 1024;

export class Connection {
  readonly role: Role;
  #state: State = S_CONNECTING;
  /** Close code and reason from the peer's close frame, or the code we failed with. */
  #closeCode: number = CloseCode.Abnormal;
  #closeReason: Buffer = EMPTY;
  /** A message sent with fin=false awaits its final fragment. */
  #fragmenting = false;
  readonly #events: ConnectionEvents;
  readonly #parser: FrameParser;
  readonly #mask: boolean;
  readonly #keys: MaskKeys | null;
  readonly #autoPong: boolean;
  readonly #frames: FrameCache | null;
  readonly #maxPayload: number;
  /** permessage-deflate, once the handshake negotiated it. */
  #deflate: DeflateCodec | null = null;
  /** The message being sent in fragments is compressed (RSV1 on its first frame). */
  #compressing = false;

  constructor(options: ConnectionOptions, events: ConnectionEvents) {
    this.#events = events;
    this.role = options.role;
    this.#mask = options.role === 'client';
    this.#keys = this.#mask ? new MaskKeys(options.generateMask) : null;
    this.#autoPong = options.autoPong !== false;
    this.#frames = this.#mask ? null : (options.frameCache ?? null);
    this.#maxPayload = options.maxPayload ?? 0;
    this.#parser = new FrameParser(
      { role: options.role, maxPayload: options.maxPayload, skipUtf8Validation: options.skipUtf8Validation },
      new Connection.#Received(this),
    );
  }

  /** The WebSocket API's readyState. */
  get readyState(): ReadyState {
    return READY_STATE[this.#state];
  }
  /**
   * The code for the close event: the peer's close code (1005 when its
   * close frame had none), or 1006 when no close frame arrived, including
   * when we failed the connection (the peer is sent the error's code).
   */
  get closeCode(): number {
    return this.#closeCode;
  }
  /** The reason from the peer's close frame (empty when none). */
  get closeReason(): Buffer {
    return this.#closeReason;
  }
  /** Both close frames were exchanged (CloseEvent.wasClean). */
  get wasClean(): boolean {
    return this.#state === S_CLOSE_EXCHANGED || this.#state === S_CLOSED_CLEAN;
  }
  /** Whether received messages report their frame boundaries (ConnectionEvents.onMessage's frameEnds). */
  set trackFrames(on: boolean) {
    this.#parser.trackFrames = on;
  }
  /** True while a message sent with fin=false awaits its final fragment. */
  get fragmenting(): boolean {
    return this.#fragmenting;
  }

  /** permessage-deflate as negotiated (before open()): inflate what the peer compressed, compress ours from the threshold on. */
  enableDeflate(params: DeflateParams, settings: DeflateSettings): void {
    const codec = createCodec(params, settings, this.role, this.#maxPayload);
    this.#deflate = codec;
    this.#parser.setDecompressor(codec.inflater);
  }

  /** Non-null when a message compressed alone is valid here (see SharedDeflate). */
  get sharedDeflate(): SharedDeflate | null {
    return this.#deflate === null ? null : this.#deflate.shared;
  }

  // ---- transport in ----

  /** The handshake completed. */
  open(): void {
    if (this.#state === S_CONNECTING) this.#state = S_OPEN;
  }

  /** Bytes from the peer; what they mean comes out as events. */
  receive(chunk: Buffer): void {
    // RFC 6455 §5.5.1: nothing is processed after a close frame (nor after
    // we failed the connection, nor once the transport is done).
    const s = this.#state;
    if (s === S_OPEN || s === S_LOCAL_CLOSING) this.#parser.push(chunk);
  }

  /** The peer ended its side of the transport (a TCP FIN): no close frame can follow. */
  transportEnded(): void {
    const s = this.#state;
    if (s === S_OPEN || s === S_CONNECTING) this.#state = S_REMOTE_CLOSING;
    else if (s === S_LOCAL_CLOSING) this.#state = S_FAILED;
  }

  /**
   * The transport is being destroyed without a close handshake
   * (terminate(), or an opening handshake that failed): CLOSING until it is
   * gone. A close handshake that already finished stays finished.
   */
  abort(): void {
    const s = this.#state;
    if (s === S_CONNECTING || s === S_OPEN || s === S_LOCAL_CLOSING || s === S_REMOTE_CLOSING) this.#state = S_FAILED;
  }

  /** The transport is gone (either side closed it, or it failed). */
  transportClosed(): void {
    const s = this.#state;
    if (s === S_CLOSED || s === S_CLOSED_CLEAN) return;
    this.#state = s === S_CLOSE_EXCHANGED ? S_CLOSED_CLEAN : S_CLOSED;
    this.#parser.reset();
  }

  // ---- commands in, bytes out ----

  /**
   * Encodes a data message, or one fragment of it when `fin` is false: the
   * following sends continue the same message (RFC 6455 §5.4) until one
   * with `fin` true ends it. Null when not OPEN (nothing to send).
   */
  send(data: string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[], isBinary: boolean, fin = true, compress = true): FrameBytes | null {
    if (this.#state !== S_OPEN) return null;
    const codec = this.#deflate;
    if (codec !== null) {
      // RFC 7692 §6: a message is compressed or not as a whole; decided
      // at its first fragment (as ws decides it: by that fragment's size).
      if (!this.#fragmenting) this.#compressing = compress && atLeast(data, codec.threshold);
      if (this.#compressing) {
        const first = !this.#fragmenting;
        this.#fragmenting = !fin;
        return compressedFrame(codec, data, isBinary, first, fin, this.#keys);
      }
    }
    const frames = this.#frames;
    if (frames !== null && typeof data === 'string' && fin && !this.#fragmenting) {
      // Whole server messages from strings: encoded straight into the frame,
      // and shared across recipients when the same string is sent again.
      return frames.frame(data, isBinary);
    }
    const opcode = this.#fragmenting ? Opcode.Continuation : isBinary ? Opcode.Binary : Opcode.Text;
    this.#fragmenting = !fin;
    const payload = toBuffer(data);
    if (!this.#mask && payload.length >= GATHER_THRESHOLD) return [encodeHeader(opcode, payload.length, { fin }), payload];
    return encodeWith(opcode, payload, fin, false, this.#mask, this.#keys);
  }

  /**
   * Passes through a frame the caller already encoded (see prepareFrame).
   * Null while not OPEN, or while a fragmented send is open: a whole message
   * cannot be interleaved with the fragments of another (RFC 6455 §5.4).
   * A compressed frame (RSV1, see prepareDeflatedFrame) only where a
   * message compressed alone is valid: elsewhere the peer would fail the
   * connection, or read it against a context it does not share with us.
   */
  sendRaw(frame: Buffer): Buffer | null {
    if ((frame[0] & 0x40) !== 0 && this.sharedDeflate === null) return null;
    return this.#state === S_OPEN && !this.#fragmenting ? frame : null;
  }

  /** A ping frame (FRAME_CONTROL); null when not OPEN. */
  ping(payload: Buffer): Buffer | null {
    return this.#state === S_OPEN ? this.#frame(Opcode.Ping, payload) : null;
  }

  /** A pong frame (FRAME_CONTROL); null when not OPEN. */
  pong(payload: Buffer): Buffer | null {
    return this.#state === S_OPEN ? this.#frame(Opcode.Pong, payload) : null;
  }

  /**
   * Starts the close handshake: the close frame to write (queue it as
   * closeKind(code) says), or null when a close frame was already sent or
   * none can be. Validation of code and reason is the caller's job (see
   * checkClose) so errors surface where they are made.
   */
  close(code?: number, reason?: string | Buffer): Buffer | null {
    const s = this.#state;
    if (s !== S_OPEN && s !== S_REMOTE_CLOSING) return null;
    this.#state = s === S_OPEN ? S_LOCAL_CLOSING : S_FAILED;
    return this.#frame(Opcode.Close, encodeClosePayload(code, reason));
  }

  #frame(opcode: number, payload: Buffer): Buffer {
    return encodeWith(opcode, payload, true, false, this.#mask, this.#keys);
  }

  // ---- what the parser found ----

  /**
   * The parser's sink: a separate object, so that the parser's callbacks are
   * not methods anyone could call on a Connection. Declared inside the class
   * body to reach its private members.
   */
  static readonly #Received = class Received implements ParserSink {
    readonly c: Connection;
    constructor(c: Connection) {
      this.c = c;
    }
    onMessage(data: Buffer, isBinary: boolean, frameEnds: readonly number[] | null): void {
      this.c.#events.onMessage(data, isBinary, frameEnds);
    }
    onPing(payload: Buffer): void {
      this.c.#ping(payload);
    }
    onPong(payload: Buffer): void {
      this.c.#events.onPong(payload);
    }
    onClose(code: number, reason: Buffer): void {
      this.c.#closed(code, reason);
    }
    onError(error: ProtocolError): void {
      this.c.#failed(error);
    }
  };

  #ping(payload: Buffer): void {
    // RFC 6455 §5.5.2: answer with a pong carrying the same payload, unless
    // a close frame was already sent.
    if (this.#autoPong && this.#state === S_OPEN) this.#events.onOutput(this.#frame(Opcode.Pong, payload), FRAME_AUTO_PONG);
    this.#events.onPing(payload);
  }

  #closed(code: number, reason: Buffer): void {
    this.#closeCode = code;
    this.#closeReason = reason;
    const answer = this.#state === S_OPEN;
    this.#state = S_CLOSE_EXCHANGED;
    if (answer) {
      // RFC 6455 §5.5.1: echo the status code we received (and its reason).
      // The peer may still be reading what we sent before its close: the
      // echo follows it (FRAME_DATA).
      this.#events.onOutput(this.#frame(Opcode.Close, encodeClosePayload(code === CloseCode.NoStatus ? undefined : code, reason)), FRAME_DATA);
    }
    this.#events.onShutdown(null);
  }

  #failed(error: ProtocolError): void {
    // RFC 6455 §7.1.7: fail the connection: send a close frame with the
    // matching code (unless one went out already), then drop the transport.
    // The close handshake did not complete: locally that is 1006, whatever
    // code the peer is told (as ws reports it).
    this.#closeCode = CloseCode.Abnormal;
    this.#closeReason = EMPTY;
    const send = this.#state === S_OPEN;
    this.#state = S_FAILED;
    if (send) this.#events.onOutput(this.#frame(Opcode.Close, encodeClosePayload(error.closeCode)), FRAME_CLOSE);
    this.#events.onShutdown(error);
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
export function closeKind(code: number | undefined): FrameKind {
  return code !== undefined && code >= 1002 && code <= 1014 && code !== 1012 ? FRAME_CLOSE : FRAME_DATA;
}
