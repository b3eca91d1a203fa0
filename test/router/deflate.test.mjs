// permessage-deflate (RFC 7692) through the application server: every
// operation of the protocol works with compression negotiated (our Node
// client, the legacy protocol, the ws package as an independent
// implementation), a broadcast is compressed once however many connections
// receive it (the same bytes go to each), and recipients that negotiated
// differently (no extension, context takeover) each get a frame they can
// read. Frames are inspected on the wire with raw TCP clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateRawSync, constants as zlib } from 'node:zlib';
import WsPackage from 'ws';
import { WebSocket, WebSocketNodeServer, PROTOCOL_V1 } from '../../dist/esm/index.js';
import { WebSocketNodeServer as CompatServer } from '../../dist/esm/compat/index.js';
import { WebSocketNodeClient } from '../../dist/esm/client/index.js';
import { connectRaw } from '../helpers/raw-client.mjs';
import { text as textFrame } from '../helpers/frames.mjs';
import { within } from '../helpers/wait.mjs';
import { startServer, simpleAuth, TestClient, barrier } from './helpers.mjs';

/** A message well over the 1024-byte threshold, and repetitive: it compresses to a small fraction. */
const BIG = { rows: Array.from({ length: 60 }, (_, i) => ({ id: i, name: `row ${i}`, tags: ['alpha', 'beta', 'gamma'] })) };
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const RSV1 = 4; // FrameReader reports RSV1..3 as bits 4, 2, 1

/** The text of a frame sent by a server, inflating it when compressed (RFC 7692 §7.2.2: the tail is appended back). */
function frameText(frame) {
  return (frame.rsv & RSV1 ? inflateRawSync(Buffer.concat([frame.payload, TAIL]), { finishFlush: zlib.Z_SYNC_FLUSH }) : frame.payload).toString('utf8');
}

/** A raw TCP client speaking our protocol, offering `offer` in Sec-WebSocket-Extensions; authenticated as `name`. */
async function rawLogin(port, name, offer, groups = []) {
  const conn = await connectRaw(port, { protocols: [PROTOCOL_V1], extraHeaders: offer ? { 'Sec-WebSocket-Extensions': offer } : {} });
  await conn.send(textFrame(JSON.stringify({ type: 'auth', id: 1, credentials: { name, groups } })));
  assert.ok(await conn.waitFor(() => conn.frames.length >= 1, 4000), `${name} got its auth reply`);
  assert.equal(JSON.parse(frameText(conn.frames[0])).type, 'reply');
  conn.frames.length = 0;
  return conn;
}

/** The data frames `conn` received that carry `event`. */
const eventFrames = (conn, event) => conn.frames.filter((f) => f.opcode === 1 && JSON.parse(frameText(f)).event === event);

async function waitEvent(conn, event, what) {
  assert.ok(await conn.waitFor(() => eventFrames(conn, event).length > 0, 4000), what);
  return eventFrames(conn, event)[0];
}

/** Our session-layer WebSocket with its options, opened, as a TestClient. */
async function openWith(url, protocols, options) {
  const client = new TestClient(new WebSocket(url, protocols, options));
  await within(new Promise((resolve, reject) => (client.ws.once('open', resolve), client.ws.once('error', reject))), 'open');
  return client;
}

test('requests, broadcasts to all and to a group, private messages and a legacy client all work with compression negotiated', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('big', (body) => ({ echo: body, ...BIG }));
  }, { perMessageDeflate: true });
  const { server, url } = ctx;
  const a = await openWith(url, [PROTOCOL_V1], { perMessageDeflate: true });
  const b = await openWith(url, [PROTOCOL_V1], { perMessageDeflate: true });
  const legacy = await openWith(url, [], { perMessageDeflate: true });
  // The ws package as the other end: an independent inflater.
  const w = new TestClient(new WsPackage(url, [PROTOCOL_V1], { perMessageDeflate: true }));
  await within(new Promise((resolve) => w.ws.once('open', resolve)), 'ws open');
  try {
    for (const c of [a, b, legacy, w]) assert.match(c.ws.extensions, /permessage-deflate/, 'every client negotiated the extension');
    assert.equal((await a.auth({ name: 'a', groups: ['g'] })).type, 'reply');
    assert.equal((await b.auth({ name: 'b', groups: ['g'] })).type, 'reply');
    assert.equal((await w.auth({ name: 'w' })).type, 'reply');
    assert.ok(!(await legacy.call('auth', 'login', { name: 'legacy', groups: ['g'] })).error);

    // A request whose answer is compressed by the connection (not a push).
    assert.deepEqual(await a.ok('request', { name: 'big', data: 'x' }), { echo: 'x', ...BIG });
    const before = server.stats.compression.compressed;
    // To everyone: one compression per wire protocol (ours, the legacy one), not per recipient.
    assert.equal(server.broadcast('all', BIG), 4);
    for (const c of [a, b, w]) assert.deepEqual((await c.event('all')).data, BIG);
    assert.deepEqual((await legacy.event('all')).response, BIG);
    assert.equal(server.stats.compression.compressed - before, 2);
    // To a group.
    assert.equal(server.broadcast('room', BIG, { group: 'g' }), 3);
    for (const c of [a, b]) assert.deepEqual((await c.event('room')).data, BIG);
    assert.deepEqual((await legacy.event('room')).response, BIG);
    assert.equal(server.stats.compression.compressed - before, 4);
    // A private message, from b to a and to the ws client.
    assert.equal((await b.send('message', { to: { alias: 'a' }, data: BIG })).type, 'reply');
    assert.deepEqual((await a.next((m) => m.type === 'message')).data, BIG);
    assert.equal((await b.send('message', { to: { alias: 'w' }, data: BIG })).type, 'reply');
    assert.deepEqual((await w.next((m) => m.type === 'message')).data, BIG);
    await barrier(server, [a, b, w, legacy]);
    assert.equal(w.has((m) => m.event === 'room'), false, 'the group broadcast reached its members only');
    const stats = server.stats.compression;
    assert.ok(stats.bytesOut < stats.bytesIn / 4, `compressed ${stats.bytesIn} bytes to ${stats.bytesOut}`);
  } finally {
    w.ws.terminate();
    await Promise.all([a, b, legacy].map((c) => c.close()));
    await server.close();
  }
});

test('a broadcast to N compressed connections is compressed once, and each gets the very same bytes', async () => {
  const { server, port } = await startServer((s) => simpleAuth(s), { perMessageDeflate: true });
  // What Chromium and Firefox offer.
  const conns = [];
  try {
    for (let i = 0; i < 5; i++) conns.push(await rawLogin(port, `r${i}`, 'permessage-deflate; client_max_window_bits'));
    for (const c of conns) assert.match(c.handshakeHeaders['sec-websocket-extensions'], /^permessage-deflate/);
    const before = { ...server.stats.compression };
    assert.equal(server.broadcast('news', BIG), 5);
    const frames = [];
    for (const c of conns) frames.push(await waitEvent(c, 'news', 'every connection got the broadcast'));
    const after = server.stats.compression;
    assert.equal(after.compressed - before.compressed, 1, 'compressed once for five recipients');
    const json = JSON.stringify({ type: 'event', event: 'news', group: null, data: BIG });
    assert.equal(after.bytesIn - before.bytesIn, Buffer.byteLength(json));
    for (const f of frames) {
      assert.equal(f.rsv, RSV1, 'RSV1 set: a compressed message (RFC 7692 §6)');
      assert.ok(f.payload.equals(frames[0].payload), 'byte-identical frames');
      assert.deepEqual(JSON.parse(frameText(f)), JSON.parse(json));
    }
    assert.equal(after.bytesOut - before.bytesOut, frames[0].payload.length);
    assert.ok(frames[0].payload.length < Buffer.byteLength(json) / 4, `${Buffer.byteLength(json)} bytes went out as ${frames[0].payload.length}`);
    // Below the threshold (1024 bytes by default) a push goes out as it is.
    server.broadcast('small', { hi: 1 });
    for (const c of conns) assert.equal((await waitEvent(c, 'small', 'the small broadcast')).rsv, 0);
    assert.equal(server.stats.compression.compressed, after.compressed);
  } finally {
    for (const c of conns) c.destroy();
    await server.close();
  }
});

test('mixed recipients: compressed, context takeover, not negotiated, ws package: each gets a frame it can read', async () => {
  // Context takeover allowed: a client that does not ask for server_no_context_takeover keeps it.
  const { server, port, url } = await startServer((s) => simpleAuth(s), { perMessageDeflate: { serverNoContextTakeover: false } });
  const shared = await rawLogin(port, 'shared', 'permessage-deflate; server_no_context_takeover');
  const takeover = await rawLogin(port, 'takeover', 'permessage-deflate');
  const plain = await rawLogin(port, 'plain', null);
  const w = new TestClient(new WsPackage(url, [PROTOCOL_V1], { perMessageDeflate: true }));
  await within(new Promise((resolve) => w.ws.once('open', resolve)), 'ws open');
  try {
    assert.match(shared.handshakeHeaders['sec-websocket-extensions'], /server_no_context_takeover/);
    assert.doesNotMatch(takeover.handshakeHeaders['sec-websocket-extensions'], /server_no_context_takeover/);
    assert.equal(plain.handshakeHeaders['sec-websocket-extensions'], undefined);
    assert.equal((await w.auth({ name: 'w' })).type, 'reply');
    const before = server.stats.compression.compressed;
    assert.equal(server.broadcast('mix', BIG), 4);
    const s = await waitEvent(shared, 'mix', 'shared got it');
    const t = await waitEvent(takeover, 'mix', 'takeover got it');
    const p = await waitEvent(plain, 'mix', 'plain got it');
    assert.equal(s.rsv, RSV1, 'compressed for the connection without context takeover');
    assert.equal(t.rsv, 0, 'plain for the connection with context takeover: never compressed per recipient');
    assert.equal(p.rsv, 0, 'plain without the extension');
    for (const f of [s, t, p]) assert.deepEqual(JSON.parse(frameText(f)).data, BIG);
    assert.deepEqual((await w.event('mix')).data, BIG);
    assert.equal(server.stats.compression.compressed - before, 1);
    // A private message (one recipient) follows the same rule.
    const sessions = Object.fromEntries([...server.sessions()].map((x) => [x.alias, x]));
    sessions.shared.send('direct', BIG);
    sessions.takeover.send('direct', BIG);
    assert.equal((await waitEvent(shared, 'direct', 'shared got its event')).rsv, RSV1);
    assert.equal((await waitEvent(takeover, 'direct', 'takeover got its event')).rsv, 0);
  } finally {
    w.ws.terminate();
    for (const c of [shared, takeover, plain]) c.destroy();
    await server.close();
  }
});

/** Resolves once `client` is authenticated. */
const authenticated = (client) => within(new Promise((resolve) => client.onState((e) => e.state === 'authenticated' && resolve(e))), 'authenticated');

test('the Node client offers compression unless perMessageDeflate is false', async () => {
  const { server, url } = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('big', () => BIG);
  }, { perMessageDeflate: true });
  const extensionsOf = () => [...server.getServer().clients].map((ws) => ws.extensions);
  const on = new WebSocketNodeClient(url, { credentials: { name: 'on' }, reconnect: false });
  const off = new WebSocketNodeClient(url, { perMessageDeflate: false, credentials: { name: 'off' }, reconnect: false, autoConnect: false });
  try {
    await authenticated(on);
    assert.deepEqual(extensionsOf().map((e) => /^permessage-deflate/.test(e)), [true]);
    // A compressed answer and a compressed push, read by the client.
    assert.deepEqual(await on.request('big'), BIG);
    const pushed = new Promise((resolve) => on.on('news', resolve));
    server.broadcast('news', BIG);
    assert.deepEqual(await within(pushed, 'the pushed event'), BIG);
    assert.ok(server.stats.compression.compressed >= 1);
    await on.close();
    off.connect();
    await authenticated(off);
    assert.deepEqual(extensionsOf(), ['']);
  } finally {
    await on.close();
    await off.close();
    await server.close();
  }
});

test('compression is off by default, the compat server passes the option through, and a bad option fails at construction', async () => {
  const plain = await startServer((s) => simpleAuth(s));
  const compat = await startServer(null, { perMessageDeflate: true }, CompatServer);
  try {
    const a = await connectRaw(plain.port, { protocols: [PROTOCOL_V1], extraHeaders: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
    assert.equal(a.handshakeHeaders['sec-websocket-extensions'], undefined, 'not accepted unless enabled');
    a.destroy();
    const b = await connectRaw(compat.port, { extraHeaders: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
    assert.match(b.handshakeHeaders['sec-websocket-extensions'], /^permessage-deflate/);
    b.destroy();
    assert.throws(() => new WebSocketNodeServer({ perMessageDeflate: { serverMaxWindowBits: 99 } }), RangeError);
  } finally {
    await plain.server.close();
    await compat.server.Close();
  }
});
