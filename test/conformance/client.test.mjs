// Client conformance: the target's WebSocket client against a raw node:net
// server that completes (or botches) the handshake and then sends hand-made
// frames. CONFORMANCE_TARGET=ws runs the same tests against the `ws` client.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, targetName } from '../helpers/target.mjs';
import { startFakeServer } from '../helpers/fake-server.mjs';
import { record, bytesOf } from '../helpers/client-log.mjs';
import { OP, encodeFrame, closePayload, parseClose } from '../helpers/frames.mjs';
import { acceptFor } from '../helpers/handshake.mjs';
import { within } from '../helpers/wait.mjs';

const WAIT = 3000;

// Server -> client frames are unmasked (RFC 6455 §5.1).
const s = {
  text: (p, o = {}) => encodeFrame({ opcode: OP.TEXT, payload: p, mask: false, ...o }),
  binary: (p, o = {}) => encodeFrame({ opcode: OP.BINARY, payload: p, mask: false, ...o }),
  cont: (p, o = {}) => encodeFrame({ opcode: OP.CONT, payload: p, mask: false, ...o }),
  ping: (p, o = {}) => encodeFrame({ opcode: OP.PING, payload: p, mask: false, ...o }),
  close: (code, reason, o = {}) => encodeFrame({ opcode: OP.CLOSE, payload: closePayload(code, reason), mask: false, ...o }),
};

function pattern(n, seed = 0) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function asciiPattern(n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = 0x20 + (i % 95);
  return b;
}

/**
 * Run `body` with a fake server whose behaviour after the request is `onPeer`,
 * and a client connected to it. Cleans both up however the test ends.
 */
async function scenario({ onPeer, protocols, options }, body) {
  const fake = await startFakeServer(onPeer);
  const ws = protocols === undefined ? new WebSocket(fake.url, options) : new WebSocket(fake.url, protocols, options);
  const log = record(ws);
  try {
    await body({ ws, log, fake, peer: () => fake.peers[0] });
    assert.deepEqual(fake.failures, [], 'fake server handler failed');
  } finally {
    try { ws.terminate(); } catch { /* gone already */ }
    await fake.close();
  }
}

/** The client must fail the connection: send a close frame with `code`, emit error and close, deliver nothing. */
async function expectClientFailure({ log, fake }, code) {
  const closed = await log.waitFor(() => log.closeEvent !== null, WAIT);
  assert.ok(closed, `client emitted no 'close' event (events: ${log.order.join(', ')})`);
  const peer = fake.peers[0];
  const closeFrame = await peer.frame(OP.CLOSE, WAIT);
  assert.ok(closeFrame, `client sent no close frame (it sent opcodes: ${peer.frames.map((f) => f.opcode).join(', ') || 'nothing'})`);
  assert.ok(closeFrame.masked, 'client close frame must be masked');
  assert.equal(parseClose(closeFrame.payload).code, code, 'close code the client sent');
  assert.ok(log.errors.length >= 1, "client emitted no 'error' event");
  // ws reports 1006 (no close frame was received from the peer); the code sent is also a reasonable report.
  assert.ok([1006, code].includes(log.closeEvent.code), `'close' event code ${log.closeEvent.code}`);
}

/** The handshake must be rejected: error, close, never open, nothing delivered. */
async function expectHandshakeFailure({ log }) {
  const closed = await log.waitFor(() => log.closeEvent !== null, WAIT);
  assert.ok(closed, `client emitted no 'close' event (events: ${log.order.join(', ')})`);
  assert.equal(log.opened, false, "client emitted 'open' for a bad handshake");
  assert.ok(log.errors.length >= 1, "client emitted no 'error' event");
  assert.equal(log.messages.length, 0, 'client delivered a message after a failed handshake');
  assert.equal(log.closeEvent.code, 1006, "'close' code after a failed handshake");
}

describe(`client conformance (${targetName})`, () => {
  describe('well-behaved server', () => {
    test('receives unmasked text and binary frames of every length encoding', { timeout: 10000 }, async () => {
      const lengths = [0, 1, 125, 126, 127, 65535, 65536, 70000];
      const expected = [];
      const frames = [];
      for (const len of lengths) {
        const t = asciiPattern(len);
        const b = pattern(len, len);
        expected.push({ data: t, isBinary: false }, { data: b, isBinary: true });
        frames.push(s.text(t), s.binary(b));
      }
      await scenario({ onPeer: (peer) => { peer.accept(); peer.write(Buffer.concat(frames)); } }, async ({ log }) => {
        await log.waitFor(() => log.messages.length >= expected.length || log.closeEvent, WAIT);
        assert.ok(log.opened, 'client did not open');
        assert.equal(log.messages.length, expected.length);
        log.messages.forEach((m, i) => {
          assert.ok(Buffer.isBuffer(m.data), `message ${i}: data should be a Buffer`);
          assert.equal(m.isBinary, expected[i].isBinary, `message ${i}: isBinary`);
          assert.ok(m.data.equals(expected[i].data), `message ${i}: ${m.data.length} bytes, expected ${expected[i].data.length}`);
        });
        assert.equal(log.errors.length, 0);
      });
    });

    test('large messages: 16 MiB binary in one frame, 16 MiB text in 4 KiB fragments', { timeout: 30000 }, async () => {
      const bin = pattern(16 * 1024 * 1024, 11);
      const unit = Buffer.from('\u03ba\u1f79\u03c3\u03bc\u03b5 \u{1f600} abc ', 'utf8');
      const txt = Buffer.alloc(unit.length * Math.floor((16 * 1024 * 1024) / unit.length));
      for (let off = 0; off < txt.length; off += unit.length) unit.copy(txt, off);
      const frags = [];
      for (let off = 0; off < txt.length; off += 4096) {
        const piece = txt.subarray(off, off + 4096);
        const last = off + 4096 >= txt.length;
        frags.push(off === 0 ? s.text(piece, { fin: last }) : s.cont(piece, { fin: last }));
      }
      await scenario({
        onPeer: (peer) => { peer.accept(); peer.write(s.binary(bin)); peer.write(Buffer.concat(frags)); },
      }, async ({ log }) => {
        await log.waitFor(() => log.messages.length >= 2 || log.closeEvent, 20000);
        assert.equal(log.messages.length, 2);
        assert.equal(log.messages[0].isBinary, true);
        assert.ok(bytesOf(log.messages[0].data).equals(bin), 'binary message differs');
        assert.equal(log.messages[1].isBinary, false);
        assert.ok(bytesOf(log.messages[1].data).equals(txt), 'text message differs');
      });
    });

    test('reads frames delivered one byte per write', { timeout: 10000 }, async () => {
      const msg = Buffer.from('\u03ba\u1f79\u03c3\u03bc\u03b5 byte by byte', 'utf8');
      await scenario({
        onPeer: async (peer) => {
          peer.accept();
          await peer.writeBytewise(Buffer.concat([s.text(msg), s.binary(pattern(300))]));
        },
      }, async ({ log }) => {
        await log.waitFor(() => log.messages.length >= 2 || log.closeEvent, WAIT);
        assert.equal(log.messages.length, 2);
        assert.ok(bytesOf(log.messages[0].data).equals(msg));
        assert.equal(log.messages[0].isBinary, false);
        assert.ok(bytesOf(log.messages[1].data).equals(pattern(300)));
        assert.equal(log.messages[1].isBinary, true);
      });
    });

    test('reassembles a fragmented message and answers a ping sent between fragments', { timeout: 10000 }, async () => {
      const parts = ['\u00b5', '\u00df\u00f6', '\u{1f600}'].map((x) => Buffer.from(x, 'utf8'));
      const whole = Buffer.concat(parts);
      // Split the 4-byte character across fragments too.
      const f = [whole.subarray(0, 1), whole.subarray(1, 6), whole.subarray(6)];
      await scenario({
        onPeer: (peer) => {
          peer.accept();
          peer.write(Buffer.concat([
            s.text(f[0], { fin: false }), s.ping('are you there'), s.cont(f[1], { fin: false }), s.cont(f[2]),
          ]));
        },
      }, async ({ log, peer }) => {
        await log.waitFor(() => log.messages.length >= 1 || log.closeEvent, WAIT);
        assert.equal(log.messages.length, 1);
        assert.ok(bytesOf(log.messages[0].data).equals(whole));
        assert.equal(log.messages[0].isBinary, false);
        const pongFrame = await peer().frame(OP.PONG, WAIT);
        assert.ok(pongFrame, 'client did not answer the ping');
        assert.ok(pongFrame.masked, 'pong must be masked');
        assert.equal(pongFrame.payload.toString(), 'are you there');
        assert.equal(log.pings.length, 1);
        assert.equal(bytesOf(log.pings[0]).toString(), 'are you there');
      });
    });

    test('fragmented binary with empty leading fragments arrives as binary', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => {
          peer.accept();
          peer.write(Buffer.concat([s.binary(Buffer.alloc(0), { fin: false }), s.cont(Buffer.alloc(0), { fin: false }), s.cont(Buffer.from([1, 2]))]));
        },
      }, async ({ log }) => {
        await log.waitFor(() => log.messages.length >= 1 || log.closeEvent, WAIT);
        assert.equal(log.messages.length, 1);
        assert.equal(log.messages[0].isBinary, true);
        assert.deepEqual([...bytesOf(log.messages[0].data)], [1, 2]);
      });
    });

    test('frames the client sends are masked and well-formed, in all length encodings', { timeout: 10000 }, async () => {
      const big = pattern(70000, 7);
      const mid = asciiPattern(300);
      await scenario({ onPeer: (peer) => peer.accept() }, async ({ ws, log, peer }) => {
        await log.waitFor(() => log.opened || log.closeEvent, WAIT);
        assert.ok(log.opened, 'client did not open');
        ws.send('hello');
        ws.send(Buffer.from([0, 1, 2, 255]));
        ws.send(mid.toString('latin1'));
        ws.send(big);
        ws.ping(Buffer.from('ping!'));
        ws.close(4000, 'bye');
        await peer().waitFor(() => peer().frames.length >= 6, WAIT);
        const fr = peer().frames;
        assert.equal(fr.length, 6, `client sent ${fr.length} frames`);
        for (const f of fr) {
          assert.ok(f.masked, `opcode ${f.opcode} frame not masked`);
          assert.equal(f.rsv, 0, 'RSV bits set without an extension');
          assert.ok(f.fin, 'unexpectedly fragmented');
        }
        assert.deepEqual(fr.map((f) => f.opcode), [OP.TEXT, OP.BINARY, OP.TEXT, OP.BINARY, OP.PING, OP.CLOSE]);
        assert.equal(fr[0].payload.toString(), 'hello');
        assert.deepEqual([...fr[1].payload], [0, 1, 2, 255]);
        assert.ok(fr[2].payload.equals(mid));
        assert.equal(fr[2].lengthEncoding, 16);
        assert.ok(fr[3].payload.equals(big));
        assert.equal(fr[3].lengthEncoding, 64);
        assert.equal(fr[0].lengthEncoding, 7);
        assert.equal(fr[4].payload.toString(), 'ping!');
        const { code, reason } = parseClose(fr[5].payload);
        assert.equal(code, 4000);
        assert.equal(reason.toString(), 'bye');
        const keys = new Set(fr.map((f) => f.maskKey.toString('hex')));
        assert.ok(keys.size > 1, 'every frame used the same masking key');
      });
    });

    test('server-initiated close: client echoes the code and reports code and reason', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: async (peer) => {
          peer.accept();
          peer.write(s.close(4001, 'server bye'));
          await peer.frame(OP.CLOSE, WAIT);
          peer.end();
        },
      }, async ({ log, peer }) => {
        await log.waitFor(() => log.closeEvent !== null, WAIT);
        assert.ok(log.closeEvent, "no 'close' event");
        assert.equal(log.closeEvent.code, 4001);
        assert.ok(Buffer.isBuffer(log.closeEvent.reason), 'close reason should be a Buffer');
        assert.equal(log.closeEvent.reason.toString(), 'server bye');
        const echoed = peer().frames.find((f) => f.opcode === OP.CLOSE);
        assert.ok(echoed && echoed.masked);
        assert.equal(parseClose(echoed.payload).code, 4001);
        assert.equal(log.errors.length, 0);
      });
    });

    test('server ping with payload: pong with the same payload', { timeout: 10000 }, async () => {
      const payload = pattern(125, 3);
      await scenario({ onPeer: (peer) => { peer.accept(); peer.write(s.ping(payload)); } }, async ({ log, peer }) => {
        await log.waitFor(() => log.opened || log.closeEvent, WAIT);
        const p = await peer().frame(OP.PONG, WAIT);
        assert.ok(p, 'no pong');
        assert.ok(p.masked);
        assert.ok(p.payload.equals(payload));
      });
    });

    test('negotiated subprotocol is exposed as ws.protocol', { timeout: 10000 }, async () => {
      await scenario({
        protocols: ['chat.v1', 'chat.v2'],
        onPeer: (peer) => peer.accept({ protocol: peer.requestedProtocols.includes('chat.v2') ? 'chat.v2' : 'missing' }),
      }, async ({ ws, log, peer }) => {
        await log.waitFor(() => log.opened || log.closeEvent, WAIT);
        assert.ok(log.opened, 'client did not open');
        assert.deepEqual(peer().requestedProtocols, ['chat.v1', 'chat.v2']);
        assert.equal(ws.protocol, 'chat.v2');
      });
    });

    test('request is a valid upgrade: GET, Upgrade, Connection, 16-byte key, version 13', { timeout: 10000 }, async () => {
      await scenario({ onPeer: (peer) => peer.accept() }, async ({ log, peer }) => {
        await log.waitFor(() => log.opened || log.closeEvent, WAIT);
        const p = peer();
        assert.match(p.startLine, /^GET \/ HTTP\/1\.1$/);
        assert.match(p.headers.upgrade, /^websocket$/i);
        assert.match(p.headers.connection, /upgrade/i);
        assert.equal(p.headers['sec-websocket-version'], '13');
        assert.equal(Buffer.from(p.key, 'base64').length, 16);
        assert.equal(p.headers.host, `127.0.0.1:${p.socket.localPort}`);
      });
    });
    test('101 response and the first frames in a single write', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => peer.write(Buffer.concat([
          Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(peer.key)}\r\n\r\n`),
          s.text('right behind the head'), s.binary(pattern(70000)),
        ])),
      }, async ({ log }) => {
        await log.waitFor(() => log.messages.length >= 2 || log.closeEvent, WAIT);
        assert.ok(log.opened);
        assert.equal(log.messages.length, 2);
        assert.equal(bytesOf(log.messages[0].data).toString(), 'right behind the head');
        assert.ok(bytesOf(log.messages[1].data).equals(pattern(70000)));
        assert.equal(log.order.indexOf('open'), 0, "'open' must come before any message");
      });
    });

    test('101 response written one byte per write', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: async (peer) => {
          await peer.writeBytewise(Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(peer.key)}\r\n\r\n`));
          peer.write(s.text('ok'));
        },
      }, async ({ log }) => {
        await log.waitFor(() => log.messages.length >= 1 || log.closeEvent, WAIT);
        assert.ok(log.opened);
        assert.equal(bytesOf(log.messages[0]?.data ?? '').toString(), 'ok');
      });
    });

    test('close frame without payload: client reports 1005 and answers with a close', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: async (peer) => {
          peer.accept();
          peer.write(encodeFrame({ opcode: OP.CLOSE, mask: false }));
          await peer.frame(OP.CLOSE, WAIT);
          peer.end();
        },
      }, async ({ log, peer }) => {
        await log.waitFor(() => log.closeEvent !== null, WAIT);
        assert.equal(log.closeEvent?.code, 1005);
        assert.equal(bytesOf(log.closeEvent.reason).length, 0);
        const reply = peer().frames.find((f) => f.opcode === OP.CLOSE);
        assert.ok(reply, 'client did not answer the close');
        assert.ok([null, 1000].includes(parseClose(reply.payload).code), 'reply carries no code or 1000');
        assert.equal(log.errors.length, 0);
      });
    });

    test('server drops TCP without a close frame: close 1006, messages before it delivered', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => { peer.accept(); peer.write(s.text('last message')); peer.end(); },
      }, async ({ log, ws }) => {
        await log.waitFor(() => log.closeEvent !== null, WAIT);
        assert.equal(log.messages.length, 1);
        assert.equal(log.closeEvent?.code, 1006);
        assert.equal(ws.readyState, 3);
      });
    });

    test('API guards: no send while CONNECTING; close codes and reason length are checked', { timeout: 10000 }, async () => {
      await scenario({ onPeer: (peer) => setTimeout(() => peer.accept(), 50) }, async ({ ws, log }) => {
        assert.equal(ws.readyState, 0);
        assert.throws(() => ws.send('too early'), 'send() while CONNECTING should throw');
        await log.waitFor(() => log.opened || log.closeEvent, WAIT);
        assert.ok(log.opened);
        // RFC 6455 §7.4.1: 1005 and 1006 must not be sent; §5.5: control payload <= 125 bytes.
        assert.throws(() => ws.close(1005));
        assert.throws(() => ws.close(1006));
        assert.throws(() => ws.close(999));
        assert.throws(() => ws.close(1000, 'x'.repeat(124)));
        assert.equal(ws.readyState, 1, 'a rejected close() must not change the state');
      });
    });
  });

  describe('misbehaving server', () => {
    test('masked server frame -> client fails with 1002', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => { peer.accept(); peer.write(encodeFrame({ opcode: OP.TEXT, payload: 'masked', mask: true })); },
      }, async (ctx) => {
        await expectClientFailure(ctx, 1002);
        assert.equal(ctx.log.messages.length, 0, 'masked frame was delivered');
        assert.equal(ctx.log.errors[0].code, 'WS_ERR_UNEXPECTED_MASK');
      });
    });

    test('bad Sec-WebSocket-Accept -> error, no open', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => {
          peer.accept({ accept: acceptFor('AAAAAAAAAAAAAAAAAAAAAA==') });
          peer.write(s.text('should never be delivered'));
        },
      }, expectHandshakeFailure);
    });

    test('missing Sec-WebSocket-Accept -> error, no open', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => peer.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'),
      }, expectHandshakeFailure);
    });

    test('101 without "Upgrade: websocket" -> error, no open', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => peer.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(peer.key)}\r\n\r\n`),
      }, expectHandshakeFailure);
    });

    for (const status of ['200 OK', '302 Found', '403 Forbidden', '426 Upgrade Required', '500 Internal Server Error']) {
      test(`status ${status} instead of 101 -> error, no open`, { timeout: 10000 }, async () => {
        await scenario({
          onPeer: (peer) => {
            peer.write(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope`);
            peer.end();
          },
        }, expectHandshakeFailure);
      });
    }

    test("non-101 with an 'unexpected-response' listener: the app gets the response, no 'error'", { timeout: 10000 }, async () => {
      const fake = await startFakeServer((peer) => {
        peer.write('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nX-Why: because\r\n\r\ndenied');
      });
      const ws = new WebSocket(fake.url);
      const log = record(ws);
      const response = new Promise((resolve) => {
        ws.on('unexpected-response', (req, res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => { body += c; });
          res.on('end', () => resolve({ status: res.statusCode, why: res.headers['x-why'], body, errorsSoFar: log.errors.length }));
        });
      });
      try {
        const seen = await within(response, "'unexpected-response'", WAIT);
        assert.deepEqual(seen, { status: 403, why: 'because', body: 'denied', errorsSoFar: 0 });
        assert.equal(log.opened, false);
      } finally {
        ws.terminate();
        await fake.close();
      }
    });

    test('server picks a subprotocol the client did not offer -> error, no open', { timeout: 10000 }, async () => {
      await scenario({ protocols: ['chat.v1'], onPeer: (peer) => peer.accept({ protocol: 'evil.v9' }) }, expectHandshakeFailure);
    });

    test('server sends a subprotocol when none was offered -> error, no open', { timeout: 10000 }, async () => {
      await scenario({ onPeer: (peer) => peer.accept({ protocol: 'chat.v1' }) }, expectHandshakeFailure);
    });

    test('invalid UTF-8 in a text message -> 1007', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => { peer.accept(); peer.write(s.text(Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex'))); },
      }, async (ctx) => {
        await expectClientFailure(ctx, 1007);
        assert.equal(ctx.log.messages.length, 0);
      });
    });

    test('invalid UTF-8 split across fragments (overlong) -> 1007', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => { peer.accept(); peer.write(Buffer.concat([s.text(Buffer.from([0x41, 0xe0]), { fin: false }), s.cont(Buffer.from([0x80, 0x80]))])); },
      }, (ctx) => expectClientFailure(ctx, 1007));
    });

    test('fragmented ping (fin=0) -> 1002', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => { peer.accept(); peer.write(Buffer.concat([s.ping('frag', { fin: false }), s.cont('ment')])); },
      }, async (ctx) => {
        await expectClientFailure(ctx, 1002);
        assert.equal(ctx.peer().frames.filter((f) => f.opcode === OP.PONG).length, 0, 'client answered a fragmented ping');
      });
    });

    test('ping with 126-byte payload -> 1002', { timeout: 10000 }, async () => {
      await scenario({ onPeer: (peer) => { peer.accept(); peer.write(s.ping(pattern(126))); } },
        (ctx) => expectClientFailure(ctx, 1002));
    });

    test('RSV1 set without an extension -> 1002', { timeout: 10000 }, async () => {
      await scenario({ onPeer: (peer) => { peer.accept(); peer.write(s.text('x', { rsv: 4 })); } },
        (ctx) => expectClientFailure(ctx, 1002));
    });

    test('reserved opcode 3 -> 1002', { timeout: 10000 }, async () => {
      await scenario({ onPeer: (peer) => { peer.accept(); peer.write(encodeFrame({ opcode: 3, payload: 'x', mask: false })); } },
        (ctx) => expectClientFailure(ctx, 1002));
    });

    test('continuation frame with no message open -> 1002', { timeout: 10000 }, async () => {
      await scenario({ onPeer: (peer) => { peer.accept(); peer.write(s.cont('orphan')); } },
        (ctx) => expectClientFailure(ctx, 1002));
    });

    test('new text frame inside an open fragmented message -> 1002', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => { peer.accept(); peer.write(Buffer.concat([s.text('a', { fin: false }), s.text('b')])); },
      }, async (ctx) => {
        await expectClientFailure(ctx, 1002);
        assert.equal(ctx.log.messages.length, 0);
      });
    });

    test('close frame with invalid code 1005 -> 1002', { timeout: 10000 }, async () => {
      await scenario({ onPeer: (peer) => { peer.accept(); peer.write(s.close(1005)); } },
        (ctx) => expectClientFailure(ctx, 1002));
    });

    test('close frame with a 1-byte payload -> 1002', { timeout: 10000 }, async () => {
      await scenario({
        onPeer: (peer) => { peer.accept(); peer.write(encodeFrame({ opcode: OP.CLOSE, payload: [3], mask: false })); },
      }, (ctx) => expectClientFailure(ctx, 1002));
    });
  });
});
