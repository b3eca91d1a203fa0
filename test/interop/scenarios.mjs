// Interop scenarios shared by both directions: a ws-compatible server class
// and a ws-compatible client class from different implementations talk to
// each other through the public API only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPair, echo, WAIT } from '../helpers/pairs.mjs';
import { bytesOf } from '../helpers/client-log.mjs';

function pattern(n, seed = 0) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed) & 0xff;
  return b;
}

function utf8Text(bytes) {
  const unit = 'abc \u00b5\u00df \u03ba\u1f79\u03c3\u03bc\u03b5 \u4e2d\u6587 \u{1f600}\n';
  let s = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
  while (Buffer.byteLength(s) > bytes) s = s.slice(0, -1);
  // Never end on half a surrogate pair.
  if (/[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1);
  return s;
}

/**
 * @param {Function} ServerClass ws-compatible WebSocketServer
 * @param {Function} ClientClass ws-compatible WebSocket
 */
export function defineInteropTests(ServerClass, ClientClass) {
  const pair = (options = {}) => openPair(ServerClass, ClientClass, options);

  test('text message: client -> server -> client, with isBinary false', { timeout: 10000 }, async () => {
    const p = await pair({ onConnection: echo });
    try {
      const msg = 'hello \u00b5 \u{1f600}';
      p.client.send(msg);
      await p.clog.waitFor(() => p.clog.messages.length >= 1, WAIT);
      assert.equal(p.slog.messages.length, 1);
      assert.equal(p.slog.messages[0].isBinary, false);
      assert.ok(Buffer.isBuffer(p.slog.messages[0].data), 'server message data should be a Buffer');
      assert.equal(p.slog.messages[0].data.toString('utf8'), msg);
      assert.equal(p.clog.messages.length, 1);
      assert.equal(p.clog.messages[0].isBinary, false);
      assert.equal(bytesOf(p.clog.messages[0].data).toString('utf8'), msg);
    } finally { await p.cleanup(); }
  });

  test('binary message both ways, with isBinary true', { timeout: 10000 }, async () => {
    const p = await pair({ onConnection: echo });
    try {
      const bytes = Buffer.from([0, 1, 2, 0x80, 0xfe, 0xff, 0xed, 0xa0, 0x80]);
      p.client.send(bytes);
      p.client.send(new Uint8Array([9, 8, 7]));
      await p.clog.waitFor(() => p.clog.messages.length >= 2, WAIT);
      assert.deepEqual(p.slog.messages.map((m) => m.isBinary), [true, true]);
      assert.ok(p.slog.messages[0].data.equals(bytes));
      assert.deepEqual([...p.slog.messages[1].data], [9, 8, 7]);
      assert.deepEqual(p.clog.messages.map((m) => m.isBinary), [true, true]);
      assert.ok(bytesOf(p.clog.messages[0].data).equals(bytes));
      assert.deepEqual([...bytesOf(p.clog.messages[1].data)], [9, 8, 7]);
    } finally { await p.cleanup(); }
  });

  test('send callback is called without an error', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      const results = [];
      p.client.send('one', (err) => results.push(err ?? null));
      p.server.send('two', { binary: false }, (err) => results.push(err ?? null));
      await p.clog.waitFor(() => results.length >= 2 && p.clog.messages.length >= 1, WAIT);
      assert.deepEqual(results, [null, null]);
      assert.equal(bytesOf(p.clog.messages[0].data).toString(), 'two');
    } finally { await p.cleanup(); }
  });

  test('client ping with payload: server sees ping, client gets pong with the payload', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.client.ping(Buffer.from('client ping'));
      await p.clog.waitFor(() => p.clog.pongs.length >= 1, WAIT);
      assert.equal(p.slog.pings.length, 1);
      assert.equal(bytesOf(p.slog.pings[0]).toString(), 'client ping');
      assert.equal(p.clog.pongs.length, 1);
      assert.equal(bytesOf(p.clog.pongs[0]).toString(), 'client ping');
    } finally { await p.cleanup(); }
  });

  test('server ping with payload: client sees ping, server gets pong with the payload', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.server.ping(Buffer.from('server ping'));
      await p.slog.waitFor(() => p.slog.pongs.length >= 1, WAIT);
      assert.equal(p.clog.pings.length, 1);
      assert.equal(bytesOf(p.clog.pings[0]).toString(), 'server ping');
      assert.equal(p.slog.pongs.length, 1);
      assert.equal(bytesOf(p.slog.pongs[0]).toString(), 'server ping');
    } finally { await p.cleanup(); }
  });

  test('client closes with 4001 and a reason: both sides report it', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.client.close(4001, 'client bye');
      await p.clog.waitFor(() => p.clog.closeEvent && p.slog.closeEvent, WAIT);
      assert.ok(p.slog.closeEvent, "server side emitted no 'close'");
      assert.equal(p.slog.closeEvent.code, 4001);
      assert.ok(Buffer.isBuffer(p.slog.closeEvent.reason), 'close reason should be a Buffer');
      assert.equal(p.slog.closeEvent.reason.toString(), 'client bye');
      assert.ok(p.clog.closeEvent, "client emitted no 'close'");
      assert.equal(p.clog.closeEvent.code, 4001);
      assert.equal(bytesOf(p.clog.closeEvent.reason).toString(), 'client bye');
      assert.equal(p.client.readyState, 3);
      assert.equal(p.server.readyState, 3);
      assert.equal(p.clog.errors.length + p.slog.errors.length, 0);
    } finally { await p.cleanup(); }
  });

  test('server closes with 4002 and a reason: both sides report it', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.server.close(4002, 'server bye');
      await p.clog.waitFor(() => p.clog.closeEvent && p.slog.closeEvent, WAIT);
      assert.ok(p.clog.closeEvent, "client emitted no 'close'");
      assert.equal(p.clog.closeEvent.code, 4002);
      assert.equal(bytesOf(p.clog.closeEvent.reason).toString(), 'server bye');
      assert.ok(p.slog.closeEvent, "server side emitted no 'close'");
      assert.equal(p.slog.closeEvent.code, 4002);
      assert.equal(p.clog.errors.length + p.slog.errors.length, 0);
    } finally { await p.cleanup(); }
  });

  test('close without a code: both sides report 1005 and an empty reason', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.client.close();
      await p.clog.waitFor(() => p.clog.closeEvent && p.slog.closeEvent, WAIT);
      assert.equal(p.slog.closeEvent?.code, 1005);
      assert.equal(bytesOf(p.slog.closeEvent.reason).length, 0);
      assert.equal(p.clog.closeEvent?.code, 1005);
    } finally { await p.cleanup(); }
  });

  test('close with 1000 and a 123-byte multi-byte UTF-8 reason arrives intact', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      const reason = utf8Text(123);
      assert.ok(Buffer.byteLength(reason) <= 123 && Buffer.byteLength(reason) >= 119);
      p.client.close(1000, reason);
      await p.clog.waitFor(() => p.clog.closeEvent && p.slog.closeEvent, WAIT);
      assert.equal(p.slog.closeEvent?.code, 1000);
      assert.equal(bytesOf(p.slog.closeEvent.reason).toString('utf8'), reason);
    } finally { await p.cleanup(); }
  });

  test('data sent right before close is delivered before the close', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      for (let i = 0; i < 5; i++) p.client.send(`last words ${i}`);
      p.client.close(1000, 'done');
      await p.slog.waitFor(() => p.slog.closeEvent !== null, WAIT);
      assert.deepEqual(p.slog.messages.map((m) => m.data.toString()), [0, 1, 2, 3, 4].map((i) => `last words ${i}`));
      assert.equal(p.slog.order.at(-1), 'close');
    } finally { await p.cleanup(); }
  });

  test('subprotocol chosen by handleProtocols is seen by both sides', { timeout: 10000 }, async () => {
    let offered = null;
    const p = await pair({
      protocols: ['chat.v1', 'chat.v2'],
      serverOptions: {
        handleProtocols: (protocols) => {
          offered = protocols;
          return protocols.has('chat.v2') ? 'chat.v2' : false;
        },
      },
    });
    try {
      assert.ok(offered instanceof Set, 'handleProtocols should receive a Set');
      assert.deepEqual([...offered], ['chat.v1', 'chat.v2']);
      assert.equal(p.client.protocol, 'chat.v2');
      assert.equal(p.server.protocol, 'chat.v2');
    } finally { await p.cleanup(); }
  });

  test('without handleProtocols the first offered subprotocol is chosen', { timeout: 10000 }, async () => {
    const p = await pair({ protocols: ['first', 'second'] });
    try {
      assert.equal(p.client.protocol, 'first');
      assert.equal(p.server.protocol, 'first');
    } finally { await p.cleanup(); }
  });

  test('no subprotocol offered: protocol is the empty string on both sides', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      assert.equal(p.client.protocol, '');
      assert.equal(p.server.protocol, '');
    } finally { await p.cleanup(); }
  });

  test('1 MiB text and 1 MiB binary, both directions', { timeout: 20000 }, async () => {
    const p = await pair({ onConnection: echo });
    try {
      const text = utf8Text(1024 * 1024);
      const bin = pattern(1024 * 1024, 5);
      p.client.send(text);
      p.client.send(bin);
      await p.clog.waitFor(() => p.clog.messages.length >= 2 || p.clog.closeEvent, 10000);
      assert.equal(p.slog.messages.length, 2);
      assert.equal(p.slog.messages[0].data.toString('utf8'), text);
      assert.ok(p.slog.messages[1].data.equals(bin));
      assert.equal(p.clog.messages.length, 2);
      assert.equal(p.clog.messages[0].isBinary, false);
      assert.equal(bytesOf(p.clog.messages[0].data).toString('utf8'), text);
      assert.equal(p.clog.messages[1].isBinary, true);
      assert.ok(bytesOf(p.clog.messages[1].data).equals(bin));
    } finally { await p.cleanup(); }
  });

  test('2000 messages in a row arrive complete and in order, both directions', { timeout: 20000 }, async () => {
    const p = await pair({ onConnection: echo });
    try {
      const N = 2000;
      for (let i = 0; i < N; i++) {
        if (i % 2) p.client.send(Buffer.from(`binary #${i}`));
        else p.client.send(`text #${i}`);
      }
      await p.clog.waitFor(() => p.clog.messages.length >= N || p.clog.closeEvent, 10000);
      assert.equal(p.slog.messages.length, N);
      assert.equal(p.clog.messages.length, N);
      for (let i = 0; i < N; i++) {
        const want = i % 2 ? `binary #${i}` : `text #${i}`;
        assert.equal(p.slog.messages[i].data.toString(), want);
        assert.equal(p.slog.messages[i].isBinary, i % 2 === 1);
        assert.equal(bytesOf(p.clog.messages[i].data).toString(), want);
        assert.equal(p.clog.messages[i].isBinary, i % 2 === 1);
      }
    } finally { await p.cleanup(); }
  });

  test('server sends 2000 messages without waiting; client gets all in order', { timeout: 20000 }, async () => {
    const p = await pair();
    try {
      const N = 2000;
      for (let i = 0; i < N; i++) p.server.send(`server #${i}`);
      await p.clog.waitFor(() => p.clog.messages.length >= N || p.clog.closeEvent, 10000);
      assert.equal(p.clog.messages.length, N);
      p.clog.messages.forEach((m, i) => assert.equal(bytesOf(m.data).toString(), `server #${i}`));
    } finally { await p.cleanup(); }
  });

  test('send(data, { fin: false }) fragments: the peer gets one message (server -> client)', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.server.send('frag-a ', { fin: false });
      p.server.send('frag-b ', { fin: false });
      p.server.send('end', { fin: true });
      p.server.send(Buffer.from([1, 2]), { binary: true, fin: false });
      p.server.send(Buffer.from([3]), { binary: true, fin: true });
      await p.clog.waitFor(() => p.clog.messages.length >= 2 || p.clog.closeEvent, WAIT);
      assert.deepEqual(p.clog.messages.map((m) => [bytesOf(m.data).toString('hex'), m.isBinary]),
        [[Buffer.from('frag-a frag-b end').toString('hex'), false], ['010203', true]]);
    } finally { await p.cleanup(); }
  });

  test('send(data, { fin: false }) fragments: the peer gets one message (client -> server)', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.client.send('one ', { fin: false });
      p.client.send('two', { fin: true });
      await p.slog.waitFor(() => p.slog.messages.length >= 1 || p.slog.closeEvent, WAIT);
      p.client.send('after');
      await p.slog.waitFor(() => p.slog.messages.length >= 2 || p.slog.closeEvent, WAIT);
      assert.deepEqual(p.slog.messages.map((m) => m.data.toString()), ['one two', 'after']);
    } finally { await p.cleanup(); }
  });

  test("binaryType 'arraybuffer' and the EventTarget API (onmessage, addEventListener)", { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      const seen = [];
      p.client.binaryType = 'arraybuffer';
      assert.equal(p.client.binaryType, 'arraybuffer');
      p.client.onmessage = (ev) => seen.push(['onmessage', ev.data]);
      p.client.addEventListener('message', (ev) => seen.push(['listener', ev.data]));
      p.server.send('text');
      p.server.send(Buffer.from([7, 8, 9]));
      await p.clog.waitFor(() => p.clog.messages.length >= 2, WAIT);
      // The 'message' event of the EventEmitter API still passes (data, isBinary).
      assert.ok(p.clog.messages[1].data instanceof ArrayBuffer, "binary data should be an ArrayBuffer with binaryType 'arraybuffer'");
      assert.equal(seen.length, 4);
      const byKind = (kind) => seen.filter((x) => x[0] === kind).map((x) => x[1]);
      for (const kind of ['onmessage', 'listener']) {
        const [t, b] = byKind(kind);
        assert.equal(t, 'text', `${kind}: text arrives as a string`);
        assert.ok(b instanceof ArrayBuffer, `${kind}: binary arrives as an ArrayBuffer`);
        assert.deepEqual([...new Uint8Array(b)], [7, 8, 9]);
      }
    } finally { await p.cleanup(); }
  });

  test("server 'headers' event adds response headers; client 'upgrade' event sees them", { timeout: 10000 }, async () => {
    const wss = new ServerClass({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    let headersReq = null;
    wss.on('headers', (headers, req) => { headersReq = req; headers.push('Set-Cookie: session=abc'); });
    const client = new ClientClass(`ws://127.0.0.1:${wss.address().port}/hdr`);
    try {
      const cookie = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no 'upgrade' event")), WAIT);
        client.on('upgrade', (res) => { clearTimeout(timer); resolve(res.headers['set-cookie']); });
        client.on('error', (err) => { clearTimeout(timer); reject(err); });
      });
      assert.deepEqual(cookie, ['session=abc']);
      assert.equal(headersReq?.url, '/hdr');
    } finally {
      client.terminate();
      await new Promise((resolve) => wss.close(() => resolve()));
    }
  });

  test('client origin option reaches verifyClient as info.origin', { timeout: 10000 }, async () => {
    let info = null;
    const p = await pair({
      serverOptions: { verifyClient: (i) => { info = { origin: i.origin, secure: i.secure }; return true; } },
      clientOptions: { origin: 'https://app.example' },
    });
    try {
      assert.deepEqual(info, { origin: 'https://app.example', secure: false });
      assert.equal(p.req.headers.origin, 'https://app.example');
    } finally { await p.cleanup(); }
  });

  test('a single subprotocol may be given as a string', { timeout: 10000 }, async () => {
    const p = await pair({ protocols: 'only.one' });
    try {
      assert.equal(p.client.protocol, 'only.one');
      assert.equal(p.server.protocol, 'only.one');
    } finally { await p.cleanup(); }
  });

  test('terminate(): both sides report 1006 and reach CLOSED', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.server.terminate();
      await p.clog.waitFor(() => p.clog.closeEvent && p.slog.closeEvent, WAIT);
      assert.equal(p.clog.closeEvent?.code, 1006);
      assert.equal(p.slog.closeEvent?.code, 1006);
      assert.equal(p.client.readyState, 3);
      assert.equal(p.server.readyState, 3);
    } finally { await p.cleanup(); }
  });

  test('pause() holds incoming messages until resume()', { timeout: 10000 }, async () => {
    const p = await pair();
    try {
      p.server.pause();
      assert.equal(p.server.isPaused, true);
      p.client.send('held');
      // Give the message every chance to arrive; it must not while paused.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(p.slog.messages.length, 0, 'message delivered while paused');
      p.server.resume();
      assert.equal(p.server.isPaused, false);
      await p.slog.waitFor(() => p.slog.messages.length >= 1, WAIT);
      assert.equal(p.slog.messages[0]?.data.toString(), 'held');
    } finally { await p.cleanup(); }
  });

  test("autoPong: false leaves pings unanswered but still emits 'ping'", { timeout: 10000 }, async () => {
    const p = await pair({ serverOptions: { autoPong: false } });
    try {
      p.client.ping('no answer');
      p.client.send('marker');
      await p.slog.waitFor(() => p.slog.messages.length >= 1, WAIT);
      assert.equal(p.slog.pings.length, 1);
      p.server.send('reply marker');
      await p.clog.waitFor(() => p.clog.messages.length >= 1, WAIT);
      assert.equal(p.clog.pongs.length, 0, 'a pong was sent although autoPong is false');
    } finally { await p.cleanup(); }
  });
}
