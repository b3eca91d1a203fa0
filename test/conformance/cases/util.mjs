// Small vocabulary for writing server conformance cases.
import { toBuffer } from '../../helpers/frames.mjs';

export const ev = {
  text: (d) => ({ type: 'text', data: toBuffer(d) }),
  binary: (d) => ({ type: 'binary', data: toBuffer(d) }),
  ping: (d) => ({ type: 'ping', data: toBuffer(d) }),
  pong: (d) => ({ type: 'pong', data: toBuffer(d) }),
};

/** One send step. mode: 'whole' | 'frames' | 'bytewise' | n (bytes per write). */
export const send = (frames, mode = 'whole') => ({ send: frames, mode });
/** Wait until the server has produced `n` events (messages or control frames). */
export const awaitEvents = (n) => ({ await: n });

/**
 * The server must answer with `expect`, then echo our close(1000) and close
 * TCP with a FIN: a reset there is FAILED (RFC 6455 §5.5.1, §7.1.1).
 */
export function echoCase(id, title, steps, expect, extra = {}) {
  return { id, title, steps, expect, close: [1000], clientCloses: true, cleanClose: true, ...extra };
}

/**
 * The server must send `expect` (usually nothing), then fail the connection
 * with `code`; closing TCP with a reset afterwards is NON-STRICT (§7.1.7).
 */
export function failCase(id, title, steps, code, expect = [], extra = {}) {
  return { id, title, steps, expect, close: [code], clientCloses: false, cleanClose: false, ...extra };
}

/** Printable ASCII of exactly n bytes. */
export function asciiPayload(n, seed = 0) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = 0x21 + ((i * 7 + seed) % 94);
  return b;
}

/** Deterministic pseudo-random bytes (all 256 values occur). */
export function binaryPayload(n, seed = 1) {
  const b = Buffer.allocUnsafe(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * Valid UTF-8 of about n bytes mixing 1-, 2-, 3- and 4-byte sequences, cut
 * on a character boundary so it stays valid.
 */
export function utf8Payload(n) {
  const unit = Buffer.from('ab-\u00b5\u00df-\u03ba\u1f79\u03c3\u03bc\u03b5-\u4e2d\u6587-\u{1f600}\u{10ffff}|', 'utf8');
  const reps = Math.ceil(n / unit.length);
  const big = Buffer.allocUnsafe(reps * unit.length);
  for (let i = 0; i < reps; i++) unit.copy(big, i * unit.length);
  let end = Math.min(n, big.length);
  while (end > 0 && (big[end] & 0xc0) === 0x80) end--;
  return big.subarray(0, end);
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** A send step that writes our close frame: the server's close that follows is an echo. */
export const sendClose = (frames, mode = 'whole') => ({ send: frames, mode, sendsClose: true });
