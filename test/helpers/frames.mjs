// Test-side RFC 6455 frame codec. Deliberately independent of src/: the
// conformance and interop suites use it to speak raw bytes to the code under
// test, so a bug in the library codec cannot hide itself.
import { randomBytes } from 'node:crypto';

export const OP = Object.freeze({
  CONT: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
});

export const OP_NAMES = {
  0x0: 'cont', 0x1: 'text', 0x2: 'binary', 0x8: 'close', 0x9: 'ping', 0xa: 'pong',
};

const EMPTY = Buffer.alloc(0);

export function toBuffer(data) {
  if (data === undefined || data === null) return EMPTY;
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Buffer.from(data);
  throw new TypeError(`cannot turn ${typeof data} into bytes`);
}

/** XOR `payload` with the 4-byte `key` into a new Buffer (RFC 6455 §5.3). */
export function applyMask(payload, key) {
  const out = Buffer.allocUnsafe(payload.length);
  const n = payload.length;
  const k0 = key[0], k1 = key[1], k2 = key[2], k3 = key[3];
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    out[i] = payload[i] ^ k0;
    out[i + 1] = payload[i + 1] ^ k1;
    out[i + 2] = payload[i + 2] ^ k2;
    out[i + 3] = payload[i + 3] ^ k3;
  }
  for (; i < n; i++) out[i] = payload[i] ^ key[i & 3];
  return out;
}

/**
 * Build one frame.
 * @param {object} o
 * @param {number} o.opcode
 * @param {*} [o.payload]
 * @param {boolean} [o.fin=true]
 * @param {number} [o.rsv=0] the three RSV bits as a number 0..7 (RSV1 = 4)
 * @param {boolean|Buffer} [o.mask=true] true: random key, Buffer: that key, false: unmasked
 */
export function encodeFrame({ opcode, payload, fin = true, rsv = 0, mask = true }) {
  const data = toBuffer(payload);
  const len = data.length;
  const key = mask === false ? null : Buffer.isBuffer(mask) ? mask : randomBytes(4);
  let headerLen = 2;
  if (len > 0xffff) headerLen += 8;
  else if (len > 125) headerLen += 2;
  if (key) headerLen += 4;
  const frame = Buffer.allocUnsafe(headerLen + len);
  frame[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  const maskBit = key ? 0x80 : 0;
  let off = 2;
  if (len > 0xffff) {
    frame[1] = maskBit | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
    off = 10;
  } else if (len > 125) {
    frame[1] = maskBit | 126;
    frame.writeUInt16BE(len, 2);
    off = 4;
  } else {
    frame[1] = maskBit | len;
  }
  if (key) {
    key.copy(frame, off);
    off += 4;
    applyMask(data, key).copy(frame, off);
  } else {
    data.copy(frame, off);
  }
  return frame;
}

/** Close frame payload: 2-byte code (or none) + reason bytes. */
export function closePayload(code, reason) {
  if (code === undefined || code === null) return EMPTY;
  const r = toBuffer(reason);
  const out = Buffer.allocUnsafe(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

// Short builders for client (masked) frames.
export const text = (payload, o = {}) => encodeFrame({ opcode: OP.TEXT, payload, ...o });
export const binary = (payload, o = {}) => encodeFrame({ opcode: OP.BINARY, payload, ...o });
export const cont = (payload, o = {}) => encodeFrame({ opcode: OP.CONT, payload, ...o });
export const ping = (payload, o = {}) => encodeFrame({ opcode: OP.PING, payload, ...o });
export const pong = (payload, o = {}) => encodeFrame({ opcode: OP.PONG, payload, ...o });
export const close = (code, reason, o = {}) =>
  encodeFrame({ opcode: OP.CLOSE, payload: closePayload(code, reason), ...o });
export const rawClose = (payload, o = {}) => encodeFrame({ opcode: OP.CLOSE, payload, ...o });

/** Split `payload` into a fragmented message: first frame `opcode`, rest continuations. */
export function fragments(opcode, payload, pieceSize, o = {}) {
  const data = toBuffer(payload);
  const out = [];
  if (data.length === 0) return [encodeFrame({ opcode, payload: data, ...o })];
  for (let off = 0; off < data.length; off += pieceSize) {
    const piece = data.subarray(off, Math.min(off + pieceSize, data.length));
    out.push(encodeFrame({
      opcode: off === 0 ? opcode : OP.CONT,
      payload: piece,
      fin: off + pieceSize >= data.length,
      ...o,
    }));
  }
  return out;
}

/** Fragment at explicit byte offsets: splitAt([3, 5]) -> [0,3) [3,5) [5,end). */
export function fragmentsAt(opcode, payload, offsets, o = {}) {
  const data = toBuffer(payload);
  const cuts = [0, ...offsets, data.length];
  const out = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    out.push(encodeFrame({
      opcode: i === 0 ? opcode : OP.CONT,
      payload: data.subarray(cuts[i], cuts[i + 1]),
      fin: i + 2 === cuts.length,
      ...o,
    }));
  }
  return out;
}

/**
 * Streaming frame parser. Keeps received chunks in a list so that a 16 MiB
 * frame arriving in 64 KiB reads is copied once, not once per read.
 * It reports frames exactly as they appear on the wire (masked or not, any
 * RSV bits, any opcode); judging them is the caller's job.
 */
export class FrameReader {
  constructor({ maxPayload = 256 * 1024 * 1024 } = {}) {
    this.chunks = [];
    this.buffered = 0;
    this.maxPayload = maxPayload;
    this.error = null;
  }

  /** Feed bytes; returns the frames completed by them. */
  push(chunk) {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames = [];
    while (!this.error) {
      const f = this.#tryFrame();
      if (!f) break;
      frames.push(f);
    }
    return frames;
  }

  #peek(n) {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    return this.#take(n, false);
  }

  #take(n, consume = true) {
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    let i = 0;
    while (got < n) {
      const c = this.chunks[i];
      const want = Math.min(n - got, c.length);
      c.copy(out, got, 0, want);
      got += want;
      if (consume) {
        if (want === c.length) this.chunks.shift();
        else { this.chunks[0] = c.subarray(want); i = 0; }
      } else {
        i++;
      }
    }
    if (consume) this.buffered -= n;
    return out;
  }

  #tryFrame() {
    if (this.buffered < 2) return null;
    const h = this.#peek(2);
    const masked = (h[1] & 0x80) !== 0;
    let len = h[1] & 0x7f;
    let headerLen = 2;
    if (len === 126) headerLen += 2;
    else if (len === 127) headerLen += 8;
    if (masked) headerLen += 4;
    if (this.buffered < headerLen) return null;
    const header = this.#peek(headerLen);
    let off = 2;
    let lengthEncoding = 7;
    if (len === 126) {
      len = header.readUInt16BE(2);
      off = 4;
      lengthEncoding = 16;
    } else if (len === 127) {
      const big = header.readBigUInt64BE(2);
      if (big > BigInt(this.maxPayload)) {
        this.error = new Error(`frame length ${big} beyond reader limit`);
        return null;
      }
      len = Number(big);
      off = 10;
      lengthEncoding = 64;
    }
    const maskKey = masked ? Buffer.from(header.subarray(off, off + 4)) : null;
    if (this.buffered < headerLen + len) return null;
    this.#take(headerLen);
    let payload = len ? this.#take(len) : EMPTY;
    if (maskKey) payload = applyMask(payload, maskKey);
    return {
      fin: (h[0] & 0x80) !== 0,
      rsv: (h[0] >> 4) & 7,
      opcode: h[0] & 0x0f,
      masked,
      maskKey,
      lengthEncoding,
      payload,
    };
  }
}

/** Parse a close frame payload into { code, reason } (code null if absent). */
export function parseClose(payload) {
  if (payload.length === 0) return { code: null, reason: EMPTY };
  if (payload.length === 1) return { code: NaN, reason: EMPTY };
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2) };
}

export function hex(buf, max = 48) {
  const b = toBuffer(buf);
  const shown = b.subarray(0, max).toString('hex').replace(/(..)/g, '$1 ').trim();
  return b.length > max ? `${shown} ... (${b.length} bytes)` : shown || '(empty)';
}
