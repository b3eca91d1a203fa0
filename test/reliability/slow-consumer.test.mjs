// One client stops reading while the server broadcasts far past the
// per-connection bound (48 MiB through a 1 MiB bound). The server's memory
// stays bounded, the slow client's queue never passes its bound, and the
// clients that read receive every message, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, simpleAuth, LeanClient, retainedBytes } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

const MESSAGE = 32 * 1024;
const TOTAL = 48 * 1024 * 1024;
const COUNT = TOTAL / MESSAGE; // 1,536 broadcasts
const BATCH = 8; // 256 KiB per batch, under the bound, so readers keep up
const PAD = 'x'.repeat(MESSAGE - 64);

async function setup(options) {
  const events = [];
  const closes = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('ping', () => 'pong');
    s.on('backpressure', (session, action, queued) => events.push({ alias: session?.alias ?? null, action, queued }));
    s.onConnectionClose((session, code) => closes.push([session.alias, code]));
  }, options);
  const readers = await Promise.all(['r1', 'r2', 'r3'].map((name) => LeanClient.login(ctx.url, { name })));
  const slow = await LeanClient.login(ctx.url, { name: 'slow' });
  const slowSession = ctx.server.getSession(slow.id);
  return { ctx, events, closes, readers, slow, slowSession };
}

/**
 * Broadcasts COUNT messages in batches; after each batch, waits (bounded)
 * for the readers to have it all, and samples the slow client's queue and
 * the process's retained memory. A reader also makes a request now and then: it is
 * answered while the slow client is stuck.
 */
async function broadcastAll({ ctx, readers, slowSession }) {
  let maxQueued = 0;
  let maxMemory = 0;
  let answered = 0;
  for (let seq = 0; seq < COUNT; ) {
    for (let i = 0; i < BATCH; i++, seq++) ctx.server.broadcast('tick', { seq, pad: PAD });
    maxQueued = Math.max(maxQueued, slowSession.bufferedAmount);
    await until(() => readers.every((r) => r.ticks === seq), `readers to receive ${seq} messages`, 8000);
    if (seq % 256 === 0) {
      if ((await readers[seq % 3].request('request', { name: 'ping' })).data === 'pong') answered++;
      maxMemory = Math.max(maxMemory, await retainedBytes()); // not garbage awaiting collection
    }
  }
  return { maxQueued, maxMemory, answered };
}

test("'drop' policy: the slow client's pushes are dropped and counted; readers get everything; memory stays bounded", async () => {
  const s = await setup({ backpressure: { policy: 'drop' }, rateLimit: false });
  const { ctx, readers, slow, slowSession, events } = s;
  slow.ws.pause(); // stops reading: the kernel buffers fill, then the server's queue
  const baseline = await retainedBytes();
  const { maxQueued, maxMemory, answered } = await broadcastAll(s);
  for (const r of readers) {
    assert.equal(r.ticks, COUNT, 'every message reached every reader');
    assert.equal(r.outOfOrder, 0, 'in order');
  }
  assert.equal(answered, COUNT / 256, "readers' requests were answered meanwhile");
  const limit = 1024 * 1024;
  assert.ok(maxQueued <= limit + MESSAGE, `slow client's queue peaked at ${maxQueued} bytes (bound ${limit})`);
  const { dropped } = ctx.server.stats;
  assert.ok(dropped > COUNT / 2, `most pushes to the slow client were dropped (${dropped})`);
  assert.equal(events.length, dropped, 'one event per dropped push');
  assert.ok(events.every((e) => e.alias === 'slow' && e.action === 'drop' && e.queued > limit));
  // Retained memory grew by far less than what was broadcast (48 MiB).
  const retained = (await retainedBytes()) - baseline;
  assert.ok(retained < 8 * 1024 * 1024, `retained ${retained} bytes after the broadcasts`);
  assert.ok(maxMemory - baseline < 8 * 1024 * 1024, `retained ${maxMemory - baseline} bytes at the peak`);
  // The slow client is still connected; once it reads again it gets what was
  // queued (a prefix, in order) and is served as usual.
  slow.ws.resume();
  assert.equal((await slow.request('request', { name: 'ping' })).data, 'pong');
  assert.ok(slow.ticks > 0 && slow.ticks < COUNT, `slow client received ${slow.ticks}`);
  assert.equal(slow.outOfOrder, 0);
  assert.equal(ctx.server.sessionCount, 4);
  await ctx.server.close();
});

test('default policy: the slow client is closed with 1013 at the bound; readers get everything; its memory is released', async () => {
  const s = await setup({ rateLimit: false });
  const { ctx, readers, slow, slowSession, events, closes } = s;
  slow.ws.pause();
  const baseline = await retainedBytes();
  const { maxQueued } = await broadcastAll(s);
  for (const r of readers) {
    assert.equal(r.ticks, COUNT);
    assert.equal(r.outOfOrder, 0);
  }
  assert.ok(maxQueued <= 1024 * 1024 + MESSAGE, `queue peaked at ${maxQueued}`);
  assert.equal(ctx.server.stats.closedForBackpressure, 1);
  assert.equal(ctx.server.stats.dropped, 0);
  assert.deepEqual(events.map((e) => [e.alias, e.action]), [['slow', 'close']]);
  // The close frame goes ahead of the frames still queued, but behind the
  // bytes already in the socket; the close timeout (500 ms in these tests)
  // then destroys a peer that still does not read, so its session ends
  // without a close handshake (1006).
  await until(() => closes.length === 1, 'onConnectionClose', 8000);
  assert.deepEqual(closes, [['slow', 1006]]);
  slow.ws.terminate();
  assert.equal(slowSession.connected, false);
  assert.equal(ctx.server.sessionCount, 3);
  assert.ok((await retainedBytes()) - baseline < 8 * 1024 * 1024, 'nothing of the slow client is retained');
  await ctx.server.close();
});

test("a client that reads again before the close timeout sees the 1013 close frame", async () => {
  const s = await setup({ rateLimit: false, closeTimeout: 4000 });
  const { ctx, slow } = s;
  slow.ws.pause();
  for (let seq = 0; seq < COUNT && slow.ws.readyState === 1 && ctx.server.stats.closedForBackpressure === 0; seq++) {
    ctx.server.broadcast('tick', { seq, pad: PAD });
    if (seq % BATCH === 0) await new Promise((r) => setImmediate(r));
  }
  assert.equal(ctx.server.stats.closedForBackpressure, 1);
  slow.ws.resume();
  assert.deepEqual(await within(slow.closed, '1013', 8000), { code: 1013, reason: 'Backpressure limit exceeded' });
  await ctx.server.close();
});
