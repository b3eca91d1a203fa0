// The rules a frame header must follow, checked from its first two bytes
// before anything else is read: RSV bits (RFC 6455 §5.2, RFC 7692 §6),
// opcodes and their sequence (§5.2, §5.4), control frames (§5.5), masking
// by role (§5.1). The errors are ws's (codes, messages, close codes).

import { MAX_CONTROL_PAYLOAD, Opcode } from './constants.js';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';

function err(message: string, code: ProtocolErrorCode, closeCode: number): ProtocolError {
  return new ProtocolError(message, code, closeCode);
}

/**
 * Why a header starting with bytes `b0`, `b1` must fail the connection, or
 * null. `allowedRsv`: RSV bits an extension claimed outright;
 * `compression`: permessage-deflate is on (RSV1 allowed on the first frame
 * of a data message); `inMessage`: a fragmented message is open;
 * `server`: our role (frames must then be masked).
 */
export function headerError(b0: number, b1: number, allowedRsv: number, compression: boolean, inMessage: boolean, server: boolean): ProtocolError | null {
  const fin = (b0 & 0x80) !== 0;
  const rsv = b0 & 0x70;
  const opcode = b0 & 0x0f;
  const masked = (b1 & 0x80) !== 0;
  const len = b1 & 0x7f;
  // RFC 6455 §5.2: RSV bits must be 0 unless an extension defines them.
  // RFC 7692 §6: permessage-deflate defines RSV1, on the first frame of a
  // data message only: never on a continuation frame (§6.1) nor on a
  // control frame (§6: "An endpoint MUST NOT set the Per-Message
  // Compressed bit of control frames").
  const rsv1 = (b0 & 0x40) !== 0 && compression && (opcode === Opcode.Text || opcode === Opcode.Binary);
  const badRsv = rsv & ~allowedRsv & ~(rsv1 ? 0x40 : 0);
  if (badRsv !== 0) {
    return (badRsv & 0x40) !== 0
      ? err('Invalid WebSocket frame: RSV1 must be clear', 'WS_ERR_UNEXPECTED_RSV_1', 1002)
      : err('Invalid WebSocket frame: RSV2 and RSV3 must be clear', 'WS_ERR_UNEXPECTED_RSV_2_3', 1002);
  }
  const control = (opcode & 0x08) !== 0;
  if (control) {
    if (opcode !== Opcode.Close && opcode !== Opcode.Ping && opcode !== Opcode.Pong) {
      return err(`Invalid WebSocket frame: invalid opcode ${opcode}`, 'WS_ERR_INVALID_OPCODE', 1002);
    }
    // RFC 6455 §5.5: control frames must not be fragmented and carry <= 125 bytes.
    if (!fin) return err('Invalid WebSocket frame: FIN must be set', 'WS_ERR_EXPECTED_FIN', 1002);
    if (len > MAX_CONTROL_PAYLOAD) {
      return err(`Invalid WebSocket frame: invalid payload length ${len}`, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002);
    }
  } else if (opcode === Opcode.Continuation) {
    if (!inMessage) {
      return err('Invalid WebSocket frame: invalid opcode 0', 'WS_ERR_INVALID_OPCODE', 1002);
    }
  } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
    // RFC 6455 §5.4: fragments of one message are not interleaved with another.
    if (inMessage) {
      return err(`Invalid WebSocket frame: invalid opcode ${opcode}`, 'WS_ERR_INVALID_OPCODE', 1002);
    }
  } else {
    return err(`Invalid WebSocket frame: invalid opcode ${opcode}`, 'WS_ERR_INVALID_OPCODE', 1002);
  }
  // RFC 6455 §5.1: clients mask every frame, servers never do.
  if (masked !== server) {
    return server
      ? err('Invalid WebSocket frame: MASK must be set', 'WS_ERR_EXPECTED_MASK', 1002)
      : err('Invalid WebSocket frame: MASK must be clear', 'WS_ERR_UNEXPECTED_MASK', 1002);
  }
  return null;
}
