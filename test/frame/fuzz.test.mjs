// Seeded fuzzing of the frame parser: over a million frames, valid ones
// checked against what was encoded, mutated ones checked to produce only
// defined errors and close codes, never an exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, encodeFrame, Opcode, isValidCloseCode } from '../../dist/esm/frame/index.js';
import { rng } from '../helpers/rng.mjs';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1234);
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 1_000_000);

const ERROR_CODES = new Map([
  ['WS_ERR_INVALID_OPCODE', 1002], ['WS_ERR_UNEXPECTED_RSV_1', 1002], ['WS_ERR_UNEXPECTED_RSV_2_3', 1002],
  ['WS_ERR_EXPECTED_MASK', 1002], ['WS_ERR_UNEXPECTED_MASK', 1002], ['WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002],
  ['WS_ERR_EXPECTED_FIN', 1002], ['WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', [1002, 1009]], ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009],
  ['WS_ERR_INVALID_UTF8', 1007], ['WS_ERR_INVALID_CLOSE_CODE', 1002],
]);
const TEXTS = ['', 'a', 'hello', 'héllo wörld', '€𝄞', 'x'.repeat(130), 'ü'.repeat(200)].map((t) => Buffer.from(t));

/** A random valid message as frames, plus what the parser must report. */
function validMessage(r) {
  const kind = r.int(10);
  if (kind < 2) {
    const opcode = kind === 0 ? Opcode.Ping : Opcode.Pong;
    const payload = Buffer.alloc(r.int(126), r.int(256));
    return { frames: [encodeFrame(opcode, payload, { mask: true })], expect: [kind === 0 ? 'ping' : 'pong', payload] };
  }
  const text = kind < 6;
  const payload = text ? TEXTS[r.int(TEXTS.length)] : Buffer.alloc(r.int(300), r.int(256));
  const pieces = 1 + r.int(3);
  const frames = [];
  let at = 0;
  for (let i = 0; i < pieces; i++) {
    const end = i === pieces - 1 ? payload.length : Math.min(payload.length, at + r.int(payload.length + 1));
    const opcode = i === 0 ? (text ? Opcode.Text : Opcode.Binary) : Opcode.Continuation;
    frames.push(encodeFrame(opcode, payload.subarray(at, end), { mask: true, fin: i === pieces - 1 }));
    at = end;
    // Control frames may sit between fragments (RFC 6455 §5.4).
    if (i < pieces - 1 && r.int(4) === 0) frames.push(encodeFrame(Opcode.Ping, Buffer.from('i'), { mask: true }));
  }
  const expect = [text ? 'text' : 'binary', payload];
  return { frames, expect, interleavedPings: frames.length - pieces };
}

function mutate(r, buf) {
  const out = Buffer.from(buf);
  const n = 1 + r.int(4);
  for (let i = 0; i < n && out.length > 0; i++) {
    const at = r.int(out.length);
    switch (r.int(4)) {
      case 0: out[at] ^= 1 << r.int(8); break; // flip a bit
      case 1: out[at] = r.int(256); break; // random byte
      case 2: out[at] = [0x00, 0x7e, 0x7f, 0xff, 0x80, 0x88, 0x8f][r.int(7)]; break; // interesting values
      default: return out.subarray(0, at); // truncate
    }
  }
  return out;
}

test(`fuzz: ${FRAMES} frames (seed 0x${SEED.toString(16)}) produce exact messages or defined errors, never exceptions`, () => {
  const r = rng(SEED);
  let frames = 0;
  let validStreams = 0;
  let mutatedStreams = 0;
  let errors = 0;
  const seenCodes = new Set();
  while (frames < FRAMES) {
    const messages = [];
    const wire = [];
    const count = 1 + r.int(12);
    for (let i = 0; i < count; i++) {
      const m = validMessage(r);
      messages.push(m);
      wire.push(...m.frames);
      frames += m.frames.length;
    }
    const mutated = r.int(3) === 0;
    let stream = Buffer.concat(wire);
    if (mutated) stream = mutate(r, stream);
    const out = [];
    let error = null;
    const parser = new FrameParser({ role: 'server', maxPayload: r.int(2) === 0 ? 0 : 4096 }, {
      onMessage: (d, bin) => out.push([bin ? 'binary' : 'text', d]),
      onPing: (d) => out.push(['ping', d]),
      onPong: (d) => out.push(['pong', d]),
      onClose: (code, reason) => {
        assert.ok(code === 1005 || isValidCloseCode(code), `close code ${code} delivered`);
        out.push(['close', reason]);
      },
      onError: (e) => {
        assert.equal(error, null, 'one error at most per stream');
        error = e;
      },
    });
    // Feed in random splits: the parser must not care where chunks end.
    let at = 0;
    while (at < stream.length) {
      const n = 1 + r.int(Math.min(64, stream.length - at));
      parser.push(Buffer.from(stream.subarray(at, at + n)));
      at += n;
    }
    if (error !== null) {
      errors++;
      assert.ok([ERROR_CODES.get(error.code)].flat().includes(error.closeCode), `${error.code} -> ${error.closeCode}`);
      assert.ok([1002, 1007, 1009].includes(error.closeCode));
      seenCodes.add(error.code);
    }
    if (!mutated) {
      validStreams++;
      assert.equal(error, null, 'a valid stream parses cleanly');
      const expected = [];
      for (const m of messages) {
        for (let i = 0; i < (m.interleavedPings ?? 0); i++) expected.push(['ping', Buffer.from('i')]);
        expected.push(m.expect);
      }
      assert.equal(out.length, expected.length);
      for (let i = 0; i < out.length; i++) {
        assert.equal(out[i][0], expected[i][0]);
        assert.ok(out[i][1].equals(expected[i][1]), `message ${i} payload`);
      }
    } else {
      mutatedStreams++;
    }
  }
  assert.ok(frames >= FRAMES);
  assert.ok(validStreams > 0 && mutatedStreams > 0 && errors > 0);
  assert.ok(seenCodes.size >= 5, `mutations reached ${[...seenCodes].join(', ')}`);
});
