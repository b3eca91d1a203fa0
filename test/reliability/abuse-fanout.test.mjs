// Abuse by an authenticated client through fan-out: one message that makes
// the server write to many clients. Client broadcasts are bounded in size
// and charged bytes × recipients; presence changes are coalesced and paced,
// never refused. Healthy readers and the sender's own answers are the
// measure: nobody else is disconnected, and the sender is told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeServer, SERVER_DEFAULTS } from '../../dist/esm/index.js';
import { startServer, login, simpleAuth, closeAll, barrier } from './helpers.mjs';
import { until, sleep } from '../helpers/wait.mjs';

const isPresenceOf = (id) => (m) => m.type === 'presence' && m.client.id === id;

/**
 * Sends `count` messages in bursts of 50 (under the default maxInflight of
 * 100) and resolves with their answers, in order.
 */
async function burst(client, count, make) {
  const answers = [];
  for (let i = 0; i < count; i += 50) {
    const n = Math.min(50, count - i);
    answers.push(...(await Promise.all(Array.from({ length: n }, (_, k) => client.send(...make(i + k))))));
  }
  return answers;
}

test('eight ~1 MB broadcasts from one client disconnect no reader; the sender gets refusals', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { clientBroadcasts: { toEveryone: true } });
  const readers = await Promise.all(Array.from({ length: 10 }, (_, i) => login(ctx.url, { name: `reader-${i}` })));
  const sender = await login(ctx.url, { name: 'sender' });
  const big = 'x'.repeat(1_000_000);
  const answers = await burst(sender, 8, (i) => ['broadcast', { event: 'blob', data: { i, big } }]);
  assert.deepEqual(answers.map((a) => a.error?.code), Array(8).fill('too_large'));
  assert.match(answers[0].error.message, /at most 65536 bytes/);
  await barrier(ctx.server, readers);
  for (const r of readers) {
    assert.equal(r.ws.readyState, 1, 'the reader is still connected');
    assert.ok(!r.has((m) => m.event === 'blob'));
  }
  assert.equal(ctx.server.stats.closedForBackpressure, 0);
  assert.equal(ctx.server.stats.refusedBroadcasts, 8);
  // Within the limits the sender is served as before.
  assert.equal((await sender.send('broadcast', { event: 'small', data: 'hi' })).type, 'reply');
  await Promise.all(readers.map((r) => r.event('small')));
  await closeAll(ctx, [...readers, sender]);
});

test('by default clients may not broadcast to everyone; groups they are in stay open to them', async () => {
  assert.equal(SERVER_DEFAULTS.clientBroadcasts.toEveryone, false);
  const ctx = await startServer((s) => simpleAuth(s));
  const a = await login(ctx.url, { name: 'a', groups: ['team'] });
  const b = await login(ctx.url, { name: 'b', groups: ['team'] });
  const refused = await a.send('broadcast', { event: 'all', data: 1 });
  assert.equal(refused.error.code, 'forbidden');
  assert.match(refused.error.message, /broadcast to everyone/);
  assert.equal((await a.send('broadcast', { event: 'team', group: 'team', data: 2 })).type, 'reply');
  assert.equal((await b.event('team')).data, 2);
  await barrier(ctx.server, [a, b]);
  assert.ok(!b.has((m) => m.event === 'all'));
  await closeAll(ctx, [a, b]);
});

test('an onClientMessage hook can still allow a broadcast to everyone', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onClientMessage((m) => (m.kind === 'broadcast' && m.event === 'announce' ? true : undefined));
  });
  const a = await login(ctx.url, { name: 'a' });
  const b = await login(ctx.url, { name: 'b' });
  assert.equal((await a.send('broadcast', { event: 'announce', data: 1 })).type, 'reply');
  assert.equal((await b.event('announce')).data, 1);
  assert.equal((await a.send('broadcast', { event: 'other', data: 1 })).error.code, 'forbidden');
  await closeAll(ctx, [a, b]);
});

test('broadcasts past the budget of bytes × recipients are refused rate_limited; readers are untouched', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { clientBroadcasts: { toEveryone: true, bytesPerSecond: 100_000 } });
  const readers = await Promise.all(Array.from({ length: 10 }, (_, i) => login(ctx.url, { name: `r${i}` })));
  const sender = await login(ctx.url, { name: 'sender' });
  // 20 KB to 10 readers: 200 KB each, twice the budget of a second.
  const payload = 'y'.repeat(20_000);
  const answers = await burst(sender, 20, (i) => ['broadcast', { event: 'chunk', data: { i, payload } }]);
  const codes = answers.map((a) => (a.type === 'reply' ? 'ok' : a.error.code));
  assert.equal(codes[0], 'ok', 'a full budget lets the first one through');
  assert.ok(codes.includes('rate_limited'), codes.join());
  assert.ok(codes.every((c) => c === 'ok' || c === 'rate_limited'), codes.join());
  const delivered = codes.filter((c) => c === 'ok').length;
  await barrier(ctx.server, readers);
  for (const r of readers) {
    assert.equal(r.ws.readyState, 1);
    assert.equal(r.inbox.filter((m) => m.event === 'chunk').length, delivered);
  }
  assert.equal(ctx.server.stats.refusedBroadcasts, 20 - delivered);
  // The message rate limit was not involved: these are budget refusals only.
  assert.equal(ctx.server.stats.rateLimited, 0);
  await closeAll(ctx, [...readers, sender]);
});

test('the broadcast options are validated', () => {
  assert.throws(() => new WebSocketNodeServer({ clientBroadcasts: { maxSize: -1 } }), RangeError);
  assert.throws(() => new WebSocketNodeServer({ clientBroadcasts: { bytesPerSecond: Number.NaN } }), RangeError);
  assert.throws(() => new WebSocketNodeServer({ clientBroadcasts: { toEveryone: 'yes' } }), TypeError);
  assert.throws(() => new WebSocketNodeServer({ presence: { coalesceMs: -5 } }), RangeError);
  assert.throws(() => new WebSocketNodeServer({ presence: 7 }), TypeError);
});

/**
 * Logs in a subject and observers; the subject toggles availability `count`
 * times in one burst, then takes the alias "final": the first presence event
 * carrying it can only have been rendered after every change, so once it has
 * arrived nothing about the subject is left to come.
 */
async function toggleScenario(options, count) {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onAliasChange(() => true);
  }, { rateLimit: { messagesPerSecond: 1000, burst: 1000 }, ...options });
  const observers = await Promise.all(Array.from({ length: 4 }, (_, i) => login(ctx.url, { name: `obs-${i}` })));
  const subject = await login(ctx.url, { name: 'subject' });
  await Promise.all(observers.map((o) => o.next(isPresenceOf(subject.self.id), 'connect presence')));
  const answers = await burst(subject, count, (i) => ['update', { available: i % 2 === 1 }]);
  const last = await subject.send('update', { alias: 'final', available: false });
  return { ctx, observers, subject, answers: [...answers, last] };
}

test('200 availability toggles reach observers as a few presence events, the last one with the final state', async () => {
  const { ctx, observers, subject, answers } = await toggleScenario({}, 200);
  // Every update is answered at once with the state it set; none is refused.
  assert.ok(answers.every((a) => a.type === 'reply'), 'no update refused');
  assert.deepEqual(answers.slice(-3).map((a) => a.data.available), [false, true, false]);
  for (const o of observers) {
    await o.next((m) => isPresenceOf(subject.self.id)(m) && m.client.alias === 'final', 'the final state');
  }
  await barrier(ctx.server, [...observers, subject]);
  for (const o of observers) {
    const events = o.raw.map((t) => JSON.parse(t)).filter(isPresenceOf(subject.self.id)).slice(1); // after the connect event
    assert.ok(events.length < 50, `${events.length} presence events for 201 changes`);
    const final = events.at(-1);
    assert.deepEqual([final.client.alias, final.client.available, final.client.connected], ['final', false, true]);
  }
  assert.ok(ctx.server.stats.deferredPresence > 150);
  assert.equal(ctx.server.stats.rateLimited, 0);
  await closeAll(ctx, [...observers, subject]);
});

test('over its presence budget a session is announced later, never refused', async () => {
  // No coalescing window: only the budget holds announcements back. Each
  // announcement costs 4 deliveries; 6 a second lets about one through a second.
  const { ctx, observers, subject, answers } = await toggleScenario({ presence: { coalesceMs: 0, deliveriesPerSecond: 6 } }, 6);
  assert.ok(answers.every((a) => a.type === 'reply'));
  for (const o of observers) {
    await o.next((m) => isPresenceOf(subject.self.id)(m) && m.client.alias === 'final', 'the final state, late');
  }
  assert.ok(ctx.server.stats.deferredPresence >= 5);
  assert.equal(ctx.server.getSession(subject.self.id).alias, 'final');
  await closeAll(ctx, [...observers, subject]);
});

test('a disconnect is announced at once and supersedes pending changes', async () => {
  const { ctx, observers, subject } = await toggleScenario({ presence: { coalesceMs: 200 } }, 10);
  subject.ws.terminate();
  for (const o of observers) await o.next((m) => isPresenceOf(subject.self.id)(m) && m.client.connected === false, 'disconnect');
  // Past the window: a change still pending would have gone out by now.
  await sleep(400);
  await barrier(ctx.server, observers);
  for (const o of observers) {
    const events = o.raw.map((t) => JSON.parse(t)).filter(isPresenceOf(subject.self.id));
    assert.equal(events.at(-1).client.connected, false, 'nothing about the subject after its disconnect');
    assert.equal(events.filter((e) => e.client.connected === false).length, 1);
  }
  await until(() => ctx.server.sessionCount === 4, 'subject gone');
  await closeAll(ctx, observers);
});
