// 12.x / 13.x permessage-deflate (RFC 7692), modelled on the fuzzing
// client's compression groups: 12 is one configuration and many message
// sizes and kinds, 13 every parameter combination (context takeover on and
// off on both sides, window bits 8..15 on both sides, several offers) at a
// few sizes. Each case offers the extension, checks the server's answer,
// sends messages compressed by an independent zlib stream (every third one
// uncompressed, which must not enter the server's window) and checks the
// echoes, inflated with the negotiated server window. 13.25 holds the
// protocol errors: RSV1 where it may not be, bad data, bombs.
import { OP, encodeFrame, text, binary, ping, close as closeFrame } from '../../helpers/frames.mjs';
import { ev, send, echoCase, failCase, asciiPayload, binaryPayload, utf8Payload, KiB } from './util.mjs';
import { PeerDeflater, decodeServerFrames } from './deflate-codec.mjs';

const ctx = { serverNoContextTakeover: false, clientNoContextTakeover: false };
/** Echo servers of these cases (names as the runner's `server:`). */
export const deflateServerOptions = {
  'deflate-context': { perMessageDeflate: ctx },
  'deflate-none': { perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true } },
  'deflate-bits9': { perMessageDeflate: { ...ctx, serverMaxWindowBits: 9, clientMaxWindowBits: 9 } },
  'deflate-bits12': { perMessageDeflate: { ...ctx, serverMaxWindowBits: 12, clientMaxWindowBits: 12 } },
  'deflate-limited': { maxPayload: 64 * KiB, perMessageDeflate: ctx },
};

const BIG = { responseMs: 10000, timeoutMs: 20000 };
const answer = (...params) => ['permessage-deflate', ...params.sort()];

/** A compressed data frame: RSV1 on the first frame (§6). */
const compressedFrame = (opcode, payload, o = {}) => encodeFrame({ opcode, payload, rsv: 4, ...o });

/**
 * An echo case over a negotiated connection. `messages`: [kind, Buffer];
 * `client`: the client's window and context rule, as the answer allows.
 */
function deflateEcho(id, title, { server, offer, expected, clientBits = 15, clientNoContext = false, messages, plainEvery = 3 }) {
  return {
    ...echoCase(id, title, [], []),
    ...(messages().reduce((n, [, d]) => n + d.length, 0) > 256 * KiB ? BIG : {}),
    server, extensions: offer, lazy: true,
    decode: (frames, headers) => decodeServerFrames(frames, headers, expected),
    build: async () => {
      const list = messages();
      const peer = new PeerDeflater(clientBits, clientNoContext);
      const frames = [];
      for (let i = 0; i < list.length; i++) {
        const [kind, data] = list[i];
        const opcode = kind === 'text' ? OP.TEXT : OP.BINARY;
        if (plainEvery && i % plainEvery === plainEvery - 1) frames.push(encodeFrame({ opcode, payload: data }));
        else frames.push(compressedFrame(opcode, await peer.message(data)));
      }
      peer.close();
      return { steps: [send(frames)], expect: list.map(([kind, data]) => ev[kind](data)) };
    },
  };
}

const label = (n) => (n >= KiB ? `${n / KiB} KiB` : `${n} B`);

/** 12.x: one configuration (context takeover both ways), sizes 16 B..128 KiB, three kinds of payload. */
function sameConfiguration() {
  const cases = [];
  const sizes = [16, 64, 256, 1 * KiB, 4 * KiB, 8 * KiB, 16 * KiB, 32 * KiB, 64 * KiB, 128 * KiB];
  const kinds = [
    ['12.1', 'text', (n, i) => (i === 0 ? utf8Payload(n) : asciiPayload(n, i))],
    ['12.2', 'binary', (n, i) => asciiPayload(n, i * 3)],
    ['12.3', 'binary', (n, i) => binaryPayload(n, i + n)],
  ];
  for (const [gid, kind, make] of kinds) {
    sizes.forEach((size, s) => {
      const what = gid === '12.3' ? 'incompressible binary' : gid === '12.2' ? 'compressible binary' : 'text';
      cases.push(deflateEcho(`${gid}.${s + 1}`, `10 ${what} messages of ${label(size)}, context takeover both ways`, {
        server: 'deflate-context', offer: 'permessage-deflate', expected: answer(),
        messages: () => Array.from({ length: 10 }, (_, i) => [kind, make(size, i)]),
      }));
    });
  }
  return cases;
}

/** The 13.x parameter combinations: [server, offer, answer params, client window, client without context]. */
function combinations() {
  const list = [
    ['deflate-context', 'permessage-deflate', [], 15, false],
    ['deflate-context', 'permessage-deflate; client_no_context_takeover', ['client_no_context_takeover'], 15, true],
    ['deflate-context', 'permessage-deflate; client_no_context_takeover; client_max_window_bits=9', ['client_no_context_takeover', 'client_max_window_bits=9'], 9, true],
    ['deflate-context', 'permessage-deflate; client_max_window_bits=10, permessage-deflate', ['client_max_window_bits=10'], 10, false],
    ['deflate-none', 'permessage-deflate; client_max_window_bits', ['server_no_context_takeover', 'client_no_context_takeover'], 15, true],
    ['deflate-none', 'permessage-deflate; server_no_context_takeover; server_max_window_bits=10',
      ['server_no_context_takeover', 'client_no_context_takeover', 'server_max_window_bits=10'], 15, true],
    ['deflate-bits9', 'permessage-deflate; client_max_window_bits', ['server_max_window_bits=9', 'client_max_window_bits=9'], 9, false],
    ['deflate-bits12', 'permessage-deflate; client_max_window_bits', ['server_max_window_bits=12', 'client_max_window_bits=12'], 12, false],
  ];
  for (let bits = 8; bits <= 15; bits++) {
    list.push(['deflate-context', `permessage-deflate; client_max_window_bits=${bits}`, [`client_max_window_bits=${bits}`], bits, false]);
    list.push(['deflate-context', `permessage-deflate; server_max_window_bits=${bits}`, [`server_max_window_bits=${bits}`], 15, false]);
  }
  return list;
}

function parameterCombinations() {
  const cases = [];
  const sizes = [16, 1 * KiB, 16 * KiB, 128 * KiB];
  combinations().forEach(([server, offer, params, clientBits, clientNoContext], c) => {
    sizes.forEach((size, s) => {
      cases.push(deflateEcho(`13.${c + 1}.${s + 1}`, `${offer.replace('permessage-deflate', 'offer').replace(/; /g, ' ')} to ${server}: 6 messages of ${label(size)}`, {
        server, offer, expected: answer(...params), clientBits, clientNoContext,
        messages: () => Array.from({ length: 6 }, (_, i) => (i % 2 ? ['binary', asciiPayload(size, i * 5)] : ['text', asciiPayload(size, i)])),
      }));
    });
  });
  return cases;
}

/** 13.25: protocol errors and framing on a negotiated connection. */
function errorsAndFraming() {
  const on = { server: 'deflate-context', extensions: 'permessage-deflate', decode: (f, h) => decodeServerFrames(f, h, answer()) };
  const zlibOf = async (data) => {
    const peer = new PeerDeflater(15, true);
    const out = await peer.message(data);
    peer.close();
    return out;
  };
  const lazy = (id, title, make, build) => ({ ...make([]), id, title, lazy: true, build });
  return [
    lazy('13.25.1', 'RSV1 on a continuation frame -> 1002', (s) => failCase('', '', s, 1002, [], on), async () => {
      const c = await zlibOf('hello fragmented world');
      return { steps: [send([compressedFrame(OP.TEXT, c.subarray(0, 4), { fin: false }), compressedFrame(OP.CONT, c.subarray(4))])] };
    }),
    failCase('13.25.2', 'RSV1 on a ping -> 1002', [send(ping('x', { rsv: 4 }))], 1002, [], on),
    failCase('13.25.3', 'RSV1 on a close frame -> 1002', [send(closeFrame(1000, '', { rsv: 4 }))], 1002, [], on),
    failCase('13.25.4', 'RSV1 without the extension negotiated -> 1002', [send(compressedFrame(OP.TEXT, Buffer.from([0xf2, 0x48, 0x04, 0x00])))], 1002, [],
      { server: 'deflate-context' }),
    failCase('13.25.5', 'invalid DEFLATE data -> 1007', [send(compressedFrame(OP.BINARY, Buffer.from([0xff, 0xee, 0xdd, 0xcc])))], 1007, [], on),
    lazy('13.25.6', 'compressed text that inflates to invalid UTF-8 -> 1007', (s) => failCase('', '', s, 1007, [], on), async () => ({
      steps: [send(compressedFrame(OP.TEXT, await zlibOf(Buffer.from([0x68, 0x69, 0xc3, 0x28]))))],
    })),
    lazy('13.25.7', 'bomb: 16 MiB of zeros in a few KiB against maxPayload 64 KiB -> 1009', (s) => failCase('', '', s, 1009, [], { ...on, server: 'deflate-limited' }), async () => ({
      steps: [send(compressedFrame(OP.BINARY, await zlibOf(Buffer.alloc(16 * 1024 * KiB))))],
    })),
    lazy('13.25.8', 'a compressed message in 3 fragments with a ping between them: pong, then the message', (s) => echoCase('', '', s, [], on), async () => {
      const peer = new PeerDeflater(15, false);
      const parts = await peer.fragments([asciiPayload(3000, 1), asciiPayload(3000, 2), asciiPayload(3000, 3)]);
      peer.close();
      return {
        steps: [send([compressedFrame(OP.TEXT, parts[0], { fin: false }), encodeFrame({ opcode: OP.CONT, payload: parts[1], fin: false }), ping('p'), encodeFrame({ opcode: OP.CONT, payload: parts[2] })], 'bytewise')],
        expect: [ev.pong('p'), ev.text(Buffer.concat([asciiPayload(3000, 1), asciiPayload(3000, 2), asciiPayload(3000, 3)]))],
      };
    }),
    lazy('13.25.9', 'compressed message, ping, plain message: echoed in that order', (s) => echoCase('', '', s, [], on), async () => ({
      steps: [send([compressedFrame(OP.TEXT, await zlibOf('first')), ping('p'), text('second')])],
      expect: [ev.text('first'), ev.pong('p'), ev.text('second')],
    })),
    lazy('13.25.10', 'an empty compressed message and an empty plain one', (s) => echoCase('', '', s, [], on), async () => ({
      steps: [send([compressedFrame(OP.BINARY, await zlibOf('')), binary('')])],
      expect: [ev.binary(''), ev.binary('')],
    })),
    lazy('13.25.11', 'a compressed message exactly at maxPayload (64 KiB inflated) is echoed', (s) => echoCase('', '', s, [], { ...on, server: 'deflate-limited' }), async () => ({
      steps: [send(compressedFrame(OP.BINARY, await zlibOf(asciiPayload(64 * KiB))))],
      expect: [ev.binary(asciiPayload(64 * KiB))],
    })),
  ];
}

export default [
  { title: '12 permessage-deflate: sizes and kinds', cases: sameConfiguration() },
  { title: '13 permessage-deflate: parameters, errors', cases: [...parameterCombinations(), ...errorsAndFraming()] },
];
