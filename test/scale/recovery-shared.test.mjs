// Session recovery over a store every node shares (src/router/shared-history.ts),
// with several WebSocketNodeServers in one process joined by an in-memory
// broker and an in-memory store (test/helpers/memory-history.mjs). A session
// resumes on another node, or on a server started after the one that held it
// closed, and gets every push it missed exactly once, in order; positions are
// the same on every node; a gap the history lost is not recovered and nothing
// of it is replayed. The same over real processes and Redis is in
// redis-recovery.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteAdapter } from '../../dist/esm/scale/adapter.js';
import { MemoryBroker, MemoryBus } from '../helpers/memory-bus.mjs';
import { MemoryHistory } from '../helpers/memory-history.mjs';
import { TcpProxy } from '../helpers/tcp-proxy.mjs';
import { until, within } from '../helpers/wait.mjs';
import { login, startServer } from '../router/helpers.mjs';
import { connect, cut, positionsOf, pushesAfterReply, resumeOf } from '../router/recovery-helpers.mjs';

const FAST = { heartbeatInterval: 50, nodeTimeout: 400, requestTimeout: 1000 };

/** A node of the deployment: a server with recovery over the shared store, behind its own proxy. */
async function startNode(world, recovery = true) {
  const adapter = new RemoteAdapter('memory', new MemoryBus(world.broker), FAST, world.store.factory());
  const ctx = await startServer((s) => {
    s.onAuthentication((c, start, respond) => {
      if (world.revoked.has(c.name)) return respond('revoked');
      start({ name: c.name, n: c.n ?? 0 }, c.groups ?? [], c.name, true, { tag: c.name });
      respond(null, { welcome: c.name });
    });
    s.onGroupChange(() => true);
    // A push at once, before the session's record is in the store.
    s.on('session', (session) => session.send('welcome', session.data.name));
    s.onConnectionClose((session, code) => world.closes.push({ node: ctx.id, id: session.id, code }));
    s.on('resume', (session, recovered) => world.resumes.push({ node: ctx.id, id: session.id, recovered, data: session.data, groups: session.groupList() }));
  }, { adapter, recovery, clientBroadcasts: { toEveryone: true } });
  ctx.id = world.nodes.length;
  ctx.adapter = adapter;
  ctx.proxy = await TcpProxy.start(ctx.port);
  world.nodes.push(ctx);
  return ctx;
}

async function deployment(n, recovery = true) {
  const broker = new MemoryBroker();
  const world = { broker, store: new MemoryHistory(broker), nodes: [], closes: [], resumes: [], revoked: new Set() };
  for (let i = 0; i < n; i++) await startNode(world, recovery);
  await until(() => world.nodes.every((node) => node.adapter.stats.nodes === n - 1), 'the nodes to know each other');
  return world;
}

async function stop(world, clients) {
  await Promise.all(clients.map((c) => (c.ws.readyState === 1 ? c.close() : null)));
  for (const node of world.nodes) {
    await node.server.close();
    await node.proxy.close();
  }
}

const events = (client) => pushesAfterReply(client).map((m) => (m.type === 'event' ? `${m.event}:${JSON.stringify(m.data)}` : `msg:${JSON.stringify(m.data)}`));

test('a broadcast has the same position on every node, numbered by the store; the sender gets its own back once', async () => {
  const world = await deployment(2);
  const [A, B] = world.nodes;
  const a = await login(A.url, { name: 'a', groups: ['g'] });
  const b = await login(B.url, { name: 'b', groups: ['g'] });
  await until(() => A.adapter.stats.remoteSessions === 1 && B.adapter.stats.remoteSessions === 1, 'sessions known');
  assert.equal(A.server.broadcast('one', 1), 1, 'addressed to the one client of A');
  B.server.broadcast('two', 2, { group: 'g' });
  await a.ok('broadcast', { event: 'three', group: 'g', data: 3 });
  const [a1, a2] = [await a.event('one'), await a.event('two')];
  const welcome = await a.event('welcome');
  assert.equal(welcome.data, 'a');
  assert.equal(welcome.pos.s, `u:${a.self.id}`);
  assert.equal(welcome.pos.o, 1, 'a push right after the session started is kept and delivered');
  const [b1, b2, b3] = [await b.event('one'), await b.event('two'), await b.event('three')];
  assert.deepEqual(a1.pos, b1.pos);
  assert.deepEqual(a2.pos, b2.pos);
  assert.equal(a1.pos.s, 'all');
  assert.equal(b3.pos.s, 'g:g');
  assert.equal(b3.pos.o, b2.pos.o + 1);
  assert.equal(a.inbox.filter((m) => m.event === 'three').length, 0, 'the sender is left out');
  assert.equal(world.store.calls.publish, 3, 'each broadcast went through the store once');
  assert.equal(A.server.stats.recovery.shared, true);
  await stop(world, [a, b]);
});

test('a session resumes on another node: same id, data and groups, every missed push once and in order, its old node lets go without onConnectionClose', async () => {
  const world = await deployment(3);
  const [A, B, C] = world.nodes;
  const alice = await connect(A, { name: 'alice', groups: ['g'], n: 7 });
  const carol = await login(C.url, { name: 'carol', groups: ['g'] });
  // A private message to a retained session is taken by the node that holds it.
  const dave = await login(A.url, { name: 'dave' });
  await until(() => C.adapter.stats.remoteSessions === 2, 'alice and dave known on C');
  C.server.broadcast('before', 0);
  await alice.event('before');
  await cut(A, alice);
  await until(() => A.server.stats.recovery.retained === 1, 'alice retained on A');
  // The gap: broadcasts from every node, a group message, a private message and a server push.
  A.server.broadcast('gap', 1);
  B.server.broadcast('gap', 2, { group: 'g' });
  await carol.ok('broadcast', { event: 'gap', group: 'g', data: 3 });
  await dave.ok('message', { to: { alias: 'alice' }, data: 4 });
  A.server.getSession(alice.self.id).send('gap', 5);
  C.server.broadcast('gap', 6);
  await until(() => (world.store.streams.get('all')?.o ?? 0) >= 3 && (world.store.streams.get(`u:${alice.self.id}`)?.o ?? 0) >= 2, 'the gap in the store');

  const back = await connect(B, { name: 'alice' }, resumeOf(alice));
  assert.equal(back.answer.type, 'reply', JSON.stringify(back.answer));
  assert.equal(back.answer.data.resumed, true);
  assert.equal(back.answer.data.recovered, true);
  assert.equal(back.self.id, alice.self.id);
  assert.deepEqual(back.answer.data.self.groups, ['g']);
  B.server.broadcast('after', 7);
  await back.event('after');
  assert.deepEqual(events(back), ['gap:1', 'gap:2', 'gap:3', 'msg:4', 'gap:5', 'gap:6', 'after:7']);
  assert.deepEqual(world.resumes, [{ node: 1, id: alice.self.id, recovered: true, data: { name: 'alice', n: 7 }, groups: ['g'] }]);
  await until(() => A.server.stats.recovery.retained === 0, 'A to let go of alice');
  assert.equal(B.server.getSession(alice.self.id)?.connected, true);
  assert.equal(A.server.getSession(alice.self.id), undefined);
  // Live again on B: a private message and a group broadcast reach it there.
  await carol.ok('message', { to: { alias: 'alice' }, data: 8 });
  await carol.ok('broadcast', { event: 'live', group: 'g', data: 9 });
  await back.event('live');
  assert.deepEqual(events(back).slice(-2), ['msg:8', 'live:9']);
  assert.deepEqual(world.closes, [], 'no onConnectionClose anywhere');
  // It ends for good on B: the hook runs there, once.
  await back.close();
  await until(() => world.closes.length === 1, 'the end');
  assert.deepEqual(world.closes, [{ node: 1, id: alice.self.id, code: 1000 }]);
  assert.equal(world.store.records.has(alice.self.id), false, 'its record is gone');
  await stop(world, [carol, dave]);
});

test('a server that shuts down hands its sessions over: a client resumes on a server started afterwards, with what was broadcast meanwhile', async () => {
  const world = await deployment(2);
  const [A, B] = world.nodes;
  const alice = await connect(A, { name: 'alice', groups: ['g'] });
  const bob = await login(B.url, { name: 'bob', groups: ['g'] });
  B.server.broadcast('first', 1);
  await alice.event('first');
  const resume = resumeOf(alice);
  await A.server.close();
  await A.proxy.close();
  world.nodes.splice(0, 1);
  assert.deepEqual(world.closes, [], 'the session did not end');
  await bob.ok('broadcast', { event: 'down', group: 'g', data: 2 });
  B.server.broadcast('down', 3);
  const D = await startNode(world);
  await until(() => D.adapter.stats.nodes === 1, 'the new node to join');
  const back = await connect(D, { name: 'alice' }, resume);
  assert.equal(back.answer.data.resumed, true);
  assert.equal(back.answer.data.recovered, true);
  assert.equal(back.self.id, alice.self.id);
  assert.deepEqual(events(back), ['down:2', 'down:3']);
  await stop(world, [back, bob]);
});

test('a gap larger than the history is not recovered, and nothing of it is replayed', async () => {
  const world = await deployment(2, { maxMessages: 5 });
  const [A, B] = world.nodes;
  const alice = await connect(A, { name: 'alice' });
  B.server.broadcast('first', 0);
  await alice.event('first');
  await cut(A, alice);
  await until(() => A.server.stats.recovery.retained === 1, 'retained');
  for (let i = 1; i <= 8; i++) B.server.broadcast('gap', i);
  await until(() => world.store.streams.get('all').o === 9, 'the gap in the store');
  const back = await connect(B, { name: 'alice' }, resumeOf(alice));
  assert.equal(back.answer.data.resumed, true);
  assert.equal(back.answer.data.recovered, false);
  B.server.broadcast('after', 9);
  await back.event('after');
  assert.deepEqual(events(back), ['after:9'], 'nothing partial');
  assert.equal(B.server.stats.recovery.notRecovered, 1);
  await stop(world, [back]);
});

test('a resume is checked again: a revoked user, a wrong token, or an unknown session is a fresh login or a refusal', async () => {
  const world = await deployment(2);
  const [A, B] = world.nodes;
  const alice = await connect(A, { name: 'alice' });
  await cut(A, alice);
  await until(() => A.server.stats.recovery.retained === 1, 'retained');
  const forged = await connect(B, { name: 'alice' }, { ...resumeOf(alice), token: 'x'.repeat(43) });
  assert.equal(forged.answer.data.resumed, false);
  assert.notEqual(forged.self.id, alice.self.id);
  world.revoked.add('alice');
  const refused = await connect(B, { name: 'alice' }, resumeOf(alice));
  assert.equal(refused.answer.type, 'error');
  assert.equal(refused.answer.error.code, 'auth_failed');
  // The refusal ended the session for good: the hook ran once, on the node that refused it.
  await until(() => world.closes.some((c) => c.id === alice.self.id), 'the end');
  assert.equal(world.closes.filter((c) => c.id === alice.self.id).length, 1);
  assert.equal(world.store.records.has(alice.self.id), false);
  await stop(world, [forged, refused]);
});

test('a half-open connection on the old node is dropped when the session resumes on another', async () => {
  const world = await deployment(2);
  const [A, B] = world.nodes;
  const alice = await connect(A, { name: 'alice' });
  // The client thinks its connection is dead, the server A does not know yet.
  A.proxy.blackhole();
  const back = await connect(B, { name: 'alice' }, resumeOf(alice, positionsOf(alice)));
  assert.equal(back.answer.data.resumed, true);
  await until(() => A.server.sessionCount === 0, 'A to drop its connection');
  assert.deepEqual(world.closes, []);
  B.server.broadcast('x', 1);
  await back.event('x');
  await stop(world, [back]);
});

test('with the store unreachable a broadcast is delivered nowhere and counted; a client broadcast is answered with an error', async () => {
  const world = await deployment(2);
  const [A, B] = world.nodes;
  const a = await login(A.url, { name: 'a' });
  const b = await login(B.url, { name: 'b' });
  world.store.up = false;
  A.server.broadcast('lost', 1);
  const answer = await a.send('broadcast', { event: 'lost', data: 2 });
  assert.equal(answer.type, 'error');
  assert.equal(answer.error.code, 'internal_error');
  world.store.up = true;
  A.server.broadcast('kept', 3);
  await within(b.event('kept'), 'the next broadcast');
  await a.event('kept');
  assert.equal(b.inbox.filter((m) => m.event === 'lost').length + a.inbox.filter((m) => m.event === 'lost').length, 0);
  assert.equal(A.server.stats.recovery.unrecorded, 2);
  await stop(world, [a, b]);
});
