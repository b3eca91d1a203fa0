// The sans-I/O state machine, driven with byte vectors and a recording sink.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, CONNECTING, OPEN, CLOSING, CLOSED, checkClose } from '../../dist/esm/session/index.js';
import { encodeFrame, FrameParser, Opcode } from '../../dist/esm/frame/index.js';

function setup(role = 'server', options = {}) {
  const out = [];
  const log = [];
  const sink = {
    write: (b) => out.push(Buffer.from(b)),
    deliverMessage: (d, bin) => log.push(['message', d.toString(), bin]),
    deliverPing: (p) => log.push(['ping', p.toString()]),
    deliverPong: (p) => log.push(['pong', p.toString()]),
    shutdown: (err) => log.push(['shutdown', err ? err.closeCode : null]),
  };
  const conn = new Connection({ role, ...options }, sink);
  return { conn, out, log };
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
    const { conn, out } = setup();
    assert.equal(conn.readyState, CONNECTING);
    assert.equal(conn.send('x', false), false);
    conn.open();
    assert.equal(conn.readyState, OPEN);
    assert.equal(conn.send('x', false), true);
    assert.deepEqual(written(out), [['message', 'x', false]]);
  });
  test('delivers messages and answers pings automatically', () => {
    const { conn, out, log } = setup();
    conn.open();
    conn.receive(Buffer.concat([fromClient(Opcode.Text, 'hi'), fromClient(Opcode.Ping, 'p1'), fromClient(Opcode.Pong, 'q')]));
    assert.deepEqual(log, [['message', 'hi', false], ['ping', 'p1'], ['pong', 'q']]);
    assert.deepEqual(written(out), [['pong', 'p1']]);
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
    assert.deepEqual(log, [['shutdown', null]]);
    assert.equal(conn.closeCode, 4000);
    // RFC 6455 §5.5.1: nothing after the close frame is processed.
    conn.receive(fromClient(Opcode.Text, 'late'));
    assert.equal(log.length, 1);
    conn.transportClosed();
    assert.equal(conn.readyState, CLOSED);
  });
  test('an empty close is answered with an empty close', () => {
    const { conn, out } = setup();
    conn.open();
    conn.receive(fromClient(Opcode.Close, ''));
    assert.deepEqual(written(out), [['close', 1005, '']]);
    assert.equal(conn.closeCode, 1005);
  });
  test('locally initiated close waits for the peer, then shuts down', () => {
    const { conn, out, log } = setup('client');
    conn.open();
    conn.close(1000, 'done');
    assert.equal(conn.readyState, CLOSING);
    assert.deepEqual(log, []);
    assert.equal(conn.send('x', false), false, 'no data after close');
    assert.equal(conn.ping(Buffer.alloc(0)), false);
    conn.close(1000); // idempotent
    conn.receive(encodeFrame(Opcode.Close, Buffer.from([0x03, 0xe8])));
    assert.deepEqual(log, [['shutdown', null]]);
    assert.deepEqual(written(out, 'client'), [['close', 1000, 'done']]);
    assert.equal(out.length, 1, 'close is not echoed twice');
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
      assert.deepEqual(log, [['shutdown', code]]);
      assert.deepEqual(written(out), [['close', code, '']]);
      assert.equal(conn.closeCode, code);
    }
  });
  test('client frames are masked, server frames are not', () => {
    const c = setup('client');
    c.conn.open();
    c.conn.send('abc', false);
    assert.equal(c.out[0][1] & 0x80, 0x80);
    const s = setup('server');
    s.conn.open();
    s.conn.send('abc', false);
    assert.equal(s.out[0][1] & 0x80, 0);
  });
  test('large server payloads are written as header + the caller buffer, uncopied', () => {
    const { conn, out } = setup();
    conn.open();
    const big = Buffer.alloc(20000, 1);
    conn.send(big, true);
    assert.equal(out.length, 2);
    assert.equal(out[0].length, 4);
    assert.deepEqual(written(out).map((f) => [f[0], f[1].length, f[2]]), [['message', 20000, true]]);
  });
  test('sendRaw writes a prepared frame only when OPEN', () => {
    const { conn, out } = setup();
    const frame = encodeFrame(Opcode.Text, Buffer.from('p'));
    assert.equal(conn.sendRaw(frame), false);
    conn.open();
    assert.equal(conn.sendRaw(frame), true);
    assert.deepEqual(written(out), [['message', 'p', false]]);
  });
});

test('checkClose validates code and reason like the WebSocket API', () => {
  checkClose(undefined, undefined);
  checkClose(1000, 'ok');
  checkClose(4999, '');
  assert.throws(() => checkClose(1005), TypeError);
  assert.throws(() => checkClose(999), TypeError);
  assert.throws(() => checkClose(1000, 'x'.repeat(124)), SyntaxError);
  assert.throws(() => checkClose(1000, Buffer.from([0xff])), SyntaxError);
  assert.throws(() => checkClose(undefined, 'reason'), TypeError);
});

test('fragmented sends: fin=false starts a message, continuations follow, prepared frames wait', () => {
  const { conn, out } = setup();
  conn.open();
  conn.send('a', false, false);
  assert.equal(conn.sendRaw(encodeFrame(Opcode.Text, Buffer.from('x'))), false, 'no whole message inside a fragmented one');
  conn.send('b', false, false);
  conn.send('c', false, true);
  assert.equal(conn.sendRaw(encodeFrame(Opcode.Text, Buffer.from('x'))), true);
  assert.deepEqual(out.slice(0, 3).map((b) => b[0]), [0x01, 0x00, 0x80]);
  assert.deepEqual(written(out), [['message', 'abc', false], ['message', 'x', false]]);
});
