// Abuse by an authenticated client of names and membership: events under
// the names the protocols use for private messages and presence, aliases
// taken from other users, and groups joined without end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeServer, SERVER_DEFAULTS } from '../../dist/esm/index.js';
import { WebSocketNodeClient } from '../../dist/esm/client/index.js';
import { WebSocketNodeServer as CompatServer } from '../../dist/esm/compat/index.js';
import { startServer, login, legacyLogin, simpleAuth, closeAll, barrier } from './helpers.mjs';

const RESERVED = ['msgFromClient', '__updateClientsState', '__anything'];

test('clients cannot broadcast under reserved event names, on either protocol', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { clientBroadcasts: { toEveryone: true } });
  const victim = await legacyLogin(ctx.url, { name: 'victim', groups: ['g'] });
  const modern = await login(ctx.url, { name: 'modern', groups: ['g'] });
  const old = await legacyLogin(ctx.url, { name: 'old', groups: ['g'] });
  for (const event of RESERVED) {
    for (const group of [null, 'g']) {
      const answer = await modern.send('broadcast', { event, group, data: { fromUUID: 'forged', data: 'pay me' } });
      assert.equal(answer.error?.code, 'bad_message', `${event} to ${group}`);
      assert.match(answer.error.message, /reserved/);
      const legacy = await old.call('broadcast', event, { uuid: 'forged', publicAlias: 'admin', isAvailable: true }, group);
      assert.ok(legacy.error, `legacy ${event} to ${group} is answered with an error`);
    }
  }
  await barrier(ctx.server, [victim, modern, old]);
  const forged = victim.inbox.filter((m) => m.info?.request === 'msgFromClient' || m.info?.request?.startsWith('__'));
  // The only such pushes the victim got are the server's own presence events (the two logins after it).
  assert.ok(forged.every((m) => m.info.request === '__updateClientsState' && m.response.uuid !== 'forged'), JSON.stringify(forged));
  assert.ok(!victim.has((m) => m.info?.request === 'msgFromClient'));
  await closeAll(ctx, [victim, modern, old]);
});

test('application code cannot use reserved event names either: broadcast and send throw TypeError', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const a = await login(ctx.url, { name: 'a' });
  const session = ctx.server.getSession(a.self.id);
  for (const event of RESERVED) {
    assert.throws(() => ctx.server.broadcast(event, 1), TypeError, event);
    assert.throws(() => session.broadcast(event, 1), TypeError, event);
    assert.throws(() => session.send(event, 1), TypeError, event);
  }
  // Names that only look alike are fine.
  assert.equal(session.send('_single', 1), true);
  assert.equal(ctx.server.broadcast('msgFromClients', 1), 1);
  await barrier(ctx.server, [a]);
  assert.ok(!a.has((m) => m.event === 'msgFromClient' || m.event?.startsWith('__')));
  const compat = new CompatServer({ host: '127.0.0.1', port: 0 });
  assert.throws(() => compat.Broadcast('msgFromClient', null, 1), TypeError);
  await compat.Close();
  await closeAll(ctx, [a]);
});

function aliasApp(hook) {
  return (s) => {
    simpleAuth(s);
    if (hook !== undefined) s.onAliasChange(hook);
  };
}

test('a client cannot take an alias another live session holds (alias_taken), visible or not', async () => {
  const ctx = await startServer(aliasApp());
  const bob = await login(ctx.url, { name: 'bob' });
  const away = await login(ctx.url, { name: 'away', available: false });
  const mallory = await login(ctx.url, { name: 'mallory' });
  for (const alias of ['bob', 'away']) {
    const answer = await mallory.send('update', { alias, available: true });
    assert.equal(answer.error?.code, 'alias_taken', alias);
  }
  const s = ctx.server.getSession(mallory.self.id);
  assert.deepEqual([s.alias, s.available], ['mallory', true], 'a refused update changes nothing');
  // A free alias, and one freed by its holder's disconnect, can be taken.
  assert.deepEqual(await mallory.ok('update', { alias: 'mal' }), { alias: 'mal', available: true });
  await away.close();
  assert.deepEqual(await mallory.ok('update', { alias: 'away' }), { alias: 'away', available: true });
  // Keeping one's own alias is no change at all.
  assert.deepEqual(await bob.ok('update', { alias: 'bob' }), { alias: 'bob', available: true });
  await closeAll(ctx, [bob, mallory]);
});

test('a message to an alias never reaches another session than its holder', async () => {
  // The application itself gave two sessions the same alias at authentication.
  const ctx = await startServer(aliasApp());
  const sender = await login(ctx.url, { name: 'sender' });
  const bob = await login(ctx.url, { name: 'bob' });
  const squatter = await login(ctx.url, { name: 'squatter', alias: 'bob' });
  assert.equal((await sender.send('message', { to: { alias: 'bob' }, data: 1 })).error.code, 'not_found');
  // The real holder goes away (unavailable): the alias still has two holders.
  await bob.ok('update', { available: false });
  assert.equal((await sender.send('message', { to: { alias: 'bob' }, data: 'for bob only' })).error.code, 'not_found');
  await barrier(ctx.server, [sender, bob, squatter]);
  assert.ok(!squatter.has((m) => m.type === 'message'), 'the squatter got nothing');
  await closeAll(ctx, [sender, bob, squatter]);
});

test('without onAliasChange clients rename to free aliases; the hook decides, and sees the session and alias', async () => {
  const none = await startServer(aliasApp());
  const a = await login(none.url, { name: 'a' });
  assert.deepEqual(await a.ok('update', { alias: 'b' }), { alias: 'b', available: true });
  assert.equal(none.server.getSession(a.self.id).alias, 'b');
  assert.deepEqual(await a.ok('update', { available: false }), { alias: 'b', available: false });
  await closeAll(none, [a]);

  const closed = await startServer(aliasApp(() => false));
  const d = await login(closed.url, { name: 'd' });
  assert.equal((await d.send('update', { alias: 'e' })).error.code, 'forbidden', 'a hook answering false stops renames');
  assert.equal(closed.server.getSession(d.self.id).alias, 'd');
  assert.deepEqual(await d.ok('update', { available: false }), { alias: 'd', available: false }, 'availability needs no hook');
  await closeAll(closed, [d]);

  const asked = [];
  const ctx = await startServer(aliasApp((session, alias) => {
    asked.push([session.alias, alias]);
    return alias !== 'admin';
  }));
  const c = await login(ctx.url, { name: 'c' });
  assert.equal((await c.send('update', { alias: 'admin' })).error.code, 'forbidden');
  assert.deepEqual(await c.ok('update', { alias: 'cee' }), { alias: 'cee', available: true });
  assert.deepEqual(await c.ok('update', { alias: null }), { alias: null, available: true });
  assert.deepEqual(asked, [['c', 'admin'], ['c', 'cee'], ['cee', null]]);
  await closeAll(ctx, [c]);
});

test('the compat server lets 0.2.x clients rename, but not to an alias in use', async () => {
  const ctx = await startServer((s) => {
    s.OnAuthentication((cred, start, response) => {
      start({}, [], cred.user, true);
      response(null, {});
    });
  }, {}, CompatServer);
  const a = await legacyLogin(ctx.url, { user: 'ana' });
  const b = await legacyLogin(ctx.url, { user: 'bo' });
  assert.deepEqual((await b.call('channel', 'updatePublicAlias', { publicAlias: 'bobby' })).response, { currentAlias: 'bobby' });
  const taken = await b.call('channel', 'updatePublicAlias', { publicAlias: 'ana' });
  assert.match(taken.error, /in use/);
  assert.deepEqual((await b.call('channel', 'getPublicAlias')).response, { currentAlias: 'bobby' });
  await closeAll(ctx, [a, b]);
});

test('joins past maxGroupsPerSession or maxGroups are refused limit_reached and counted', async () => {
  assert.deepEqual([SERVER_DEFAULTS.maxGroupsPerSession, SERVER_DEFAULTS.maxGroups], [128, 100_000]);
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onGroupChange(() => true);
  }, { maxGroupsPerSession: 3, maxGroups: 5 });
  const a = await login(ctx.url, { name: 'a', groups: ['assigned'] });
  const b = await login(ctx.url, { name: 'b' });
  await a.ok('join', { group: 'a1' });
  await a.ok('join', { group: 'a2' });
  const over = await a.send('join', { group: 'a3' });
  assert.equal(over.error.code, 'limit_reached');
  assert.match(over.error.message, /at most 3 groups/);
  assert.equal(ctx.server.getSession(a.self.id).groups.size, 3);
  // Joining an existing group adds no group to the server; a new one past the total is refused.
  await b.ok('join', { group: 'a1' });
  await b.ok('join', { group: 'b1' });
  await b.ok('join', { group: 'b2' });
  assert.equal(ctx.server.stats.groups, 5);
  await b.ok('leave', { group: 'b2' });
  await b.ok('join', { group: 'b3' });
  const full = await b.send('join', { group: 'a2' });
  assert.equal(full.error.code, 'limit_reached', 'b is in 3 groups');
  await b.ok('leave', { group: 'a1' }); // a is still in it: the server keeps 5 groups
  const total = await b.send('join', { group: 'b4' });
  assert.equal(total.error.code, 'limit_reached');
  assert.match(total.error.message, /limit of 5 groups/);
  assert.deepEqual(await b.ok('join', { group: 'a2' }), { group: 'a2', joined: true }, 'an existing group can still be joined');
  assert.equal(ctx.server.stats.refusedJoins, 3);
  // The application itself is not limited.
  ctx.server.getSession(a.self.id).join('server-side');
  assert.equal(ctx.server.groupSize('server-side'), 1);
  await closeAll(ctx, [a, b]);
  assert.throws(() => new WebSocketNodeServer({ maxGroupsPerSession: -1 }), RangeError);
  assert.throws(() => new WebSocketNodeServer({ maxGroups: Infinity }), RangeError);
});

test('join and leave answers name the change only: their size does not grow with the groups', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onGroupChange(() => true);
  });
  const a = await login(ctx.url, { name: 'a' });
  const sizes = [];
  for (let i = 0; i < 60; i++) {
    const group = `room-${String(i).padStart(3, '0')}`;
    assert.deepEqual(await a.ok('join', { group }), { group, joined: true });
    const text = a.raw.at(-1);
    sizes.push(text.length - String(JSON.parse(text).id).length);
  }
  assert.equal(Math.max(...sizes), Math.min(...sizes), 'every answer has the same size, but for its id');
  assert.deepEqual(await a.ok('leave', { group: 'room-007' }), { group: 'room-007', joined: false });
  assert.deepEqual(await a.ok('leave', { group: 'room-007' }), { group: 'room-007', joined: false }, 'not a member: nothing to do');
  assert.equal(ctx.server.getSession(a.self.id).groups.size, 59);
  await closeAll(ctx, [a]);
});

test('the client keeps self.groups from the join and leave answers', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onGroupChange((session, group) => group !== 'admin');
  });
  const client = new WebSocketNodeClient(ctx.url, { reconnect: false });
  try {
    await client.authenticate({ name: 'ana', groups: ['staff'] });
    assert.deepEqual(await client.join('room-1'), ['staff', 'room-1']);
    assert.deepEqual(await client.join('room-2'), ['staff', 'room-1', 'room-2']);
    assert.deepEqual(await client.join('room-1'), ['staff', 'room-1', 'room-2'], 'joining twice changes nothing');
    await assert.rejects(client.join('admin'), (e) => e.code === 'forbidden');
    assert.deepEqual(await client.leave('staff'), ['room-1', 'room-2']);
    assert.deepEqual(client.self.groups, ['room-1', 'room-2']);
    assert.deepEqual([...ctx.server.getSession(client.id).groups].sort(), ['room-1', 'room-2']);
  } finally {
    await client.close();
    await ctx.server.close();
  }
});
