// A decompression bomb: 100 MiB of zeros compressed to about 100 KiB, sent
// as one compressed message to a parser limited to 1 MiB. It must fail with
// 1009 (RFC 6455 §7.4.1) having inflated about maxPayload bytes, not the
// 100 MiB: the process's peak memory (maxRSS) must not grow by anything
// near the inflated size. Its own file, so the peak is this test's alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { FrameParser, MessageInflater, encodeFrame, Opcode } from '../../dist/esm/frame/index.js';

const MiB = 1024 * 1024;

/** 100 MiB of zeros through a streaming compressor, 1 MiB at a time (the test never holds the 100 MiB). */
async function bomb() {
  const d = zlib.createDeflateRaw({ level: 9 });
  const parts = [];
  d.on('data', (c) => parts.push(c));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < 100; i++) {
    if (!d.write(zeros)) await new Promise((r) => d.once('drain', r));
  }
  await new Promise((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, r));
  d.close();
  const all = Buffer.concat(parts);
  return all.subarray(0, all.length - 4);
}

test('a 100 MiB bomb against maxPayload 1 MiB: 1009, and memory does not grow by the inflated size', async () => {
  const compressed = await bomb();
  assert.ok(compressed.length < 256 * 1024, `compressed to ${compressed.length} bytes`);
  const frame = encodeFrame(Opcode.Binary, compressed, { mask: true, rsv1: true });
  global.gc?.();
  const before = process.resourceUsage().maxRSS; // KiB
  const events = [];
  const parser = new FrameParser({ role: 'server', maxPayload: MiB }, {
    onMessage: (data) => events.push({ type: 'message', length: data.length }),
    onPing() {}, onPong() {}, onClose() {},
    onError: (err) => events.push({ type: 'error', code: err.code, closeCode: err.closeCode }),
  });
  parser.setDecompressor(new MessageInflater({ windowBits: 15, noContextTakeover: true, maxPayload: MiB }));
  parser.push(frame);
  const grown = (process.resourceUsage().maxRSS - before) / 1024; // MiB
  assert.deepEqual(events, [{ type: 'error', code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 }]);
  // Inflating it all would have taken at least 100 MiB (twice that to join the pieces).
  assert.ok(grown < 32, `peak memory grew by ${grown.toFixed(1)} MiB while refusing the bomb`);
});
