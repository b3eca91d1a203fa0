// Redirects in the opening handshake: followRedirects (default false),
// maxRedirects (default 10), the 'redirect' event, and credentials that do
// not follow a redirect to another host (unless a 'redirect' listener is
// there to decide).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import https from 'node:https';
import { WebSocketServer as ReferenceServer } from 'ws';
import { makeSelfSignedCert } from '../helpers/tls-cert.mjs';
import { impls, record, types, httpServer } from './impls.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups) await c(); });

/** A WebSocket endpoint (ws's server: the reference) that records each upgrade request's headers. */
async function endpoint() {
  const wss = new ReferenceServer({ noServer: true });
  const seen = [];
  const srv = await httpServer(null, (req, socket, head) => {
    seen.push({ url: req.url, headers: req.headers });
    wss.handleUpgrade(req, socket, head, (ws) => ws.close());
  });
  cleanups.push(srv.close);
  return { port: srv.port, seen };
}

/** An http server that answers every request with `status` and Location `to(req)`, counting the requests. */
async function redirector(status, to) {
  const seen = [];
  const srv = await httpServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.writeHead(status, { Location: to(req) });
    res.end();
  });
  cleanups.push(srv.close);
  return { port: srv.port, seen };
}

/**
 * A TLS server that redirects to ws:// on the same host and port, and a plain
 * server that records the upgrade's headers and completes it. The client's
 * createConnection sends wss: attempts (default port 443) to the first and
 * ws: attempts to the second, so both URLs name the same host and port.
 */
let cert = null;
async function downgrade() {
  cert ??= makeSelfSignedCert();
  const wss = new ReferenceServer({ noServer: true });
  const seen = { secure: [], plain: [] };
  const plain = await httpServer(null, (req, socket, head) => {
    seen.plain.push(req.headers);
    wss.handleUpgrade(req, socket, head, (ws) => ws.close());
  });
  cleanups.push(plain.close);
  const secure = https.createServer({ key: cert.key, cert: cert.cert });
  secure.on('upgrade', (req, socket) => {
    seen.secure.push(req.headers);
    socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${plain.port}/plain\r\nContent-Length: 0\r\n\r\n`);
  });
  await new Promise((r) => secure.listen(0, '127.0.0.1', r));
  const securePort = secure.address().port;
  cleanups.push(() => new Promise((r) => { secure.closeAllConnections(); secure.close(() => r()); }));
  const createConnection = (options) => options.defaultPort === 443
    ? tls.connect({ host: '127.0.0.1', port: securePort, rejectUnauthorized: false })
    : net.connect({ host: '127.0.0.1', port: plain.port });
  return { port: plain.port, seen, createConnection };
}

const credentials = { headers: { Authorization: 'Bearer secret', Cookie: 'sid=1', Host: 'example.test' } };

for (const { name, WebSocket } of impls) {
  describe(`redirects [${name}]`, () => {
    test('followRedirects is off by default: a 302 is "Unexpected server response: 302"', async () => {
      const target = await endpoint();
      const r = await redirector(302, () => `ws://127.0.0.1:${target.port}/`);
      const log = record(new WebSocket(`ws://127.0.0.1:${r.port}/`));
      await log.done();
      assert.deepEqual(types(log), ['error', 'close']);
      assert.equal(log.errors[0].message, 'Unexpected server response: 302');
      assert.equal(log.close.code, 1006);
      assert.equal(target.seen.length, 0);
    });

    for (const status of [301, 302, 307]) {
      test(`followRedirects: a ${status} is followed; 'redirect' (url, request) precedes the new request; url is the final one`, async () => {
        const target = await endpoint();
        const r = await redirector(status, () => `ws://127.0.0.1:${target.port}/final?x=1`);
        const ws = new WebSocket(`ws://127.0.0.1:${r.port}/start`, { followRedirects: true });
        const redirects = [];
        ws.on('redirect', (url, req) => redirects.push({ url, req, readyState: ws.readyState, sent: req.headersSent }));
        const log = record(ws);
        await log.done();
        assert.deepEqual(types(log), ['upgrade', 'open', 'close']);
        assert.equal(redirects.length, 1);
        assert.equal(redirects[0].url, `ws://127.0.0.1:${target.port}/final?x=1`);
        assert.equal(typeof redirects[0].req.setHeader, 'function');
        assert.equal(redirects[0].sent, false, 'the listener can still change the request');
        assert.equal(redirects[0].readyState, 0);
        assert.equal(ws.url, `ws://127.0.0.1:${target.port}/final?x=1`);
        assert.equal(target.seen[0].url, '/final?x=1');
      });
    }

    test('a relative Location is resolved against the current URL', async () => {
      const r = await redirector(302, () => '/next');
      const ws = new WebSocket(`ws://127.0.0.1:${r.port}/a/b`, { followRedirects: true, maxRedirects: 1 });
      const urls = [];
      ws.on('redirect', (url) => urls.push(url));
      const log = record(ws);
      await log.done();
      assert.deepEqual(urls, [`ws://127.0.0.1:${r.port}/next`]);
      assert.deepEqual(r.seen.map((s) => s.url), ['/a/b', '/next']);
      assert.equal(log.errors[0].message, 'Maximum redirects exceeded');
    });

    test('more than maxRedirects: "Maximum redirects exceeded", then close 1006', async () => {
      let r;
      r = await redirector(302, () => `ws://127.0.0.1:${r.port}/again`);
      const ws = new WebSocket(`ws://127.0.0.1:${r.port}/`, { followRedirects: true, maxRedirects: 2 });
      let redirects = 0;
      ws.on('redirect', () => redirects++);
      const log = record(ws);
      await log.done();
      assert.equal(redirects, 2);
      assert.equal(r.seen.length, 3);
      assert.deepEqual(types(log), ['error', 'close']);
      assert.equal(log.errors[0].message, 'Maximum redirects exceeded');
      assert.equal(log.events.find((e) => e.type === 'error').readyState, 2);
      assert.equal(log.close.code, 1006);
    });

    test('maxRedirects defaults to 10', async () => {
      let r;
      r = await redirector(302, () => `ws://127.0.0.1:${r.port}/again`);
      const log = record(new WebSocket(`ws://127.0.0.1:${r.port}/`, { followRedirects: true }));
      await log.done();
      assert.equal(r.seen.length, 11);
      assert.equal(log.errors[0].message, 'Maximum redirects exceeded');
    });

    test('a redirect to an unsupported scheme fails with a SyntaxError (not thrown)', async () => {
      const r = await redirector(302, () => 'ftp://127.0.0.1/');
      const log = record(new WebSocket(`ws://127.0.0.1:${r.port}/`, { followRedirects: true }));
      await log.done();
      assert.ok(log.errors[0] instanceof SyntaxError);
      assert.equal(log.errors[0].message, 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"');
      assert.equal(log.close.code, 1006);
    });

    test('to another host (another port): Authorization, Cookie, Host and URL credentials are dropped', async () => {
      const target = await endpoint();
      const r = await redirector(302, () => `ws://127.0.0.1:${target.port}/`);
      const log = record(new WebSocket(`ws://user:pass@127.0.0.1:${r.port}/`, { followRedirects: true, ...credentials }));
      await log.done();
      assert.equal(r.seen[0].headers.authorization, 'Bearer secret', 'the first request carries them');
      assert.equal(r.seen[0].headers.cookie, 'sid=1');
      const h = target.seen[0].headers;
      assert.equal(h.authorization, undefined);
      assert.equal(h.cookie, undefined);
      assert.equal(h.host, `127.0.0.1:${target.port}`);
    });

    test('to another host name (localhost vs 127.0.0.1): URL credentials are dropped', async () => {
      const target = await endpoint();
      const r = await redirector(302, () => `ws://localhost:${target.port}/`);
      const log = record(new WebSocket(`ws://user:pass@127.0.0.1:${r.port}/`, { followRedirects: true }));
      await log.done();
      assert.equal(r.seen[0].headers.authorization, `Basic ${Buffer.from('user:pass').toString('base64')}`);
      assert.equal(target.seen[0].headers.authorization, undefined);
      assert.equal(target.seen[0].headers.host, `localhost:${target.port}`);
    });

    test('to the same host: Authorization and Cookie follow (URL credentials as an Authorization header)', async () => {
      const target = await endpoint();
      const wss = new ReferenceServer({ noServer: true });
      const seen = [];
      const srv = await httpServer(null, (req, socket, head) => {
        seen.push(req.headers);
        if (req.url === '/') socket.end('HTTP/1.1 302 Found\r\nLocation: /there\r\nContent-Length: 0\r\n\r\n');
        else wss.handleUpgrade(req, socket, head, (ws) => ws.close());
      });
      cleanups.push(srv.close);
      const log = record(new WebSocket(`ws://user:pass@127.0.0.1:${srv.port}/`, { followRedirects: true, headers: { Cookie: 'sid=1' } }));
      await log.done();
      assert.deepEqual(types(log), ['upgrade', 'open', 'close']);
      assert.equal(seen.length, 2);
      assert.equal(seen[1].authorization, `Basic ${Buffer.from('user:pass').toString('base64')}`);
      assert.equal(seen[1].cookie, 'sid=1');
      assert.equal(target.seen.length, 0);
    });

    test("with a 'redirect' listener nothing is dropped: the listener decides", async () => {
      const target = await endpoint();
      const r = await redirector(302, () => `ws://127.0.0.1:${target.port}/`);
      const ws = new WebSocket(`ws://127.0.0.1:${r.port}/`, { followRedirects: true, ...credentials });
      ws.on('redirect', (url, req) => req.removeHeader('cookie'));
      const log = record(ws);
      await log.done();
      const h = target.seen[0].headers;
      assert.equal(h.authorization, 'Bearer secret');
      assert.equal(h.cookie, undefined, 'removed by the listener');
      assert.equal(h.host, 'example.test');
    });

    test("the caller's headers object is not changed", async () => {
      const target = await endpoint();
      const r = await redirector(302, () => `ws://127.0.0.1:${target.port}/`);
      const headers = { Authorization: 'Bearer secret' };
      const log = record(new WebSocket(`ws://127.0.0.1:${r.port}/`, { followRedirects: true, headers }));
      await log.done();
      assert.deepEqual(headers, { Authorization: 'Bearer secret' });
    });

    test('from wss: to ws: on the same host: Authorization, Cookie and credentials are dropped, Host is kept', async () => {
      const srv = await downgrade();
      const ws = new WebSocket(`wss://user:pass@127.0.0.1:${srv.port}/`, {
        followRedirects: true,
        createConnection: srv.createConnection,
        headers: { Authorization: 'Bearer secret', Cookie: 'sid=1', Host: `127.0.0.1:${srv.port}` },
      });
      const log = record(ws);
      await log.done();
      assert.deepEqual(types(log), ['upgrade', 'open', 'close']);
      assert.equal(srv.seen.secure[0].authorization, 'Bearer secret');
      assert.equal(srv.seen.secure[0].cookie, 'sid=1');
      const h = srv.seen.plain[0];
      assert.equal(h.authorization, undefined);
      assert.equal(h.cookie, undefined);
      assert.equal(h.host, `127.0.0.1:${srv.port}`);
    });
  });
}
