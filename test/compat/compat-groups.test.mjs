// The compat server's defaults for what 0.2.x clients may do by themselves:
// no self-service groups and no broadcasts to everyone unless the
// application opts in, whoever logged in before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeServer } from '../../dist/esm/compat/index.js';
import { startServer, legacyLogin, login, closeAll, barrier } from '../router/helpers.mjs';

function app(s) {
  s.OnAuthentication((cred, startSessionWith, response) => {
    startSessionWith({ user: cred.user }, cred.groups ?? [`user:${cred.user}`], cred.user, true);
    response(null, { user: cred.user });
  });
  s.OnRequest('promote', (body, response, data, groups, emitter) => {
    emitter.session.join('moderators'); // a group added by the application, not at authentication
    response(null, true);
  });
}

test('by default no client joins anything: admin before any admin logged in, user:<id>, groups added with session.join()', async () => {
  const ctx = await startServer(app, {}, WebSocketNodeServer);
  // A fresh server: no session was ever started with "admin" or "user:ana".
  const joe = await legacyLogin(ctx.url, { user: 'joe' });
  for (const group of ['admin', 'user:ana', 'moderators', 'room1']) {
    const answer = await joe.call('group', 'join', null, group);
    assert.ok(answer.error, `joining ${group} is refused`);
    assert.equal(ctx.server.server.groupSize(group), 0);
  }
  const mod = await legacyLogin(ctx.url, { user: 'mod' });
  await mod.call('call', 'promote', null);
  assert.ok((await joe.call('group', 'join', null, 'moderators')).error);
  // Nor can a client leave what the server gave it.
  assert.ok((await mod.call('group', 'leave', null, 'moderators')).error);
  assert.ok((await mod.call('group', 'leave', null, 'user:mod')).error);
  const modSession = [...ctx.server.server.sessions()].find((s) => s.data.user === 'mod');
  assert.deepEqual(ctx.server.view(modSession).clientGroups, ['user:mod', 'moderators']);
  // A modern client on the same server is under the same rule.
  const neo = await login(ctx.url, { user: 'neo' });
  assert.equal((await neo.send('join', { group: 'admin' })).error.code, 'forbidden');
  assert.equal(ctx.server.server.groupSize('admin'), 0);
  await closeAll({ server: ctx.server }, [joe, mod, neo]);
});

test('joinableGroups: a list, a predicate, or "any" for the 0.2.x behaviour', async () => {
  const list = await startServer(app, { joinableGroups: ['lobby'] }, WebSocketNodeServer);
  const a = await legacyLogin(list.url, { user: 'a' });
  assert.deepEqual((await a.call('group', 'join', null, 'lobby')).response, { done: true });
  assert.deepEqual((await a.call('group', 'leave', null, 'lobby')).response, { done: true });
  assert.ok((await a.call('group', 'join', null, 'admin')).error);
  await closeAll({ server: list.server }, [a]);

  const seen = [];
  const predicate = await startServer(app, {
    joinableGroups: (group, session) => {
      seen.push([group, session.publicAlias]);
      return group.startsWith('room-');
    },
  }, WebSocketNodeServer);
  const b = await legacyLogin(predicate.url, { user: 'b' });
  assert.deepEqual((await b.call('group', 'join', null, 'room-7')).response, { done: true });
  assert.ok((await b.call('group', 'join', null, 'admin')).error);
  assert.deepEqual(seen, [['room-7', 'b'], ['admin', 'b']]);
  await closeAll({ server: predicate.server }, [b]);

  const any = await startServer(app, { joinableGroups: 'any' }, WebSocketNodeServer);
  const c = await legacyLogin(any.url, { user: 'c' });
  assert.deepEqual((await c.call('group', 'join', null, 'admin')).response, { done: true }, 'deliberately the original behaviour');
  assert.deepEqual((await c.call('group', 'leave', null, 'user:c')).response, { done: true });
  await closeAll({ server: any.server }, [c]);

  assert.throws(() => new WebSocketNodeServer({ joinableGroups: 'all' }), TypeError);
  assert.throws(() => new WebSocketNodeServer({ joinableGroups: [1] }), TypeError);
});

test('OnGroupChange still replaces the default rule', async () => {
  const ctx = await startServer((s) => {
    app(s);
    s.OnGroupChange((session, group) => group === 'vip' && session.publicAlias === 'ana');
  }, { joinableGroups: 'any' }, WebSocketNodeServer);
  const ana = await legacyLogin(ctx.url, { user: 'ana' });
  const bo = await legacyLogin(ctx.url, { user: 'bo' });
  assert.deepEqual((await ana.call('group', 'join', null, 'vip')).response, { done: true });
  assert.ok((await bo.call('group', 'join', null, 'vip')).error);
  assert.ok((await ana.call('group', 'join', null, 'lobby')).error, 'the hook, not joinableGroups, decides');
  await closeAll({ server: ctx.server }, [ana, bo]);
});

test('legacy broadcasts to everyone are refused unless clientBroadcasts.toEveryone is set', async () => {
  const off = await startServer(app, {}, WebSocketNodeServer);
  const a = await legacyLogin(off.url, { user: 'a', groups: ['g'] });
  const b = await legacyLogin(off.url, { user: 'b', groups: ['g'] });
  a.post('broadcast', 'hello', 1, null);
  const refused = await a.next((m) => m.info?.request === 'hello' && m.error);
  assert.match(refused.error, /broadcast to everyone/);
  a.post('broadcast', 'team', 2, 'g');
  assert.equal((await b.event('team')).response, 2, 'group broadcasts by members stay allowed');
  await barrier(off.server.server, [a, b]);
  assert.ok(!b.has((m) => m.info?.request === 'hello'));
  await closeAll({ server: off.server }, [a, b]);

  const on = await startServer(app, { clientBroadcasts: { toEveryone: true } }, WebSocketNodeServer);
  const c = await legacyLogin(on.url, { user: 'c' });
  const d = await legacyLogin(on.url, { user: 'd' });
  c.post('broadcast', 'hello', 3, null);
  assert.equal((await d.event('hello')).response, 3);
  await closeAll({ server: on.server }, [c, d]);
});
