import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyMask, encodeClosePayload, encodeFrame, encodeHeader, encodeWith, FrameCache, MaskKeys, headerSize, isValidCloseCode, Opcode, prepareFrame,
  toBuffer, Utf8Validator, writeMaskKey, FrameParser,
} from '../../dist/esm/frame/index.js';

describe('encoder', () => {
  test('RFC 6455 §5.7: unmasked "Hello"', () => {
    assert.deepEqual([...encodeFrame(Opcode.Text, Buffer.from('Hello'))], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
  });
  test('length encodings at their boundaries', () => {
    for (const [len, size] of [[0, 2], [125, 2], [126, 4], [65535, 4], [65536, 10]]) {
      const f = encodeFrame(Opcode.Binary, Buffer.alloc(len));
      assert.equal(f.length, size + len, `length ${len}`);
      assert.equal(headerSize(len, false), size);
      assert.equal(headerSize(len, true), size + 4);
    }
    const f = encodeFrame(Opcode.Binary, Buffer.alloc(65536));
    assert.deepEqual([...f.subarray(0, 10)], [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.deepEqual([...encodeHeader(Opcode.Text, 300)], [0x81, 0x7e, 0x01, 0x2c]);
  });
  test('masked frames round-trip through a server parser and leave the input untouched', () => {
    for (const len of [0, 1, 3, 4, 5, 31, 32, 33, 125, 126, 1000, 70000]) {
      const payload = Buffer.alloc(len);
      for (let i = 0; i < len; i++) payload[i] = (i * 31) & 0xff;
      const copy = Buffer.from(payload);
      const frame = encodeFrame(Opcode.Binary, payload, { mask: true });
      assert.ok(payload.equals(copy), 'caller buffer unchanged');
      assert.equal(frame[1] & 0x80, 0x80, 'mask bit set');
      let got;
      new FrameParser({ role: 'server' }, { onMessage: (d) => (got = Buffer.from(d)), onPing() {}, onPong() {}, onClose() {}, onError: (e) => assert.fail(e.message) }).push(frame);
      assert.ok(got.equals(payload), `length ${len}`);
    }
  });
  test('fin=false and rsv1', () => {
    const f = encodeFrame(Opcode.Text, Buffer.from('a'), { fin: false, rsv1: true });
    assert.equal(f[0], 0x41);
  });
  test('prepareFrame builds header and payload in one buffer', () => {
    const f = prepareFrame('héllo', false);
    assert.deepEqual([...f.subarray(0, 2)], [0x81, 6]);
    assert.equal(f.subarray(2).toString(), 'héllo');
    const b = prepareFrame(new Uint8Array([1, 2, 3]), true);
    assert.deepEqual([...b], [0x82, 3, 1, 2, 3]);
    assert.equal(prepareFrame('x'.repeat(200), false).length, 204);
  });
  test('close payloads', () => {
    assert.equal(encodeClosePayload(undefined).length, 0);
    assert.equal(encodeClosePayload(1005).length, 0);
    assert.deepEqual([...encodeClosePayload(1000, 'ok')], [0x03, 0xe8, 0x6f, 0x6b]);
    assert.deepEqual([...encodeClosePayload(4000, Buffer.from('a'))], [0x0f, 0xa0, 0x61]);
  });
  test('toBuffer accepts strings, buffers, ArrayBuffers, views and arrays of buffers', () => {
    assert.equal(toBuffer('ab').toString(), 'ab');
    assert.deepEqual([...toBuffer(new Uint8Array([1, 2]).buffer)], [1, 2]);
    assert.deepEqual([...toBuffer(new Uint16Array([0x0201]))], [1, 2]);
    assert.deepEqual([...toBuffer([Buffer.from([1]), Buffer.from([2])])], [1, 2]);
    const b = Buffer.from('x');
    assert.equal(toBuffer(b), b);
  });
});

describe('masking', () => {
  test('word-at-a-time masking equals the bytewise definition at every alignment', () => {
    const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    const backing = Buffer.alloc(300);
    for (let i = 0; i < backing.length; i++) backing[i] = i & 0xff;
    for (const offset of [0, 1, 2, 3]) {
      for (const len of [0, 5, 31, 32, 33, 64, 101, 200]) {
        const buf = Buffer.from(backing).subarray(offset, offset + len);
        const expected = Buffer.from(buf).map((b, i) => b ^ key[i % 4]);
        applyMask(buf, key);
        assert.ok(buf.equals(expected), `offset ${offset} len ${len}`);
      }
    }
  });
  test('a range with start/end masks only that range, key aligned to start', () => {
    const key = Buffer.from([1, 2, 3, 4]);
    const buf = Buffer.alloc(10);
    applyMask(buf, key, 3, 8);
    assert.deepEqual([...buf], [0, 0, 0, 1, 2, 3, 4, 1, 0, 0]);
  });
  test('writeMaskKey draws fresh keys from the CSPRNG', () => {
    const seen = new Set();
    const target = Buffer.alloc(4);
    for (let i = 0; i < 5000; i++) {
      writeMaskKey(target, 0);
      seen.add(target.readUInt32BE(0));
    }
    assert.ok(seen.size > 4990, `only ${seen.size} distinct keys`);
  });
});

describe('close codes and UTF-8', () => {
  test('isValidCloseCode', () => {
    const valid = [];
    for (let c = 0; c < 6000; c++) if (isValidCloseCode(c)) valid.push(c);
    assert.equal(valid.length, 12 + 2000); // 1000-1014 minus 1004-1006, and 3000-4999
    assert.ok(!isValidCloseCode(1004) && !isValidCloseCode(1015) && isValidCloseCode(1014));
  });
  test('incremental validator: every split of valid text passes', () => {
    const text = Buffer.from('aé€𝄞z'.repeat(3));
    for (let a = 0; a <= text.length; a++) {
      const v = new Utf8Validator();
      assert.ok(v.push(text, 0, a) && v.push(text, a) && v.finish(), `split at ${a}`);
    }
  });
  test('incremental validator rejects overlongs, surrogates, > U+10FFFF, stray continuations', () => {
    for (const bad of [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xf8], [0xc2, 0x41]]) {
      const buf = Buffer.from(bad);
      let ok = true;
      const v = new Utf8Validator();
      for (let i = 0; i < buf.length && ok; i++) ok = v.push(buf, i, i + 1);
      assert.ok(!ok || !v.finish(), `byte-by-byte ${bad}`);
      const w = new Utf8Validator();
      assert.ok(!w.push(buf) || !w.finish(), `whole ${bad}`);
    }
  });
  test('a truncated sequence is only an error at the end', () => {
    const v = new Utf8Validator();
    assert.ok(v.push(Buffer.from([0xf0, 0x9d])));
    assert.equal(v.finish(), false);
    assert.ok(v.push(Buffer.from('ok')) && v.finish(), 'finish() resets the validator');
  });
});

test('a FrameCache reuses the frame of a repeated string, never of a different one', () => {
  const cache = new FrameCache();
  const a = cache.frame('same message', false);
  assert.deepEqual(a, prepareFrame('same message', false));
  assert.equal(cache.frame('same message', false), a);
  assert.notEqual(cache.frame('same message', true), a, 'opcode is part of the key');
  const b = cache.frame('other message', false);
  assert.notEqual(b, a);
  assert.equal(b.subarray(2).toString(), 'other message');
  const big = 'x'.repeat(70 * 1024);
  assert.notEqual(cache.frame(big, false), cache.frame(big, false), 'large frames are not cached');
  // The memory is the cache's own: another cache, and prepareFrame, keep none.
  assert.notEqual(new FrameCache().frame('other message', false), b);
  assert.notEqual(prepareFrame('same message', false), prepareFrame('same message', false));
});

test('mask keys: a MaskKeys pool gives fresh keys; encodeWith masks with it', () => {
  const keys = new MaskKeys();
  const seen = new Set();
  for (let i = 0; i < 300; i++) {
    const k = Buffer.alloc(4);
    keys.write(k, 0);
    seen.add(k.toString('hex'));
  }
  // 300 draws of 32 random bits (across pool refills): a repeat is a ~1e-5 event.
  assert.ok(seen.size >= 299, `${seen.size} distinct keys`);
  const payload = Buffer.from('masked payload');
  const frame = encodeWith(Opcode.Text, payload, true, false, true, keys);
  assert.equal(frame[1], 0x80 | payload.length);
  const body = Buffer.from(frame.subarray(6));
  applyMask(body, frame.subarray(2, 6));
  assert.equal(body.toString(), 'masked payload');
});
