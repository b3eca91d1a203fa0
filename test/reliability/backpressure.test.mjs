// The outbound bound in detail: pushes stop at the limit, answers to the
// client's own messages have headroom up to twice the limit (dropping one
// would leave a request unanswered), and past that the connection is closed
// whatever the policy. Every drop and close is counted and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, simpleAuth, login, LeanClient, closeAll } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

const LIMIT = 64 * 1024;
const PAD = 'p'.repeat(16 * 1024);

/**
 * Pushes to `session` until they are refused even after a pause: the kernel
 * grows a loopback socket's buffers as they fill, so one refusal is not yet a
 * stable state. Bounded in rounds and pushes. Two pushes per iteration: the
 * bound applies to what is left over from earlier iterations, so larger
 * bursts could queue past the answers' headroom (up to the hard cap).
 */
async function fillUntilRefused(server, session) {
  for (let round = 0, pushes = 0; round < 100; round++) {
    let written = 0;
    while (pushes++ < 20000 && session.send('fill', PAD)) {
      if (++written % 2 === 0) await new Promise((r) => setImmediate(r));
    }
    if (written === 0 || !session.connected) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('pushes were never refused for good');
}

test("'drop': pushes to a full client are refused (session.send false, private message not_found), answers still get through", async () => {
  const events = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('echo', (x) => x);
    s.on('backpressure', (session, action) => events.push([session.alias, action]));
  }, { backpressure: { limit: LIMIT, policy: 'drop' }, rateLimit: false });
  const full = await LeanClient.login(ctx.url, { name: 'full' });
  const sender = await login(ctx.url, { name: 'sender' });
  const session = ctx.server.getSession(full.id);
  full.ws.pause();
  await fillUntilRefused(ctx.server, session);
  assert.ok(session.bufferedAmount > LIMIT);
  const dm = await sender.send('message', { to: { id: full.id }, data: 'hi' });
  assert.equal(dm.error.code, 'not_found', 'a receiver that does not read is unreachable');
  assert.equal(ctx.server.broadcast('news', 'x'), 1, 'only the sender got the broadcast');
  const dropped = ctx.server.stats.dropped;
  assert.ok(dropped >= 3);
  assert.deepEqual(events.at(-1), ['full', 'drop']);
  // An answer is queued even over the limit (it is under twice the limit).
  const answer = full.request('request', { name: 'echo', data: 'still here' });
  full.ws.resume();
  assert.equal((await answer).data, 'still here');
  assert.equal(ctx.server.stats.closedForBackpressure, 0);
  await closeAll(ctx, [sender]);
});

test('a client that does not read its own answers is closed at twice the limit, whatever the policy', async () => {
  const events = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('big', () => 'b'.repeat(32 * 1024));
    s.on('backpressure', (session, action, queued) => events.push([session.alias, action, queued]));
  }, { backpressure: { limit: LIMIT, policy: 'drop' }, rateLimit: false, maxInflight: 0, closeTimeout: 4000 });
  const c = await LeanClient.login(ctx.url, { name: 'deaf' });
  const other = await login(ctx.url, { name: 'other' });
  c.ws.pause(); // still sends, never reads
  const session = ctx.server.getSession(c.id);
  let sent = 0;
  for (; sent < 2000 && ctx.server.stats.closedForBackpressure === 0; sent++) {
    c.ws.send(JSON.stringify({ type: 'request', id: `r${sent}`, name: 'big' }));
    if (sent % 16 === 15) await new Promise((r) => setTimeout(r, 1));
  }
  await until(() => ctx.server.stats.closedForBackpressure === 1, 'the hard bound');
  assert.ok(session.bufferedAmount <= 2 * LIMIT + 40 * 1024, `queued ${session.bufferedAmount}`);
  assert.equal(events.length, 1);
  assert.equal(events[0][0], 'deaf');
  assert.equal(events[0][1], 'close');
  assert.ok(events[0][2] > 2 * LIMIT);
  c.ws.resume();
  assert.deepEqual(await within(c.closed, 'the close frame', 8000), { code: 1013, reason: 'Backpressure limit exceeded' });
  await until(() => ctx.server.sessionCount === 1, 'the closed session to go');
  assert.deepEqual(await other.ok('clients'), [], 'the neighbour is served');
  await closeAll(ctx, [other]);
});

test("'close' with closeCode 1008", async () => {
  const ctx = await startServer((s) => simpleAuth(s), { backpressure: { limit: LIMIT, closeCode: 1008 }, closeTimeout: 4000 });
  const c = await LeanClient.login(ctx.url, { name: 'slow' });
  c.ws.pause();
  await fillUntilRefused(ctx.server, ctx.server.getSession(c.id));
  assert.equal(ctx.server.stats.closedForBackpressure, 1);
  c.ws.resume();
  assert.deepEqual(await within(c.closed, '1008', 8000), { code: 1008, reason: 'Backpressure limit exceeded' });
  await ctx.server.close();
});

test('backpressure: false lets a queue grow (the opt-out exists and is explicit)', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { backpressure: false });
  const c = await LeanClient.login(ctx.url, { name: 'slow' });
  const session = ctx.server.getSession(c.id);
  c.ws.pause();
  for (let i = 0; i < 300; i++) {
    assert.equal(session.send('fill', PAD), true);
    if (i % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  assert.ok(session.bufferedAmount > 2 * LIMIT);
  assert.equal(ctx.server.stats.dropped + ctx.server.stats.closedForBackpressure, 0);
  c.ws.terminate();
  await ctx.server.close();
});

test('a burst within one iteration is not backpressure: 20 broadcasts of 64 KiB reach a reader that keeps up, no 1013', async () => {
  const events = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.on('backpressure', (session, action) => events.push([session?.alias, action]));
  }, { rateLimit: false }); // the default bound: 1 MiB, then close 1013
  const reader = await LeanClient.login(ctx.url, { name: 'reader' });
  const pad = 'b'.repeat(64 * 1024);
  // 1.25 MiB written in one iteration: more than the bound, all of it taken
  // by the reader as fast as the network allows.
  let written = 0;
  for (let seq = 0; seq < 20; seq++) written += ctx.server.broadcast('tick', { seq, pad });
  assert.equal(written, 20);
  await until(() => reader.ticks === 20, 'all 20 broadcasts', 8000);
  assert.equal(reader.outOfOrder, 0);
  assert.deepEqual(events, []);
  assert.equal(ctx.server.stats.closedForBackpressure, 0);
  assert.equal(reader.ws.readyState, 1);
  await closeAll(ctx, []);
});
