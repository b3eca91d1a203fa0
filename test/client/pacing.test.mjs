// A healthy client never meets the server's limits: the server announces
// them when the session starts, and the client keeps within them, holding
// calls back instead of having them refused (rate_limited) or having the
// connection closed (1009). Only a client that ignores the limits is refused;
// test/reliability/limits-session.test.mjs shows that side with raw sockets.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeClient, MessageTooLargeError, RequestTimeoutError } from '../../dist/esm/client/index.js';
import { WebSocket, PROTOCOL_V1 } from '../../dist/esm/index.js';
import { startApp, cred } from './app-server.mjs';
import { until } from '../helpers/wait.mjs';

let cleanup = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function app(options = {}) {
  const a = await startApp({ options });
  cleanup.push(() => a.server.close());
  // The most requests the server ever worked on at once.
  a.busy = 0;
  a.peak = 0;
  a.server.onRequest('work', async (ms) => {
    a.busy++;
    a.peak = Math.max(a.peak, a.busy);
    await new Promise((r) => setTimeout(r, ms));
    a.busy--;
    return ms;
  });
  return a;
}

function client(url, options = {}) {
  const c = new WebSocketNodeClient(url, { reconnect: false, requestTimeout: 20_000, ...options });
  cleanup.push(() => c.close());
  return c;
}

test('the session start announces the limits a client must keep', async () => {
  const a = await app({ maxInflight: 7, rateLimit: { messagesPerSecond: 50, burst: 60 }, maxPayload: 4096 });
  const ws = new WebSocket(a.url, [PROTOCOL_V1]);
  cleanup.push(() => ws.terminate());
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const reply = new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
  ws.send(JSON.stringify({ type: 'auth', id: 1, credentials: cred('ana') }));
  const msg = await reply;
  assert.equal(msg.type, 'reply');
  assert.deepEqual(msg.data.limits, { maxInflight: 7, rate: { messagesPerSecond: 50, burst: 60 }, maxPayload: 4096 });

  const b = await app({ maxInflight: 0, rateLimit: false });
  const ws2 = new WebSocket(b.url, [PROTOCOL_V1]);
  cleanup.push(() => ws2.terminate());
  await new Promise((resolve, reject) => ws2.once('open', resolve).once('error', reject));
  const reply2 = new Promise((resolve) => ws2.once('message', (d) => resolve(JSON.parse(d.toString()))));
  ws2.send(JSON.stringify({ type: 'auth', id: 1, credentials: cred('bo') }));
  assert.deepEqual((await reply2).data.limits, { maxInflight: 0, rate: null, maxPayload: 1024 * 1024 });
});

test('200 concurrent requests with the default limits: every one answered, none rate_limited', async () => {
  const a = await app();
  const c = client(a.url, { credentials: cred('ana') });
  await c.authenticate();
  const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => c.request('work', 5 + (i % 3))));
  const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.code);
  assert.deepEqual(failed, [], 'no call failed');
  assert.deepEqual(results.map((r) => r.value), Array.from({ length: 200 }, (_, i) => 5 + (i % 3)));
  assert.equal(a.server.stats.rateLimited, 0, 'the server refused nothing');
  assert.ok(a.peak <= 100, `at most maxInflight (100) at once on the server, saw ${a.peak}`);
  assert.ok(a.peak > 1, 'requests did run concurrently');
});

test('a small in-flight window: the client never has more unanswered calls than the server allows', async () => {
  const a = await app({ maxInflight: 3 });
  const c = client(a.url, { credentials: cred('ana') });
  await c.authenticate();
  const results = await Promise.all(Array.from({ length: 30 }, () => c.request('work', 2)));
  assert.equal(results.length, 30);
  assert.equal(a.server.stats.rateLimited, 0);
  assert.ok(a.peak <= 3, `peak ${a.peak}`);
});

test('a tight message rate: a burst of calls is paced, not refused', async () => {
  // 150 calls against a burst of 40: most wait for tokens. The client keeps
  // half the burst in reserve, so stalls of up to 200 ms (a loaded machine)
  // do not bunch its messages into a refusal.
  const a = await app({ maxInflight: 0, rateLimit: { messagesPerSecond: 100, burst: 40 } });
  const c = client(a.url, { credentials: cred('ana') });
  await c.authenticate();
  const sums = await Promise.all(Array.from({ length: 150 }, (_, i) => c.request('sum', [i, 1])));
  assert.deepEqual(sums, Array.from({ length: 150 }, (_, i) => i + 1));
  assert.equal(a.server.stats.rateLimited, 0);
  assert.equal(a.server.stats.closedForRate, 0);
});

test('calls that timed out keep their slot until the server answers them', async () => {
  const a = await app({ maxInflight: 2 });
  const c = client(a.url, { credentials: cred('ana') });
  await c.authenticate();
  const slow = [c.request('work', 300, { timeout: 30 }), c.request('work', 300, { timeout: 30 })];
  for (const r of await Promise.allSettled(slow)) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof RequestTimeoutError);
    assert.equal(r.reason.sent, true);
  }
  // The server is still working on both: a third must wait for a free slot, not be refused.
  assert.equal(await c.request('sum', [2, 3]), 5);
  assert.equal(a.server.stats.rateLimited, 0);
});

test('a message over the announced maxPayload is refused by the client, and the connection stays up', async () => {
  const a = await app({ maxPayload: 2048 });
  const c = client(a.url, { credentials: cred('ana') });
  await c.authenticate();
  const closes = [];
  c.onState((e) => closes.push(e.state));
  await assert.rejects(c.request('sum', ['é'.repeat(1500)]), (err) => {
    assert.ok(err instanceof MessageTooLargeError);
    assert.equal(err.code, 'too_large');
    assert.equal(err.limit, 2048);
    assert.ok(err.bytes > 3000);
    return true;
  });
  assert.equal(await c.request('sum', [1, 2]), 3);
  assert.equal(c.state, 'authenticated');
  assert.deepEqual(closes, []);
});

test('a broadcast refused for the fan-out budget is sent again after the retryAfter the server names', async () => {
  const a = await app({ clientBroadcasts: { bytesPerSecond: 20_000 } });
  const members = [];
  for (let i = 0; i < 4; i++) {
    const m = client(a.url, { credentials: cred(`m${i}`, { groups: ['room'] }) });
    await m.authenticate();
    const got = [];
    m.on('line', (data) => got.push(data.n));
    members.push(got);
  }
  const sender = client(a.url, { credentials: cred('talker', { groups: ['room'] }) });
  await sender.authenticate();
  const pad = 'x'.repeat(1000);
  // About 4 KB of deliveries each, 40 KB in all: twice the budget of a second.
  const sent = await Promise.allSettled(Array.from({ length: 10 }, (_, n) => sender.broadcast('line', { n, pad }, { group: 'room' })));
  assert.deepEqual(sent.filter((r) => r.status === 'rejected').map((r) => r.reason.code), [], 'every broadcast went through in the end');
  assert.ok(a.server.stats.refusedBroadcasts > 0, 'the budget did refuse some of them at first');
  for (const got of members) {
    await until(() => got.length === 10, 'ten lines', 5000);
    assert.deepEqual([...got].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
});

test('a retry that waits past the call timeout fails with RequestTimeoutError, and close() settles waiting retries', async () => {
  const a = await app({ clientBroadcasts: { bytesPerSecond: 1_000 } });
  const m = client(a.url, { credentials: cred('m', { groups: ['room'] }) });
  await m.authenticate();
  const sender = client(a.url, { credentials: cred('talker', { groups: ['room'] }) });
  await sender.authenticate();
  const pad = 'x'.repeat(3000);
  await sender.broadcast('line', { pad }, { group: 'room' }); // the budget is now about two seconds in debt
  await assert.rejects(sender.broadcast('line', { pad }, { group: 'room', timeout: 100 }), RequestTimeoutError);
  const waiting = sender.broadcast('line', { pad }, { group: 'room', timeout: 0 }).then(() => null, (err) => err);
  await until(() => a.server.stats.refusedBroadcasts >= 2, 'the second refusal');
  await sender.close();
  assert.equal((await waiting)?.code, 'closed');
});
