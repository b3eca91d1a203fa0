// Limits on an open connection: message size, time to authenticate,
// authentication attempts, inbound message rate (token bucket), messages in
// flight, and the idle timeout. Each one gets its precise answer, and the
// well-behaved client next to the offender never notices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, PROTOCOL_V1 } from '../../dist/esm/index.js';
import { startServer, simpleAuth, login, legacyLogin, TestClient, closeAll } from './helpers.mjs';
import { within, until, sleep } from '../helpers/wait.mjs';

/** A client whose rate-limit bucket never refills within a test (1 token per ~17 minutes). */
const FROZEN = { messagesPerSecond: 0.001, burst: 5 };

test('maxPayload: a bigger message closes that connection with 1009', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('size', (body) => body.length);
  }, { maxPayload: 4096 });
  const big = await login(ctx.url, { name: 'big' });
  const other = await login(ctx.url, { name: 'other' });
  assert.equal(await big.ok('request', { name: 'size', data: 'x'.repeat(3000) }), 3000);
  big.sendRaw(JSON.stringify({ type: 'request', id: 'x', name: 'size', data: 'x'.repeat(5000) }));
  assert.equal((await within(big.closed, '1009')).code, 1009);
  assert.equal(await other.ok('request', { name: 'size', data: 'abc' }), 3);
  await closeAll(ctx, [other]);
});

test('authTimeout: a connection that does not authenticate in time is closed with 1008 and counted', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { authTimeout: 100 });
  const lurker = await TestClient.connect(ctx.url);
  const member = await login(ctx.url, { name: 'member' });
  const closed = await within(lurker.closed, 'the auth timeout');
  assert.deepEqual(closed, { code: 1008, reason: 'Authentication timeout' });
  assert.equal(ctx.server.stats.authTimeouts, 1);
  await sleep(150); // past the deadline the member would have had
  assert.equal(member.ws.readyState, WebSocket.OPEN);
  await closeAll(ctx, [member]);
});

test('maxAuthAttempts: refused authentications past the limit close with 1008', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { maxAuthAttempts: 3 });
  const c = await TestClient.connect(ctx.url);
  for (let i = 0; i < 3; i++) assert.equal((await c.auth({ name: 'x', password: 'wrong' })).error.code, 'auth_failed');
  assert.deepEqual(await within(c.closed, '1008'), { code: 1008, reason: 'Too many authentication attempts' });
  assert.equal(ctx.server.sessionCount, 0);
  await ctx.server.close();
});

test('rate limit: past the burst each message is answered rate_limited with its id, and a client that keeps on gets 1008', async () => {
  const handled = [];
  const events = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('work', (n) => handled.push(n) && n);
    s.on('rateLimit', (session, action) => events.push([session?.alias ?? null, action]));
  }, { rateLimit: FROZEN });
  const flood = await login(ctx.url, { name: 'flood' }); // the auth message took one token
  const calm = await login(ctx.url, { name: 'calm' });
  for (let i = 1; i <= 20; i++) flood.sendRaw(JSON.stringify({ type: 'request', id: i, name: 'work', data: i }));
  const closed = await within(flood.closed, '1008');
  assert.deepEqual(closed, { code: 1008, reason: 'Rate limit exceeded' });
  // 4 tokens left after auth, then a debt of 5 is tolerated, the 10th message closes.
  // (Answers of the 4 accepted requests that were still running when the
  // 1008 went out are lost with the connection: nothing may follow a close frame.)
  const limited = flood.inbox.filter((m) => m.type === 'error');
  assert.deepEqual(limited.map((m) => m.id), [5, 6, 7, 8, 9]);
  assert.ok(limited.every((m) => m.error.code === 'rate_limited'));
  assert.deepEqual(handled, [1, 2, 3, 4], 'refused messages are not processed');
  assert.equal(ctx.server.stats.rateLimited, 5);
  assert.equal(ctx.server.stats.closedForRate, 1);
  assert.deepEqual(events.at(-1), ['flood', 'close']);
  assert.equal(events.filter(([, a]) => a === 'reject').length, 5);
  assert.equal(await calm.ok('request', { name: 'work', data: 7 }), 7, 'the neighbour is served');
  await closeAll(ctx, [calm]);
});

test('rate limit: tokens come back over time, so a client that slows down is served again', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('work', () => 'done');
  }, { rateLimit: { messagesPerSecond: 50, burst: 3 } });
  const c = await login(ctx.url, { name: 'c' });
  for (let i = 0; i < 4; i++) c.sendRaw(JSON.stringify({ type: 'request', id: `b${i}`, name: 'work' }));
  const last = await c.next((m) => m.id === 'b3', 'the last of the burst');
  assert.equal(last.error.code, 'rate_limited');
  await sleep(200); // 50/s for 200 ms pays the debt and refills the bucket
  assert.equal(await c.ok('request', { name: 'work' }), 'done');
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  await closeAll(ctx, [c]);
});

test('rate limit: legacy clients get an error envelope; pings count too', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('work', () => 'done');
  }, { rateLimit: FROZEN });
  const old = await legacyLogin(ctx.url, { name: 'old' });
  const replies = [];
  for (let i = 0; i < 5; i++) replies.push(old.call('call', 'work', i));
  const answers = await Promise.all(replies);
  assert.deepEqual(answers.map((a) => a.error), [false, false, false, false, 'too many messages; slow down']);
  // A ping flood: each ping would queue a pong, so pings take tokens as well.
  const pinger = await login(ctx.url, { name: 'pinger' });
  for (let i = 0; i < 20; i++) pinger.ws.ping();
  assert.deepEqual(await within(pinger.closed, '1008'), { code: 1008, reason: 'Rate limit exceeded' });
  await closeAll(ctx, [old]);
});

test('maxInflight: messages past the limit of unanswered ones are refused rate_limited; the rest are answered', async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('slow', async (n) => {
      await gate;
      return n;
    });
  }, { maxInflight: 2 });
  const c = await login(ctx.url, { name: 'c' });
  const first = [c.send('request', { name: 'slow', data: 1 }), c.send('request', { name: 'slow', data: 2 })];
  const third = await c.send('request', { name: 'slow', data: 3 });
  assert.equal(third.error.code, 'rate_limited');
  assert.match(third.error.message, /in progress/);
  release();
  assert.deepEqual((await Promise.all(first)).map((a) => a.data), [1, 2]);
  assert.equal(await c.ok('request', { name: 'slow', data: 4 }), 4, 'room again once answered');
  await closeAll(ctx, [c]);
});

test('idleTimeout: a connection without messages is closed with 1001; a chatty one stays', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('tick', () => true);
  }, { idleTimeout: 80 });
  const idle = await login(ctx.url, { name: 'idle' });
  const busy = await login(ctx.url, { name: 'busy' });
  let ticking = true;
  const ticker = (async () => {
    for (let i = 0; i < 200 && ticking; i++) {
      await busy.ok('request', { name: 'tick' });
      await sleep(15);
    }
  })();
  assert.deepEqual(await within(idle.closed, '1001'), { code: 1001, reason: 'Idle timeout' });
  await sleep(200);
  ticking = false;
  await ticker;
  assert.equal(busy.ws.readyState, WebSocket.OPEN);
  assert.equal(ctx.server.stats.idleTimeouts, 1);
  await closeAll(ctx, [busy]);
});

test('pings are not an authentication: the deadline holds for a peer that only pings', async () => {
  // Liveness and authentication are separate: a peer busy with pings is alive, not authenticated.
  const ctx = await startServer((s) => simpleAuth(s), { authTimeout: 100 });
  const c = new TestClient(new WebSocket(ctx.url, [PROTOCOL_V1]));
  await within(new Promise((r) => c.ws.once('open', r)), 'open');
  const timer = setInterval(() => c.ws.readyState === WebSocket.OPEN && c.ws.ping(), 20);
  try {
    assert.equal((await within(c.closed, '1008')).code, 1008);
  } finally {
    clearInterval(timer);
  }
  await until(() => ctx.server.stats.connections === 0, 'cleanup');
  await ctx.server.close();
});
