// Limits that act before a connection exists: handshake time and header
// size (standalone server), maxConnections (503) and the Origin allow-list
// (403). Also: every limit has its documented default, and a bad option
// value fails at construction instead of silently disabling a protection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeServer, SERVER_DEFAULTS, WebSocket, PROTOCOL_V1 } from '../../dist/esm/index.js';
import { startServer, simpleAuth, login, TestClient, rawPeer, upgradeRequest } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

test('the defaults are the documented ones', () => {
  assert.equal(SERVER_DEFAULTS.maxPayload, 1024 * 1024);
  assert.equal(SERVER_DEFAULTS.authTimeout, 10_000);
  assert.equal(SERVER_DEFAULTS.maxAuthAttempts, 5);
  assert.equal(SERVER_DEFAULTS.heartbeatInterval, 30_000);
  assert.equal(SERVER_DEFAULTS.idleTimeout, 0);
  assert.equal(SERVER_DEFAULTS.handshakeTimeout, 10_000);
  assert.equal(SERVER_DEFAULTS.maxHeaderSize, 16 * 1024);
  assert.equal(SERVER_DEFAULTS.maxConnections, 10_000);
  assert.equal(SERVER_DEFAULTS.allowedOrigins, null);
  assert.deepEqual(SERVER_DEFAULTS.rateLimit, { messagesPerSecond: 100, burst: 200 });
  assert.equal(SERVER_DEFAULTS.maxInflight, 100);
  assert.deepEqual(SERVER_DEFAULTS.backpressure, { limit: 1024 * 1024, policy: 'close', closeCode: 1013 });
});

test('bad limit values throw at construction', () => {
  const bad = [
    [{ maxPayload: -1 }, RangeError],
    [{ maxPayload: 0 }, RangeError],
    [{ authTimeout: Number.NaN }, RangeError],
    [{ maxConnections: Infinity }, RangeError],
    [{ maxInflight: '5' }, RangeError],
    [{ rateLimit: { messagesPerSecond: 0 } }, RangeError],
    [{ rateLimit: { burst: 0.5 } }, RangeError],
    [{ backpressure: { policy: 'ignore' } }, RangeError],
    [{ backpressure: { closeCode: 1000 } }, RangeError],
    [{ backpressure: { limit: -5 } }, RangeError],
    [{ allowedOrigins: 'https://a.example' }, TypeError],
  ];
  for (const [options, type] of bad) {
    assert.throws(() => new WebSocketNodeServer({ ...options }), type, JSON.stringify(options));
  }
  // Partial nested options keep the other defaults; false turns a limit off.
  assert.doesNotThrow(() => new WebSocketNodeServer({ rateLimit: { burst: 10 }, backpressure: { policy: 'drop' } }));
  assert.doesNotThrow(() => new WebSocketNodeServer({ rateLimit: false, backpressure: false, maxConnections: 0 }));
});

test('handshakeTimeout: a half-sent upgrade request is dropped; complete ones still connect', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { handshakeTimeout: 200 });
  const slow = rawPeer(ctx.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
  await within(slow.closed, 'the slow request to be dropped');
  // Node answers 408 when it can, or just closes: either way the socket is gone.
  assert.ok([408, null].includes(slow.status()), `got ${slow.status()}`);
  assert.equal(ctx.server.stats.connections, 0);
  const good = await login(ctx.url, { name: 'ok' });
  assert.equal(ctx.server.sessionCount, 1);
  await good.close();
  await ctx.server.close();
});

test('maxHeaderSize: an oversized upgrade request head gets 431', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { maxHeaderSize: 4096 });
  const big = rawPeer(ctx.port, upgradeRequest(`X-Big: ${'a'.repeat(8000)}\r\n`));
  await within(big.closed, 'the oversized request to be refused');
  assert.equal(big.status(), 431);
  const fits = rawPeer(ctx.port, upgradeRequest(`X-Small: ${'a'.repeat(1000)}\r\n`));
  await until(() => fits.status() !== null, '101');
  assert.equal(fits.status(), 101);
  fits.socket.destroy();
  await ctx.server.close();
});

test('maxConnections: further upgrades get 503 with Retry-After, upgrades waiting for onUpgrade count, room frees up', async () => {
  let hold = null;
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onUpgrade((req, allow) => {
      if (req.url === '/held') hold = allow; // decided later
      else allow();
    });
  }, { maxConnections: 3 });
  const a = await login(ctx.url, { name: 'a' });
  const b = await login(ctx.url, { name: 'b' });
  // The third slot is taken by an upgrade the hook has not decided yet.
  const held = rawPeer(ctx.port, upgradeRequest('', '/held'));
  await until(() => hold !== null, 'the held upgrade');
  const refused = rawPeer(ctx.port, upgradeRequest());
  await within(refused.closed, '503');
  assert.equal(refused.status(), 503);
  assert.match(refused.data.toString('latin1'), /Retry-After: 5/);
  assert.equal(ctx.server.stats.refusedOverCapacity, 1);
  hold();
  await until(() => held.status() !== null, 'the held upgrade to complete');
  assert.equal(held.status(), 101);
  held.socket.destroy();
  await a.close();
  await until(() => ctx.server.stats.connections === 1, 'room to free up');
  const c = await login(ctx.url, { name: 'c' });
  assert.equal(ctx.server.sessionCount, 2);
  await Promise.all([b.close(), c.close()]);
  await ctx.server.close();
});

test('allowedOrigins: other browser origins get 403 before onUpgrade runs; listed and absent origins pass', async () => {
  const seen = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onUpgrade((req, allow) => {
      seen.push(req.headers.origin ?? 'none');
      allow();
    });
  }, { allowedOrigins: ['https://app.example'] });
  const evil = rawPeer(ctx.port, upgradeRequest('Origin: https://evil.example\r\n'));
  await within(evil.closed, '403');
  assert.equal(evil.status(), 403);
  const good = new TestClient(new WebSocket(ctx.url, [PROTOCOL_V1], { origin: 'https://app.example' }));
  await within(new Promise((r) => good.ws.once('open', r)), 'listed origin');
  assert.equal((await good.auth({ name: 'good' })).type, 'reply');
  const cli = await login(ctx.url, { name: 'cli' }); // no Origin header: not a browser
  assert.deepEqual(seen, ['https://app.example', 'none']);
  assert.equal(ctx.server.stats.refusedOrigin, 1);
  assert.equal(ctx.server.sessionCount, 2);
  await Promise.all([good.close(), cli.close()]);
  await ctx.server.close();
});

test('a closing server answers upgrades 503 with Retry-After, including those waiting for onUpgrade', async () => {
  let decide = null;
  const ctx = await startServer((s) => s.onUpgrade((req, allow) => (decide = allow)));
  const waiting = rawPeer(ctx.port, upgradeRequest());
  await until(() => decide !== null, 'the hook');
  const closing = ctx.server.close();
  await within(waiting.closed, 'the waiting upgrade to be refused');
  assert.equal(waiting.status(), 503);
  decide(); // too late: ignored
  await closing;
  assert.equal(ctx.server.stats.connections, 0);
});
