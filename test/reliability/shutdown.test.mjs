// Graceful shutdown: close() stops accepting upgrades, lets every request
// already being handled answer, refuses new ones with `shutting_down`, sends
// 1001 to every client, waits for their close frames up to a deadline,
// destroys the rest, and resolves with every session ended exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocketNodeServer } from '../../dist/esm/index.js';
import { startServer, simpleAuth, login, legacyLogin, rawPeer, upgradeRequest } from './helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

const V1_CLIENTS = 12;
const LEGACY_CLIENTS = 6;
const PER_CLIENT = 5;

test('every request accepted before close() is answered; later ones get shutting_down; then 1001 for all', async () => {
  const gates = [];
  const closes = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    // Each handler waits for the test to release it, so all are in flight when close() starts.
    s.onRequest('work', (n) => new Promise((resolve) => gates.push(() => resolve(n * 2))));
    s.onConnectionClose((session, code) => closes.push([session.alias, code]));
  }, { closeTimeout: 4000 });
  const modern = await Promise.all(Array.from({ length: V1_CLIENTS }, (_, i) => login(ctx.url, { name: `m${i}` })));
  const old = await Promise.all(Array.from({ length: LEGACY_CLIENTS }, (_, i) => legacyLogin(ctx.url, { name: `o${i}` })));
  const accepted = [];
  for (const [i, c] of modern.entries()) {
    for (let k = 0; k < PER_CLIENT; k++) accepted.push([c.send('request', { name: 'work', data: i * 100 + k }), i * 100 + k, 'v1']);
  }
  for (const [i, c] of old.entries()) {
    for (let k = 0; k < PER_CLIENT; k++) accepted.push([c.call('call', 'work', 1000 + i * 100 + k), 1000 + i * 100 + k, 'legacy']);
  }
  await until(() => gates.length === accepted.length, 'every handler to start');

  const closing = ctx.server.close();
  // New work is refused while the accepted work finishes.
  const refused = await modern[0].send('request', { name: 'work', data: -1 });
  assert.equal(refused.error.code, 'shutting_down');
  const refusedOld = await old[0].call('call', 'work', -1);
  assert.equal(refusedOld.error, 'the server is shutting down');
  const upgrade = rawPeer(ctx.port, upgradeRequest());
  await within(upgrade.closed, 'the refused upgrade');
  assert.equal(upgrade.status(), 503);
  // Release the handlers in reverse order, across several turns.
  for (const [i, release] of gates.reverse().entries()) {
    release();
    if (i % 10 === 0) await new Promise((r) => setImmediate(r));
  }

  for (const [answer, n, protocol] of accepted) {
    const a = await answer;
    if (protocol === 'v1') assert.deepEqual([a.type, a.data], ['reply', n * 2]);
    else assert.deepEqual([a.error, a.response], [false, n * 2]);
  }
  await within(closing, 'close() to resolve', 8000);
  for (const c of [...modern, ...old]) {
    const { code } = await within(c.closed, '1001');
    assert.equal(code, 1001);
  }
  assert.equal(closes.length, V1_CLIENTS + LEGACY_CLIENTS);
  assert.ok(closes.every(([, code]) => code === 1001));
  assert.equal(new Set(closes.map(([alias]) => alias)).size, closes.length, 'each session ended once');
  assert.deepEqual([ctx.server.sessionCount, ctx.server.stats.connections], [0, 0]);
  assert.equal(ctx.server.httpServer.listening, false, 'the standalone port is released');
});

test('the deadline: a handler that never answers and a client that never answers the close frame do not hold close() forever', async () => {
  const closes = [];
  let started = false;
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('never', () => {
      started = true;
    });
    s.onConnectionClose((session, code) => closes.push([session.alias, code]));
  }, { closeTimeout: 150 });
  const waiting = await login(ctx.url, { name: 'waiting' });
  const deaf = await login(ctx.url, { name: 'deaf' });
  waiting.sendRaw(JSON.stringify({ type: 'request', id: 'n', name: 'never' }));
  await until(() => started, 'the handler');
  deaf.ws.pause(); // will not read our close frame, so never answers it
  await within(ctx.server.close(), 'close() past both deadlines');
  assert.equal((await within(waiting.closed, '1001')).code, 1001);
  closes.sort();
  assert.deepEqual(closes, [['deaf', 1006], ['waiting', 1001]]);
  assert.deepEqual([ctx.server.sessionCount, ctx.server.stats.connections], [0, 0]);
  deaf.ws.terminate();
});

test('attached to an application http server: upgrades get 503 while closing; the http server keeps serving', async () => {
  const app = http.createServer((req, res) => res.end('app'));
  await new Promise((r) => app.listen(0, '127.0.0.1', r));
  const { port } = app.address();
  let release;
  const server = new WebSocketNodeServer(app, { heartbeatInterval: 0 });
  simpleAuth(server);
  server.onRequest('slow', () => new Promise((r) => (release = () => r('done'))));
  await server.listen();
  const c = await login(`ws://127.0.0.1:${port}`, { name: 'c' });
  const pending = c.send('request', { name: 'slow' });
  await until(() => release !== undefined, 'the handler');
  const closing = server.close();
  const during = rawPeer(port, upgradeRequest());
  await within(during.closed, 'the refused upgrade');
  assert.equal(during.status(), 503);
  release();
  assert.equal((await pending).data, 'done');
  await within(closing, 'close()');
  assert.equal((await c.closed).code, 1001);
  assert.equal(app.listening, true);
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'app');
  await new Promise((r) => app.close(r));
});
