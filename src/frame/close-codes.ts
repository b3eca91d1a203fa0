// Which close codes may appear in a close frame on the wire.
// RFC 6455 §7.4.1 defines 1000-1011 (1004, 1005, 1006 reserved and never sent);
// the IANA "WebSocket Close Code Number Registry" adds 1012 (Service Restart),
// 1013 (Try Again Later) and 1014 (Bad Gateway); 1015 (TLS handshake) must not
// be sent. §7.4.2: 3000-3999 are registered by libraries/frameworks,
// 4000-4999 are private use. Everything else is invalid.

import { ProtocolError } from './errors.js';
import { isUtf8 } from './utf8.js';

const EMPTY = Buffer.alloc(0);

export function isValidCloseCode(code: number): boolean {
  if (code >= 1000 && code <= 1014) {
    return code !== 1004 && code !== 1005 && code !== 1006;
  }
  return code >= 3000 && code <= 4999;
}

/**
 * The code and reason of a close frame's payload (RFC 6455 §5.5.1: an
 * optional 2-byte code, then an optional UTF-8 reason; 1005 when there is
 * no code), or the protocol error it is.
 */
export function readClosePayload(payload: Buffer): { code: number; reason: Buffer } | ProtocolError {
  if (payload.length === 0) return { code: 1005, reason: EMPTY };
  if (payload.length === 1) {
    return new ProtocolError('Invalid WebSocket frame: invalid payload length 1', 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002);
  }
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) return new ProtocolError(`Invalid WebSocket frame: invalid status code ${code}`, 'WS_ERR_INVALID_CLOSE_CODE', 1002);
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) return new ProtocolError('Invalid WebSocket frame: invalid UTF-8 sequence', 'WS_ERR_INVALID_UTF8', 1007);
  return { code, reason };
}
