// Broadcasts (server, handler and client initiated), the group index, the
// vetting hook, and client group changes through onGroupChange.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketBase } from '../../dist/esm/session/index.js';
import { startServer, login, legacyLogin, simpleAuth, closeAll, barrier } from './helpers.mjs';

async function room(setup, names = ['a', 'b', 'c', 'd'], options = {}) {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    setup?.(s);
  }, options);
  const groups = { a: ['red'], b: ['red', 'blue'], c: ['blue'], d: [] };
  const clients = await Promise.all(names.map((name) => login(ctx.url, { name, groups: groups[name] })));
  return { ctx, clients, byName: Object.fromEntries(names.map((n, i) => [n, clients[i]])) };
}

const got = (c, event) => c.has((m) => m.type === 'event' && m.event === event);

test('server broadcast reaches everyone, one group, or everyone but one', async () => {
  const { ctx, clients, byName } = await room();
  const { a, b, c, d } = byName;
  assert.equal(ctx.server.broadcast('all', { n: 1 }), 4);
  assert.equal(ctx.server.broadcast('reds', 2, { group: 'red' }), 2);
  assert.equal(ctx.server.broadcast('not-b', 3, { except: ctx.server.getSession(b.self.id) }), 3);
  assert.equal(ctx.server.broadcast('nobody', 4, { group: 'empty-group' }), 0);
  await barrier(ctx.server, clients);
  for (const x of clients) assert.ok(got(x, 'all'));
  assert.deepEqual(clients.map((x) => got(x, 'reds')), [true, true, false, false]);
  assert.deepEqual(clients.map((x) => got(x, 'not-b')), [true, false, true, true]);
  const ev = a.inbox.find((m) => m.event === 'reds');
  assert.deepEqual(ev, { type: 'event', event: 'reds', group: 'red', data: 2 });
  assert.ok(!d.has((m) => m.event === 'nobody') && !c.has((m) => m.event === 'nobody'));
  await closeAll(ctx, clients);
});

test('group and except combine; string data with options is data, not a group', async () => {
  const { ctx, clients, byName } = await room();
  const { a, b } = byName;
  const sessionA = ctx.server.getSession(a.self.id);
  assert.equal(ctx.server.broadcast('reds-but-a', 'hello', { group: 'red', except: sessionA }), 1);
  assert.equal(sessionA.broadcast('from-a', 'text', { group: 'blue' }), 2);
  assert.equal(ctx.server.broadcast('explicit-nulls', 'x', { group: null, except: null }), 4);
  await barrier(ctx.server, clients);
  assert.deepEqual(clients.map((x) => got(x, 'reds-but-a')), [false, true, false, false]);
  assert.deepEqual(b.inbox.find((m) => m.event === 'reds-but-a'), { type: 'event', event: 'reds-but-a', group: 'red', data: 'hello' });
  assert.deepEqual(clients.map((x) => got(x, 'from-a')), [false, true, true, false]);
  await closeAll(ctx, clients);
});

test('the 0.2.x positional broadcast(event, group, data, except) throws a TypeError naming the new form; nothing is sent', async () => {
  const { ctx, clients, byName } = await room();
  const sessionA = ctx.server.getSession(byName.a.self.id);
  const newForm = /broadcast\(event, data, \{ group, except \}\)/;
  const oldCalls = [
    ['4 arguments', (t) => t.broadcast('old', 'red', { n: 1 }, sessionA)],
    ['4 arguments, null group', (t) => t.broadcast('old', null, { n: 1 }, null)],
    ['data object as options', (t) => t.broadcast('old', 'red', { n: 1 })],
    ['null group, data object', (t) => t.broadcast('old', null, { text: 'hi' })],
    ['string data as options', (t) => t.broadcast('old', 'red', 'text')],
    ['null data as options', (t) => t.broadcast('old', 'red', null)],
    ['number data as options', (t) => t.broadcast('old', null, 7)],
    ['array data as options', (t) => t.broadcast('old', 'red', [1, 2])],
  ];
  for (const target of [ctx.server, sessionA]) {
    for (const [what, call] of oldCalls) assert.throws(() => call(target), { name: 'TypeError', message: newForm }, what);
  }
  assert.throws(() => ctx.server.broadcast('bad', 1, { group: '' }), TypeError, 'empty group');
  assert.throws(() => ctx.server.broadcast('bad', 1, { group: 5 }), TypeError, 'group not a string');
  assert.throws(() => ctx.server.broadcast('bad', 1, { except: byName.a.self }), TypeError, 'except not a Session');
  assert.throws(() => sessionA.broadcast('bad', 1, { except: 'a' }), TypeError, 'except not a Session');
  assert.equal(ctx.server.broadcast('after', 1), 4, 'the server still broadcasts');
  await barrier(ctx.server, clients);
  for (const x of clients) {
    assert.ok(!x.has((m) => m.event === 'old' || m.event === 'bad'), 'no old-form or invalid call reached anyone');
    assert.ok(got(x, 'after'));
  }
  await closeAll(ctx, clients);
});

test('a broadcast is encoded once and the same frame is written to every recipient', async () => {
  const { ctx, clients } = await room();
  const legacy = await legacyLogin(ctx.url, { name: 'old', groups: ['red'] });
  const writes = [];
  const original = WebSocketBase.prototype.sendPrepared;
  WebSocketBase.prototype.sendPrepared = function (frame) {
    writes.push(frame);
    return original.call(this, frame);
  };
  try {
    ctx.server.broadcast('once', { big: 'x'.repeat(1000) }, { group: 'red' });
  } finally {
    WebSocketBase.prototype.sendPrepared = original;
  }
  assert.equal(writes.length, 3, 'a, b and the legacy client are in red');
  const distinct = new Set(writes);
  assert.equal(distinct.size, 2, 'one frame per wire protocol, shared by its recipients');
  await barrier(ctx.server, [...clients, legacy]);
  assert.ok(legacy.has((m) => m.info?.request === 'once' && m.info.group === 'red' && m.response.big.length === 1000));
  await closeAll(ctx, [...clients, legacy]);
});

test('session.join/leave on the server update the group index', async () => {
  const { ctx, clients, byName } = await room();
  const d = ctx.server.getSession(byName.d.self.id);
  assert.equal(ctx.server.groupSize('red'), 2);
  assert.equal(d.join('red'), true);
  assert.equal(d.join('red'), false);
  assert.equal(ctx.server.groupSize('red'), 3);
  ctx.server.broadcast('r1', null, { group: 'red' });
  ctx.server.getSession(byName.a.self.id).leave('red');
  ctx.server.broadcast('r2', null, { group: 'red' });
  await barrier(ctx.server, clients);
  assert.deepEqual(clients.map((x) => got(x, 'r1')), [true, true, false, true]);
  assert.deepEqual(clients.map((x) => got(x, 'r2')), [false, true, false, true]);
  assert.throws(() => d.join(''), TypeError);
  await closeAll(ctx, clients);
  assert.equal(ctx.server.groupSize('red'), 0, 'closed sessions leave the index');
});

test('client broadcast: to everyone but the sender (when the server allows it), or to a group the sender belongs to', async () => {
  const { ctx, clients, byName } = await room(null, undefined, { clientBroadcasts: { toEveryone: true } });
  const { a, b, c, d } = byName;
  assert.equal((await a.send('broadcast', { event: 'hi', data: 'all' })).type, 'reply');
  assert.equal((await b.send('broadcast', { event: 'blue-hi', group: 'blue', data: 1 })).type, 'reply');
  const denied = await a.send('broadcast', { event: 'sneak', group: 'blue', data: 1 });
  assert.equal(denied.error.code, 'forbidden');
  await barrier(ctx.server, clients);
  assert.deepEqual(clients.map((x) => got(x, 'hi')), [false, true, true, true]);
  assert.deepEqual(clients.map((x) => got(x, 'blue-hi')), [false, false, true, false]);
  assert.ok(!clients.some((x) => got(x, 'sneak')));
  const ev = c.inbox.find((m) => m.event === 'blue-hi');
  assert.deepEqual(ev.from, { id: b.self.id, alias: 'b' });
  assert.ok(d && a);
  await closeAll(ctx, clients);
});

test('the vetting hook can veto a client broadcast or allow one into a foreign group', async () => {
  const seen = [];
  const { ctx, clients, byName } = await room((s) =>
    s.onClientMessage((m) => {
      seen.push([m.kind, m.sender.alias, m.event, m.group]);
      if (m.event === 'banned') return false;
      if (m.event === 'announce') return true;
      return undefined;
    }),
  );
  const { a } = byName;
  assert.equal((await a.send('broadcast', { event: 'banned' })).error.code, 'forbidden');
  assert.equal((await a.send('broadcast', { event: 'announce', group: 'blue' })).type, 'reply');
  assert.equal((await a.send('broadcast', { event: 'plain', group: 'blue' })).error.code, 'forbidden');
  await barrier(ctx.server, clients);
  assert.deepEqual(clients.map((x) => got(x, 'announce')), [false, true, true, false]);
  assert.ok(!clients.some((x) => got(x, 'banned')));
  assert.deepEqual(seen[0], ['broadcast', 'a', 'banned', null]);
  await closeAll(ctx, clients);
});

test('a throwing vetting hook refuses the broadcast with internal_error and reports it', async () => {
  const { ctx, clients, byName } = await room((s) =>
    s.onClientMessage(() => {
      throw new Error('vet failed');
    }),
  );
  assert.equal((await byName.a.send('broadcast', { event: 'x' })).error.code, 'internal_error');
  await barrier(ctx.server, clients);
  assert.ok(!clients.some((x) => got(x, 'x')));
  assert.equal(ctx.errors[0].hook, 'onClientMessage');
  await closeAll(ctx, clients);
});

test('clients cannot change their groups without an onGroupChange hook', async () => {
  const { ctx, clients, byName } = await room();
  const { a } = byName;
  assert.equal((await a.send('join', { group: 'admin' })).error.code, 'forbidden');
  assert.equal((await a.send('leave', { group: 'red' })).error.code, 'forbidden');
  assert.equal(ctx.server.groupSize('admin'), 0);
  assert.equal(ctx.server.groupSize('red'), 2);
  // No change needed: nothing to refuse.
  assert.deepEqual(await a.ok('join', { group: 'red' }), { group: 'red', joined: true });
  await closeAll(ctx, clients);
});

test('onGroupChange decides joins and leaves; only true allows', async () => {
  const asked = [];
  const { ctx, clients, byName } = await room((s) =>
    s.onGroupChange(async (session, group, join) => {
      asked.push([session.alias, group, join]);
      if (group === 'admin') return false;
      if (group === 'weird') return 'yes';
      return true;
    }),
  );
  const { a, d } = byName;
  assert.deepEqual(await d.ok('join', { group: 'lobby' }), { group: 'lobby', joined: true });
  assert.equal((await d.send('join', { group: 'admin' })).error.code, 'forbidden');
  assert.equal((await d.send('join', { group: 'weird' })).error.code, 'forbidden');
  assert.deepEqual(await a.ok('leave', { group: 'red' }), { group: 'red', joined: false });
  assert.equal(ctx.server.groupSize('lobby'), 1);
  assert.equal(ctx.server.groupSize('red'), 1);
  assert.equal(ctx.server.groupSize('admin'), 0);
  assert.deepEqual(asked, [['d', 'lobby', true], ['d', 'admin', true], ['d', 'weird', true], ['a', 'red', false]]);
  ctx.server.broadcast('lobby-news', 1, { group: 'lobby' });
  await barrier(ctx.server, clients);
  assert.deepEqual(clients.map((x) => got(x, 'lobby-news')), [false, false, false, true]);
  await closeAll(ctx, clients);
});

test('a throwing onGroupChange refuses with internal_error and changes nothing', async () => {
  const { ctx, clients, byName } = await room((s) =>
    s.onGroupChange(() => {
      throw new Error('nope');
    }),
  );
  assert.equal((await byName.d.send('join', { group: 'x' })).error.code, 'internal_error');
  assert.equal(ctx.server.groupSize('x'), 0);
  assert.equal(ctx.errors[0].hook, 'onGroupChange');
  await closeAll(ctx, clients);
});
