// Session recovery with a remote adapter (docs/server.md, "Session
// recovery"): each node records the broadcasts it delivers, other nodes'
// included, in its own streams. A session resumes on the node that holds it;
// on another node its token is unknown and the auth is a fresh session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteAdapter } from '../../dist/esm/scale/adapter.js';
import { MemoryBroker, MemoryBus } from '../helpers/memory-bus.mjs';
import { TcpProxy } from '../helpers/tcp-proxy.mjs';
import { until } from '../helpers/wait.mjs';
import { login, startServer, simpleAuth } from './helpers.mjs';
import { connect, cut, positionsOf, pushesAfterReply, resumeOf } from './recovery-helpers.mjs';

const FAST = { heartbeatInterval: 50, nodeTimeout: 400, requestTimeout: 1000 };

async function twoNodes() {
  const broker = new MemoryBroker();
  const nodes = [];
  for (let i = 0; i < 2; i++) {
    const adapter = new RemoteAdapter('memory', new MemoryBus(broker), FAST);
    const ctx = await startServer((s) => {
      simpleAuth(s);
      s.onGroupChange(() => true);
    }, { adapter, recovery: true, clientBroadcasts: { toEveryone: true } });
    ctx.proxy = await TcpProxy.start(ctx.port);
    nodes.push({ ...ctx, adapter });
  }
  await until(() => nodes.every((n) => n.adapter.stats.nodes === 1), 'the nodes to know each other');
  return nodes;
}

test('broadcasts from another node are recorded here and recovered on a resume here; on the other node a resume is a fresh session', async () => {
  const [A, B] = await twoNodes();
  const alice = await connect(A, { name: 'alice', groups: ['g'] });
  const bob = await login(B.url, { name: 'bob', groups: ['g'] });
  await until(() => A.adapter.stats.remoteSessions === 1 && B.adapter.stats.remoteSessions === 1, 'sessions known');
  B.server.broadcast('before', 0);
  const before = await alice.event('before');
  assert.equal(before.pos.s, 'all');
  await cut(A, alice);
  await until(() => A.server.stats.recovery.retained === 1, 'retained');
  // The only member of g on A is retained: A keeps hearing g's broadcasts meanwhile.
  await bob.ok('broadcast', { event: 'to-group', group: 'g', data: 1 });
  B.server.broadcast('to-all', 2);
  await until(() => A.server.stats.recovery.entries >= 3, 'A to record the gap');

  const elsewhere = await connect(B, { name: 'alice' }, resumeOf(alice));
  assert.equal(elsewhere.answer.data.resumed, false);
  assert.notEqual(elsewhere.self.id, alice.self.id);

  const back = await connect(A, { name: 'alice' }, resumeOf(alice, positionsOf(alice)));
  assert.equal(back.answer.data.resumed, true);
  assert.equal(back.answer.data.recovered, true);
  await until(() => back.has((m) => m.event === 'to-all'), 'the replay');
  assert.deepEqual(pushesAfterReply(back).map((m) => m.event), ['to-group', 'to-all']);
  for (const c of [back, bob, elsewhere]) await c.close();
  for (const n of [A, B]) {
    await n.server.close();
    await n.proxy.close();
  }
});
