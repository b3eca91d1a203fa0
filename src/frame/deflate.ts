// The compression of permessage-deflate (RFC 7692 §7.2): raw DEFLATE per
// message, synchronous (node:zlib's *Sync), so messages keep their order
// with everything else the connection sends or receives, and no zlib stream
// lives between messages.
//
// Context takeover (§7.1.1) - a message may refer back to the bytes of the
// earlier compressed messages, up to the LZ77 window - is done by handing
// zlib the last window's worth of those bytes as the preset dictionary
// (for raw DEFLATE, a dictionary is exactly the sliding window's initial
// content). So a connection keeps at most 2^windowBits bytes per direction
// with context takeover, and nothing without it.

import { constants as bufferConstants } from 'node:buffer';
import { constants as z, deflateRawSync, inflateRawSync } from 'node:zlib';
import { ProtocolError } from './errors.js';

/** §7.2.1: the empty stored block a sync flush ends with; removed on send, put back on receipt. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);

/**
 * The bytes of the compressed messages so far, as much as the window can
 * refer to. Appends are amortized: a buffer of twice the window is filled,
 * then its last window is moved to the front.
 */
export class SlidingWindow {
  readonly size: number;
  #buf: Buffer | null = null;
  #len = 0;

  constructor(windowBits: number) {
    this.size = 1 << windowBits;
  }

  /** The dictionary for the next message (empty at first). */
  get bytes(): Buffer {
    if (this.#buf === null) return EMPTY;
    return this.#buf.subarray(Math.max(0, this.#len - this.size), this.#len);
  }

  /** Bytes held (at most twice the window). */
  get held(): number {
    return this.#buf === null ? 0 : this.#buf.length;
  }

  append(data: Buffer): void {
    const size = this.size;
    if (data.length >= size) {
      this.#buf ??= Buffer.allocUnsafeSlow(2 * size);
      data.copy(this.#buf, 0, data.length - size);
      this.#len = size;
      return;
    }
    const buf = (this.#buf ??= Buffer.allocUnsafeSlow(2 * size));
    if (this.#len + data.length > buf.length) {
      buf.copy(buf, 0, this.#len - size, this.#len);
      this.#len = size;
    }
    data.copy(buf, this.#len);
    this.#len += data.length;
  }

  reset(): void {
    this.#buf = null;
    this.#len = 0;
  }
}

export interface DeflaterOptions {
  /** Our compressor's window (8..15; zlib makes 8 into 9, which stays within 256 bytes of distance). */
  windowBits: number;
  /** §7.1.1: every message compressed on its own. */
  noContextTakeover: boolean;
  level?: number;
  memLevel?: number;
  strategy?: number;
}

/** One connection's sending side. */
export class MessageDeflater {
  readonly #options: { windowBits: number; level: number; memLevel: number; strategy: number; finishFlush: number; dictionary?: Buffer };
  readonly #noContext: boolean;
  /** Context: the earlier compressed messages (context takeover) and the earlier fragments of this one. */
  readonly #window: SlidingWindow;

  constructor(o: DeflaterOptions) {
    this.#options = { windowBits: o.windowBits, level: o.level ?? -1, memLevel: o.memLevel ?? 8, strategy: o.strategy ?? 0, finishFlush: z.Z_SYNC_FLUSH };
    this.#noContext = o.noContextTakeover;
    this.#window = new SlidingWindow(o.windowBits);
  }

  /** Bytes kept between messages (0 without context takeover). */
  get retained(): number {
    return this.#window.held;
  }

  /**
   * Compresses one fragment of a message (the whole message when `fin`).
   * Fragments of one message form one DEFLATE stream; the last has the sync
   * flush's tail removed (§7.2.1).
   */
  compress(data: Buffer, fin: boolean): Buffer {
    const window = this.#window;
    const dictionary = window.bytes;
    const options = this.#options;
    options.dictionary = dictionary.length > 0 ? dictionary : undefined;
    const out = deflateRawSync(data, options);
    options.dictionary = undefined;
    if (fin && this.#noContext) window.reset();
    else if (data.length > 0) window.append(data);
    return fin ? stripTail(out) : out;
  }
}

/** Removes the 00 00 ff ff a sync flush ends with (§7.2.1). */
function stripTail(out: Buffer): Buffer {
  const n = out.length;
  if (n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff) return out.subarray(0, n - 4);
  return out;
}

/**
 * One message compressed alone (a fresh context): valid for every
 * connection whose peer expects no context takeover from us and allows at
 * least `windowBits`. The frame payload of a broadcast, built once.
 */
export function deflateMessage(data: Buffer, windowBits: number, level = -1, memLevel = 8, strategy = 0): Buffer {
  return stripTail(deflateRawSync(data, { windowBits, level, memLevel, strategy, finishFlush: z.Z_SYNC_FLUSH }));
}

/**
 * What permessage-deflate (RFC 7692) gives the parser once negotiated: the
 * inflation of a message whose first frame had RSV1 set.
 */
export interface MessageDecompressor {
  /** The message's bytes, or the error to fail the connection with (1007, 1009). */
  inflate(data: Buffer): Buffer | ProtocolError;
}

export interface InflaterOptions {
  /** The peer's window (§7.1.2): our window is as large. */
  windowBits: number;
  /** §7.1.1: each message was compressed on its own; nothing is kept. */
  noContextTakeover: boolean;
  /** Largest inflated message, in bytes; 0 = no limit. */
  maxPayload: number;
  chunkSize?: number;
}

/** One connection's receiving side. */
export class MessageInflater implements MessageDecompressor {
  readonly #options: { windowBits: number; finishFlush: number; maxOutputLength: number; chunkSize?: number; dictionary?: Buffer };
  readonly #window: SlidingWindow | null;

  constructor(o: InflaterOptions) {
    const max = o.maxPayload > 0 ? Math.min(o.maxPayload, bufferConstants.MAX_LENGTH) : bufferConstants.MAX_LENGTH;
    this.#options = { windowBits: o.windowBits, finishFlush: z.Z_SYNC_FLUSH, maxOutputLength: max };
    if (o.chunkSize !== undefined) this.#options.chunkSize = o.chunkSize;
    this.#window = o.noContextTakeover ? null : new SlidingWindow(o.windowBits);
  }

  /** Bytes kept between messages (0 without context takeover). */
  get retained(): number {
    return this.#window === null ? 0 : this.#window.held;
  }

  /**
   * The message's bytes, or the error to fail the connection with: 1009
   * once the output passes maxPayload (zlib stops there: the rest of a
   * decompression bomb is never inflated), 1007 for data that is not valid
   * DEFLATE (as ws reports it).
   */
  inflate(data: Buffer): Buffer | ProtocolError {
    const window = this.#window;
    const options = this.#options;
    const input = Buffer.allocUnsafe(data.length + 4);
    data.copy(input, 0);
    TAIL.copy(input, data.length);
    if (window !== null) {
      const dictionary = window.bytes;
      options.dictionary = dictionary.length > 0 ? dictionary : undefined;
    }
    let out: Buffer;
    try {
      out = inflateRawSync(input, options);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') return new ProtocolError('Max payload size exceeded', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009);
      return new ProtocolError((err as Error).message || 'Invalid compressed data', 'Z_DATA_ERROR', 1007);
    } finally {
      options.dictionary = undefined;
    }
    if (window !== null && out.length > 0) window.append(out);
    return out;
  }
}
