// Minimal RFC 6455 wire helpers shared by the load generator, the raw floor
// server and the micro-benchmark stream builders. Deliberately tiny: this is
// the "cheap" side of every measurement, identical for all targets.
import { createHash, randomFillSync } from 'node:crypto';

export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key) {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** A fixed client key: the load generator does not need fresh nonces. */
export const CLIENT_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const CLIENT_ACCEPT = acceptKey(CLIENT_KEY);

/**
 * The client's upgrade request. `protocol`, when given, is offered in
 * Sec-WebSocket-Protocol (a target that needs a subprotocol declares it);
 * `extensions` in Sec-WebSocket-Extensions (the compression scenario).
 */
export function upgradeRequest(host, port, path = '/', protocol = '', extensions = '') {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\n` +
      `Host: ${host}:${port}\r\n` +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${CLIENT_KEY}\r\n` +
      (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
      (extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') +
      'Sec-WebSocket-Version: 13\r\n\r\n',
    'latin1',
  );
}

/**
 * Reads the first complete frame of `buf` (unmasked server frame): returns
 * { op, payload, end } or null when more bytes are needed. Only used for the
 * handshake-time exchange (authentication); counted frames never copy.
 */
export function readFrame(buf) {
  if (buf.length < 2) return null;
  let len = buf[1] & 0x7f;
  let hl = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    hl = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = buf.readUInt32BE(2) * 2 ** 32 + buf.readUInt32BE(6);
    hl = 10;
  }
  if (buf[1] & 0x80) hl += 4;
  if (buf.length < hl + len) return null;
  return { op: buf[0] & 0x0f, payload: buf.subarray(hl, hl + len), end: hl + len };
}

function headerLength(len, masked) {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

function writeHeader(out, opcode, fin, len, mask) {
  out[0] = (fin ? 0x80 : 0) | opcode;
  let o = 2;
  if (len < 126) {
    out[1] = len;
  } else if (len < 65536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
    o = 4;
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
    o = 10;
  }
  if (mask) {
    out[1] |= 0x80;
    out[o] = mask[0];
    out[o + 1] = mask[1];
    out[o + 2] = mask[2];
    out[o + 3] = mask[3];
    o += 4;
  }
  return o;
}

/** One unmasked server frame (header + payload in one Buffer). */
export function serverFrame(payload, opcode = 2) {
  const len = payload.length;
  const out = Buffer.allocUnsafe(headerLength(len, false) + len);
  const o = writeHeader(out, opcode, true, len, null);
  payload.copy(out, o);
  return out;
}

/** One masked client frame with the given (or a random) mask key. */
export function clientFrame(payload, opcode = 2, mask = randomFillSync(Buffer.alloc(4)), fin = true) {
  const len = payload.length;
  const out = Buffer.allocUnsafe(headerLength(len, true) + len);
  const o = writeHeader(out, opcode, fin, len, mask);
  for (let i = 0; i < len; i++) out[o + i] = payload[i] ^ mask[i & 3];
  return out;
}

/** A deterministic ASCII payload of exactly `size` bytes. */
export function asciiPayload(size, seed = 0) {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = 97 + ((i + seed) % 26);
  return buf;
}

/** A valid UTF-8 payload of exactly `size` bytes mixing 1- to 4-byte sequences. */
export function utf8Payload(size) {
  const unit = Buffer.from('héllo wörld ☃ ünïcödé 日本語テキスト 🎉🚀 ascii text, ', 'utf8');
  const parts = [];
  let n = 0;
  while (n + unit.length <= size) {
    parts.push(unit);
    n += unit.length;
  }
  parts.push(Buffer.alloc(size - n, 0x61)); // pad with ASCII to the exact size
  return Buffer.concat(parts, size);
}

/**
 * Counts frames on a stream of server-to-client bytes without copying
 * payloads. Per-connection state lives on the object passed in; `onFrame`
 * is called with (state, opcode, payloadLength) once each frame is complete.
 */
export function countFrames(st, chunk, onFrame) {
  let i = 0;
  if (st.partial !== null) {
    chunk = Buffer.concat([st.partial, chunk]);
    st.partial = null;
  }
  const n = chunk.length;
  while (i < n) {
    if (st.rem > 0) {
      const take = n - i < st.rem ? n - i : st.rem;
      st.rem -= take;
      i += take;
      if (st.rem === 0) onFrame(st, st.op, st.len);
      continue;
    }
    if (n - i < 2) {
      st.partial = chunk.subarray(i);
      return;
    }
    const b1 = chunk[i + 1];
    let len = b1 & 0x7f;
    let hl = 2;
    if (len === 126) {
      hl = 4;
      if (n - i < 4) {
        st.partial = chunk.subarray(i);
        return;
      }
      len = chunk.readUInt16BE(i + 2);
    } else if (len === 127) {
      hl = 10;
      if (n - i < 10) {
        st.partial = chunk.subarray(i);
        return;
      }
      len = chunk.readUInt32BE(i + 2) * 2 ** 32 + chunk.readUInt32BE(i + 6);
    }
    if (b1 & 0x80) hl += 4; // servers must not mask, but do not choke on it
    if (n - i < hl) {
      st.partial = chunk.subarray(i);
      return;
    }
    st.op = chunk[i] & 0x0f;
    st.rsv1 = (chunk[i] & 0x40) !== 0; // RFC 7692 §6: a compressed message
    st.len = len;
    i += hl;
    if (len === 0) onFrame(st, st.op, 0);
    else st.rem = len;
  }
}

export function newFrameState() {
  return { partial: null, rem: 0, op: 0, rsv1: false, len: 0 };
}
