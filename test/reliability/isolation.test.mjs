// Isolation: application code that throws or rejects, in every hook at
// once, becomes a structured error for the client concerned and an 'error'
// event on the server. The process survives, and a bystander client doing
// ordinary work the whole time never notices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError, WebSocketNodeServer } from '../../dist/esm/index.js';
import { startServer, simpleAuth, login, legacyLogin, TestClient, rawPeer, upgradeRequest, closeAll } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

const boom = (where) => new Error(`bug in ${where}`);

async function setup() {
  return startServer((s) => {
    s.onUpgrade((req, allow) => {
      if (req.url === '/crash') throw boom('onUpgrade');
      allow();
    });
    s.onAuthentication(async (c, start, respond) => {
      if (c.name === 'crash') throw boom('onAuthentication');
      if (c.name === 'reject') return Promise.reject(boom('onAuthentication async'));
      start({ secret: 's' }, c.groups ?? [], c.name, true);
      respond(null, {});
    });
    s.onRequest('sync-throw', () => {
      throw boom('handler');
    });
    s.onRequest('async-reject', async () => {
      throw boom('async handler');
    });
    s.onRequest('chosen', () => {
      throw new RequestError('forbidden', 'not you');
    });
    s.onRequest('bigint', () => 10n);
    s.onRequest('cycle', () => {
      const o = {};
      o.o = o;
      return o;
    });
    s.onRequest('fine', (n) => n + 1);
    s.onClientMessage((m) => {
      if (m.kind === 'broadcast' && m.event === 'crash') throw boom('onClientMessage');
    });
    s.onGroupChange(async () => {
      throw boom('onGroupChange');
    });
    s.onPrivateMessage(() => {
      throw boom('onPrivateMessage');
    });
    s.onConnectionClose((session) => {
      if (session.alias === 'leaver') throw boom('onConnectionClose');
    });
    // Listeners of the server's own events may throw too.
    s.on('session', (session) => {
      if (session.alias === 'leaver') throw boom("a 'session' listener");
    });
  });
}

test('every hook failing at once: structured errors for the culprit, error events for the operator, nothing for the bystander', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w.message);
  process.on('warning', onWarning);
  const ctx = await setup();
  const bystander = await login(ctx.url, { name: 'bystander' });
  const culprit = await login(ctx.url, { name: 'culprit' });
  let stop = false;
  let served = 0;
  // The bystander works throughout; every answer must be the right one.
  const work = (async () => {
    for (let i = 0; i < 500 && !stop; i++) {
      assert.equal(await bystander.ok('request', { name: 'fine', data: i }), i + 1);
      served++;
    }
  })();

  const code = async (type, fields) => (await culprit.send(type, fields)).error?.code;
  assert.equal(await code('request', { name: 'sync-throw' }), 'internal_error');
  assert.equal(await code('request', { name: 'async-reject' }), 'internal_error');
  assert.equal(await code('request', { name: 'chosen' }), 'forbidden');
  assert.equal(await code('request', { name: 'bigint' }), 'internal_error');
  assert.equal(await code('request', { name: 'cycle' }), 'internal_error');
  assert.equal(await code('broadcast', { event: 'crash' }), 'internal_error');
  assert.equal(await code('join', { group: 'admin' }), 'internal_error');
  assert.equal(await code('message', { to: { alias: 'bystander' }, data: 'hi' }), undefined, 'delivered despite the hook');
  for (const name of ['crash', 'reject']) {
    const c = await TestClient.connect(ctx.url);
    assert.equal((await c.auth({ name })).error.code, 'internal_error');
    await c.close();
  }
  const crashUpgrade = rawPeer(ctx.port, upgradeRequest('', '/crash'));
  await within(crashUpgrade.closed, '500');
  assert.equal(crashUpgrade.status(), 500);
  const leaver = await login(ctx.url, { name: 'leaver' });
  await leaver.close();

  await until(() => ctx.errors.some((e) => e.hook === 'onConnectionClose'), 'the close hook error');
  stop = true;
  await work;
  assert.ok(served > 0);
  const hooks = new Set(ctx.errors.map((e) => e.hook));
  for (const h of ['onRequest(sync-throw)', 'onRequest(async-reject)', 'onClientMessage', 'onGroupChange', 'onPrivateMessage', 'onAuthentication', 'onUpgrade', 'onConnectionClose']) {
    assert.ok(hooks.has(h), `error event for ${h}`);
  }
  assert.ok(!hooks.has('onRequest(chosen)'), 'a RequestError is an answer, not a failure');
  assert.ok(ctx.errors.every((e) => e.name === 'HookError' && e.cause instanceof Error));
  // What the bystander saw: its answers, the private message, presence; no error of anyone else's.
  assert.equal(bystander.inbox.filter((m) => m.type === 'error').length, 0);
  assert.ok(bystander.has((m) => m.type === 'message' && m.data === 'hi'));
  // The throwing 'session' listener became a process warning.
  await until(() => warnings.some((w) => w.includes("a 'session' listener")), 'the warning');
  process.off('warning', onWarning);
  assert.deepEqual([ctx.server.sessionCount, ctx.server.stats.connections], [2, 2]);
  await closeAll(ctx, [bystander, culprit]);
});

test("without an 'error' listener, application failures become process warnings, not crashes", async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  const server = new WebSocketNodeServer({ host: '127.0.0.1', port: 0, heartbeatInterval: 0 });
  simpleAuth(server);
  server.onRequest('bad', () => {
    throw boom('handler');
  });
  const { port } = await server.listen();
  const c = await login(`ws://127.0.0.1:${port}`, { name: 'c' });
  assert.equal((await c.send('request', { name: 'bad' })).error.code, 'internal_error');
  await until(() => warnings.length > 0, 'the warning');
  process.off('warning', onWarning);
  assert.equal(warnings[0].name, 'HookError');
  assert.equal(warnings[0].hook, 'onRequest(bad)');
  await c.close();
  await server.close();
});

test('a legacy client and a v1 client failing side by side do not disturb each other', async () => {
  const ctx = await setup();
  const old = await legacyLogin(ctx.url, { name: 'old' });
  const modern = await login(ctx.url, { name: 'modern' });
  const [a, b] = await Promise.all([old.call('call', 'sync-throw', null), modern.send('request', { name: 'async-reject' })]);
  assert.equal(typeof a.error, 'string');
  assert.notEqual(a.error, false);
  assert.equal(b.error.code, 'internal_error');
  assert.equal((await old.call('call', 'fine', 1)).response, 2);
  assert.equal(await modern.ok('request', { name: 'fine', data: 2 }), 3);
  await closeAll(ctx, [old, modern]);
});
