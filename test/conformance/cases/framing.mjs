// 1.x Framing: text and binary messages of many lengths, across the 7-bit,
// 16-bit and 64-bit length encodings (RFC 6455 §5.2), written whole, byte by
// byte and in odd-sized chunks.
import { OP, encodeFrame, text, binary, ping } from '../../helpers/frames.mjs';
import { ev, send, echoCase, failCase, asciiPayload, binaryPayload } from './util.mjs';

const LENGTHS = [0, 1, 125, 126, 127, 128, 1000, 65535, 65536, 65537];

function lengthCases(groupId, kind) {
  const cases = [];
  let n = 1;
  for (const len of LENGTHS) {
    const payload = kind === 'text' ? asciiPayload(len) : binaryPayload(len, len + 3);
    const frame = kind === 'text' ? text(payload) : binary(payload);
    const expect = [ev[kind](payload)];
    cases.push(echoCase(`${groupId}.${n++}`, `${kind} ${len} bytes, one write`, [send(frame)], expect));
    if (len <= 1000) {
      cases.push(echoCase(`${groupId}.${n++}`, `${kind} ${len} bytes, one byte per write`,
        [send(frame, 'bytewise')], expect));
    } else {
      // Header (2 + extended length + 4 mask bytes) byte by byte, payload in 997-byte writes.
      const headerLen = 2 + (len > 0xffff ? 8 : 2) + 4;
      cases.push(echoCase(`${groupId}.${n++}`, `${kind} ${len} bytes, header byte by byte, payload in 997-byte writes`,
        [send(frame.subarray(0, headerLen), 'bytewise'), send(frame.subarray(headerLen), 997)], expect));
    }
    cases.push(echoCase(`${groupId}.${n++}`, `${kind} ${len} bytes, 997-byte writes`, [send(frame, 997)], expect));
  }
  return cases;
}

function extraCases() {
  const cases = [];
  // Many frames of assorted lengths in a single TCP write: the parser must
  // find each boundary without waiting for more data.
  const sizes = [0, 5, 125, 126, 300, 65535, 65536, 3, 127, 0];
  const payloads = sizes.map((s, i) => (i % 2 ? binaryPayload(s, i + 11) : asciiPayload(s, i)));
  const frames = payloads.map((p, i) => (i % 2 ? binary(p) : text(p)));
  const expect = payloads.map((p, i) => (i % 2 ? ev.binary(p) : ev.text(p)));
  cases.push(echoCase('1.3.1', '10 messages of mixed lengths and types in one write', [send(frames)], expect));
  cases.push(echoCase('1.3.2', '10 messages of mixed lengths and types, 7-byte writes', [send(frames, 7)], expect));
  cases.push(echoCase('1.3.3', 'text then ping then binary in one write: answered in order',
    [send([text('first'), ping('p'), binary([1, 2, 3])])],
    [ev.text('first'), ev.pong('p'), ev.binary([1, 2, 3])]));
  // RFC 6455 §5.1: a server MUST close the connection on an unmasked client frame.
  cases.push(failCase('1.3.4', 'unmasked text frame -> 1002',
    [send(encodeFrame({ opcode: OP.TEXT, payload: 'hello', mask: false }))], 1002));
  cases.push(failCase('1.3.5', 'unmasked binary frame after a good message -> echo, then 1002',
    [send([text('ok'), encodeFrame({ opcode: OP.BINARY, payload: [1, 2], mask: false })])], 1002, [ev.text('ok')]));
  cases.push(failCase('1.3.6', 'unmasked ping -> 1002, no pong',
    [send(encodeFrame({ opcode: OP.PING, payload: 'x', mask: false }))], 1002));
  // An all-zero mask key is legal and leaves the payload as is.
  cases.push(echoCase('1.3.7', 'zero masking key',
    [send(text('zero key', { mask: Buffer.alloc(4) }))], [ev.text('zero key')]));
  // Frames sent in the same TCP write as the upgrade request, before the 101.
  cases.push(echoCase('1.3.8', 'text frame pipelined in the same write as the upgrade request',
    [], [ev.text('early bird')], { earlyData: text('early bird') }));
  cases.push(echoCase('1.3.9', 'three frames (text, ping, binary of 70000 bytes) pipelined with the request',
    [], [ev.text('a'), ev.pong('b'), ev.binary(binaryPayload(70000, 9))],
    { earlyData: Buffer.concat([text('a'), ping('b'), binary(binaryPayload(70000, 9))]) }));
  const split = text('split across the handshake');
  cases.push(echoCase('1.3.10', 'first 10 bytes of a frame pipelined with the request, the rest afterwards',
    [send(split.subarray(10))], [ev.text('split across the handshake')], { earlyData: split.subarray(0, 10) }));
  return cases;
}

export default {
  title: '1 Framing',
  cases: [...lengthCases('1.1', 'text'), ...lengthCases('1.2', 'binary'), ...extraCases()],
};
