// The 0.2.x wire protocol, spoken to clients that negotiate no subprotocol:
// every action of LEGACY-PROTOCOL.md's table, its events and session rules,
// minus the original's flaws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeServer } from '../../dist/esm/compat/index.js';
import { startServer, TestClient, legacyLogin, login, closeAll, barrier } from '../router/helpers.mjs';
import { within } from '../helpers/wait.mjs';

function app(s) {
  s.OnAuthentication((cred, startSessionWith, response) => {
    if (cred?.password !== 'pw') return response('invalid user', null);
    startSessionWith({ user: cred.user, secret: 'server-only' }, cred.groups ?? [], cred.alias === undefined ? cred.user : cred.alias, cred.available ?? true, cred.pub ?? null);
    response(null, { user: cred.user });
  });
  s.OnRequest('create/user', (body, response, data, groups, emitter) => {
    if (!groups.includes('admin')) return response('not allowed', null);
    response(null, { done: true });
    emitter.Broadcast('user/created', null, { user: body }, emitter);
  });
}
const start = (options) => startServer(app, options, WebSocketNodeServer);
const cred = (user, extra = {}) => ({ user, password: 'pw', ...extra });

test('auth/login: the info object is echoed, error false, response is the client-side session', async () => {
  const ctx = await start();
  const c = await TestClient.connect(ctx.url, { legacy: true });
  const bad = await c.call('auth', 'login', { user: 'x', password: 'no' });
  assert.deepEqual(bad, { info: { action: 'auth', request: 'login', group: null, packageID: 1 }, error: 'invalid user', response: null });
  const ok = await c.call('auth', 'login', cred('ana'));
  assert.deepEqual(ok, { info: { action: 'auth', request: 'login', group: null, packageID: 2 }, error: false, response: { user: 'ana' } });
  assert.ok(!c.raw.join('').includes('server-only'));
  await closeAll({ server: ctx.server }, [c]);
});

test('before authentication anything else drops the connection (1008)', async () => {
  const ctx = await start();
  const c = await TestClient.connect(ctx.url, { legacy: true });
  c.post('call', 'echo', 1);
  assert.equal((await within(c.closed, 'drop')).code, 1008);
  const d = await TestClient.connect(ctx.url, { legacy: true });
  d.sendRaw('not json');
  assert.equal((await within(d.closed, 'drop')).code, 1008);
  await ctx.server.Close();
});

test('call: the built-in echo, registered requests, and unknown names', async () => {
  const ctx = await start();
  const admin = await legacyLogin(ctx.url, cred('root', { groups: ['admin'] }));
  const echo = await admin.call('call', 'echo', { x: [1, 2] });
  assert.equal(echo.error, false);
  assert.deepEqual(echo.response.received, { x: [1, 2] });
  assert.equal(typeof echo.response.echoAt, 'number');
  const created = await admin.call('call', 'create/user', { name: 'bo' });
  assert.deepEqual([created.error, created.response], [false, { done: true }]);
  const unknown = await admin.call('call', 'nope', null);
  assert.deepEqual([unknown.error, unknown.response], ['invalid call request', null]);
  const user = await legacyLogin(ctx.url, cred('joe'));
  const denied = await user.call('call', 'create/user', {});
  assert.deepEqual([denied.error, denied.response], ['not allowed', null]);
  await closeAll({ server: ctx.server }, [admin, user]);
});

test('emitter.Broadcast from a handler excludes the sender; Broadcast reaches groups', async () => {
  const ctx = await start();
  const admin = await legacyLogin(ctx.url, cred('root', { groups: ['admin'] }));
  const other = await legacyLogin(ctx.url, cred('joe'));
  const modern = await login(ctx.url, cred('neo'));
  await admin.call('call', 'create/user', { name: 'bo' });
  const ev = await other.event('user/created');
  assert.equal(ev.info.action, 'broadcast');
  assert.equal(ev.info.group, null);
  assert.equal(typeof ev.info.packageID, 'number');
  assert.deepEqual([ev.error, ev.response], [false, { user: { name: 'bo' } }]);
  assert.deepEqual((await modern.event('user/created')).data, { user: { name: 'bo' } });
  ctx.server.Broadcast('test', 'admin', { only: 'admins' });
  assert.deepEqual((await admin.event('test')).response, { only: 'admins' });
  await barrier(ctx.server.server, [admin, other, modern]);
  assert.ok(!admin.has((m) => m.info?.request === 'user/created'));
  assert.ok(!other.has((m) => m.info?.request === 'test'));
  await closeAll({ server: ctx.server }, [admin, other, modern]);
});

test('Broadcast keeps the 0.2.x positional shape: any data, even a string, null or an object with a group key, is data', async () => {
  const ctx = await start();
  const admin = await legacyLogin(ctx.url, cred('root', { groups: ['admin'] }));
  const other = await legacyLogin(ctx.url, cred('joe'));
  const adminView = ctx.server.view([...ctx.server.server.sessions()].find((s) => s.alias === 'root'));
  assert.equal(ctx.server.Broadcast('text', null, 'plain string'), 2);
  assert.equal(ctx.server.Broadcast('nothing', 'admin', null), 1);
  assert.equal(ctx.server.Broadcast('looks-like-options', null, { group: 'admin', except: null }), 2);
  assert.equal(adminView.Broadcast('from-view', null, 'hi', adminView), 1, 'emitter.Broadcast leaves out except');
  assert.equal((await other.event('text')).response, 'plain string');
  assert.equal((await admin.event('nothing')).response, null);
  assert.deepEqual((await other.event('looks-like-options')).response, { group: 'admin', except: null });
  assert.equal((await other.event('from-view')).response, 'hi');
  await barrier(ctx.server.server, [admin, other]);
  assert.ok(!other.has((m) => m.info?.request === 'nothing'));
  assert.ok(!admin.has((m) => m.info?.request === 'from-view'));
  await closeAll({ server: ctx.server }, [admin, other]);
});

test('group join/leave/leaveAll: groups named by joinableGroups work as before, others are refused', async () => {
  const ctx = await start({ joinableGroups: ['room1', 'room2'] });
  const admin = await legacyLogin(ctx.url, cred('root', { groups: ['admin'] }));
  const c = await legacyLogin(ctx.url, cred('joe'));
  const sneak = await c.call('group', 'join', null, 'admin');
  assert.equal(sneak.response, null);
  assert.ok(sneak.error, 'joining a group not named by joinableGroups is refused');
  assert.equal(ctx.server.server.groupSize('admin'), 1);
  assert.deepEqual((await c.call('group', 'join', null, 'room1')).response, { done: true });
  assert.deepEqual((await c.call('group', 'join', null, 'room2')).response, { done: true });
  assert.equal(ctx.server.server.groupSize('room1'), 1);
  assert.deepEqual((await c.call('group', 'leave', null, 'room1')).response, { done: true });
  assert.equal(ctx.server.server.groupSize('room1'), 0);
  assert.deepEqual((await c.call('group', 'leaveAll', null)).response, { done: true });
  assert.equal(ctx.server.server.groupSize('room2'), 0);
  assert.ok((await admin.call('group', 'leave', null, 'admin')).error, 'nor leaving one');
  assert.ok((await c.call('group', 'join', null, 'room3')).error, 'only the listed groups');
  const bad = await c.call('group', 'explode', null, 'x');
  assert.deepEqual([bad.error, bad.response], ['invalid group request', null]);
  await closeAll({ server: ctx.server }, [admin, c]);
});

test('client broadcast: no reply, reaches every other authenticated client (of the group), never the sender', async () => {
  const ctx = await start({ clientBroadcasts: { toEveryone: true } });
  const a = await legacyLogin(ctx.url, cred('a', { groups: ['g'] }));
  const b = await legacyLogin(ctx.url, cred('b', { groups: ['g'] }));
  const c = await legacyLogin(ctx.url, cred('c', { available: false }));
  a.post('broadcast', 'hello', { n: 1 }, null);
  const atB = await b.event('hello');
  assert.deepEqual([atB.info.group, atB.response], [null, { n: 1 }]);
  await c.event('hello');
  a.post('broadcast', 'team', 2, 'g');
  assert.equal((await b.event('team')).response, 2);
  c.post('broadcast', 'intrude', 3, 'g');
  const refused = await c.next((m) => m.info?.request === 'intrude' && m.error);
  assert.ok(refused.error, 'a non-member is told, not delivered');
  await barrier(ctx.server.server, [a, b, c]);
  assert.ok(!a.has((m) => m.info?.request === 'hello' || m.info?.request === 'team'));
  assert.ok(!c.has((m) => m.info?.request === 'team'));
  assert.ok(!b.has((m) => m.info?.request === 'intrude'));
  await closeAll({ server: ctx.server }, [a, b, c]);
});

test('channel: alias, availability, client list and presence events', async () => {
  const ctx = await start();
  const a = await legacyLogin(ctx.url, cred('a', { pub: { email: 'a@x' } }));
  const b = await legacyLogin(ctx.url, cred('b'));
  const joined = await a.next((m) => m.info?.request === '__updateClientsState');
  assert.deepEqual(joined.info.group, null);
  assert.equal(joined.error, false);
  assert.deepEqual(joined.response, { uuid: joined.response.uuid, publicAlias: 'b', isAvailable: true, publicInmutableData: null, connected: true });
  assert.deepEqual((await b.call('channel', 'getPublicAlias')).response, { currentAlias: 'b' });
  assert.deepEqual((await b.call('channel', 'getPublicAvailability')).response, { currentAvailability: true });
  const list = await b.call('channel', 'getAvailableClients');
  assert.deepEqual(list.response, [{ uuid: list.response[0].uuid, publicAlias: 'a', publicInmutableData: { email: 'a@x' }, isAvailable: true, connected: true }]);
  assert.deepEqual((await b.call('channel', 'updatePublicAlias', { publicAlias: 'bee' })).response, { currentAlias: 'bee' });
  assert.equal((await a.next((m) => m.info?.request === '__updateClientsState')).response.publicAlias, 'bee');
  assert.deepEqual((await b.call('channel', 'updatePublicAvailability', { isAvailable: false })).response, { currentAvailability: false });
  assert.equal((await a.next((m) => m.info?.request === '__updateClientsState')).response.isAvailable, false);
  assert.ok((await b.call('channel', 'updatePublicAvailability', { isAvailable: 'no' })).error);
  assert.equal((await b.call('channel', 'teleport')).error, 'invalid channel request');
  await b.close();
  const gone = await a.next((m) => m.info?.request === '__updateClientsState');
  assert.deepEqual([gone.response.connected, gone.response.isAvailable], [false, false]);
  await closeAll({ server: ctx.server }, [a]);
});

test('sendToClient: msgFromClient to the receiver, the hook after delivery, and the 0.2.1 rules', async () => {
  const ctx = await start();
  const sent = [];
  ctx.server.SetOnPrivateMessageSent((from, to, data) => sent.push([from.publicAlias, to.uuid, data, from.serverSideSessionData.secret]));
  const a = await legacyLogin(ctx.url, cred('a'));
  const b = await legacyLogin(ctx.url, cred('b'));
  const off = await legacyLogin(ctx.url, cred('off', { available: false }));
  const bId = (await a.call('channel', 'getAvailableClients')).response.find((x) => x.publicAlias === 'b').uuid;
  const ok = await a.call('channel', 'sendToClient', { hi: 1 }, bId);
  assert.deepEqual([ok.error, ok.response], [false, { sent: true }]);
  const msg = await b.next((m) => m.info?.request === 'msgFromClient');
  assert.deepEqual(msg.info, { action: 'broadcast', request: 'msgFromClient', group: null, packageID: null });
  assert.equal(msg.response.data.hi, 1);
  assert.equal(typeof msg.response.fromUUID, 'string');
  assert.deepEqual(sent, [['a', bId, { hi: 1 }, 'server-only']]);
  const missing = await a.call('channel', 'sendToClient', 1, 'no-such-uuid');
  assert.deepEqual([missing.error, missing.response], ['client not found', { sent: false }]);
  const fromOff = await off.call('channel', 'sendToClient', 1, bId);
  assert.deepEqual([fromOff.error, fromOff.response], ['you are not available.Update your availability', { sent: false }]);
  await closeAll({ server: ctx.server }, [a, b, off]);
});

test('malformed legacy messages get an error reply instead of crashing; unknown actions too', async () => {
  const ctx = await start();
  const c = await legacyLogin(ctx.url, cred('a'));
  c.sendRaw('{"no":"info"}');
  assert.deepEqual(await c.next((m) => m.info === null), { info: null, error: 'invalid message', response: null });
  c.sendRaw('{"info":{"action":"call","request":"echo","packageID":77},"data":{"__proto__":{"x":1}}}');
  const unsafe = await c.next((m) => m.info?.packageID === 77);
  assert.deepEqual([unsafe.error, unsafe.response], ['invalid message', null]);
  assert.equal((await c.call('fly', 'away')).error, 'invalid action');
  assert.deepEqual((await c.call('call', 'echo', 5)).response.received, 5);
  await closeAll({ server: ctx.server }, [c]);
});
