// The compat class beyond the README: its session view, the group rule
// override, mixed old and new clients, and the CommonJS entry point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { WebSocketNodeServer, SocketSession } from '../../dist/esm/compat/index.js';
import { startServer, login, legacyLogin, closeAll } from '../router/helpers.mjs';
import { within } from '../helpers/wait.mjs';

function app(s) {
  s.OnAuthentication(async (cred, startSessionWith, response) => {
    await new Promise((r) => setImmediate(r));
    startSessionWith({ user: cred.user, secret: 's3cret' }, cred.groups ?? [], cred.user, true, { tag: cred.user });
    response(null, { user: cred.user });
  });
}

test('hooks receive SocketSession views with the 0.2.x field names; the same object each time', async () => {
  const views = [];
  const ctx = await startServer((s) => {
    app(s);
    s.OnRequest('me', (body, response, data, groups, emitter) => {
      views.push(emitter);
      response(null, { user: data.user, groups, uuid: emitter.uuid });
    });
  }, {}, WebSocketNodeServer);
  const c = await legacyLogin(ctx.url, { user: 'ana', groups: ['g'] });
  const first = await c.call('call', 'me', null);
  await c.call('call', 'me', null);
  assert.deepEqual(first.response.groups, ['g']);
  assert.ok(views[0] instanceof SocketSession);
  assert.equal(views[0], views[1]);
  assert.equal(views[0].uuid, first.response.uuid);
  assert.equal(views[0].publicAlias, 'ana');
  assert.equal(views[0].isAvailable, true);
  assert.deepEqual(views[0].publicInmutableData, { tag: 'ana' });
  assert.deepEqual(views[0].clientGroups, ['g']);
  assert.equal(views[0].serverSideSessionData.secret, 's3cret');
  assert.ok(!JSON.stringify(views[0]).includes('s3cret'), 'serializing a view never leaks server data');
  await closeAll(ctx, [c]);
});

test('OnGroupChange replaces the default rule', async () => {
  const asked = [];
  const ctx = await startServer((s) => {
    app(s);
    s.OnGroupChange((session, group, join) => {
      asked.push([session.publicAlias, group, join]);
      return group.startsWith('room-');
    });
  }, {}, WebSocketNodeServer);
  const c = await legacyLogin(ctx.url, { user: 'ana' });
  assert.deepEqual((await c.call('group', 'join', null, 'room-1')).response, { done: true });
  assert.ok((await c.call('group', 'join', null, 'lobby')).error);
  assert.deepEqual(asked, [['ana', 'room-1', true], ['ana', 'lobby', true]]);
  await closeAll(ctx, [c]);
});

test('old and new clients share one server: broadcasts, presence and private messages cross protocols', async () => {
  const ctx = await startServer(app, {}, WebSocketNodeServer);
  const old = await legacyLogin(ctx.url, { user: 'old', groups: ['g'] });
  const neo = await login(ctx.url, { user: 'neo', groups: ['g'] });
  const seen = await old.next((m) => m.info?.request === '__updateClientsState');
  assert.equal(seen.response.publicAlias, 'neo');
  assert.equal((await neo.send('broadcast', { event: 'hi', group: 'g', data: 1 })).type, 'reply');
  assert.equal((await old.event('hi')).response, 1);
  old.post('broadcast', 'yo', 2, 'g');
  assert.equal((await neo.event('yo')).data, 2);
  const sent = await old.call('channel', 'sendToClient', 'psst', neo.self.id);
  assert.deepEqual(sent.response, { sent: true });
  const msg = await neo.next((m) => m.type === 'message');
  assert.deepEqual([msg.from.alias, msg.data], ['old', 'psst']);
  assert.equal((await neo.send('message', { to: { alias: 'old' }, data: 'back' })).type, 'reply');
  assert.equal((await old.next((m) => m.info?.request === 'msgFromClient')).response.data, 'back');
  const closing = ctx.server.Close();
  assert.equal((await within(old.closed, 'old closed')).code, 1001);
  assert.equal((await within(neo.closed, 'neo closed')).code, 1001);
  await closing;
});

test('the CommonJS build exposes the compat API', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('../../dist/cjs/compat/index.js');
  assert.equal(typeof cjs.WebSocketNodeServer, 'function');
  assert.equal(typeof cjs.WebSocketNodeServer.prototype.OnAuthentication, 'function');
  assert.equal(typeof cjs.WebSocketNodeServer.prototype.StartListening, 'function');
});
