// permessage-deflate in the frame layer (RFC 7692 §6, §7.2): where RSV1 may
// appear, inflation of whole and fragmented messages, context takeover,
// invalid data (1007), the size limit on inflated bytes (1009), and the
// compressor's output read back by an independent zlib stream.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { FrameParser, MessageInflater, MessageDeflater, deflateMessage, SlidingWindow, encodeFrame, Opcode } from '../../dist/esm/frame/index.js';

/** Raw DEFLATE of `data` with the sync flush's tail removed, as a peer sends it (RFC 7692 §7.2.1). */
function compress(data) {
  const out = zlib.deflateRawSync(Buffer.from(data), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** Runs a server-role parser with permessage-deflate on (or off) over `chunks`. */
function parse(chunks, { deflate = true, maxPayload = 0, noContext = true, windowBits = 15 } = {}) {
  const events = [];
  const parser = new FrameParser({ role: 'server', maxPayload }, {
    onMessage: (data, isBinary) => events.push({ type: isBinary ? 'binary' : 'text', data: Buffer.from(data).toString() }),
    onPing: (p) => events.push({ type: 'ping', data: p.toString() }),
    onPong: (p) => events.push({ type: 'pong', data: p.toString() }),
    onClose: (code) => events.push({ type: 'close', code }),
    onError: (err) => events.push({ type: 'error', code: err.code, closeCode: err.closeCode }),
  });
  if (deflate) parser.setDecompressor(new MessageInflater({ windowBits, noContextTakeover: noContext, maxPayload }));
  for (const c of chunks) parser.push(Buffer.from(c));
  return events;
}

const masked = (opcode, payload, o = {}) => encodeFrame(opcode, Buffer.from(payload), { mask: true, ...o });

describe('RSV1 rules (RFC 7692 §6)', () => {
  test('RSV1 on a text frame: the message is inflated', () => {
    assert.deepEqual(parse([masked(Opcode.Text, compress('hello'), { rsv1: true })]), [{ type: 'text', data: 'hello' }]);
  });
  test('RSV1 without the extension -> 1002', () => {
    assert.deepEqual(parse([masked(Opcode.Text, compress('hello'), { rsv1: true })], { deflate: false }),
      [{ type: 'error', code: 'WS_ERR_UNEXPECTED_RSV_1', closeCode: 1002 }]);
  });
  test('RSV1 on a continuation frame -> 1002', () => {
    const c = compress('hello world');
    const ev = parse([masked(Opcode.Text, c.subarray(0, 3), { rsv1: true, fin: false }), masked(Opcode.Continuation, c.subarray(3), { rsv1: true })]);
    assert.deepEqual(ev, [{ type: 'error', code: 'WS_ERR_UNEXPECTED_RSV_1', closeCode: 1002 }]);
  });
  for (const [name, opcode] of [['ping', Opcode.Ping], ['pong', Opcode.Pong], ['close', Opcode.Close]]) {
    test(`RSV1 on a ${name} frame -> 1002, even with the extension`, () => {
      assert.deepEqual(parse([masked(opcode, Buffer.from([3, 232]), { rsv1: true })]), [{ type: 'error', code: 'WS_ERR_UNEXPECTED_RSV_1', closeCode: 1002 }]);
    });
  }
  test('RSV2 and RSV3 stay refused with the extension', () => {
    const frame = masked(Opcode.Text, 'x');
    frame[0] |= 0x20;
    assert.deepEqual(parse([frame]), [{ type: 'error', code: 'WS_ERR_UNEXPECTED_RSV_2_3', closeCode: 1002 }]);
  });
  test('an uncompressed message (RSV1 clear) passes as it is with the extension on', () => {
    assert.deepEqual(parse([masked(Opcode.Binary, 'plain')]), [{ type: 'binary', data: 'plain' }]);
  });
});

describe('inflation', () => {
  test('a fragmented compressed message, RSV1 on its first frame only, in 1-byte chunks', () => {
    const text = 'fragmented message '.repeat(50);
    const c = compress(text);
    const third = Math.floor(c.length / 3);
    const frames = Buffer.concat([
      masked(Opcode.Text, c.subarray(0, third), { rsv1: true, fin: false }),
      masked(Opcode.Continuation, c.subarray(third, 2 * third), { fin: false }),
      masked(Opcode.Ping, 'p'),
      masked(Opcode.Continuation, c.subarray(2 * third)),
    ]);
    const chunks = [...frames].map((b) => [b]);
    assert.deepEqual(parse(chunks), [{ type: 'ping', data: 'p' }, { type: 'text', data: text }]);
  });
  test('events keep the order of frames: compressed message, ping, plain message', () => {
    const ev = parse([Buffer.concat([masked(Opcode.Text, compress('first'), { rsv1: true }), masked(Opcode.Ping, 'p'), masked(Opcode.Text, 'second')])]);
    assert.deepEqual(ev, [{ type: 'text', data: 'first' }, { type: 'ping', data: 'p' }, { type: 'text', data: 'second' }]);
  });
  test('an empty compressed message', () => {
    assert.deepEqual(parse([masked(Opcode.Binary, compress(''), { rsv1: true })]), [{ type: 'binary', data: '' }]);
  });
  test('invalid DEFLATE data -> 1007, and nothing after it is parsed', () => {
    const ev = parse([Buffer.concat([masked(Opcode.Binary, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv1: true }), masked(Opcode.Text, 'after')])]);
    assert.deepEqual(ev, [{ type: 'error', code: 'Z_DATA_ERROR', closeCode: 1007 }]);
  });
  test('inflated text that is not UTF-8 -> 1007', () => {
    const ev = parse([masked(Opcode.Text, compress(Buffer.from([0x68, 0xc3, 0x28])), { rsv1: true })]);
    assert.deepEqual(ev, [{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  });
  test('maxPayload applies to inflated bytes: exactly maxPayload passes, one more -> 1009', () => {
    assert.deepEqual(parse([masked(Opcode.Binary, compress('a'.repeat(1000)), { rsv1: true })], { maxPayload: 1000 }), [{ type: 'binary', data: 'a'.repeat(1000) }]);
    assert.deepEqual(parse([masked(Opcode.Binary, compress('a'.repeat(1001)), { rsv1: true })], { maxPayload: 1000 }),
      [{ type: 'error', code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 }]);
  });
  test('context takeover: a message that refers back to the previous one', async () => {
    // One zlib stream for both messages, as a peer with context takeover sends them.
    const d = zlib.createDeflateRaw();
    const parts = [];
    d.on('data', (c) => parts.push(c));
    const message = (text) => new Promise((resolve) => {
      d.write(text);
      d.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const all = Buffer.concat(parts.splice(0));
        resolve(all.subarray(0, all.length - 4));
      });
    });
    const sentence = 'the same sentence, said twice over, and long enough to matter. ';
    const first = await message(sentence);
    const second = await message(sentence);
    d.close();
    assert.ok(second.length < first.length / 2, 'the second message is a back-reference');
    const frames = [masked(Opcode.Text, first, { rsv1: true }), masked(Opcode.Text, second, { rsv1: true })];
    assert.deepEqual(parse(frames, { noContext: false }).map((e) => e.data), [sentence, sentence]);
    // Without the kept window the back-reference has nothing to point to.
    assert.equal(parse(frames, { noContext: true }).at(-1).closeCode, 1007);
  });
  test('no context takeover: the inflater keeps nothing between messages; with it, at most twice the window', () => {
    const none = new MessageInflater({ windowBits: 10, noContextTakeover: true, maxPayload: 0 });
    const kept = new MessageInflater({ windowBits: 10, noContextTakeover: false, maxPayload: 0 });
    for (let i = 0; i < 20; i++) {
      const c = compress('x'.repeat(5000 + i));
      assert.ok(Buffer.isBuffer(none.inflate(c)));
      assert.ok(Buffer.isBuffer(kept.inflate(c)));
    }
    assert.equal(none.retained, 0);
    assert.ok(kept.retained > 0 && kept.retained <= 2 * 1024, `kept ${kept.retained}`);
  });
});

describe('compression', () => {
  /** Reads our compressed messages back with one independent zlib inflate stream per connection. */
  async function readBack(messages, windowBits) {
    const inf = zlib.createInflateRaw({ windowBits });
    const out = [];
    for (const m of messages) {
      const parts = [];
      const onData = (c) => parts.push(c);
      inf.on('data', onData);
      await new Promise((resolve, reject) => {
        inf.once('error', reject);
        inf.write(Buffer.concat([m, Buffer.from([0, 0, 0xff, 0xff])]));
        inf.flush(zlib.constants.Z_SYNC_FLUSH, resolve);
      });
      inf.removeListener('data', onData);
      out.push(Buffer.concat(parts).toString());
    }
    inf.close();
    return out;
  }
  for (const windowBits of [9, 12, 15]) {
    for (const noContextTakeover of [true, false]) {
      test(`window ${windowBits}, ${noContextTakeover ? 'no ' : ''}context takeover: a zlib stream of that window reads every message`, async () => {
        const deflater = new MessageDeflater({ windowBits, noContextTakeover });
        const texts = Array.from({ length: 12 }, (_, i) => `message ${i} `.repeat(40 + i * 30));
        const messages = texts.map((t) => deflater.compress(Buffer.from(t), true));
        assert.deepEqual(await readBack(messages, windowBits), texts);
        if (noContextTakeover) assert.equal(deflater.retained, 0);
        else assert.ok(deflater.retained <= 2 << windowBits);
      });
    }
  }
  test('context takeover makes a repeated message smaller', () => {
    const text = Buffer.from('a sentence of some length that repeats itself. '.repeat(4));
    const kept = new MessageDeflater({ windowBits: 15, noContextTakeover: false });
    const first = kept.compress(text, true);
    const second = kept.compress(text, true);
    assert.ok(second.length < first.length / 2, `${second.length} vs ${first.length}`);
    const alone = new MessageDeflater({ windowBits: 15, noContextTakeover: true });
    assert.equal(alone.compress(text, true).length, alone.compress(text, true).length);
  });
  test('fragments of one message form one stream; only the last loses the tail', async () => {
    const deflater = new MessageDeflater({ windowBits: 15, noContextTakeover: true });
    const a = deflater.compress(Buffer.from('part one, '), false);
    const b = deflater.compress(Buffer.from('part two'), true);
    assert.deepEqual([...a.subarray(-4)], [0, 0, 0xff, 0xff]);
    assert.deepEqual(await readBack([Buffer.concat([a, b])], 15), ['part one, part two']);
  });
  test('deflateMessage is a message compressed alone, tail removed', async () => {
    const m = deflateMessage(Buffer.from('hello hello hello'), 15);
    assert.notDeepEqual([...m.subarray(-4)], [0, 0, 0xff, 0xff]);
    assert.deepEqual(await readBack([m], 15), ['hello hello hello']);
  });
  test('SlidingWindow keeps the last window of bytes across appends', () => {
    const w = new SlidingWindow(9);
    let all = '';
    for (let i = 0; i < 50; i++) {
      const piece = `${i}:`.repeat(i);
      w.append(Buffer.from(piece));
      all += piece;
      assert.equal(w.bytes.toString(), all.slice(-512));
    }
    assert.ok(w.held <= 1024);
  });
});
