// The sans-I/O state machine, driven with byte vectors: commands return the
// bytes to write, what the connection produces while receiving comes out
// through the events object with its frame kind.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, CONNECTING, OPEN, CLOSING, CLOSED, checkClose, closeKind } from '../../dist/esm/session/index.js';
import { FRAME_DATA, FRAME_CONTROL, FRAME_AUTO_PONG, FRAME_CLOSE } from '../../dist/esm/session/connection.js';
import { encodeFrame, FrameParser, Opcode } from '../../dist/esm/frame/index.js';

function setup(role = 'server', options = {}) {
  const out = [];
  const kinds = [];
  const log = [];
  const events = {
    onMessage: (d, bin) => log.push(['message', d.toString(), bin]),
    onPing: (p) => log.push(['ping', p.toString()]),
    onPong: (p) => log.push(['pong', p.toString()]),
    onOutput: (b, kind) => {
      out.push(Buffer.from(b));
      kinds.push(kind);
      log.push(['output', kind]);
    },
    onShutdown: (err) => log.push(['shutdown', err ? err.closeCode : null]),
  };
  const conn = new Connection({ role, ...options }, events);
  /** Runs a command; what it returns goes to `out`, as a binding would write it. */
  const run = (bytes) => {
    if (bytes === null) return false;
    if (Buffer.isBuffer(bytes)) out.push(Buffer.from(bytes));
    else for (const b of bytes) out.push(Buffer.from(b));
    return true;
  };
  return { conn, out, kinds, log, run };
}
/** Decodes what the connection wrote, as the peer would. */
function written(out, role = 'server') {
  const frames = [];
  const p = new FrameParser({ role: role === 'server' ? 'client' : 'server' }, {
    onMessage: (d, bin) => frames.push(['message', d.toString(), bin]),
    onPing: (d) => frames.push(['ping', d.toString()]),
    onPong: (d) => frames.push(['pong', d.toString()]),
    onClose: (code, reason) => frames.push(['close', code, reason.toString()]),
    onError: (e) => frames.push(['error', e.code]),
  });
  for (const b of out) p.push(Buffer.from(b));
  return frames;
}
const fromClient = (opcode, payload, opts = {}) => encodeFrame(opcode, Buffer.from(payload), { mask: true, ...opts });

describe('Connection', () => {
  test('starts CONNECTING, sends nothing until open', () => {
    const { conn, out, run } = setup();
    assert.equal(conn.readyState, CONNECTING);
    assert.equal(conn.send('x', false), null);
    assert.equal(conn.ping(Buffer.alloc(0)), null);
    assert.equal(conn.close(1000), null);
    conn.open();
    assert.equal(conn.readyState, OPEN);
    assert.equal(run(conn.send('x', false)), true);
    assert.deepEqual(written(out), [['message', 'x', false]]);
  });
  test('delivers messages and answers pings automatically', () => {
    const { conn, out, kinds, log } = setup();
    conn.open();
    conn.receive(Buffer.concat([fromClient(Opcode.Text, 'hi'), fromClient(Opcode.Ping, 'p1'), fromClient(Opcode.Pong, 'q')]));
    // The pong is handed out before the ping is reported.
    assert.deepEqual(log, [['message', 'hi', false], ['output', FRAME_AUTO_PONG], ['ping', 'p1'], ['pong', 'q']]);
    assert.deepEqual(written(out), [['pong', 'p1']]);
    assert.deepEqual(kinds, [FRAME_AUTO_PONG]);
  });
  test('autoPong: false leaves pings to the application', () => {
    const { conn, out } = setup('server', { autoPong: false });
    conn.open();
    conn.receive(fromClient(Opcode.Ping, 'p'));
    assert.deepEqual(out, []);
  });
  test('peer-initiated close: echo code and reason, then shut down', () => {
    const { conn, out, log } = setup();
    conn.open();
    conn.receive(fromClient(Opcode.Close, Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('bye')])));
    assert.equal(conn.readyState, CLOSING);
    assert.deepEqual(written(out), [['close', 4000, 'bye']]);
    // The echo follows the data sent before it (FRAME_DATA), then the transport is to close.
    assert.deepEqual(log, [['output', FRAME_DATA], ['shutdown', null]]);
    assert.equal(conn.closeCode, 4000);
    assert.equal(conn.closeReason.toString(), 'bye');
    assert.equal(conn.wasClean, true);
    // RFC 6455 §5.5.1: nothing after the close frame is processed, and no second close goes out.
    conn.receive(fromClient(Opcode.Text, 'late'));
    assert.equal(log.length, 2);
    assert.equal(conn.close(1000), null);
    conn.transportClosed();
    assert.equal(conn.readyState, CLOSED);
    assert.equal(conn.wasClean, true, 'still clean once the transport is gone');
    conn.transportClosed();
    assert.equal(conn.wasClean, true, 'transportClosed is idempotent');
  });
  test('an empty close is answered with an empty close', () => {
    const { conn, out } = setup();
    conn.open();
    conn.receive(fromClient(Opcode.Close, ''));
    assert.deepEqual(written(out), [['close', 1005, '']]);
    assert.equal(conn.closeCode, 1005);
  });
  test('locally initiated close waits for the peer, then shuts down', () => {
    const { conn, out, log, run } = setup('client');
    conn.open();
    assert.equal(run(conn.close(1000, 'done')), true);
    assert.equal(conn.readyState, CLOSING);
    assert.equal(conn.wasClean, false);
    assert.deepEqual(log, []);
    assert.equal(conn.send('x', false), null, 'no data after close');
    assert.equal(conn.ping(Buffer.alloc(0)), null);
    assert.equal(conn.pong(Buffer.alloc(0)), null);
    assert.equal(conn.close(1000), null, 'one close frame only');
    conn.receive(encodeFrame(Opcode.Close, Buffer.from([0x03, 0xe8])));
    assert.deepEqual(log, [['shutdown', null]]);
    assert.deepEqual(written(out, 'client'), [['close', 1000, 'done']]);
    assert.equal(out.length, 1, 'close is not echoed twice');
    assert.equal(conn.wasClean, true);
    assert.equal(conn.closeCode, 1000);
  });
  test('protocol errors fail the connection with the mapped code', () => {
    for (const [input, code] of [
      [Buffer.from([0x83, 0x80, 1, 2, 3, 4]), 1002],
      [fromClient(Opcode.Text, Buffer.from([0xff])), 1007],
      [fromClient(Opcode.Binary, Buffer.alloc(20)), 1009],
    ]) {
      const { conn, out, log } = setup('server', { maxPayload: 10 });
      conn.open();
      conn.receive(input);
      // The failing close overtakes queued data (FRAME_CLOSE).
      assert.deepEqual(log, [['output', FRAME_CLOSE], ['shutdown', code]]);
      assert.deepEqual(written(out), [['close', code, '']]);
      // The peer is told `code`; locally the close handshake did not complete.
      assert.equal(conn.closeCode, 1006);
      assert.equal(conn.readyState, CLOSING);
      assert.equal(conn.close(1000), null, 'the failing close was the close frame');
      conn.transportClosed();
      assert.equal(conn.wasClean, false);
    }
  });
  test('client frames are masked, server frames are not', () => {
    const c = setup('client');
    c.conn.open();
    c.run(c.conn.send('abc', false));
    assert.equal(c.out[0][1] & 0x80, 0x80);
    c.run(c.conn.send('abc', false));
    assert.notDeepEqual(c.out[0].subarray(2, 6), c.out[1].subarray(2, 6), 'a fresh mask key per frame');
    const s = setup('server');
    s.conn.open();
    s.run(s.conn.send('abc', false));
    assert.equal(s.out[0][1] & 0x80, 0);
  });
  test('large server payloads are written as header + the caller buffer, uncopied', () => {
    const { conn, out, run } = setup();
    conn.open();
    const big = Buffer.alloc(20000, 1);
    const bytes = conn.send(big, true);
    assert.equal(bytes.length, 2);
    assert.equal(bytes[1], big, 'the payload is the caller buffer itself');
    run(bytes);
    assert.equal(out[0].length, 4);
    assert.deepEqual(written(out).map((f) => [f[0], f[1].length, f[2]]), [['message', 20000, true]]);
  });
  test('sendRaw writes a prepared frame only when OPEN', () => {
    const { conn, out, run } = setup();
    const frame = encodeFrame(Opcode.Text, Buffer.from('p'));
    assert.equal(conn.sendRaw(frame), null);
    conn.open();
    assert.equal(conn.sendRaw(frame), frame, 'the same bytes, uncopied');
    run(frame);
    assert.deepEqual(written(out), [['message', 'p', false]]);
  });
});

test('checkClose validates code and reason like the WebSocket API', () => {
  checkClose(undefined, undefined);
  checkClose(1000, 'ok');
  checkClose(4999, '');
  assert.throws(() => checkClose(1005), TypeError);
  assert.throws(() => checkClose(999), TypeError);
  assert.throws(() => checkClose(1000, 'x'.repeat(124)), RangeError);
  assert.throws(() => checkClose(1000, Buffer.from([0xff])), SyntaxError);
  // As in ws: a reason without a code is accepted (and not sent).
  assert.doesNotThrow(() => checkClose(undefined, 'reason'));
});

test('fragmented sends: fin=false starts a message, continuations follow, prepared frames wait', () => {
  const { conn, out, run } = setup();
  conn.open();
  run(conn.send('a', false, false));
  assert.equal(conn.fragmenting, true);
  assert.equal(conn.sendRaw(encodeFrame(Opcode.Text, Buffer.from('x'))), null, 'no whole message inside a fragmented one');
  run(conn.send('b', false, false));
  run(conn.send('c', false, true));
  assert.equal(conn.fragmenting, false);
  assert.equal(run(conn.sendRaw(encodeFrame(Opcode.Text, Buffer.from('x')))), true);
  assert.deepEqual(out.slice(0, 3).map((b) => b[0]), [0x01, 0x00, 0x80]);
  assert.deepEqual(written(out), [['message', 'abc', false], ['message', 'x', false]]);
});

describe('Connection state', () => {
  test('has no public mutable flags: readyState and the close outcome are getters', () => {
    const { conn } = setup();
    for (const name of ['readyState', 'closeCode', 'closeReason', 'wasClean', 'fragmenting']) {
      const d = Object.getOwnPropertyDescriptor(Connection.prototype, name);
      assert.equal(typeof d?.get, 'function', `${name} is a getter`);
      assert.equal(d.set, undefined, `${name} cannot be set`);
    }
    assert.throws(() => {
      'use strict';
      conn.readyState = CLOSED;
    }, TypeError);
    assert.equal(conn.readyState, CONNECTING);
    // Own enumerable data: the role only; the parser's callbacks are not Connection methods.
    assert.deepEqual(Object.keys(conn), ['role']);
    for (const name of ['onMessage', 'onPing', 'onPong', 'onClose', 'onError', 'closeSent', 'closeReceived', 'sink']) {
      assert.equal(name in conn, false, `no ${name}`);
    }
  });
  test('ping and pong commands return control frames only while OPEN', () => {
    const { conn } = setup('server');
    conn.open();
    assert.deepEqual(written([conn.ping(Buffer.from('a')), conn.pong(Buffer.from('b'))]), [['ping', 'a'], ['pong', 'b']]);
  });
  test('a peer FIN without a close frame: CLOSING, one close frame may still go out, not clean', () => {
    const { conn, log, run } = setup();
    conn.open();
    conn.transportEnded();
    assert.equal(conn.readyState, CLOSING);
    assert.equal(conn.send('x', false), null);
    assert.equal(run(conn.close(1001)), true);
    assert.equal(conn.close(1001), null);
    conn.receive(fromClient(Opcode.Text, 'after FIN'));
    assert.deepEqual(log, []);
    conn.transportClosed();
    assert.equal(conn.readyState, CLOSED);
    assert.equal(conn.wasClean, false);
    assert.equal(conn.closeCode, 1006);
  });
  test('the transport closing before the close handshake: CLOSED, 1006, not clean', () => {
    const { conn } = setup();
    conn.open();
    conn.transportClosed();
    assert.equal(conn.readyState, CLOSED);
    assert.equal(conn.closeCode, 1006);
    assert.equal(conn.wasClean, false);
    assert.equal(conn.send('x', false), null);
    assert.equal(conn.close(1000), null);
  });
  test('no automatic pong once our close frame went out', () => {
    const { conn, out, log, run } = setup();
    conn.open();
    run(conn.close(1000));
    conn.receive(fromClient(Opcode.Ping, 'p'));
    assert.deepEqual(log, [['ping', 'p']]);
    assert.deepEqual(written(out), [['close', 1000, '']]);
  });
  test('closeKind: a close for cause overtakes queued data, a normal close follows it', () => {
    for (const code of [1002, 1008, 1011, 1013]) assert.equal(closeKind(code), FRAME_CLOSE, String(code));
    for (const code of [undefined, 1000, 1001, 1012, 4000]) assert.equal(closeKind(code), FRAME_DATA, String(code));
    assert.notEqual(FRAME_CONTROL, FRAME_DATA);
  });
});
