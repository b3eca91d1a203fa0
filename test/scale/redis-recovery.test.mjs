// Session recovery over Redis end to end: server processes
// (test/fixtures/scale-node.mjs) with `recovery` on one real redis-server,
// our client (WebSocketNodeClient, no recovery code of its own) behind a TCP
// proxy that cuts its connection without a close and points its reconnect
// at another node. While it is away, broadcasts flow from every node; when
// it comes back it says `recovered: true` and has every missed message
// exactly once, in order, before anything newer; that holds when it comes
// back on another node and on a server process started after the one that
// held it was killed. A gap larger than the history is `recovered: false`
// with nothing of it replayed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocketNodeClient } from '../../dist/esm/client/index.js';
import { jsonLines, killHard } from '../fixtures/scale-harness.mjs';
import { startRedisServer } from '../helpers/redis-server.mjs';
import { TcpProxy } from '../helpers/tcp-proxy.mjs';
import { until } from '../helpers/wait.mjs';
import { login } from '../router/helpers.mjs';

const NODE = fileURLToPath(new URL('../fixtures/scale-node.mjs', import.meta.url));
const RECOVERY = JSON.stringify({ maxDisconnection: 30_000, maxMessages: 50 });
const WAIT = 10_000;

/** Polls an asynchronous condition: at most WAIT ms and 200 tries. */
async function eventually(check, what) {
  const end = Date.now() + WAIT;
  for (let i = 0; i < 200 && Date.now() < end; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('session recovery in Redis: our client across a cut, a node switch and a server killed and started again', () => {
  let redis;
  let proxy;
  let client;
  const nodes = [];
  const others = [];
  const got = [];
  const states = [];

  /** Starts a server process; resolves { child, port, url, node }. */
  async function startNode(flavour) {
    const child = spawn(process.execPath, [NODE], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SCALE_ADAPTER: flavour, PORT: '0', REDIS_URL: redis.url, RECOVERY, HEARTBEAT_MS: '100', NODE_TIMEOUT_MS: '1000' },
    });
    const entry = { child, stderr: '', ready: null };
    nodes.push(entry);
    child.stderr.on('data', (d) => (entry.stderr = (entry.stderr + d).slice(-4000)));
    jsonLines(child.stdout, (msg) => {
      if (msg.ready) entry.ready = msg;
    });
    await until(() => entry.ready !== null, `a ${flavour} node to start (${entry.stderr.slice(-300)})`, WAIT);
    return Object.assign(entry, { port: entry.ready.port, url: `ws://127.0.0.1:${entry.ready.port}` });
  }

  /** A raw v1 client of a node, to drive it (test/... requests) and watch deliveries. */
  async function driver(node, name, groups = []) {
    const c = await login(node.url, { name, groups });
    others.push(c);
    return c;
  }

  const ticks = () => got.filter((g) => g.startsWith('tick'));
  const authenticated = () => states.filter((e) => e.state === 'authenticated');

  /** Cuts the client's connection; its reconnects wait at the proxy until release(), then go to `port`. */
  async function away(port) {
    const before = authenticated().length;
    proxy.pause();
    proxy.retarget(port);
    proxy.cut();
    await until(() => client.state !== 'authenticated', 'the client to see the cut', WAIT);
    return before;
  }

  async function back(before) {
    proxy.release();
    await until(() => authenticated().length > before, 'the client to authenticate again', WAIT);
    return authenticated().at(-1);
  }

  before(async () => {
    redis = await startRedisServer();
    await startNode('redis6');
    await startNode('ioredis');
    proxy = await TcpProxy.start(nodes[0].port);
    client = new WebSocketNodeClient(proxy.url, { credentials: { name: 'ana', groups: ['room'] }, reconnect: { initialDelay: 10, maxDelay: 100 } });
    client.onError(() => {});
    client.onState((e) => states.push(e));
    client.on('tick', (d) => got.push(`tick ${d.n}`));
    client.on('room', (d) => got.push(`room ${d}`));
    client.on('direct', (d) => got.push(`direct ${d}`));
    await client.authenticate();
  });

  after(async () => {
    await client?.close().catch(() => {});
    await Promise.all(others.map((c) => (c.ws.readyState === 1 ? c.close() : null)));
    await proxy?.close();
    for (const { child } of nodes) killHard(child.pid);
    await redis?.close();
  });

  test('a cut connection resumes on another node: every missed broadcast once, in order, then newer ones', async () => {
    const [A, B] = nodes;
    const a = await driver(A, 'a');
    const b = await driver(B, 'b', ['room']);
    await a.ok('request', { name: 'test/stream', data: { event: 'tick', count: 3, every: 0 } });
    await until(() => ticks().length === 3, 'the first ticks', WAIT);
    const id = client.id;
    const before = await away(B.port);
    // While it is away: from both nodes, to everyone and to its group, and a push to its own session.
    await a.ok('request', { name: 'test/stream', data: { event: 'tick', count: 3, every: 0 } });
    await b.ok('broadcast', { event: 'room', group: 'room', data: 'r1' });
    await a.ok('request', { name: 'test/send', data: { id, event: 'direct', data: 'd1' } });
    await b.ok('request', { name: 'test/stream', data: { event: 'tick', count: 2, every: 0 } });
    const state = await back(before);
    assert.equal(state.resumed, true);
    assert.equal(state.recovered, true, 'the state event tells the truth');
    assert.equal(client.id, id, 'the same session');
    await b.ok('request', { name: 'test/broadcast', data: { event: 'tick', data: { n: 'after' } } });
    await until(() => got.includes('tick after'), 'a newer broadcast', WAIT);
    assert.deepEqual(got, ['tick 1', 'tick 2', 'tick 3', 'tick 1', 'tick 2', 'tick 3', 'room r1', 'direct d1', 'tick 1', 'tick 2', 'tick after']);
    const closes = await a.ok('request', { name: 'test/closes' });
    assert.deepEqual(closes, [], 'the session did not end on the node it left');
    await eventually(async () => (await a.ok('request', { name: 'test/recovery' })).retained === 0, 'the old node to let go');
  });

  test('the node that holds the session is killed: the client resumes on a server process started afterwards, with what was sent meanwhile', async () => {
    const [A, B] = nodes;
    const a = others[0];
    got.splice(0);
    const before = authenticated().length;
    proxy.pause();
    killHard(B.child.pid);
    await until(() => client.state !== 'authenticated', 'the client to lose the killed node', WAIT);
    await a.ok('request', { name: 'test/stream', data: { event: 'tick', count: 4, every: 0 } });
    const C = await startNode('redis4');
    proxy.retarget(C.port);
    const state = await back(before);
    assert.equal(state.resumed, true);
    assert.equal(state.recovered, true);
    await a.ok('request', { name: 'test/broadcast', data: { event: 'tick', data: { n: 'after' } } });
    await until(() => got.includes('tick after'), 'a newer broadcast', WAIT);
    assert.deepEqual(got, ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick after']);
    // Its group came with it: a group broadcast from another node reaches it on the new process.
    const c = await driver(C, 'c', ['room']);
    await c.ok('broadcast', { event: 'room', group: 'room', data: 'r3' });
    await until(() => got.includes('room r3'), 'the group broadcast', WAIT);
    assert.equal(got.filter((g) => g === 'room r3').length, 1);
  });

  test('a gap larger than the history is not recovered, and nothing of it is replayed', async () => {
    const a = others[0];
    got.splice(0);
    const before = await away(nodes[0].port);
    await a.ok('request', { name: 'test/stream', data: { event: 'tick', count: 60, every: 0 } });
    const state = await back(before);
    assert.equal(state.resumed, true);
    assert.equal(state.recovered, false);
    await a.ok('request', { name: 'test/broadcast', data: { event: 'tick', data: { n: 'after' } } });
    await until(() => got.includes('tick after'), 'a newer broadcast', WAIT);
    assert.deepEqual(ticks(), ['tick after'], 'nothing partial');
  });
});
