// permessage-deflate on the session layer, over TCP on 127.0.0.1: what is
// negotiated, which frames go out compressed, order, callbacks and
// bufferedAmount, the fan-out path (sharedDeflate, prepareDeflatedFrame),
// bombs and bad data from a raw peer, and the client's checks of the answer.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { WebSocketServer, WebSocket } from '../../dist/esm/index.js';
import { prepareDeflatedFrame } from '../../dist/esm/session/index.js';
import { connectRaw } from '../helpers/raw-client.mjs';
import { binary as binaryFrame, text as textFrame, ping as pingFrame, OP } from '../helpers/frames.mjs';
import { within, onceWithin } from '../helpers/wait.mjs';

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function listen(options = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true, ...options });
  cleanups.push(() => new Promise((r) => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => r());
  }));
  await onceWithin(wss, 'listening');
  return { wss, port: wss.address().port, url: `ws://127.0.0.1:${wss.address().port}` };
}

/** A client and its server-side peer, open. */
async function pair(serverOptions = {}, clientOptions = {}) {
  const { wss, url } = await listen(serverOptions);
  const result = { wss, url };
  const connected = onceWithin(wss, 'connection');
  const client = new WebSocket(url, clientOptions);
  client.on('error', () => {});
  cleanups.push(() => client.terminate());
  const [server] = await connected;
  if (client.readyState !== WebSocket.OPEN) await onceWithin(client, 'open');
  return { ...result, server, client };
}

/** The code of the 'close' that follows (events.once would reject on the 'error' before it). */
const closeOf = (ws) => within(new Promise((resolve) => ws.once('close', (code) => resolve(code))), "'close'");

/** Collects `n` messages on `ws` as [text-or-hex, isBinary]. */
function collect(ws, n) {
  const got = [];
  return within(new Promise((resolve) => {
    ws.on('message', (data, isBinary) => {
      got.push([isBinary ? Buffer.from(data).toString('hex') : data.toString(), isBinary]);
      if (got.length === n) resolve(got);
    });
  }), `${n} messages`);
}

const deflateOffer = { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' };
const compress = (data) => {
  const out = zlib.deflateRawSync(Buffer.from(data), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
};

describe('negotiation over TCP', () => {
  test('our client and server agree; ws.extensions names the extension on both sides, as in ws', async () => {
    const { server, client } = await pair();
    assert.equal(client.extensions, 'permessage-deflate');
    assert.equal(server.extensions, 'permessage-deflate');
  });
  test("the client offers ws's client offer by default, and nothing with perMessageDeflate: false", async () => {
    const seen = [];
    const srv = http.createServer();
    srv.on('upgrade', (req, socket) => {
      seen.push(req.headers['sec-websocket-extensions']);
      socket.destroy();
    });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => srv.close(() => r())));
    for (const options of [{}, { perMessageDeflate: false }]) {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.address().port}`, options);
      ws.on('error', () => {});
      await closeOf(ws);
    }
    assert.deepEqual(seen, ['permessage-deflate; client_max_window_bits', undefined]);
  });
  test('a server without perMessageDeflate accepts no offer', async () => {
    const { server, client } = await pair({ perMessageDeflate: false });
    assert.equal(client.extensions, '');
    assert.equal(server.extensions, '');
    assert.equal(server.sharedDeflate, null);
  });
  test('a malformed offer is declined, the next one accepted; the handshake still succeeds', async () => {
    const { port } = await listen();
    const declined = await connectRaw(port, { extraHeaders: { 'Sec-WebSocket-Extensions': 'permessage-deflate; foo=1' } });
    assert.equal(declined.handshakeHeaders['sec-websocket-extensions'], undefined);
    declined.destroy();
    const next = await connectRaw(port, { extraHeaders: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=99, permessage-deflate' } });
    assert.equal(next.handshakeHeaders['sec-websocket-extensions'], 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    next.destroy();
  });
  test('invalid options throw when the server or client is made, saying what is wrong', async () => {
    assert.throws(() => new WebSocketServer({ noServer: true, perMessageDeflate: { serverMaxWindowBits: 20 } }), /serverMaxWindowBits must be an integer from 8 to 15, got 20/);
    assert.throws(() => new WebSocket('ws://127.0.0.1:1', { perMessageDeflate: { threshold: 'big' } }), /threshold must be an integer/);
  });
  const answers = [
    ['an unknown parameter', 'permessage-deflate; foo'],
    ['window bits out of range', 'permessage-deflate; server_max_window_bits=7'],
    ['client_max_window_bits without a value', 'permessage-deflate; client_max_window_bits'],
    ['an extension not offered', 'x-custom'],
  ];
  for (const [name, answer] of answers) {
    test(`the client fails the connection on an answer with ${name}`, async () => {
      const { acceptFor } = await import('../helpers/handshake.mjs');
      const srv = http.createServer();
      const sockets = new Set();
      srv.on('upgrade', (req, socket) => {
        sockets.add(socket);
        socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
          `Sec-WebSocket-Accept: ${acceptFor(req.headers['sec-websocket-key'])}`, `Sec-WebSocket-Extensions: ${answer}`, '', ''].join('\r\n'));
      });
      await new Promise((r) => srv.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise((r) => {
        for (const socket of sockets) socket.destroy();
        srv.close(() => r());
      }));
      const ws = new WebSocket(`ws://127.0.0.1:${srv.address().port}`);
      const errors = [];
      ws.on('error', (err) => errors.push(err.message));
      ws.on('open', () => errors.push('open'));
      const code = await closeOf(ws);
      assert.equal(code, 1006);
      assert.equal(errors.length, 1);
      assert.match(errors[0], /Sec-WebSocket-Extensions|extension/);
    });
  }
});

describe('messages', () => {
  test('text and binary of every size arrive intact, in send order, both ways', async () => {
    const { server, client } = await pair({ perMessageDeflate: { serverNoContextTakeover: false, clientNoContextTakeover: false } });
    server.on('message', (data, isBinary) => server.send(data, { binary: isBinary }));
    const sizes = [0, 1, 100, 1023, 1024, 5000, 70000, 300000];
    const expected = [];
    for (const n of sizes) {
      const t = 'abc\u00e9\u4e2d'.repeat(Math.ceil(n / 8)).slice(0, n);
      const b = Buffer.alloc(n, n % 251);
      client.send(t);
      client.send(b);
      expected.push([t, false], [b.toString('hex'), true]);
    }
    assert.deepEqual(await collect(client, expected.length), expected);
  });
  test('payloads from threshold on go compressed (RSV1); smaller ones and compress: false go plain', async () => {
    const { wss, port } = await listen({ perMessageDeflate: { threshold: 100 } });
    wss.on('connection', (ws) => {
      ws.send('x'.repeat(99));
      ws.send('x'.repeat(100));
      ws.send(Buffer.alloc(500), { compress: false });
      ws.send(Buffer.alloc(500));
    });
    const raw = await connectRaw(port, { extraHeaders: deflateOffer });
    cleanups.push(() => raw.destroy());
    assert.ok(await raw.waitFor(() => raw.frames.length >= 4, 4000));
    assert.deepEqual(raw.frames.map((f) => f.rsv), [0, 4, 0, 4]);
    assert.equal(zlib.inflateRawSync(Buffer.concat([raw.frames[1].payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString(), 'x'.repeat(100));
  });
  test('a fragmented send: RSV1 on the first frame only, and the message arrives whole', async () => {
    const { server, client } = await pair();
    const got = collect(client, 1);
    server.send('a'.repeat(2000), { fin: false });
    server.send('b'.repeat(2000), { fin: false });
    server.send('c'.repeat(10));
    assert.deepEqual(await got, [['a'.repeat(2000) + 'b'.repeat(2000) + 'c'.repeat(10), false]]);
  });
  test('send callbacks run in order without error; bufferedAmount is back to 0', async () => {
    const { server, client } = await pair();
    const done = [];
    const got = collect(client, 20);
    await new Promise((resolve) => {
      for (let i = 0; i < 20; i++) {
        server.send(`${i} `.repeat(i * 100), (err) => {
          done.push(err ?? i);
          if (done.length === 20) resolve();
        });
      }
    });
    assert.deepEqual(done, Array.from({ length: 20 }, (_, i) => i));
    assert.deepEqual((await got).map(([t]) => t), Array.from({ length: 20 }, (_, i) => `${i} `.repeat(i * 100)));
    assert.equal(server.bufferedAmount, 0);
  });
  test('a compressed message, a ping and a plain message from a raw peer are seen in that order', async () => {
    const { wss, port } = await listen();
    const seen = [];
    wss.on('connection', (ws) => {
      ws.on('message', (d) => seen.push(`message:${d}`));
      ws.on('ping', (d) => seen.push(`ping:${d}`));
    });
    const raw = await connectRaw(port, { extraHeaders: deflateOffer });
    cleanups.push(() => raw.destroy());
    await raw.send(Buffer.concat([textFrame(compress('first'), { rsv: 4 }), pingFrame('p'), textFrame('second')]));
    assert.ok(await raw.waitFor(() => raw.frames.length >= 1, 4000));
    await within((async () => { while (seen.length < 3) await new Promise((r) => setTimeout(r, 10)); })(), 'three events');
    assert.deepEqual(seen, ['message:first', 'ping:p', 'message:second']);
  });
  test('a bomb over TCP: 1009 from a server with maxPayload 1 MiB', async () => {
    const { wss, port } = await listen({ maxPayload: 1024 * 1024 });
    const errors = [];
    wss.on('connection', (ws) => ws.on('error', (err) => errors.push(err.code)));
    const raw = await connectRaw(port, { extraHeaders: deflateOffer });
    cleanups.push(() => raw.destroy());
    await raw.send(binaryFrame(compress(Buffer.alloc(8 * 1024 * 1024)), { rsv: 4 }));
    assert.ok(await raw.waitFor(() => raw.frames.some((f) => f.opcode === OP.CLOSE), 4000));
    const close = raw.frames.find((f) => f.opcode === OP.CLOSE);
    assert.equal(close.payload.readUInt16BE(0), 1009);
    assert.deepEqual(errors, ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']);
  });
  test('invalid compressed data: 1007', async () => {
    const { port } = await listen();
    const raw = await connectRaw(port, { extraHeaders: deflateOffer });
    cleanups.push(() => raw.destroy());
    await raw.send(binaryFrame(Buffer.from([0xff, 0xee, 0xdd]), { rsv: 4 }));
    assert.ok(await raw.waitFor(() => raw.frames.some((f) => f.opcode === OP.CLOSE), 4000));
    assert.equal(raw.frames.find((f) => f.opcode === OP.CLOSE).payload.readUInt16BE(0), 1007);
  });
});

describe('fan-out: sharedDeflate and prepareDeflatedFrame', () => {
  test('connections with equal settings share one params object; context takeover gives null; clients have none', async () => {
    const a = await pair();
    const { wss, url } = a;
    const connected = onceWithin(wss, 'connection');
    const other = new WebSocket(url);
    other.on('error', () => {});
    cleanups.push(() => other.terminate());
    const [b] = await connected;
    assert.ok(a.server.sharedDeflate !== null);
    assert.equal(a.server.sharedDeflate, b.sharedDeflate);
    assert.equal(typeof a.server.sharedDeflate.key, 'string');
    assert.equal(a.server.sharedDeflate.threshold, 1024);
    assert.equal(a.client.sharedDeflate, null);
    const takeover = await pair({ perMessageDeflate: { serverNoContextTakeover: false } });
    assert.equal(takeover.server.sharedDeflate, null);
  });
  test('a prepared compressed frame reaches our client and a ws client intact', async () => {
    const { wss, server, client } = await pair();
    const { WebSocket: WsClient } = await import('ws');
    const connected = onceWithin(wss, 'connection');
    const wsClient = new WsClient(`ws://127.0.0.1:${wss.address().port}`);
    cleanups.push(() => wsClient.terminate());
    const [server2] = await connected;
    assert.equal(server2.sharedDeflate, server.sharedDeflate);
    const text = 'broadcast '.repeat(500);
    const frame = prepareDeflatedFrame(text, false, server.sharedDeflate);
    assert.equal(frame[0] & 0x40, 0x40);
    assert.ok(frame.length < text.length / 10);
    const got1 = collect(client, 1);
    const got2 = within(once(wsClient, 'message'), 'ws message');
    assert.equal(server.sendPrepared(frame), true);
    assert.equal(server2.sendPrepared(frame), true);
    assert.deepEqual(await got1, [[text, false]]);
    assert.equal((await got2)[0].toString(), text);
  });
  test('sendPrepared refuses a compressed frame where sharedDeflate is null (context takeover, or no extension)', async () => {
    const shared = await pair();
    const frame = prepareDeflatedFrame('x'.repeat(2000), false, shared.server.sharedDeflate);
    const takeover = await pair({ perMessageDeflate: { serverNoContextTakeover: false } });
    const plain = await pair({ perMessageDeflate: false });
    assert.equal(takeover.server.sendPrepared(frame), false);
    assert.equal(plain.server.sendPrepared(frame), false);
    // Both stay usable: a plain message still arrives.
    const got = collect(takeover.client, 1);
    takeover.server.send('still fine');
    assert.deepEqual(await got, [['still fine', false]]);
  });
  test('prepareDeflatedFrame refuses params that are not a sharedDeflate value', () => {
    assert.throws(() => prepareDeflatedFrame('x', false, { key: '15', threshold: 0 }), TypeError);
  });
});
