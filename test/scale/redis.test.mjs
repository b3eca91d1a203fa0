// ws-node-server/redis end to end: three server processes
// (test/fixtures/scale-node.mjs) on one real redis-server, each with
// createRedisAdapter() over a different client library (node-redis 6,
// node-redis 4, ioredis 6), and clients spread over them. The scenario
// (test/fixtures/scale-harness.mjs) counts what every client got; routing
// by interest is read from Redis itself (PUBSUB NUMSUB: one subscriber per
// node with a member of the group). Then the broker goes away and comes
// back on the same port, and a node is killed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../helpers/redis-server.mjs';
import { Scenario, jsonLines, killHard } from '../fixtures/scale-harness.mjs';
import { outage } from '../fixtures/scale-outage.mjs';

const NODE = fileURLToPath(new URL('../fixtures/scale-node.mjs', import.meta.url));
const FLAVOURS = ['redis6', 'redis4', 'ioredis'];
const PREFIX = 'e2e:';

/** One RESP command on a fresh connection; resolves with the raw reply. */
function rawCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('no reply from redis-server')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // NUMSUB's reply ends with the count, an integer line.
      if (/:\d+\r\n$/.test(reply)) {
        socket.end();
        resolve(reply);
      }
    });
  });
}

describe('three processes on one redis-server, one per client library', () => {
  const run = new Scenario();
  let redis;
  const children = [];

  /** How many connections subscribe to group `group`'s channel: one per node with a member. */
  const numsub = async (group) => Number(/:(\d+)\r\n$/.exec(await rawCommand(redis.port, 'PUBSUB', 'NUMSUB', `${PREFIX}g:${group}`))[1]);
  const interest = {
    until: (group, nodes) => run.poll(() => numsub(group), (n) => n === nodes, `NUMSUB ${PREFIX}g:${group} to be ${nodes}`),
    snapshot: async () => null,
    async check(_before, silent) {
      assert.equal(await numsub('g'), 3 - silent.length, `only the nodes with a member subscribe to g (not ${silent})`);
    },
  };

  before(async () => {
    redis = await startRedisServer();
    const ready = [];
    for (const flavour of FLAVOURS) {
      const child = spawn(process.execPath, [NODE], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SCALE_ADAPTER: flavour, PORT: '0', REDIS_URL: redis.url, REDIS_PREFIX: PREFIX },
      });
      const entry = { child, flavour, stderr: '', ready: null };
      children.push(entry);
      child.stderr.on('data', (d) => (entry.stderr = (entry.stderr + d).slice(-4000)));
      jsonLines(child.stdout, (msg) => {
        if (msg.ready) entry.ready = msg;
      });
    }
    await run.poll(async () => children.filter((c) => c.ready).length, (n) => n === 3, () => `three nodes ready (${children.map((c) => `${c.flavour}: ${c.stderr.slice(-300)}`).join('; ')})`);
    for (const c of children) ready.push(c.ready);
    await run.start(ready);
  });

  after(async () => {
    await run.closeClients().catch(() => {});
    for (const { child } of children) killHard(child.pid);
    await redis?.close();
  });

  test('broadcasts to everyone, to a group and excluding the sender reach every client once; a node without members does not subscribe to the group', () =>
    run.broadcasts(interest));

  test('private messages by alias and by id reach the recipient on another node once', () => run.privateMessages());

  test('presence of a connect, a rename, an availability change and a disconnect reaches every available client on every node once; the listing is cluster-wide', () =>
    run.presence());

  test('fetchStats, fetchGroupSize and fetchSessions sum the three nodes, asked of any of them', () => run.queries());

  test('a group channel has one subscriber per node with a member, and none after its last members leave', () => run.interest(interest));

  test('redis-server stopped and started on the same port: down then up on every node, catch-up, then delivery exactly once again', () =>
    outage(run, { stop: () => redis.stop(), start: () => redis.start() }, interest));

  test('a node killed with SIGKILL mid-stream: its clients are announced gone everywhere after nodeTimeout, the others keep delivering, queries answer', async () => {
    await run.killNode(async (node) => killHard(node.pid));
    // The dead node's subscriber connection is gone from Redis: c1 was room's only member.
    await interest.until('room', 0);
    assert.deepEqual(await run.uncaught(), { A: [], B: [] }, 'nothing reached the survivors uncaught');
  });
});
