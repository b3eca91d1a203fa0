// Client options and URLs as ws accepts them: ws+unix: URLs, protocolVersion
// 8 and 13, createConnection, generateMask, finishRequest, and the argument
// checks (error classes and messages).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { WebSocketServer as ReferenceServer } from 'ws';
import { impls, record, types, httpServer, within } from './impls.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const cleanups = [];
after(async () => { for (const c of cleanups) await c(); });

/** An http server whose upgrade requests are recorded and then refused (the socket is destroyed). */
async function recorder() {
  const seen = [];
  const srv = await httpServer(null, (req, socket) => { seen.push(req); socket.destroy(); });
  cleanups.push(srv.close);
  return { port: srv.port, seen };
}

/** A raw server that completes the handshake and collects the bytes the client sends after it. */
async function captureServer() {
  const got = { bytes: Buffer.alloc(0) };
  const srv = net.createServer((socket) => {
    let head = '';
    let upgraded = false;
    socket.on('error', () => {});
    socket.on('data', (d) => {
      if (upgraded) { got.bytes = Buffer.concat([got.bytes, d]); return; }
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      upgraded = true;
      const key = /sec-websocket-key: *(\S+)/i.exec(head)[1];
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    });
  });
  const sockets = new Set();
  srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }));
  return { port: srv.address().port, got };
}

async function waitFor(cond, what) {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

for (const { name, WebSocket } of impls) {
  describe(`client options [${name}]`, () => {
    test('ws+unix:/path.sock:/request/path connects over a Unix socket with that request path', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ws-parity-'));
      const sock = join(dir, 's.sock');
      const server = http.createServer();
      const wss = new ReferenceServer({ server });
      const urls = [];
      wss.on('connection', (ws, req) => { urls.push(req.url); ws.on('message', (m) => ws.send(m)); });
      await new Promise((r) => server.listen(sock, r));
      try {
        const ws = new WebSocket(`ws+unix:${sock}:/request/path?q=1`);
        assert.equal(ws.url, `ws+unix:${sock}:/request/path?q=1`);
        const log = record(ws);
        const echoed = new Promise((resolve) => ws.on('message', (m) => resolve(m.toString())));
        ws.on('open', () => ws.send('over ipc'));
        assert.equal(await within(echoed, 'echo'), 'over ipc');
        ws.close();
        await log.done();
        assert.deepEqual(urls, ['/request/path?q=1']);
        const bare = record(new WebSocket(`ws+unix:${sock}`));
        await within(new Promise((r) => bare.events.length > 0 ? r() : setTimeout(r, 0)));
        await waitFor(() => urls.length === 2, 'a second connection');
        assert.equal(urls[1], '/');
      } finally {
        for (const c of wss.clients) c.terminate();
        await new Promise((r) => { wss.close(); server.close(() => r()); });
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a ws+unix: URL without a path throws "The URL\'s pathname is empty"', () => {
      assert.throws(() => new WebSocket('ws+unix:'), { name: 'SyntaxError', message: "The URL's pathname is empty" });
    });

    test('protocolVersion 13 (default) sends Origin; 8 sends Sec-WebSocket-Origin', async () => {
      const r = await recorder();
      for (const extra of [{}, { protocolVersion: 13 }, { protocolVersion: 8 }]) {
        const log = record(new WebSocket(`ws://127.0.0.1:${r.port}/`, { ...extra, origin: 'https://example.test' }));
        await log.done();
      }
      const [d, v13, v8] = r.seen.map((req) => req.headers);
      assert.equal(d['sec-websocket-version'], '13');
      assert.equal(d.origin, 'https://example.test');
      assert.equal(v13['sec-websocket-version'], '13');
      assert.equal(v8['sec-websocket-version'], '8');
      assert.equal(v8['sec-websocket-origin'], 'https://example.test');
      assert.equal(v8.origin, undefined);
    });

    test('another protocolVersion throws a RangeError', () => {
      for (const v of [7, 9, 14, '13']) {
        assert.throws(() => new WebSocket('ws://127.0.0.1:1/', { protocolVersion: v }), { name: 'RangeError', message: `Unsupported protocol version: ${v} (supported versions: 8, 13)` });
      }
    });

    test('createConnection is called with the request options (host, port) and opens the transport', async () => {
      const wss = new ReferenceServer({ port: 0, host: '127.0.0.1' });
      await new Promise((r) => wss.on('listening', r));
      const port = wss.address().port;
      const calls = [];
      try {
        const ws = new WebSocket(`ws://localhost:${port}/p`, {
          createConnection(options, cb) {
            calls.push({ host: options.host, port: String(options.port), cbType: typeof cb });
            return net.createConnection({ host: '127.0.0.1', port });
          },
        });
        const log = record(ws);
        ws.on('open', () => ws.close());
        await log.done();
        assert.deepEqual(types(log), ['upgrade', 'open', 'close']);
        assert.deepEqual(calls, [{ host: 'localhost', port: String(port), cbType: 'function' }]);
      } finally {
        await new Promise((r) => wss.close(r));
      }
    });

    test('generateMask fills the 4-byte mask key of each frame', async () => {
      const srv = await captureServer();
      const seen = [];
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, {
        generateMask(mask) {
          seen.push(Buffer.isBuffer(mask) ? mask.length : -1);
          mask[0] = 1; mask[1] = 2; mask[2] = 3; mask[3] = 4;
        },
      });
      await within(new Promise((r) => ws.on('open', r)), 'open');
      ws.send('hello');
      ws.send(Buffer.alloc(300, 7));
      await waitFor(() => srv.got.bytes.length >= 7 + 4 + 300, 'the frames');
      const b = srv.got.bytes;
      assert.equal(b[0], 0x81);
      assert.equal(b[1], 0x80 | 5);
      assert.deepEqual([...b.subarray(2, 6)], [1, 2, 3, 4]);
      const payload = Buffer.from(b.subarray(6, 11)).map((x, i) => x ^ [1, 2, 3, 4][i % 4]);
      assert.equal(Buffer.from(payload).toString(), 'hello');
      assert.equal(b[11], 0x82);
      assert.equal(b[12], 0x80 | 126);
      assert.deepEqual([...b.subarray(15, 19)], [1, 2, 3, 4]);
      assert.equal(b[19], 7 ^ 1);
      assert.deepEqual(seen.slice(0, 2), [4, 4]);
      ws.terminate();
    });

    test('a generateMask that leaves the buffer zeroed sends the payload unmasked (mask bit still set)', async () => {
      const srv = await captureServer();
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, { generateMask() {} });
      await within(new Promise((r) => ws.on('open', r)), 'open');
      ws.send('plain');
      await waitFor(() => srv.got.bytes.length >= 11, 'the frame');
      const b = srv.got.bytes;
      assert.equal(b[1], 0x80 | 5);
      assert.deepEqual([...b.subarray(2, 6)], [0, 0, 0, 0]);
      assert.equal(b.subarray(6, 11).toString(), 'plain');
      ws.terminate();
    });

    test('finishRequest(request, websocket) replaces request.end()', async () => {
      const r = await recorder();
      let args = null;
      let given = null;
      const ws = new WebSocket(`ws://127.0.0.1:${r.port}/`, {
        finishRequest(req, websocket) {
          given = websocket;
          args = { isRequest: typeof req.setHeader === 'function', sent: req.headersSent };
          req.setHeader('X-Late', 'yes');
          req.end();
        },
      });
      assert.equal(args.isRequest, true);
      assert.equal(args.sent, false);
      const log = record(ws);
      await log.done();
      assert.equal(given, ws);
      assert.equal(r.seen[0].headers['x-late'], 'yes');
    });

    test('URLs: invalid, unsupported scheme, fragment -> SyntaxError with ws\'s messages; http(s) become ws(s); URL objects', () => {
      assert.throws(() => new WebSocket('not a url'), { name: 'SyntaxError', message: 'Invalid URL: not a url' });
      assert.throws(() => new WebSocket('ftp://127.0.0.1/'), { name: 'SyntaxError', message: 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"' });
      assert.throws(() => new WebSocket('ws://127.0.0.1/#frag'), { name: 'SyntaxError', message: 'The URL contains a fragment identifier' });
      const a = new WebSocket('http://127.0.0.1:1/x');
      a.on('error', () => {});
      assert.equal(a.url, 'ws://127.0.0.1:1/x');
      const u = new URL('https://127.0.0.1:1/y');
      const b = new WebSocket(u);
      b.on('error', () => {});
      assert.equal(b.url, 'wss://127.0.0.1:1/y');
      assert.equal(u.protocol, 'https:', "the caller's URL object is not changed");
      a.terminate();
      b.terminate();
    });

    test('options may be the second argument; options.protocols is used when protocols are not given', async () => {
      const r = await recorder();
      const log = record(new WebSocket(`ws://127.0.0.1:${r.port}/`, { protocols: ['x', 'y'], headers: { 'X-A': '1' } }));
      await log.done();
      assert.equal(r.seen[0].headers['sec-websocket-protocol'], 'x,y');
      assert.equal(r.seen[0].headers['x-a'], '1');
    });
  });
}
