// A peer's protocol error, as a server of each implementation reports it:
// the error's class, code and message (programs match on them), the
// readyState inside the 'error' listener, the close code sent on the wire,
// and the code of the local 'close' event (1006: the close handshake was
// not completed; the connection was failed, RFC 6455 §7.1.7).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { impls, within } from './impls.mjs';
import { rawPeer } from './raw-peer.mjs';

/** A masked client frame (zero mask key, so the payload is as given). */
function masked(b0, payload) {
  const len = payload.length;
  const header = len < 126 ? Buffer.from([b0, 0x80 | len]) : Buffer.from([b0, 0x80 | 126, len >> 8, len & 255]);
  return Buffer.concat([header, Buffer.alloc(4), payload]);
}

const RANGE = 'RangeError';
const CASES = [
  ['an unmasked frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), RANGE, 'WS_ERR_EXPECTED_MASK', 'Invalid WebSocket frame: MASK must be set', 1002],
  ['RSV1 without an extension', masked(0xc1, Buffer.from('hi')), RANGE, 'WS_ERR_UNEXPECTED_RSV_1', 'Invalid WebSocket frame: RSV1 must be clear', 1002],
  ['RSV2', masked(0xa1, Buffer.from('hi')), RANGE, 'WS_ERR_UNEXPECTED_RSV_2_3', 'Invalid WebSocket frame: RSV2 and RSV3 must be clear', 1002],
  ['a reserved data opcode', masked(0x83, Buffer.from('hi')), RANGE, 'WS_ERR_INVALID_OPCODE', 'Invalid WebSocket frame: invalid opcode 3', 1002],
  ['a reserved control opcode', masked(0x8b, Buffer.from('hi')), RANGE, 'WS_ERR_INVALID_OPCODE', 'Invalid WebSocket frame: invalid opcode 11', 1002],
  ['a fragmented ping', masked(0x09, Buffer.from('hi')), RANGE, 'WS_ERR_EXPECTED_FIN', 'Invalid WebSocket frame: FIN must be set', 1002],
  ['a ping over 125 bytes', masked(0x89, Buffer.alloc(126)), RANGE, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'Invalid WebSocket frame: invalid payload length 126', 1002],
  ['a continuation with nothing to continue', masked(0x80, Buffer.from('hi')), RANGE, 'WS_ERR_INVALID_OPCODE', 'Invalid WebSocket frame: invalid opcode 0', 1002],
  ['a new message inside a fragmented one', Buffer.concat([masked(0x01, Buffer.from('a')), masked(0x81, Buffer.from('b'))]), RANGE, 'WS_ERR_INVALID_OPCODE', 'Invalid WebSocket frame: invalid opcode 1', 1002],
  ['invalid UTF-8 in a text message', masked(0x81, Buffer.from([0xff, 0xfe])), 'Error', 'WS_ERR_INVALID_UTF8', 'Invalid WebSocket frame: invalid UTF-8 sequence', 1007],
  ['a message over maxPayload', masked(0x82, Buffer.alloc(1001)), RANGE, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Max payload size exceeded', 1009],
  ['a 1-byte close payload', masked(0x88, Buffer.from([3])), RANGE, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'Invalid WebSocket frame: invalid payload length 1', 1002],
  ['close code 999', masked(0x88, Buffer.from([0x03, 0xe7])), RANGE, 'WS_ERR_INVALID_CLOSE_CODE', 'Invalid WebSocket frame: invalid status code 999', 1002],
  ['invalid UTF-8 in a close reason', masked(0x88, Buffer.from([0x03, 0xe8, 0xff])), 'Error', 'WS_ERR_INVALID_UTF8', 'Invalid WebSocket frame: invalid UTF-8 sequence', 1007],
];

/** Sends `bytes` after the handshake; resolves with what the server reported and sent. */
function provoke(wss, port, bytes) {
  const seen = { errors: [], wire: null, close: null };
  const closed = new Promise((resolve) => {
    wss.once('connection', (ws) => {
      ws.on('error', (err) => seen.errors.push({ err, readyState: ws.readyState }));
      ws.on('close', (code) => {
        seen.close = code;
        resolve();
      });
    });
  });
  rawPeer(port, bytes, (code, sock) => {
    seen.wire = code;
    // Close our side as a client would after the server's close frame.
    sock.end();
  });
  return within(closed, "the server's 'close'").then(() => seen);
}

for (const impl of impls) {
  describe(`protocol errors [${impl.name}]`, () => {
    let wss;
    let port;
    after(() => wss?.close());

    for (const [what, bytes, cls, code, message, wire] of CASES) {
      test(what, async () => {
        if (wss === undefined) {
          wss = new impl.WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1000 });
          await new Promise((r) => wss.on('listening', r));
          port = wss.address().port;
        }
        const seen = await provoke(wss, port, bytes);
        assert.equal(seen.errors.length, 1, 'exactly one error');
        const [{ err, readyState }] = seen.errors;
        assert.ok(err instanceof globalThis[cls], `an instance of ${cls}`);
        if (cls === RANGE) assert.ok(err instanceof RangeError);
        assert.equal(err.code, code);
        assert.equal(err.message, message);
        assert.equal(readyState, 2, 'CLOSING inside the error listener');
        assert.equal(seen.wire, wire, 'close code on the wire');
        assert.equal(seen.close, 1006, "the local 'close' event: the connection was failed");
      });
    }
  });
}
