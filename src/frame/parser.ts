// Streaming, sans-I/O frame parser (RFC 6455 §5). Bytes go in through
// `push()`, in chunks split at any byte boundary; complete messages and
// control frames come out through the sink. It never touches a socket.
//
// A frame that lies within one chunk is delivered as a slice of it (no copy);
// masked payloads are unmasked in place, so callers hand over ownership of the
// chunks they push.
//
// Memory is bounded by the bytes received, whatever their framing: the data
// of a fragmented message (or of a frame trickling in as small chunks) is
// copied into one buffer per message, grown as bytes arrive and never beyond
// maxPayload, and the few bytes left between frames (a partial header, a
// partial control frame) are moved into a small buffer of their own. So a
// peer that sends a message as a million 1-byte fragments makes us hold
// about a million bytes, not a million Buffer objects (or the socket chunks
// they would slice).

import { Opcode } from './constants.js';
import { headerError } from './header-rules.js';
import { readClosePayload } from './close-codes.js';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { ByteQueue } from './byte-queue.js';
import { applyMask } from './mask.js';
import { isUtf8, Utf8Validator } from './utf8.js';
import { constants as bufferConstants } from 'node:buffer';
import type { MessageDecompressor } from './deflate.js';

export type { MessageDecompressor } from './deflate.js';

/** Largest payload a single Buffer can hold on this platform. */
const MAX_BUFFER = bufferConstants.MAX_LENGTH;

export type Role = 'server' | 'client';

export interface ParserSink {
  /**
   * A complete data message. `data` is a Buffer the sink may keep.
   * `frameEnds` (with trackFrames): where each frame with bytes ended in it.
   */
  onMessage(data: Buffer, isBinary: boolean, frameEnds: readonly number[] | null): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /**
   * A close frame. `code` is 1005 when the frame had no payload. The parser
   * stops there: bytes after a close frame, even in the same chunk, are
   * discarded (RFC 6455 §5.5.1).
   */
  onClose(code: number, reason: Buffer): void;
  /** A protocol violation; the parser stops and ignores further input. */
  onError(error: ProtocolError): void;
}

export interface ParserOptions {
  /** Which side we are: a server requires masked frames, a client forbids them. */
  role: Role;
  /** Largest message (sum of its fragments) accepted, in bytes. 0 = no limit. */
  maxPayload?: number;
  /** RSV bits claimed by a negotiated extension (bit mask of 0x40/0x20/0x10). */
  allowedRsv?: number;
  /** Skip UTF-8 validation of text messages (close reasons are still checked). */
  skipUtf8Validation?: boolean;
}

const EMPTY = Buffer.alloc(0);

// States of the frame reader.
const S_HEADER = 0;
const S_PAYLOAD = 1;
const S_FAILED = 2;
/** A close frame was read; input is ignored from then on. */
const S_CLOSED = 3;

/** The first buffer of a message assembled from pieces holds at least this much. */
const MIN_ASSEMBLY = 1024;
/** Smallest average size of the input chunks a partial unfragmented frame may wait in. */
const MIN_CHUNK = 1024;

export class FrameParser {
  private readonly sink: ParserSink;
  private readonly server: boolean;
  private readonly maxPayload: number;
  private readonly allowedRsv: number;
  private readonly checkUtf8: boolean;

  // Input queue: chunks not consumed yet, the offset into the first one.
  // Between push() calls it holds at most one small buffer (see spill()).
  private readonly input = new ByteQueue();

  private state = S_HEADER;
  // The frame being read.
  private fin = false;
  private opcode = 0;
  private masked = false;
  private payloadLength = 0;
  /** Bytes of the current data frame's payload already copied into `assembly`. */
  private frameRead = 0;
  private maskKey = new Uint8Array(4);

  // The message being assembled: data frames that did not arrive whole are
  // copied into `assembly` (capacity <= maxPayload); `messageLength` counts
  // the bytes of the message's complete frames.
  private messageOpcode = 0;
  private assembly: Buffer | null = null;
  private assembled = 0;
  private messageLength = 0;
  private utf8: Utf8Validator | null = null;
  /** permessage-deflate, once negotiated (setDecompressor). */
  private inflater: MessageDecompressor | null = null;
  /** The current frame's RSV1 bit, and the current message's (RFC 7692 §6: set on its first frame). */
  private rsv1 = false;
  private messageCompressed = false;
  /** Report frame boundaries (onMessage's frameEnds); off by default, as tiny frames would cost a number each. */
  trackFrames = false;
  private frameEnds: number[] | null = null;

  constructor(options: ParserOptions, sink: ParserSink) {
    this.sink = sink;
    this.server = options.role === 'server';
    this.maxPayload = options.maxPayload ?? 0;
    this.allowedRsv = options.allowedRsv ?? 0;
    this.checkUtf8 = !options.skipUtf8Validation;
  }

  /**
   * permessage-deflate was negotiated (RFC 7692): RSV1 on the first frame
   * of a data message marks it compressed, and it is inflated before
   * delivery (UTF-8 is then checked on the inflated text).
   */
  setDecompressor(inflater: MessageDecompressor): void {
    this.inflater = inflater;
  }

  /** True once a protocol error was reported; further input is ignored. */
  get failed(): boolean {
    return this.state === S_FAILED;
  }

  /** Bytes received but not yet consumed by a complete frame. */
  get bufferedBytes(): number {
    return this.input.length + this.assembled;
  }

  push(chunk: Buffer): void {
    if (this.state >= S_FAILED || chunk.length === 0) return;
    this.input.push(chunk);
    for (;;) {
      if (this.state === S_HEADER) {
        if (!this.readHeader()) break;
      } else if (this.state === S_PAYLOAD) {
        if (this.opcode >= 0x8) {
          // Control frames carry at most 125 bytes: wait for all of them.
          if (this.input.length < this.payloadLength) break;
          this.readControl();
        } else if (this.frameRead === 0 && this.fin && this.opcode !== Opcode.Continuation) {
          // An unfragmented message: delivered as a slice when it is all
          // here; until then its chunks wait as they are (copied once, at
          // the end) while they average MIN_CHUNK bytes or more. Smaller
          // ones would cost more in Buffer objects than they carry: the
          // payload then goes to the assembly buffer instead.
          if (this.input.length >= this.payloadLength) this.readWhole();
          else if (this.input.chunks.length * MIN_CHUNK <= this.input.length) break;
          else if (!this.readPiece()) break;
        } else if (!this.readPiece()) {
          break;
        }
      } else {
        return;
      }
    }
    if (this.input.length > 0 && (this.state === S_HEADER || this.opcode >= 0x8)) this.input.spill();
  }

  /** Drops buffered input and any partial message (after close or failure). */
  reset(): void {
    this.input.clear();
    this.dropMessage();
    if (this.state < S_FAILED) this.state = S_HEADER;
  }

  private dropMessage(): void {
    this.assembly = null;
    this.assembled = 0;
    this.frameEnds = null;
    this.messageLength = 0;
    this.messageOpcode = 0;
    this.frameRead = 0;
    this.messageCompressed = false;
    this.utf8?.reset();
  }

  private fail(message: string, code: ProtocolErrorCode, closeCode: number): false {
    this.state = S_FAILED;
    this.input.clear();
    this.dropMessage();
    this.sink.onError(new ProtocolError(message, code, closeCode));
    return false;
  }

  /** Parses a frame header if enough bytes are buffered. */
  private readHeader(): boolean {
    if (this.input.length < 2) return false;
    const b0 = this.input.byteAt(0);
    const b1 = this.input.byteAt(1);
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;

    const problem = headerError(b0, b1, this.allowedRsv, this.inflater !== null, this.messageOpcode !== 0, this.server);
    if (problem !== null) return this.fail(problem.message, problem.code, problem.closeCode);
    const control = (opcode & 0x08) !== 0;
    // RFC 7692 §6: RSV1 marks a compressed message (headerError let it through only where allowed).
    const rsv1 = (b0 & 0x40) !== 0 && this.inflater !== null && (opcode === Opcode.Text || opcode === Opcode.Binary);

    let headerSize = 2;
    if (len === 126) {
      if (this.input.length < 4) return false;
      len = (this.input.byteAt(2) << 8) | this.input.byteAt(3);
      headerSize = 4;
    } else if (len === 127) {
      if (this.input.length < 10) return false;
      const hi = this.input.byteAt(2) * 0x1000000 + ((this.input.byteAt(3) << 16) | (this.input.byteAt(4) << 8) | this.input.byteAt(5));
      const lo = this.input.byteAt(6) * 0x1000000 + ((this.input.byteAt(7) << 16) | (this.input.byteAt(8) << 8) | this.input.byteAt(9));
      // RFC 6455 §5.2: the most significant bit must be 0. Lengths above what
      // a Buffer (and a JS integer) can hold are refused too.
      if (hi >= 0x80000000) {
        return this.fail('Invalid WebSocket frame: the most significant bit of a 64-bit length must be 0', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 1002);
      }
      const total = hi * 0x100000000 + lo;
      if (total > MAX_BUFFER) {
        return this.fail('Unsupported WebSocket frame: payload length > 2^53 - 1', 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 1009);
      }
      len = total;
      headerSize = 10;
    }
    if (masked) {
      if (this.input.length < headerSize + 4) return false;
    }
    // Enforce maxPayload on the running message size before buffering it.
    if (!control && this.maxPayload > 0 && this.messageLength + len > this.maxPayload) {
      return this.fail(
        'Max payload size exceeded',
        'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
        1009,
      );
    }
    if (!control && this.messageLength + len > MAX_BUFFER) {
      return this.fail('Max payload size exceeded', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009);
    }
    if (masked) {
      this.maskKey[0] = this.input.byteAt(headerSize);
      this.maskKey[1] = this.input.byteAt(headerSize + 1);
      this.maskKey[2] = this.input.byteAt(headerSize + 2);
      this.maskKey[3] = this.input.byteAt(headerSize + 3);
      headerSize += 4;
    }
    this.input.skip(headerSize);
    this.fin = fin;
    this.opcode = opcode;
    this.rsv1 = rsv1;
    this.masked = masked;
    this.payloadLength = len;
    this.state = S_PAYLOAD;
    return true;
  }

  /** A whole unfragmented message, all buffered: delivered as a slice, uncopied. */
  private readWhole(): void {
    const payload = this.input.take(this.payloadLength);
    if (this.masked && payload.length > 0) applyMask(payload, this.maskKey);
    this.state = S_HEADER;
    this.deliver(payload, this.opcode === Opcode.Binary, this.rsv1, false, null);
  }

  /**
   * A complete message: inflated when compressed, its text checked unless
   * that was done while it arrived (`checked`), then handed to the sink.
   */
  private deliver(data: Buffer, isBinary: boolean, compressed: boolean, checked: boolean, frameEnds: readonly number[] | null): void {
    if (compressed) {
      const out = this.inflater!.inflate(data);
      if (!Buffer.isBuffer(out)) {
        this.fail(out.message, out.code, out.closeCode);
        return;
      }
      data = out;
      // Boundaries of compressed frames say nothing of the inflated bytes.
      frameEnds = null;
    }
    if (!isBinary && !checked && this.checkUtf8 && !isUtf8(data)) {
      this.fail('Invalid WebSocket frame: invalid UTF-8 sequence', 'WS_ERR_INVALID_UTF8', 1007);
      return;
    }
    this.sink.onMessage(data, isBinary, frameEnds);
  }

  /**
   * Copies what is buffered of the current data frame into the message's
   * assembly buffer. Returns false when the frame is not complete yet.
   */
  private readPiece(): boolean {
    const n = Math.min(this.payloadLength - this.frameRead, this.input.length);
    if (n > 0) {
      this.reserve(this.assembled + n);
      this.input.copyOut(this.assembly!, this.assembled, n);
      this.assembled += n;
      this.frameRead += n;
    }
    if (this.frameRead < this.payloadLength) return false;
    const length = this.payloadLength;
    const start = this.assembled - length;
    if (this.masked && length > 0) applyMask(this.assembly!, this.maskKey, start, this.assembled);
    if (this.trackFrames && length > 0 && !(this.fin && this.opcode !== Opcode.Continuation)) (this.frameEnds ??= []).push(this.assembled);
    this.frameRead = 0;
    this.messageLength += length;
    this.state = S_HEADER;
    const opcode = this.opcode;
    if (opcode !== Opcode.Continuation) {
      this.messageOpcode = opcode;
      this.messageCompressed = this.rsv1;
    }
    const whole = this.fin && opcode !== Opcode.Continuation;
    const compressed = this.messageCompressed;
    // Compressed text is checked once inflated (deliver()).
    if (this.messageOpcode === Opcode.Text && this.checkUtf8 && !compressed) {
      const piece = length === 0 ? EMPTY : this.assembly!.subarray(start, this.assembled);
      const valid = whole
        ? isUtf8(piece)
        : (this.utf8 ??= new Utf8Validator()).push(piece) && (!this.fin || this.utf8.finish());
      if (!valid) {
        this.fail('Invalid WebSocket frame: invalid UTF-8 sequence', 'WS_ERR_INVALID_UTF8', 1007);
        return false;
      }
    }
    if (!this.fin) return true;
    const isBinary = this.messageOpcode === Opcode.Binary;
    const data = this.assembled === 0 ? EMPTY : this.assembly!.subarray(0, this.assembled);
    const frameEnds = this.frameEnds;
    this.assembly = null;
    this.assembled = 0;
    this.frameEnds = null;
    this.messageLength = 0;
    this.messageOpcode = 0;
    this.messageCompressed = false;
    this.deliver(data, isBinary, compressed, !compressed, frameEnds);
    return this.state !== S_FAILED;
  }

  /**
   * Makes the assembly buffer hold `needed` bytes. It grows by doubling with
   * the bytes that actually arrived (a header's claimed length is not
   * allocated up front), never past maxPayload, and never past the message's
   * known size when the frame is a whole message.
   */
  private reserve(needed: number): void {
    const current = this.assembly;
    if (current !== null && current.length >= needed) return;
    let capacity = Math.max(needed, current === null ? MIN_ASSEMBLY : current.length * 2);
    const whole = this.fin && this.opcode !== Opcode.Continuation;
    const ceiling = whole ? this.payloadLength : this.maxPayload > 0 ? this.maxPayload : MAX_BUFFER;
    if (capacity > ceiling) capacity = Math.max(ceiling, needed);
    // allocUnsafeSlow: an own allocation, never a slice of the shared pool.
    const next = Buffer.allocUnsafeSlow(capacity);
    if (current !== null && this.assembled > 0) current.copy(next, 0, 0, this.assembled);
    this.assembly = next;
  }

  private readControl(): void {
    const payload = this.input.take(this.payloadLength);
    if (this.masked && payload.length > 0) applyMask(payload, this.maskKey);
    this.state = S_HEADER;
    this.controlFrame(this.opcode, payload);
  }

  /** RFC 6455 §5.5.1: after a close frame, no more data; later bytes are dropped. */
  private closed(): void {
    this.state = S_CLOSED;
    this.input.clear();
    this.dropMessage();
  }

  private controlFrame(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Ping) {
      this.sink.onPing(payload);
    } else if (opcode === Opcode.Pong) {
      this.sink.onPong(payload);
    } else {
      const close = readClosePayload(payload);
      if (close instanceof ProtocolError) {
        this.fail(close.message, close.code, close.closeCode);
        return;
      }
      this.closed();
      this.sink.onClose(close.code, close.reason);
    }
  }
}
