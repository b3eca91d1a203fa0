import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, encodeFrame, Opcode } from '../../dist/esm/frame/index.js';

/** Runs a parser over `chunks` and returns what came out. */
function parse(chunks, options = { role: 'client' }) {
  const events = [];
  const parser = new FrameParser(options, {
    onMessage: (data, isBinary) => events.push({ type: 'message', data: Buffer.from(data), isBinary }),
    onPing: (p) => events.push({ type: 'ping', data: Buffer.from(p) }),
    onPong: (p) => events.push({ type: 'pong', data: Buffer.from(p) }),
    onClose: (code, reason) => events.push({ type: 'close', code, reason: reason.toString() }),
    onError: (err) => events.push({ type: 'error', code: err.code, closeCode: err.closeCode }),
  });
  for (const c of chunks) parser.push(Buffer.from(c));
  return events;
}
const bytes = (...b) => Buffer.from(b);
const serverParse = (chunks, extra = {}) => parse(chunks, { role: 'server', ...extra });

describe('RFC 6455 §5.7 examples', () => {
  test('single-frame unmasked text', () => {
    const ev = parse([bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)]);
    assert.deepEqual(ev, [{ type: 'message', data: Buffer.from('Hello'), isBinary: false }]);
  });
  test('single-frame masked text', () => {
    const ev = serverParse([bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58)]);
    assert.deepEqual(ev, [{ type: 'message', data: Buffer.from('Hello'), isBinary: false }]);
  });
  test('fragmented unmasked text', () => {
    const ev = parse([bytes(0x01, 0x03, 0x48, 0x65, 0x6c), bytes(0x80, 0x02, 0x6c, 0x6f)]);
    assert.deepEqual(ev, [{ type: 'message', data: Buffer.from('Hello'), isBinary: false }]);
  });
  test('unmasked ping and masked pong', () => {
    assert.deepEqual(parse([bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)]), [{ type: 'ping', data: Buffer.from('Hello') }]);
    assert.deepEqual(serverParse([bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58)]), [
      { type: 'pong', data: Buffer.from('Hello') },
    ]);
  });
  test('256-byte binary with a 16-bit length, 64 KiB with a 64-bit length', () => {
    const p256 = Buffer.alloc(256, 7);
    let ev = parse([Buffer.concat([bytes(0x82, 0x7e, 0x01, 0x00), p256])]);
    assert.deepEqual(ev, [{ type: 'message', data: p256, isBinary: true }]);
    const p64k = Buffer.alloc(65536, 9);
    ev = parse([Buffer.concat([bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0), p64k])]);
    assert.equal(ev.length, 1);
    assert.equal(ev[0].data.length, 65536);
    assert.ok(ev[0].data.equals(p64k));
  });
});

describe('streaming', () => {
  test('input split at every byte boundary gives the same messages', () => {
    const frames = Buffer.concat([
      encodeFrame(Opcode.Text, Buffer.from('héllo wörld'), { mask: true }),
      encodeFrame(Opcode.Binary, Buffer.alloc(300, 3), { mask: true }),
      encodeFrame(Opcode.Ping, Buffer.from('p'), { mask: true }),
      encodeFrame(Opcode.Text, Buffer.from('frag-'), { mask: true, fin: false }),
      encodeFrame(Opcode.Continuation, Buffer.from('ment'), { mask: true }),
    ]);
    const whole = serverParse([frames]);
    assert.equal(whole.length, 4);
    for (let cut = 1; cut < frames.length; cut++) {
      assert.deepEqual(serverParse([frames.subarray(0, cut), frames.subarray(cut)]), whole, `cut at ${cut}`);
    }
    const oneByOne = serverParse([...frames].map((b) => [b]));
    assert.deepEqual(oneByOne, whole);
    assert.equal(whole[3].data.toString(), 'frag-ment');
  });
  test('a payload inside one chunk is delivered without copying', () => {
    const chunk = encodeFrame(Opcode.Binary, Buffer.alloc(1000, 1));
    let got;
    const p = new FrameParser({ role: 'client' }, { onMessage: (d) => (got = d), onPing() {}, onPong() {}, onClose() {}, onError() {} });
    p.push(chunk);
    assert.equal(got.buffer, chunk.buffer, 'the message shares memory with the input chunk');
    assert.equal(p.bufferedBytes, 0);
  });
});

describe('protocol errors', () => {
  const cases = [
    ['RSV1 set without an extension', bytes(0xc1, 0x80, 1, 2, 3, 4), 'WS_ERR_UNEXPECTED_RSV_1', 1002],
    ['RSV2 set', bytes(0xa1, 0x80, 1, 2, 3, 4), 'WS_ERR_UNEXPECTED_RSV_2_3', 1002],
    ['RSV3 set', bytes(0x91, 0x80, 1, 2, 3, 4), 'WS_ERR_UNEXPECTED_RSV_2_3', 1002],
    ['reserved data opcode 3', bytes(0x83, 0x80, 1, 2, 3, 4), 'WS_ERR_INVALID_OPCODE', 1002],
    ['reserved control opcode 0xB', bytes(0x8b, 0x80, 1, 2, 3, 4), 'WS_ERR_INVALID_OPCODE', 1002],
    ['unmasked client frame', bytes(0x81, 0x00), 'WS_ERR_EXPECTED_MASK', 1002],
    ['fragmented ping', bytes(0x09, 0x80, 1, 2, 3, 4), 'WS_ERR_EXPECTED_FIN', 1002],
    ['126-byte ping', bytes(0x89, 0xfe, 0x00, 0x7e), 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002],
    ['continuation without a start', bytes(0x80, 0x80, 1, 2, 3, 4), 'WS_ERR_INVALID_OPCODE', 1002],
    ['64-bit length with the top bit set', bytes(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1), 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 1002],
    ['64-bit length beyond a Buffer', bytes(0x82, 0xff, 0x00, 0x10, 0, 0, 0, 0, 0, 0), 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 1009],
  ];
  for (const [name, input, code, closeCode] of cases) {
    test(name, () => {
      assert.deepEqual(serverParse([input]), [{ type: 'error', code, closeCode }]);
    });
  }
  test('a masked frame from the server is rejected by a client', () => {
    assert.deepEqual(parse([encodeFrame(Opcode.Text, Buffer.from('x'), { mask: true })]), [
      { type: 'error', code: 'WS_ERR_UNEXPECTED_MASK', closeCode: 1002 },
    ]);
  });
  test('a new data frame inside an open fragmented message', () => {
    const ev = serverParse([
      encodeFrame(Opcode.Text, Buffer.from('a'), { mask: true, fin: false }),
      encodeFrame(Opcode.Text, Buffer.from('b'), { mask: true }),
    ]);
    assert.deepEqual(ev, [{ type: 'error', code: 'WS_ERR_INVALID_OPCODE', closeCode: 1002 }]);
  });
  test('RSV1 is accepted when an extension claimed it', () => {
    const ev = serverParse([bytes(0xc1, 0x80, 1, 2, 3, 4)], { allowedRsv: 0x40 });
    assert.equal(ev[0].type, 'message');
  });
  test('nothing is parsed after an error', () => {
    const ev = serverParse([bytes(0x83, 0x80, 1, 2, 3, 4), encodeFrame(Opcode.Text, Buffer.from('x'), { mask: true })]);
    assert.equal(ev.length, 1);
  });
  test('control frames may interleave with fragments', () => {
    const ev = serverParse([
      encodeFrame(Opcode.Text, Buffer.from('a'), { mask: true, fin: false }),
      encodeFrame(Opcode.Ping, Buffer.from('x'), { mask: true }),
      encodeFrame(Opcode.Continuation, Buffer.from('b'), { mask: true }),
    ]);
    assert.deepEqual(ev.map((e) => e.type), ['ping', 'message']);
    assert.equal(ev[1].data.toString(), 'ab');
  });
});

describe('maxPayload', () => {
  test('a single frame over the limit fails with 1009 before its payload arrives', () => {
    const header = bytes(0x82, 0xfe, 0x04, 0x01, 1, 2, 3, 4); // 1025 bytes announced, none sent
    assert.deepEqual(serverParse([header], { maxPayload: 1024 }), [
      { type: 'error', code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 },
    ]);
  });
  test('the running size of a fragmented message is enforced', () => {
    const ev = serverParse(
      [
        encodeFrame(Opcode.Binary, Buffer.alloc(600), { mask: true, fin: false }),
        encodeFrame(Opcode.Continuation, Buffer.alloc(600), { mask: true }),
      ],
      { maxPayload: 1024 },
    );
    assert.deepEqual(ev, [{ type: 'error', code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 }]);
  });
  test('exactly maxPayload is accepted', () => {
    const ev = serverParse([encodeFrame(Opcode.Binary, Buffer.alloc(1024), { mask: true })], { maxPayload: 1024 });
    assert.equal(ev[0].type, 'message');
  });
});

describe('UTF-8', () => {
  test('invalid UTF-8 in a single text frame is 1007', () => {
    const ev = serverParse([encodeFrame(Opcode.Text, bytes(0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80), { mask: true })]);
    assert.deepEqual(ev, [{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  });
  test('a code point split across fragments is valid', () => {
    const euro = Buffer.from('€'); // e2 82 ac
    for (let cut = 1; cut < 3; cut++) {
      const ev = serverParse([
        encodeFrame(Opcode.Text, euro.subarray(0, cut), { mask: true, fin: false }),
        encodeFrame(Opcode.Continuation, euro.subarray(cut), { mask: true }),
      ]);
      assert.deepEqual(ev, [{ type: 'message', data: euro, isBinary: false }]);
    }
  });
  test('fragmented text fails fast on the fragment holding the bad byte', () => {
    const ev = serverParse([encodeFrame(Opcode.Text, bytes(0x61, 0xff), { mask: true, fin: false })]);
    assert.deepEqual(ev, [{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  });
  test('a message ending mid code point is 1007', () => {
    const ev = serverParse([
      encodeFrame(Opcode.Text, bytes(0x61), { mask: true, fin: false }),
      encodeFrame(Opcode.Continuation, bytes(0xe2, 0x82), { mask: true }),
    ]);
    assert.deepEqual(ev, [{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  });
  test('binary messages are not validated', () => {
    const ev = serverParse([encodeFrame(Opcode.Binary, bytes(0xff, 0xfe), { mask: true })]);
    assert.equal(ev[0].type, 'message');
  });
  test('skipUtf8Validation lets invalid text through', () => {
    const ev = serverParse([encodeFrame(Opcode.Text, bytes(0xff), { mask: true })], { skipUtf8Validation: true });
    assert.equal(ev[0].type, 'message');
  });
});

describe('close frames', () => {
  const close = (payload) => serverParse([encodeFrame(Opcode.Close, Buffer.from(payload), { mask: true })]);
  test('empty close payload reports 1005', () => {
    assert.deepEqual(close([]), [{ type: 'close', code: 1005, reason: '' }]);
  });
  test('code and reason', () => {
    assert.deepEqual(close([0x03, 0xe8, ...Buffer.from('bye')]), [{ type: 'close', code: 1000, reason: 'bye' }]);
  });
  test('1-byte payload is 1002', () => {
    assert.deepEqual(close([0x03]), [{ type: 'error', code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', closeCode: 1002 }]);
  });
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
    test(`close code ${code} is invalid`, () => {
      assert.deepEqual(close([code >> 8, code & 0xff]), [{ type: 'error', code: 'WS_ERR_INVALID_CLOSE_CODE', closeCode: 1002 }]);
    });
  }
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
    test(`close code ${code} is valid`, () => {
      assert.deepEqual(close([code >> 8, code & 0xff]), [{ type: 'close', code, reason: '' }]);
    });
  }
  test('invalid UTF-8 in the reason is 1007', () => {
    assert.deepEqual(close([0x03, 0xe8, 0xff]), [{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  });
});

describe('regressions', () => {
  test('a fragmented binary message whose first fragments are empty stays binary', () => {
    const ev = serverParse([
      encodeFrame(Opcode.Binary, Buffer.alloc(0), { mask: true, fin: false }),
      encodeFrame(Opcode.Continuation, Buffer.from([1, 2]), { mask: true }),
    ]);
    assert.deepEqual(ev, [{ type: 'message', data: Buffer.from([1, 2]), isBinary: true }]);
  });
});

describe('after a close frame', () => {
  test('frames in the same chunk after a close frame are discarded (RFC 6455 §5.5.1)', () => {
    const ev = parse([bytes(0x88, 0x02, 0x03, 0xe8, 0x81, 0x01, 0x61, 0x89, 0x00)]);
    assert.deepEqual(ev, [{ type: 'close', code: 1000, reason: '' }]);
  });
  test('and so are later chunks', () => {
    const ev = parse([bytes(0x88, 0x00), bytes(0x81, 0x01, 0x61)]);
    assert.deepEqual(ev, [{ type: 'close', code: 1005, reason: '' }]);
  });
});
