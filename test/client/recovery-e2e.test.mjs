// Session recovery end to end: our client (WebSocketNodeClient) behind a TCP
// proxy that cuts the connection without a close, a server with `recovery`,
// broadcasts and private messages during the gap. Recovered: every missed
// message once, in the original order, before anything newer, and the
// state event says so. Not recovered: nothing of the gap, and it says so.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeClient } from '../../dist/esm/client/index.js';
import { startServer, login, simpleAuth } from '../router/helpers.mjs';
import { TcpProxy } from '../helpers/tcp-proxy.mjs';
import { until } from '../helpers/wait.mjs';

const fast = { initialDelay: 10, maxDelay: 50 };
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(recovery) {
  const closed = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onGroupChange(() => true);
    s.onConnectionClose((session) => closed.push(session.alias));
  }, { recovery });
  const proxy = await TcpProxy.start(ctx.port);
  const client = new WebSocketNodeClient(proxy.url, { credentials: { name: 'ana', groups: ['room'] }, reconnect: fast });
  client.onError(() => {});
  const states = [];
  client.onState((e) => states.push(e));
  const got = [];
  client.on('tick', (d) => got.push(`tick ${d}`));
  client.on('room', (d) => got.push(`room ${d}`));
  client.onMessage((d) => got.push(`pm ${d}`));
  await client.authenticate();
  const bo = await login(ctx.url, { name: 'bo' });
  cleanups.push(async () => {
    await client.close();
    if (bo.ws.readyState === 1) await bo.close();
    await proxy.close();
    await ctx.server.close();
  });
  return { ctx, proxy, client, states, got, bo, closed };
}

test('a cut connection resumes with every missed broadcast, group message and private message once, in order, before newer ones', async () => {
  const { ctx, proxy, client, states, got, bo, closed } = await setup({ maxDisconnection: 10_000, maxMessages: 100 });
  const { server } = ctx;
  const id = client.id;
  for (let n = 1; n <= 3; n++) server.broadcast('tick', n);
  await until(() => got.length === 3, 'the first ticks');
  const before = server.stats.sessions;
  proxy.cut();
  // During the gap: to everyone, to the group, privately.
  for (let n = 4; n <= 8; n++) server.broadcast('tick', n);
  server.broadcast('room', 'r1', { group: 'room' });
  assert.equal((await bo.send('message', { to: { alias: 'ana' }, data: 'psst' })).type, 'reply');
  server.broadcast('tick', 9);
  await until(() => states.some((e) => e.state === 'authenticated' && e.reconnected), 'the resume', 8000);
  const resumed = states.filter((e) => e.state === 'authenticated').at(-1);
  assert.equal(resumed.resumed, true);
  assert.equal(resumed.recovered, true);
  // Newer ones, after the resume.
  for (let n = 10; n <= 12; n++) server.broadcast('tick', n);
  await until(() => got.includes('tick 12'), 'the last tick');
  assert.deepEqual(got, [
    'tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5', 'tick 6', 'tick 7', 'tick 8', 'room r1', 'pm psst', 'tick 9', 'tick 10', 'tick 11', 'tick 12',
  ]);
  assert.deepEqual(closed, [], 'onConnectionClose did not run for a resumed disconnect');
  assert.equal(server.stats.sessions, before);
  assert.equal(client.id, id, 'the same session');
});

test('a gap larger than the history resumes the session but replays nothing of it, and says so', async () => {
  const { ctx, proxy, states, got } = await setup({ maxDisconnection: 10_000, maxMessages: 3 });
  const { server } = ctx;
  server.broadcast('tick', 1);
  await until(() => got.length === 1, 'the first tick');
  proxy.cut();
  for (let n = 2; n <= 9; n++) server.broadcast('tick', n);
  await until(() => states.some((e) => e.state === 'authenticated' && e.reconnected), 'the resume', 8000);
  const resumed = states.filter((e) => e.state === 'authenticated').at(-1);
  assert.equal(resumed.resumed, true);
  assert.equal(resumed.recovered, false);
  server.broadcast('tick', 10);
  await until(() => got.includes('tick 10'), 'the newer tick');
  assert.deepEqual(got, ['tick 1', 'tick 10'], 'nothing partial');
});

test('close() then connect() starts a fresh session: a deliberate leave is not resumed', async () => {
  const { client, states, closed } = await setup({ maxDisconnection: 10_000 });
  const first = client.id;
  await client.close();
  await until(() => closed.includes('ana'), 'the session to end at once');
  client.connect();
  await client.authenticate();
  assert.notEqual(client.id, first);
  assert.deepEqual(states.filter((e) => e.state === 'authenticated').map((e) => [e.resumed, e.recovered]), [[false, false], [false, false]]);
});
