// Frame encoder for both roles (RFC 6455 §5.2). A server frame is header +
// payload in one Buffer, so a broadcast can build it once and write the same
// bytes to every recipient. A client frame is masked with a fresh key.
// Pure functions, plus FrameCache, whose one entry belongs to its owner.

import { Opcode } from './constants.js';
import { applyMask, writeMaskKey, type MaskKeys } from './mask.js';

export interface EncodeOptions {
  /** Mask the payload (clients must, servers must not). */
  mask?: boolean;
  /** FIN bit; false for all but the last fragment. Default true. */
  fin?: boolean;
  /** RSV1 bit, for an extension that claimed it. */
  rsv1?: boolean;
}

/** Size of the header for a payload of `length` bytes. */
export function headerSize(length: number, mask: boolean): number {
  const base = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  return mask ? base + 4 : base;
}

/** Writes a frame header into `target` at 0; returns where the payload starts. */
function writeHeader(target: Buffer, opcode: number, length: number, fin: boolean, rsv1: boolean, mask: boolean, keys: MaskKeys | null = null): number {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  let pos: number;
  if (length < 126) {
    target[1] = maskBit | length;
    pos = 2;
  } else if (length < 0x10000) {
    target[1] = maskBit | 126;
    target[2] = length >>> 8;
    target[3] = length & 0xff;
    pos = 4;
  } else {
    target[1] = maskBit | 127;
    // RFC 6455 §5.2: 64-bit network order length; Buffer lengths fit in 53 bits.
    target.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    target.writeUInt32BE(length >>> 0, 6);
    pos = 10;
  }
  if (mask) {
    if (keys !== null) keys.write(target, pos);
    else writeMaskKey(target, pos);
    pos += 4;
  }
  return pos;
}

/**
 * Encodes one complete frame (header and payload in a single Buffer). When
 * masking, the payload is copied and masked; the caller's buffer is untouched.
 */
export function encodeFrame(opcode: number, payload: Uint8Array, options: EncodeOptions = {}): Buffer {
  return encodeWith(opcode, payload, options.fin !== false, options.rsv1 === true, options.mask === true, null);
}

/**
 * encodeFrame with positional arguments (no options object on a hot path)
 * and, when masking, the caller's pool of mask keys (null: a key straight
 * from the CSPRNG).
 */
export function encodeWith(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean, mask: boolean, keys: MaskKeys | null): Buffer {
  const length = payload.length;
  const out = Buffer.allocUnsafe(headerSize(length, mask) + length);
  const pos = writeHeader(out, opcode, length, fin, rsv1, mask, keys);
  if (mask && length <= SMALL_MASKED) {
    // Small frames: copy and mask in one pass with the key in locals; a
    // native copy plus a second masking pass costs more at this size.
    const k0 = out[pos - 4], k1 = out[pos - 3], k2 = out[pos - 2], k3 = out[pos - 1];
    let i = 0;
    for (; i + 3 < length; i += 4) {
      out[pos + i] = payload[i] ^ k0;
      out[pos + i + 1] = payload[i + 1] ^ k1;
      out[pos + i + 2] = payload[i + 2] ^ k2;
      out[pos + i + 3] = payload[i + 3] ^ k3;
    }
    for (; i < length; i++) out[pos + i] = payload[i] ^ out[pos - 4 + (i & 3)];
    return out;
  }
  if (length > SMALL_COPY) out.set(payload, pos);
  else for (let i = 0; i < length; i++) out[pos + i] = payload[i];
  if (mask && length > 0) applyMask(out, out.subarray(pos - 4, pos), pos, pos + length);
  return out;
}

/** Up to this size a masked payload is copied and masked in one JS loop. */
const SMALL_MASKED = 256;
/** Up to this size a byte loop beats the native copy's call overhead. */
const SMALL_COPY = 64;

/**
 * Encodes only the header of an unmasked frame, for large payloads that are
 * written after it without being copied (the socket gathers both).
 */
export function encodeHeader(opcode: number, length: number, options: EncodeOptions = {}): Buffer {
  const out = Buffer.allocUnsafe(headerSize(length, false));
  writeHeader(out, opcode, length, options.fin !== false, options.rsv1 === true, false);
  return out;
}

/** The payload of a close frame: 2-byte code then the UTF-8 reason (§5.5.1). */
export function encodeClosePayload(code: number | undefined, reason: string | Buffer = ''): Buffer {
  if (code === undefined || code === 1005) return Buffer.alloc(0);
  const reasonBytes = typeof reason === 'string' ? Buffer.from(reason) : reason;
  const out = Buffer.allocUnsafe(2 + reasonBytes.length);
  out.writeUInt16BE(code, 0);
  out.set(reasonBytes, 2);
  return out;
}

/** Converts what `send()` accepts into bytes without copying where possible. */
export function toBuffer(data: string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  return Buffer.from(String(data));
}

/**
 * A complete unmasked server frame for one message, built once so that a
 * broadcast writes the very same Buffer to every recipient.
 */
export function prepareFrame(data: string | Buffer | ArrayBuffer | ArrayBufferView, isBinary: boolean): Buffer {
  const opcode = isBinary ? Opcode.Binary : Opcode.Text;
  if (typeof data === 'string') return stringFrame(data, opcode);
  return encodeFrame(opcode, toBuffer(data));
}

/** A string encoded straight into the frame, skipping an intermediate Buffer. */
function stringFrame(data: string, opcode: number): Buffer {
  const length = Buffer.byteLength(data);
  const out = Buffer.allocUnsafe(headerSize(length, false) + length);
  const pos = writeHeader(out, opcode, length, true, false, false);
  out.write(data, pos);
  return out;
}

/** Frames larger than this are not kept by a FrameCache. */
const CACHE_MAX = 64 * 1024;
const NO_FRAME = Buffer.alloc(0);

/**
 * prepareFrame for strings with a one-entry memory: the idiomatic broadcast
 * loop (`for (const c of clients) c.send(text)`) sends the same string to
 * every client, and each send after the first reuses the frame of the last
 * string (frames are never mutated). Bounded in size so a large message is
 * not kept alive after its broadcast. Its owner decides how widely it is
 * shared: the session layer keeps one for all its connections.
 */
export class FrameCache {
  #string: string | null = null;
  #opcode = -1;
  #frame: Buffer = NO_FRAME;

  /** The unmasked, final frame of `data` as a text (or binary) message. */
  frame(data: string, isBinary: boolean): Buffer {
    const opcode = isBinary ? Opcode.Binary : Opcode.Text;
    if (data === this.#string && opcode === this.#opcode) return this.#frame;
    const out = stringFrame(data, opcode);
    if (out.length <= CACHE_MAX) {
      this.#string = data;
      this.#opcode = opcode;
      this.#frame = out;
    }
    return out;
  }
}
