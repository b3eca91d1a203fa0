// Private messages and presence: the availability rules (0.2.1), the
// onPrivateMessage and vetting hooks, every presence event and who gets it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, login, simpleAuth, closeAll, barrier } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

const isPresence = (m) => m.type === 'presence';

test('private messages by id or by alias reach only the receiver; onPrivateMessage runs after delivery', async () => {
  const hooked = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onPrivateMessage((from, to, data) => hooked.push([from.alias, to.alias, data]));
  });
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => login(ctx.url, { name })));
  assert.equal((await a.send('message', { to: { id: b.self.id }, data: 'by id' })).type, 'reply');
  assert.equal((await a.send('message', { to: { alias: 'b' }, data: { by: 'alias' } })).type, 'reply');
  const m1 = await b.next((m) => m.type === 'message');
  const m2 = await b.next((m) => m.type === 'message');
  assert.deepEqual(m1, { type: 'message', from: { id: a.self.id, alias: 'a' }, data: 'by id' });
  assert.deepEqual(m2.data, { by: 'alias' });
  await barrier(ctx.server, [a, b, c]);
  assert.ok(!c.has((m) => m.type === 'message') && !a.has((m) => m.type === 'message'));
  assert.deepEqual(hooked, [['a', 'b', 'by id'], ['a', 'b', { by: 'alias' }]]);
  await closeAll(ctx, [a, b, c]);
});

test('availability rules: an unavailable or alias-less sender cannot send; such receivers cannot be reached', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const ok = await login(ctx.url, { name: 'ok' });
  const away = await login(ctx.url, { name: 'away', available: false });
  const hidden = await login(ctx.url, { name: 'hidden', alias: null });
  assert.equal((await away.send('message', { to: { id: ok.self.id } })).error.code, 'unavailable');
  assert.equal((await hidden.send('message', { to: { id: ok.self.id } })).error.code, 'unavailable');
  assert.equal((await ok.send('message', { to: { id: away.self.id } })).error.code, 'not_found');
  assert.equal((await ok.send('message', { to: { alias: 'away' } })).error.code, 'not_found');
  assert.equal((await ok.send('message', { to: { id: hidden.self.id } })).error.code, 'not_found');
  assert.equal((await ok.send('message', { to: { id: '00000000-0000-4000-8000-000000000000' } })).error.code, 'not_found');
  // Becoming available makes the client reachable again.
  await away.ok('update', { available: true });
  assert.equal((await ok.send('message', { to: { alias: 'away' }, data: 1 })).type, 'reply');
  assert.equal((await away.next((m) => m.type === 'message')).data, 1);
  await closeAll(ctx, [ok, away, hidden]);
});

test('an alias shared by two visible clients is ambiguous; the id still works', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const a = await login(ctx.url, { name: 'a' });
  const t1 = await login(ctx.url, { name: 't1', alias: 'twin' });
  const t2 = await login(ctx.url, { name: 't2', alias: 'twin' });
  assert.equal((await a.send('message', { to: { alias: 'twin' } })).error.code, 'not_found');
  assert.equal((await a.send('message', { to: { id: t2.self.id }, data: 2 })).type, 'reply');
  await t2.next((m) => m.type === 'message');
  await closeAll(ctx, [a, t1, t2]);
});

test('the vetting hook can veto a private message but cannot reach the unreachable', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onClientMessage((m) => (m.kind === 'private' ? m.data !== 'spam' && true : undefined));
  });
  const a = await login(ctx.url, { name: 'a' });
  const b = await login(ctx.url, { name: 'b', available: false });
  const c = await login(ctx.url, { name: 'c' });
  assert.equal((await a.send('message', { to: { alias: 'c' }, data: 'spam' })).error.code, 'forbidden');
  assert.equal((await a.send('message', { to: { alias: 'b' }, data: 'hi' })).error.code, 'not_found');
  assert.equal((await a.send('message', { to: { alias: 'c' }, data: 'hi' })).type, 'reply');
  await barrier(ctx.server, [b, c]);
  assert.deepEqual(c.inbox.filter((m) => m.type === 'message').map((m) => m.data), ['hi']);
  assert.ok(!b.has((m) => m.type === 'message'));
  await closeAll(ctx, [a, b, c]);
});

test('a throwing onPrivateMessage is reported; the message was still delivered', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onPrivateMessage(() => {
      throw new Error('log failed');
    });
  });
  const a = await login(ctx.url, { name: 'a' });
  const b = await login(ctx.url, { name: 'b' });
  assert.equal((await a.send('message', { to: { alias: 'b' }, data: 1 })).type, 'reply');
  await b.next((m) => m.type === 'message');
  await until(() => ctx.errors.length > 0, 'error event');
  assert.equal(ctx.errors[0].hook, 'onPrivateMessage');
  await closeAll(ctx, [a, b]);
});

test('connect presence goes to available clients only, and only for available newcomers', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const watcher = await login(ctx.url, { name: 'watcher' });
  const away = await login(ctx.url, { name: 'away', available: false });
  const newcomer = await login(ctx.url, { name: 'new', publicData: { role: 'dev' } });
  const event = await watcher.next((m) => isPresence(m) && m.client.alias === 'new');
  assert.deepEqual(event.client, { id: newcomer.self.id, alias: 'new', available: true, publicData: { role: 'dev' }, connected: true });
  await barrier(ctx.server, [watcher, away, newcomer]);
  assert.ok(!watcher.has((m) => isPresence(m) && m.client.alias === 'away'), 'an unavailable newcomer is not announced');
  assert.ok(!away.has(isPresence), 'unavailable clients get no presence events');
  assert.ok(!newcomer.has(isPresence), 'no event about oneself');
  assert.ok(!watcher.raw.join('').includes('secret-of'), 'presence carries no server-side data');
  await closeAll(ctx, [watcher, away, newcomer]);
});

test('alias and availability updates are answered, then announced to the other available clients', async () => {
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onAliasChange(() => true);
  });
  const a = await login(ctx.url, { name: 'a' });
  const b = await login(ctx.url, { name: 'b' });
  const off = await login(ctx.url, { name: 'off', available: false });
  await a.next(isPresence);
  assert.deepEqual(await b.ok('update', { alias: 'bee' }), { alias: 'bee', available: true });
  assert.equal((await a.next(isPresence)).client.alias, 'bee');
  assert.deepEqual(await b.ok('update', { available: false }), { alias: 'bee', available: false });
  const wentAway = await a.next(isPresence);
  assert.equal(wentAway.client.available, false);
  assert.equal(wentAway.client.connected, true);
  assert.equal(ctx.server.getSession(b.self.id).alias, 'bee');
  await barrier(ctx.server, [a, b, off]);
  assert.ok(!off.has(isPresence));
  assert.ok(!b.has(isPresence));
  await closeAll(ctx, [a, b, off]);
});

test('a disconnect is always announced (connected: false), even for an unavailable client', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const a = await login(ctx.url, { name: 'a' });
  const away = await login(ctx.url, { name: 'away', available: false });
  const b = await login(ctx.url, { name: 'b' });
  await a.next((m) => isPresence(m) && m.client.alias === 'b');
  await away.close();
  const gone = await a.next((m) => isPresence(m) && m.client.alias === 'away');
  assert.deepEqual(gone.client, { id: away.self.id, alias: 'away', available: false, publicData: null, connected: false });
  b.ws.terminate();
  const dropped = await a.next((m) => isPresence(m) && m.client.alias === 'b');
  assert.equal(dropped.client.connected, false);
  await closeAll(ctx, [a]);
});

test('the client list shows the other visible, available clients', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const me = await login(ctx.url, { name: 'me', available: false });
  const vis = await login(ctx.url, { name: 'vis', publicData: { x: 1 } });
  const away = await login(ctx.url, { name: 'away', available: false });
  const hidden = await login(ctx.url, { name: 'hidden', alias: null });
  const list = await me.ok('clients');
  assert.deepEqual(list, [{ id: vis.self.id, alias: 'vis', available: true, publicData: { x: 1 }, connected: true }]);
  assert.deepEqual((await vis.ok('clients')).map((c) => c.alias), []);
  await closeAll(ctx, [me, vis, away, hidden]);
});

test('server-side setAlias/setAvailable announce too', async () => {
  const ctx = await startServer((s) => simpleAuth(s));
  const a = await login(ctx.url, { name: 'a' });
  const b = await login(ctx.url, { name: 'b' });
  await a.next(isPresence);
  ctx.server.getSession(b.self.id).setAlias('renamed');
  assert.equal((await a.next(isPresence)).client.alias, 'renamed');
  assert.throws(() => ctx.server.getSession(b.self.id).setAvailable('yes'), TypeError);
  await closeAll(ctx, [a, b]);
});
