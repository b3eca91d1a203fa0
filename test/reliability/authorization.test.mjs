// Authorization by default, attempted the way an attacker would: every
// message type before authentication, self-service group joins, broadcasts
// into foreign groups, private messages to hidden clients, and a scan of
// every byte every client received for server-side session data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, login, legacyLogin, TestClient, barrier, closeAll } from './helpers.mjs';
import { within } from '../helpers/wait.mjs';

const SECRET = 'server-side-secret-';

function auth(s) {
  s.onAuthentication((c, start, respond) => {
    start({ token: `${SECRET}${c.name}`, role: c.role ?? 'user' }, c.groups ?? [], c.alias === undefined ? c.name : c.alias, c.available ?? true, { team: 'blue' });
    respond(null, { hello: c.name });
  });
}

test('before authentication nothing but auth is possible, on either protocol, and nothing changes', async () => {
  const handled = [];
  const ctx = await startServer((s) => {
    auth(s);
    s.onRequest('admin/wipe', () => handled.push('wipe'));
    s.onGroupChange(() => true);
  });
  const anon = await TestClient.connect(ctx.url);
  const attempts = [
    ['request', { name: 'admin/wipe' }],
    ['broadcast', { event: 'x', group: null, data: 1 }],
    ['message', { to: { alias: 'anyone' }, data: 1 }],
    ['join', { group: 'admin' }],
    ['leave', { group: 'admin' }],
    ['clients', {}],
    ['update', { alias: 'root', available: true }],
  ];
  for (const [type, fields] of attempts) {
    assert.equal((await anon.send(type, fields)).error.code, 'not_authenticated', type);
  }
  assert.deepEqual(handled, []);
  assert.deepEqual([ctx.server.sessionCount, ctx.server.stats.groups], [0, 0]);
  // Legacy clients that speak before authenticating are dropped, as the original did.
  const old = await TestClient.connect(ctx.url, { legacy: true });
  old.post('call', 'admin/wipe', null);
  assert.equal((await within(old.closed, '1008')).code, 1008);
  assert.deepEqual(handled, []);
  await closeAll(ctx, [anon]);
});

test('clients cannot join groups, broadcast into foreign groups, or reach hidden clients by default', async () => {
  const ctx = await startServer((s) => {
    auth(s);
    s.onRequest('whoami', (b, { session, respond }) => respond(null, session)); // a careless handler
  });
  const admin = await login(ctx.url, { name: 'admin', groups: ['admins'] });
  const hidden = await login(ctx.url, { name: 'hidden', available: false });
  const noAlias = await login(ctx.url, { name: 'ghost', alias: null });
  const mallory = await login(ctx.url, { name: 'mallory' });
  const old = await legacyLogin(ctx.url, { name: 'oldie' });
  assert.equal((await mallory.send('join', { group: 'admins' })).error.code, 'forbidden');
  assert.equal((await old.call('group', 'join', null, 'admins')).error, 'clients may not change their groups');
  assert.equal(ctx.server.groupSize('admins'), 1);
  assert.equal((await mallory.send('broadcast', { event: 'pwn', group: 'admins', data: 1 })).error.code, 'forbidden');
  old.post('broadcast', 'pwn', 1, 'admins');
  assert.equal((await mallory.send('message', { to: { alias: 'hidden' }, data: 1 })).error.code, 'not_found');
  assert.equal((await mallory.send('message', { to: { id: hidden.self.id }, data: 1 })).error.code, 'not_found');
  assert.equal((await mallory.send('message', { to: { id: noAlias.self.id }, data: 1 })).error.code, 'not_found');
  assert.equal((await hidden.send('message', { to: { alias: 'mallory' }, data: 1 })).error.code, 'unavailable');
  const listed = (await mallory.ok('clients')).map((c) => c.alias).sort();
  assert.deepEqual(listed, ['admin', 'oldie']);
  await barrier(ctx.server, [admin, hidden, noAlias, mallory, old]);
  assert.ok(!admin.has((m) => m.event === 'pwn' || m.type === 'message'), 'nothing reached the admins group');
  assert.ok(!hidden.has((m) => m.type === 'message'));
  // The careless handler passes the Session itself: only its public view goes out.
  const me = await mallory.ok('request', { name: 'whoami' });
  assert.deepEqual(Object.keys(me).sort(), ['alias', 'available', 'connected', 'id', 'publicData']);
  await closeAll(ctx, [admin, hidden, noAlias, mallory, old]);
});

test('no byte any client receives contains server-side session data', async () => {
  const ctx = await startServer((s) => {
    auth(s);
    s.onRequest('echo', (b) => b);
    s.onGroupChange(() => true);
    s.onAliasChange(() => true);
  });
  const clients = [
    await login(ctx.url, { name: 'a', groups: ['g'] }),
    await login(ctx.url, { name: 'b', groups: ['g'] }),
    await legacyLogin(ctx.url, { name: 'c', groups: ['g'] }),
  ];
  const [a, b, c] = clients;
  await a.ok('broadcast', { event: 'hi', group: 'g', data: 1 });
  await a.ok('message', { to: { alias: 'b' }, data: 'dm' });
  await b.ok('update', { alias: 'bee' });
  await b.ok('clients');
  await c.call('channel', 'getAvailableClients', null);
  await c.call('channel', 'updatePublicAvailability', { isAvailable: false });
  ctx.server.broadcast('server-news', { n: 1 });
  for (const s of ctx.server.sessions()) s.send('direct', { to: s.alias });
  await barrier(ctx.server, clients);
  const extra = await login(ctx.url, { name: 'late' });
  await extra.close();
  await barrier(ctx.server, clients);
  for (const client of clients) {
    assert.ok(client.raw.length > 5, 'the scenario produced traffic');
    for (const text of client.raw) assert.ok(!text.includes(SECRET) && !text.includes('"role"'), text.slice(0, 120));
  }
  await closeAll(ctx, clients);
});
