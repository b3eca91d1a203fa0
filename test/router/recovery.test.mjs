// Session recovery in one process (docs/server.md, "Session recovery";
// docs/protocol.md, "Resuming a session"): a v1 session whose connection
// drops is retained, and a client that resumes with its token and the last
// positions it received gets every push it missed exactly once, in the
// original order, before anything newer — or, when any stream's gap is no
// longer in history, `recovered: false` and nothing of the gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeServer } from '../../dist/esm/index.js';
import { sleep, until, within } from '../helpers/wait.mjs';
import { barrier, login, TestClient } from './helpers.mjs';
import { connect, cut, positionsOf, pushesAfterReply, recoveryServer, resumeOf, shutdown } from './recovery-helpers.mjs';

test('a fresh auth with recovery on answers resumed/recovered false and a token with its ttl; without recovery, none of these fields', async () => {
  const ctx = await recoveryServer({ maxDisconnection: 5000 });
  const alice = await connect(ctx, { name: 'alice' });
  assert.equal(alice.answer.data.resumed, false);
  assert.equal(alice.answer.data.recovered, false);
  assert.match(alice.answer.data.recovery.token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(alice.answer.data.recovery.ttl, 5000);
  await shutdown(ctx, [alice]);

  const off = await recoveryServer(false);
  const bob = await connect(off, { name: 'bob' });
  assert.deepEqual(Object.keys(bob.answer.data).sort(), ['limits', 'self', 'session']);
  off.server.broadcast('hello', 1);
  assert.equal((await bob.event('hello')).pos, undefined);
  await shutdown(off, [bob]);
});

test('pushes carry their stream position; every recipient gets the same bytes', async () => {
  const ctx = await recoveryServer();
  const a = await connect(ctx, { name: 'a', groups: ['room'] });
  const b = await connect(ctx, { name: 'b', groups: ['room'] });
  ctx.server.broadcast('e1', { n: 1 });
  ctx.server.broadcast('e2', { n: 2 }, { group: 'room' });
  const [a1, b1] = await Promise.all([a.event('e1'), b.event('e1')]);
  assert.equal(a1.pos.s, 'all');
  assert.equal(a1.pos.o, 1);
  assert.match(a1.pos.e, /^[A-Za-z0-9_-]{8}$/);
  assert.deepEqual(a1, b1);
  const a2 = await a.event('e2');
  assert.equal(a2.pos.s, 'g:room');
  // pos is the last field.
  assert.ok(a.raw.find((t) => t.includes('"e2"')).endsWith(`"pos":{"s":"g:room","e":"${a2.pos.e}","o":1}}`));
  await shutdown(ctx, [a, b]);
});

test('a resume after a cut replays every missed push once, in order, before newer ones, without the ones it was left out of', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice', groups: ['room'] });
  const bob = await login(ctx.url, { name: 'bob', groups: ['room'] });
  ctx.server.broadcast('before', 0);
  await alice.event('before');
  const aliceSession = ctx.server.getSession(alice.self.id);
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'alice retained');
  assert.equal(aliceSession.connected, false);
  assert.equal(ctx.server.getSession(alice.self.id), aliceSession);

  // The gap: to everyone, to the group (by a client), privately, session.send, and one alice is left out of.
  ctx.server.broadcast('gap1', 1);
  await bob.ok('broadcast', { event: 'gap2', group: 'room', data: 2 });
  await bob.ok('message', { to: { id: alice.self.id }, data: 'gap3' });
  assert.equal(aliceSession.send('gap4', 4), false);
  ctx.server.broadcast('not-for-alice', 5, { except: aliceSession });
  ctx.server.broadcast('gap5', 6, { group: 'room' });

  // Newer pushes while the resume is being authenticated, and right after it.
  let release;
  ctx.hold = new Promise((resolve) => (release = resolve));
  const back = await TestClient.connect(ctx.proxy.url);
  const answer = back.send('auth', { credentials: { name: 'alice' }, resume: resumeOf(alice) });
  await until(() => ctx.server.stats.connections === 2, 'the resuming connection adopted');
  ctx.server.broadcast('newer1', 7);
  ctx.hold = null;
  release();
  const reply = await answer;
  ctx.server.broadcast('newer2', 8, { group: 'room' });
  assert.equal(reply.type, 'reply');
  assert.equal(reply.data.resumed, true);
  assert.equal(reply.data.recovered, true);
  assert.equal(reply.data.self.id, alice.self.id);
  assert.notEqual(reply.data.recovery.token, alice.answer.data.recovery.token);
  await barrier(ctx.server, [back]);
  // Nothing reached the resumed connection before its answer.
  assert.equal(JSON.parse(back.raw[0]).type, 'reply');

  const pushes = pushesAfterReply(back).map((m) => m.event ?? `message:${m.data}`);
  assert.deepEqual(pushes, ['gap1', 'gap2', 'message:gap3', 'gap4', 'gap5', 'newer1', 'newer2', pushes.at(-1)]);
  assert.match(pushes.at(-1), /^barrier-/);
  // Each replayed push keeps its position: the stream offsets continue.
  const streams = pushesAfterReply(back).map((m) => `${m.pos.s.replace(alice.self.id, 'me')}@${m.pos.o}`);
  assert.deepEqual(streams.slice(0, 7), ['all@2', 'g:room@1', 'u:me@1', 'u:me@2', 'g:room@2', 'all@4', 'g:room@3']);
  assert.deepEqual(ctx.resumes, [{ id: alice.self.id, recovered: true }]);
  assert.deepEqual(ctx.closes, []);
  const stats = ctx.server.stats.recovery;
  assert.deepEqual([stats.retained, stats.resumed, stats.recovered, stats.notRecovered], [0, 1, 1, 0]);
  assert.equal(aliceSession.connected, true);
  await shutdown(ctx, [back, bob]);
});

test('a stream the client never received on is covered from where the session started receiving it', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice', groups: ['quiet'] });
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  ctx.server.broadcast('g', 1, { group: 'quiet' });
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice, {}));
  assert.equal(back.answer.data.recovered, true);
  await barrier(ctx.server, [back]);
  assert.deepEqual(pushesAfterReply(back).map((m) => m.event).slice(0, 1), ['g']);
  await shutdown(ctx, [back]);
});

test('not recoverable (gap over maxMessages, wrong epoch, history gone) answers recovered false and replays nothing', async (t) => {
  const cases = {
    'over maxMessages': { options: { maxMessages: 3 }, gap: 5, positions: (p) => p },
    'wrong epoch': { options: {}, gap: 1, positions: (p) => ({ ...p, all: { e: 'AAAAAAAA', o: p.all.o } }) },
    'offset ahead of the stream': { options: {}, gap: 1, positions: (p) => ({ ...p, all: { e: p.all.e, o: p.all.o + 100 } }) },
    'evicted by maxBytes': { options: { maxBytes: 400 }, gap: 8, positions: (p) => p },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const ctx = await recoveryServer({ maxDisconnection: 60_000, ...c.options });
      const alice = await connect(ctx, { name: 'alice' });
      ctx.server.broadcast('seen', 0);
      await alice.event('seen');
      await cut(ctx, alice);
      await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
      for (let i = 0; i < c.gap; i++) ctx.server.broadcast('missed', { i, pad: 'x'.repeat(40) });
      const back = await connect(ctx, { name: 'alice' }, resumeOf(alice, c.positions(positionsOf(alice))));
      assert.equal(back.answer.data.resumed, true);
      assert.equal(back.answer.data.recovered, false);
      await barrier(ctx.server, [back]);
      assert.equal(back.has((m) => m.event === 'missed'), false);
      assert.equal(ctx.server.stats.recovery.notRecovered, 1);
      assert.deepEqual(ctx.resumes, [{ id: alice.self.id, recovered: false }]);
      await shutdown(ctx, [back]);
    });
  }
});

test('history older than maxDisconnection is gone: recovered false', async () => {
  const ctx = await recoveryServer({ maxDisconnection: 300 });
  const alice = await connect(ctx, { name: 'alice' });
  ctx.server.broadcast('e1', 1);
  const first = await alice.event('e1');
  ctx.server.broadcast('e2', 2);
  await alice.event('e2');
  // Lets the entries age past the bound (not a measurement).
  await sleep(450);
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice, { all: { e: first.pos.e, o: first.pos.o } }));
  assert.equal(back.answer.data.resumed, true);
  assert.equal(back.answer.data.recovered, false);
  await barrier(ctx.server, [back]);
  assert.equal(back.has((m) => m.event === 'e2'), false);
  await shutdown(ctx, [back]);
});

test('maxBytes bounds the history: the oldest entries of any stream go first', async () => {
  const ctx = await recoveryServer({ maxBytes: 2000 });
  const alice = await connect(ctx, { name: 'alice', groups: ['g'] });
  for (let i = 0; i < 40; i++) ctx.server.broadcast('fill', { i, pad: 'y'.repeat(50) }, { group: i % 2 ? 'g' : null });
  await barrier(ctx.server, [alice]);
  const { entries, bytes } = ctx.server.stats.recovery;
  assert.ok(bytes <= 2000, `bytes ${bytes}`);
  assert.ok(entries > 5 && entries < 40, `entries ${entries}`);
  // The newest of each stream is still there, the oldest is not: a resume from the very start cannot be covered, one from near the end can.
  const pos = positionsOf(alice);
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice, { ...pos, all: { e: pos.all.e, o: 1 } }));
  assert.equal(back.answer.data.recovered, false);
  await shutdown(ctx, [back]);
});

test('a bad token or an unknown session id gets a fresh session; the retained one stays retained', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  const wrongToken = await connect(ctx, { name: 'alice' }, { ...resumeOf(alice), token: 'A'.repeat(43) });
  assert.equal(wrongToken.answer.data.resumed, false);
  assert.notEqual(wrongToken.self.id, alice.self.id);
  const unknown = await connect(ctx, { name: 'carol' }, { ...resumeOf(alice), session: 'no-such-session' });
  assert.equal(unknown.answer.data.resumed, false);
  assert.equal(ctx.server.stats.recovery.retained, 1);
  assert.equal(ctx.server.stats.recovery.resumed, 0);
  await shutdown(ctx, [wrongToken, unknown]);
});

test('a token resumes once: the second resume with it is a fresh session', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice));
  assert.equal(back.answer.data.resumed, true);
  await cut(ctx, back);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained again');
  const stale = await connect(ctx, { name: 'alice' }, resumeOf(alice));
  assert.equal(stale.answer.data.resumed, false);
  const again = await connect(ctx, { name: 'alice' }, resumeOf(back));
  assert.equal(again.answer.data.resumed, true);
  assert.equal(again.self.id, alice.self.id);
  await shutdown(ctx, [stale, again]);
});

test('a revoked user cannot resume: auth_failed, and the retained session ends (onConnectionClose once)', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  assert.deepEqual(ctx.closes, []);
  ctx.revoked.add('alice');
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice));
  assert.equal(back.answer.type, 'error');
  assert.equal(back.answer.error.code, 'auth_failed');
  await until(() => ctx.closes.length === 1, 'onConnectionClose');
  assert.deepEqual(ctx.closes, [{ id: alice.self.id, code: 1006 }]);
  assert.equal(ctx.server.stats.recovery.retained, 0);
  assert.equal(ctx.server.getSession(alice.self.id), undefined);
  await shutdown(ctx, [back]);
  assert.equal(ctx.closes.length, 1);
});

test('a retained session that is not resumed ends after maxDisconnection (onConnectionClose once); a resumed disconnect never runs it', async () => {
  const ctx = await recoveryServer({ maxDisconnection: 200 });
  const alice = await connect(ctx, { name: 'alice' });
  const bob = await connect(ctx, { name: 'bob' });
  await cut(ctx, alice, bob);
  await until(() => ctx.server.stats.recovery.retained === 2, 'retained');
  const back = await connect(ctx, { name: 'bob' }, resumeOf(bob));
  assert.equal(back.answer.data.resumed, true);
  await until(() => ctx.closes.length === 1, 'the expiry of alice');
  assert.deepEqual(ctx.closes, [{ id: alice.self.id, code: 1006 }]);
  assert.equal(ctx.server.getSession(alice.self.id), undefined);
  // Bob's resumed disconnect never ends his session, even after the bound.
  await sleep(300);
  assert.deepEqual(ctx.closes.map((c) => c.id), [alice.self.id]);
  await back.close();
  await until(() => ctx.closes.length === 2, 'the close of bob');
  assert.deepEqual(ctx.closes[1], { id: bob.self.id, code: 1000 });
  await shutdown(ctx);
});

test('a retained session expires even while a resume of it waits for its hook; the late answer is a fresh session', async () => {
  const ctx = await recoveryServer({ maxDisconnection: 200 });
  const alice = await connect(ctx, { name: 'alice' });
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  let release;
  ctx.hold = new Promise((resolve) => (release = resolve));
  const back = await TestClient.connect(ctx.proxy.url);
  const answer = back.send('auth', { credentials: { name: 'alice' }, resume: resumeOf(alice) });
  await until(() => ctx.closes.length === 1, 'the expiry while the hook runs');
  assert.deepEqual(ctx.closes, [{ id: alice.self.id, code: 1006 }]);
  ctx.hold = null;
  release();
  const reply = await answer;
  assert.equal(reply.data.resumed, false);
  assert.notEqual(reply.data.self.id, alice.self.id);
  assert.equal(ctx.server.stats.recovery.retained, 0);
  await shutdown(ctx, [back]);
  assert.equal(ctx.closes.filter((c) => c.id === alice.self.id).length, 1);
});

test('a client close with 1000 ends the session at once; the application closing it too', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  const bob = await connect(ctx, { name: 'bob' });
  await alice.close(1000);
  await until(() => ctx.closes.length === 1, 'onConnectionClose');
  ctx.server.getSession(bob.self.id).close(4000, 'bye');
  await within(bob.closed, 'close');
  await until(() => ctx.closes.length === 2, 'onConnectionClose');
  assert.equal(ctx.server.stats.recovery.retained, 0);
  assert.deepEqual(ctx.closes.map((c) => c.id), [alice.self.id, bob.self.id]);
  await shutdown(ctx);
});

test('session.close() on a retained session ends it at once', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  ctx.server.getSession(alice.self.id).close();
  assert.deepEqual(ctx.closes, [{ id: alice.self.id, code: 1006 }]);
  assert.equal(ctx.server.stats.recovery.retained, 0);
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice));
  assert.equal(back.answer.data.resumed, false);
  await shutdown(ctx, [back]);
});

test('server.close() ends retained sessions, each once', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  const bob = await login(ctx.url, { name: 'bob' });
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  await shutdown(ctx, []);
  assert.deepEqual(ctx.closes.map((c) => c.id).sort(), [alice.self.id, bob.self.id].sort());
  assert.equal(ctx.server.stats.recovery.retained, 0);
});

test('a retained session keeps its alias reserved; private messages to it wait for the resume', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  const bob = await login(ctx.url, { name: 'bob' });
  await cut(ctx, alice);
  await until(() => ctx.server.stats.recovery.retained === 1, 'retained');
  const taken = await bob.send('update', { alias: 'alice' });
  assert.equal(taken.error.code, 'alias_taken');
  await bob.ok('message', { to: { alias: 'alice' }, data: 'while away' });
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice));
  assert.equal(back.answer.data.recovered, true);
  const msg = await back.next((m) => m.type === 'message');
  assert.equal(msg.data, 'while away');
  assert.equal(msg.from.alias, 'bob');
  await shutdown(ctx, [back, bob]);
});

test('presence: the others see the session disconnected at the cut and connected again at the resume', async () => {
  const ctx = await recoveryServer();
  const bob = await connect(ctx, { name: 'bob' });
  const alice = await connect(ctx, { name: 'alice' });
  await bob.next((m) => m.type === 'presence' && m.client.id === alice.self.id && m.client.connected);
  alice.ws.terminate();
  await within(alice.closed, 'close');
  const gone = await bob.next((m) => m.type === 'presence' && m.client.id === alice.self.id);
  assert.equal(gone.client.connected, false);
  assert.equal(ctx.server.sessionCount, 1);
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice));
  assert.equal(back.answer.data.resumed, true);
  const again = await bob.next((m) => m.type === 'presence' && m.client.id === alice.self.id);
  assert.equal(again.client.connected, true);
  assert.equal(ctx.server.sessionCount, 2);
  await shutdown(ctx, [back, bob]);
});

test('half-open: a resume while the old connection still looks alive terminates it and resumes', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  ctx.server.broadcast('seen', 0);
  await alice.event('seen');
  ctx.proxy.blackhole();
  ctx.server.broadcast('lost-in-transit', 1);
  assert.equal(ctx.server.stats.recovery.retained, 0);
  const back = await connect(ctx, { name: 'alice' }, resumeOf(alice));
  assert.equal(back.answer.data.resumed, true);
  assert.equal(back.answer.data.recovered, true);
  assert.equal((await back.event('lost-in-transit')).pos.o, 2);
  assert.equal(ctx.server.sessionCount, 1);
  assert.deepEqual(ctx.closes, []);
  await shutdown(ctx, [back]);
});

test('a malformed resume is bad_message', async () => {
  const ctx = await recoveryServer();
  const alice = await connect(ctx, { name: 'alice' });
  const bad = [
    'nope',
    { session: alice.self.id, token: 'short', positions: {} },
    { session: alice.self.id, token: 'A'.repeat(43), positions: [] },
    { session: alice.self.id, token: 'A'.repeat(43), positions: { all: { e: 'x', o: -1 } } },
    { session: alice.self.id, token: 'A'.repeat(43), positions: { all: { e: 'x', o: 1.5 } } },
    { session: alice.self.id, token: 'A'.repeat(43), positions: { ['g:' + 'n'.repeat(300)]: { e: 'x', o: 1 } } },
    { session: alice.self.id, token: 'A'.repeat(43), positions: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`g:${i}`, { e: 'x', o: 1 }])) },
  ];
  for (const resume of bad) {
    const client = await TestClient.connect(ctx.proxy.url);
    const answer = await client.send('auth', { credentials: { name: 'x' }, resume });
    assert.equal(answer.type, 'error', JSON.stringify(resume).slice(0, 80));
    assert.equal(answer.error.code, 'bad_message');
    await client.close();
  }
  await shutdown(ctx, [alice]);
});

test('the legacy protocol is unchanged byte for byte with recovery on', async () => {
  const transcript = async (recovery) => {
    const ctx = await recoveryServer(recovery);
    const legacy = await TestClient.connect(ctx.url, { legacy: true });
    const answer = await legacy.call('auth', 'login', { name: 'old' });
    assert.ok(!answer.error);
    ctx.server.broadcast('hello', { a: 1 });
    await legacy.event('hello');
    const session = [...ctx.server.sessions()][0];
    session.send('direct', 2);
    await legacy.event('direct');
    await shutdown(ctx, [legacy]);
    // The session id differs between runs; everything else must not.
    return legacy.raw.map((t) => t.replaceAll(session.id, 'ID'));
  };
  const off = await transcript(false);
  const on = await transcript(true);
  assert.ok(off.length >= 3);
  assert.deepEqual(on, off);
});

test('invalid recovery options throw at construction', () => {
  for (const recovery of [{ maxDisconnection: 0 }, { maxMessages: -1 }, { maxBytes: 1.5 }, 'yes', { maxDisconnection: Infinity }]) {
    assert.throws(() => new WebSocketNodeServer({ recovery }), /recovery/);
  }
  const ok = new WebSocketNodeServer({ recovery: true });
  assert.deepEqual(ok.stats.recovery, { retained: 0, resumed: 0, recovered: 0, notRecovered: 0, entries: 0, bytes: 0, unrecorded: 0, shared: false });
});
