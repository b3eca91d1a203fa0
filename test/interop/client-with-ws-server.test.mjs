// Our client with the `ws` package's server, over ws:// and wss://
// (CONFORMANCE_TARGET=ws: ws with ws).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocket, targetName } from '../helpers/target.mjs';
import { openPair, echo, WAIT } from '../helpers/pairs.mjs';
import { record, bytesOf } from '../helpers/client-log.mjs';
import { closeServer } from '../helpers/servers.mjs';
import { makeSelfSignedCert } from '../helpers/tls-cert.mjs';
import { defineInteropTests } from './scenarios.mjs';
import { within } from '../helpers/wait.mjs';

describe(`${targetName} client <-> ws server`, () => {
  defineInteropTests(WsServer, WebSocket);

  test('URL path, query and custom headers reach the server', { timeout: 10000 }, async () => {
    const p = await openPair(WsServer, WebSocket, {
      path: '/room/42?user=ana&x=%20y', clientOptions: { headers: { 'X-Custom': 'abc' } },
    });
    try {
      assert.equal(p.req.url, '/room/42?user=ana&x=%20y');
      assert.equal(p.req.headers['x-custom'], 'abc');
      assert.equal(p.req.headers['sec-websocket-version'], '13');
      assert.equal(p.client.url, `ws://127.0.0.1:${p.port}/room/42?user=ana&x=%20y`);
    } finally { await p.cleanup(); }
  });

  test('readyState goes CONNECTING -> OPEN -> CLOSING -> CLOSED', { timeout: 10000 }, async () => {
    const wss = new WsServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.on('listening', resolve));
    try {
      const c = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
      const states = [c.readyState];
      const log = record(c);
      c.on('open', () => {
        states.push(c.readyState);
        c.close(1000);
        states.push(c.readyState);
      });
      c.on('close', () => states.push(c.readyState));
      await log.waitFor(() => log.closeEvent !== null, WAIT);
      assert.deepEqual(states, [0, 1, 2, 3]);
      assert.deepEqual([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED], [0, 1, 2, 3]);
    } finally { await closeServer(wss); }
  });

  test('connection refused: error, then close 1006, never open', { timeout: 10000 }, async () => {
    // A port that was just free: bind, read the number, release.
    const probe = net.createServer();
    await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    await new Promise((resolve) => probe.close(resolve));
    const c = new WebSocket(`ws://127.0.0.1:${port}/`);
    const log = record(c);
    await log.waitFor(() => log.closeEvent !== null, WAIT);
    assert.equal(log.opened, false);
    assert.ok(log.errors.length >= 1, "no 'error' event");
    assert.equal(log.closeEvent?.code, 1006);
    assert.equal(c.readyState, 3);
  });

  test('server rejects the upgrade (401): error, never open', { timeout: 10000 }, async () => {
    const wss = new WsServer({ host: '127.0.0.1', port: 0, verifyClient: () => false });
    await new Promise((resolve) => wss.on('listening', resolve));
    try {
      const c = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
      const log = record(c);
      await log.waitFor(() => log.closeEvent !== null, WAIT);
      assert.equal(log.opened, false);
      assert.ok(log.errors.length >= 1);
      assert.match(log.errors[0].message, /401/);
    } finally { await closeServer(wss); }
  });

  test('client maxPayload: an oversized message from the server closes with 1009', { timeout: 10000 }, async () => {
    const p = await openPair(WsServer, WebSocket, { clientOptions: { maxPayload: 100 } });
    try {
      p.server.send(Buffer.alloc(100, 7));
      p.server.send(Buffer.alloc(101, 8));
      await p.slog.waitFor(() => p.slog.closeEvent !== null, WAIT);
      assert.equal(p.clog.messages.length, 1);
      assert.equal(p.slog.closeEvent?.code, 1009);
    } finally { await p.cleanup(); }
  });

  test('close() while CONNECTING: error, close 1006, never open', { timeout: 10000 }, async () => {
    const wss = new WsServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.on('listening', resolve));
    try {
      const c = new WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
      const log = record(c);
      c.close();
      await log.waitFor(() => log.closeEvent !== null, WAIT);
      assert.equal(log.opened, false);
      assert.equal(log.errors.length, 1);
      assert.equal(log.closeEvent?.code, 1006);
    } finally { await closeServer(wss); }
  });

  test('handshakeTimeout: a server that never answers fails the client with 1006', { timeout: 10000 }, async () => {
    const silent = net.createServer(() => {});
    const sockets = new Set();
    silent.on('connection', (sock) => sockets.add(sock));
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const c = new WebSocket(`ws://127.0.0.1:${silent.address().port}/`, { handshakeTimeout: 200 });
      const log = record(c);
      await log.waitFor(() => log.closeEvent !== null, WAIT);
      assert.equal(log.opened, false);
      assert.ok(log.errors.length >= 1);
      assert.equal(log.closeEvent?.code, 1006);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('constructor: bad scheme and duplicate subprotocols throw SyntaxError; http:// is taken as ws://', { timeout: 10000 }, async () => {
    assert.throws(() => new WebSocket('ftp://127.0.0.1/'), SyntaxError);
    assert.throws(() => new WebSocket('ws://127.0.0.1:1/', ['a', 'a']), SyntaxError);
    assert.throws(() => new WebSocket('ws://127.0.0.1:1/', ['bad protocol']), SyntaxError);
    const wss = new WsServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.on('listening', resolve));
    try {
      const c = new WebSocket(`http://127.0.0.1:${wss.address().port}/`);
      const log = record(c);
      assert.equal(c.url, `ws://127.0.0.1:${wss.address().port}/`);
      await log.waitFor(() => log.opened || log.closeEvent, WAIT);
      assert.ok(log.opened);
      c.terminate();
    } finally { await closeServer(wss); }
  });

  describe('wss:// with a self-signed certificate', () => {
    let tlsCert;
    before(() => { tlsCert = makeSelfSignedCert(); });

    async function tlsPair(clientOptions) {
      const srv = https.createServer({ key: tlsCert.key, cert: tlsCert.cert });
      await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
      const wss = new WsServer({ server: srv });
      const serverLogs = [];
      wss.on('connection', (ws, req) => { serverLogs.push({ log: record(ws), req }); echo(ws); });
      const client = new WebSocket(`wss://127.0.0.1:${srv.address().port}/secure`, clientOptions);
      const clog = record(client);
      const cleanup = async () => {
        try { client.terminate(); } catch { /* gone */ }
        await closeServer(wss);
        srv.closeAllConnections?.();
        await within(new Promise((resolve) => srv.close(resolve)), 'https server close', WAIT);
      };
      return { srv, wss, client, clog, serverLogs, cleanup };
    }

    test('connects with the certificate as ca, echoes text and binary, closes cleanly', { timeout: 15000 }, async () => {
      const p = await tlsPair({ ca: tlsCert.cert });
      try {
        await p.clog.waitFor(() => p.clog.opened || p.clog.closeEvent, WAIT);
        assert.ok(p.clog.opened, `client did not open: ${p.clog.errors.map((e) => e.message).join('; ')}`);
        assert.equal(p.serverLogs[0].req.socket.encrypted, true, 'server side is not TLS');
        assert.equal(p.serverLogs[0].req.url, '/secure');
        const big = Buffer.alloc(200000, 0x5a);
        p.client.send('over tls \u{1f512}');
        p.client.send(big);
        await p.clog.waitFor(() => p.clog.messages.length >= 2 || p.clog.closeEvent, WAIT);
        assert.equal(bytesOf(p.clog.messages[0]?.data ?? '').toString(), 'over tls \u{1f512}');
        assert.equal(p.clog.messages[0].isBinary, false);
        assert.ok(bytesOf(p.clog.messages[1]?.data ?? '').equals(big));
        assert.equal(p.clog.messages[1].isBinary, true);
        p.client.close(4003, 'tls bye');
        const slog = p.serverLogs[0].log;
        await p.clog.waitFor(() => p.clog.closeEvent && slog.closeEvent, WAIT);
        assert.equal(slog.closeEvent?.code, 4003);
        assert.equal(bytesOf(slog.closeEvent.reason).toString(), 'tls bye');
        assert.equal(p.clog.closeEvent?.code, 4003);
      } finally { await p.cleanup(); }
    });

    test('an untrusted certificate is refused by default: error, never open', { timeout: 15000 }, async () => {
      const p = await tlsPair(undefined);
      try {
        await p.clog.waitFor(() => p.clog.closeEvent !== null, WAIT);
        assert.equal(p.clog.opened, false);
        assert.ok(p.clog.errors.length >= 1, "no 'error' event");
        assert.equal(p.serverLogs.length, 0);
      } finally { await p.cleanup(); }
    });

    test('rejectUnauthorized: false accepts the self-signed certificate', { timeout: 15000 }, async () => {
      const p = await tlsPair({ rejectUnauthorized: false });
      try {
        await p.clog.waitFor(() => p.clog.opened || p.clog.closeEvent, WAIT);
        assert.ok(p.clog.opened, `client did not open: ${p.clog.errors.map((e) => e.message).join('; ')}`);
        p.client.send('hi');
        await p.clog.waitFor(() => p.clog.messages.length >= 1 || p.clog.closeEvent, WAIT);
        assert.equal(bytesOf(p.clog.messages[0]?.data ?? '').toString(), 'hi');
      } finally { await p.cleanup(); }
    });
  });
});
