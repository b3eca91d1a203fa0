// Server-side connection lifecycle over raw TCP: server-initiated close,
// terminate(), a peer that vanishes without a close frame, and what the
// application sees (events, codes, send after close).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, targetName } from '../helpers/target.mjs';
import { listen, closeServer } from '../helpers/servers.mjs';
import { connectRaw } from '../helpers/raw-client.mjs';
import { record } from '../helpers/client-log.mjs';
import { OP, close as closeFrame, text, binary as binaryFrame, ping, cont, encodeFrame, parseClose } from '../helpers/frames.mjs';
import { framesToEvents, tcpEnding } from '../helpers/conformance-runner.mjs';

const WAIT = 3000;

/** A server whose 'connection' handler is `onConnection`; yields the server-side socket and its log. */
async function withServer(onConnection, body) {
  const wss = await listen(WebSocketServer);
  const sides = [];
  wss.on('connection', (ws, req) => {
    const log = record(ws);
    ws.on('error', () => {});
    sides.push({ ws, log });
    onConnection?.(ws, req);
  });
  try {
    await body({ wss, port: wss.address().port, side: () => sides[0] });
  } finally {
    await closeServer(wss);
  }
}

describe(`server lifecycle (${targetName})`, () => {
  test('server close(4000, reason): close frame first, TCP closed after our reply; app sees 4000', { timeout: 10000 }, async () => {
    await withServer((ws) => ws.close(4000, 'server is done'), async ({ port, side }) => {
      const conn = await connectRaw(port);
      try {
        assert.ok(await conn.waitFor(() => conn.frames.some((f) => f.opcode === OP.CLOSE), WAIT), 'no close frame');
        const { events, violations } = framesToEvents(conn.frames);
        assert.deepEqual(violations, []);
        assert.equal(events.length, 1);
        assert.equal(events[0].code, 4000);
        assert.equal(events[0].reason.toString(), 'server is done');
        await conn.send(closeFrame(4000, 'ok'));
        await conn.waitFor(() => conn.ended || conn.gone, WAIT);
        // RFC 6455 §5.5.1, §7.1.1: after the handshake the server closes TCP, cleanly.
        assert.equal(tcpEnding(conn), 'fin', 'server did not close TCP with a FIN after the close handshake');
        const s = side();
        assert.ok(await s.log.waitFor(() => s.log.closeEvent !== null, WAIT), "no 'close' event on the server side");
        assert.equal(s.log.closeEvent.code, 4000);
        assert.equal(s.log.closeEvent.reason.toString(), 'ok');
        assert.equal(s.ws.readyState, 3);
      } finally { conn.destroy(); }
    });
  });

  test('after close(): send() reports an error through its callback and nothing goes on the wire', { timeout: 10000 }, async () => {
    let sendResult;
    await withServer((ws) => {
      ws.close(1000);
      try {
        ws.send('too late', (err) => { sendResult = err ?? null; });
      } catch (err) {
        sendResult = err;
      }
    }, async ({ port }) => {
      const conn = await connectRaw(port);
      try {
        await conn.waitFor(() => conn.frames.some((f) => f.opcode === OP.CLOSE), WAIT);
        await conn.send(closeFrame(1000));
        await conn.waitFor(() => conn.ended || conn.gone, WAIT);
        assert.ok(sendResult instanceof Error, 'send after close should report an Error');
        assert.deepEqual(conn.frames.map((f) => f.opcode), [OP.CLOSE]);
      } finally { conn.destroy(); }
    });
  });

  test('terminate(): TCP closed without a close frame; app sees 1006', { timeout: 10000 }, async () => {
    await withServer((ws) => setImmediate(() => ws.terminate()), async ({ port, side }) => {
      const conn = await connectRaw(port);
      try {
        assert.ok(await conn.waitFor(() => conn.ended || conn.gone, WAIT), 'TCP still open after terminate()');
        assert.equal(conn.frames.length, 0);
        const s = side();
        assert.ok(await s.log.waitFor(() => s.log.closeEvent !== null, WAIT));
        assert.equal(s.log.closeEvent.code, 1006);
      } finally { conn.destroy(); }
    });
  });

  test('peer half-closes TCP without a close frame: messages delivered, then close 1006, client removed', { timeout: 10000 }, async () => {
    await withServer(null, async ({ wss, port, side }) => {
      const conn = await connectRaw(port);
      try {
        await conn.send([text('one'), text('two')]);
        conn.socket.end();
        assert.ok(await conn.waitFor(() => conn.ended || conn.gone, WAIT), 'server kept the TCP connection open');
        const s = side();
        assert.ok(await s.log.waitFor(() => s.log.closeEvent !== null, WAIT), "no 'close' event");
        assert.deepEqual(s.log.messages.map((m) => m.data.toString()), ['one', 'two']);
        assert.equal(s.log.closeEvent.code, 1006);
        assert.equal(wss.clients.size, 0);
      } finally { conn.destroy(); }
    });
  });

  test('peer resets TCP mid-message: close 1006, no message, server keeps serving', { timeout: 10000 }, async () => {
    await withServer((ws) => ws.on('message', (d, b) => ws.send(d, { binary: b })), async ({ port, side }) => {
      const conn = await connectRaw(port);
      const partial = text('x'.repeat(1000)).subarray(0, 500);
      await conn.send(partial);
      conn.socket.resetAndDestroy();
      const s = side();
      assert.ok(await s.log.waitFor(() => s.log.closeEvent !== null, WAIT), "no 'close' event");
      assert.equal(s.log.closeEvent.code, 1006);
      assert.equal(s.log.messages.length, 0);
      const again = await connectRaw(port);
      try {
        await again.send(text('still here'));
        assert.ok(await again.waitFor(() => again.frames.length >= 1, WAIT));
        assert.equal(again.frames[0].payload.toString(), 'still here');
      } finally { again.destroy(); }
    });
  });

  test("data and close in one write: every 'message' comes before 'close'", { timeout: 10000 }, async () => {
    await withServer(null, async ({ port, side }) => {
      const conn = await connectRaw(port);
      try {
        await conn.send([text('a'), text('b'), text('c'), closeFrame(1001, 'going away')]);
        await conn.waitFor(() => conn.ended || conn.gone, WAIT);
        assert.equal(tcpEnding(conn), 'fin', 'server did not close TCP with a FIN after the close handshake');
        const s = side();
        await s.log.waitFor(() => s.log.closeEvent !== null, WAIT);
        assert.deepEqual(s.log.order, ['message', 'message', 'message', 'close']);
        assert.equal(s.log.closeEvent.code, 1001);
        assert.equal(s.log.closeEvent.reason.toString(), 'going away');
        const echoed = conn.frames.find((f) => f.opcode === OP.CLOSE);
        assert.equal(parseClose(echoed.payload).code, 1001);
      } finally { conn.destroy(); }
    });
  });

  test('protocol error: the app gets an error event and close 1006 or 1002 after the close frame', { timeout: 10000 }, async () => {
    await withServer(null, async ({ port, side }) => {
      const conn = await connectRaw(port);
      try {
        await conn.send(text('bad', { rsv: 4 }));
        assert.ok(await conn.waitFor(() => conn.ended || conn.gone, WAIT), 'server kept TCP open after a protocol error');
        const s = side();
        assert.ok(await s.log.waitFor(() => s.log.closeEvent !== null, WAIT), "no 'close' event");
        assert.ok(s.log.errors.length >= 1, "ws emits 'error' on the socket for a protocol error");
        assert.ok([1002, 1006].includes(s.log.closeEvent.code), `close code ${s.log.closeEvent.code}`);
      } finally { conn.destroy(); }
    });
  });

  test('20 connections with interleaved partial writes each get exactly their own echoes', { timeout: 20000 }, async () => {
    await withServer((ws) => ws.on('message', (d, b) => ws.send(d, { binary: b })), async ({ port }) => {
      const conns = await Promise.all(Array.from({ length: 20 }, () => connectRaw(port)));
      try {
        const plans = conns.map((_, i) => {
          const msgs = Array.from({ length: 5 }, (_, j) => Buffer.from(`conn ${i} message ${j} `.repeat(i * 10 + j + 1)));
          return { msgs, bytes: Buffer.concat(msgs.map((m, j) => (j % 2 ? binaryFrame(m) : text(m)))) };
        });
        // Round-robin 13-byte slices so every server-side parser sees partial frames interleaved with others.
        for (let off = 0; plans.some((p) => off < p.bytes.length); off += 13) {
          await Promise.all(conns.map((c, i) => (off < plans[i].bytes.length ? c.send(plans[i].bytes.subarray(off, off + 13)) : null)));
        }
        for (const [i, c] of conns.entries()) {
          assert.ok(await c.waitFor(() => c.frames.length >= 5, WAIT), `connection ${i} got ${c.frames.length} frames`);
          c.frames.forEach((f, j) => {
            assert.equal(f.opcode, j % 2 ? OP.BINARY : OP.TEXT, `connection ${i} frame ${j} opcode`);
            assert.ok(f.payload.equals(plans[i].msgs[j]), `connection ${i} frame ${j} payload`);
          });
        }
      } finally { for (const c of conns) c.destroy(); }
    });
  });

  // The `code` of the 'error' event for each protocol error, as the ws
  // package documents them (an application written against ws may branch on these).
  describe("'error' event codes match ws's documented WS_ERR_* codes", () => {
    const errorCases = [
      ['unmasked client frame', encodeFrame({ opcode: OP.TEXT, payload: 'x', mask: false }), 'WS_ERR_EXPECTED_MASK'],
      ['RSV1 set', text('x', { rsv: 4 }), 'WS_ERR_UNEXPECTED_RSV_1'],
      ['RSV2 set', text('x', { rsv: 2 }), 'WS_ERR_UNEXPECTED_RSV_2_3'],
      ['RSV3 set', text('x', { rsv: 1 }), 'WS_ERR_UNEXPECTED_RSV_2_3'],
      ['reserved opcode 3', encodeFrame({ opcode: 3 }), 'WS_ERR_INVALID_OPCODE'],
      ['reserved opcode 11', encodeFrame({ opcode: 11 }), 'WS_ERR_INVALID_OPCODE'],
      ['continuation with no message open', cont('x'), 'WS_ERR_INVALID_OPCODE'],
      ['new data frame inside a fragmented message', Buffer.concat([text('a', { fin: false }), text('b')]), 'WS_ERR_INVALID_OPCODE'],
      ['fragmented ping', ping('x', { fin: false }), 'WS_ERR_EXPECTED_FIN'],
      ['ping with 126-byte payload', ping(Buffer.alloc(126)), 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
      ['close with 1-byte payload', encodeFrame({ opcode: OP.CLOSE, payload: [3] }), 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
      ['close with code 1005', closeFrame(1005), 'WS_ERR_INVALID_CLOSE_CODE'],
      ['invalid UTF-8 text', text(Buffer.from([0xff])), 'WS_ERR_INVALID_UTF8'],
      ['invalid UTF-8 close reason', encodeFrame({ opcode: OP.CLOSE, payload: Buffer.from([0x03, 0xe8, 0xff]) }), 'WS_ERR_INVALID_UTF8'],
    ];
    for (const [what, bytes, code] of errorCases) {
      test(`${what} -> ${code}`, { timeout: 10000 }, async () => {
        await withServer(null, async ({ port, side }) => {
          const conn = await connectRaw(port);
          try {
            await conn.send(bytes);
            await conn.waitFor(() => conn.ended || conn.gone, WAIT);
            const s = side();
            assert.ok(await s.log.waitFor(() => s.log.errors.length > 0, WAIT), "no 'error' event");
            assert.ok(s.log.errors[0] instanceof Error);
            assert.equal(s.log.errors[0].code, code, `error: ${s.log.errors[0].message}`);
          } finally { conn.destroy(); }
        });
      });
    }
  });
});
