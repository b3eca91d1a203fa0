// The remote adapter's rules, with several WebSocketNodeServers in one
// process joined by an in-memory broker (test/helpers/memory-bus.mjs): every
// cross-node delivery exactly once, routing by interest, presence and the
// listing across nodes, alias ownership, a node that exits or hangs, the
// broker lost and back, and queries that answer partially instead of hanging.
// The same rules over real processes, node:cluster and Redis are in the
// other files of this folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteAdapter } from '../../dist/esm/scale/adapter.js';
import { MemoryBroker, MemoryBus } from '../helpers/memory-bus.mjs';
import { startServer, login, legacyLogin, simpleAuth, closeAll } from '../router/helpers.mjs';
import { until, within } from '../helpers/wait.mjs';

const FAST = { heartbeatInterval: 50, nodeTimeout: 400, requestTimeout: 1000 };

async function cluster(n, { timing = {}, setup } = {}) {
  const broker = new MemoryBroker();
  const nodes = [];
  for (let i = 0; i < n; i++) {
    const bus = new MemoryBus(broker);
    const adapter = new RemoteAdapter('memory', bus, { ...FAST, ...timing });
    const ctx = await startServer((s) => {
      simpleAuth(s);
      s.onGroupChange(() => true);
      setup?.(s, i);
    }, { adapter, clientBroadcasts: { toEveryone: true } });
    nodes.push({ ...ctx, bus, adapter });
  }
  // Every node knows every other before a test starts.
  await until(() => nodes.every((node) => node.adapter.stats.nodes === n - 1), 'nodes to know each other');
  return { broker, nodes };
}

/** Once every node's own barrier event reached every client, all earlier traffic has arrived. */
let tags = 0;
async function settle(nodes, clients) {
  for (const node of nodes) {
    const tag = `barrier-${++tags}`;
    node.server.broadcast(tag, null);
    await Promise.all(clients.map((c) => c.event(tag)));
  }
}

const count = (client, pred) => client.inbox.filter(pred).length;

async function shutdown(nodes, clients) {
  await Promise.all(clients.map((c) => (c.ws.readyState === 1 ? c.close() : null)));
  for (const node of nodes) await node.server.close();
}

test('broadcasts to everyone, to a group and excluding the sender reach every recipient on every node exactly once', async () => {
  const { nodes } = await cluster(3);
  const [A, B, C] = nodes;
  const a1 = await login(A.url, { name: 'a1', groups: ['g'] });
  const a2 = await login(A.url, { name: 'a2' });
  const b1 = await login(B.url, { name: 'b1', groups: ['g'] });
  const c1 = await login(C.url, { name: 'c1' });
  const all = [a1, a2, b1, c1];
  await until(() => nodes.every((n) => n.adapter.stats.remoteSessions === 4 - n.server.sessionCount), 'the sessions to be known everywhere');

  assert.equal(B.server.broadcast('news', { n: 1 }), 1, 'the count is of this node\'s recipients');
  B.server.broadcast('team', { n: 2 }, { group: 'g' });
  assert.equal((await a1.send('broadcast', { event: 'chat', group: 'g', data: 'hi' })).type, 'reply');
  assert.equal((await c1.send('broadcast', { event: 'shout', data: 'all' })).type, 'reply');
  await settle(nodes, all);

  for (const c of all) assert.equal(count(c, (m) => m.event === 'news'), 1, `${c.self.alias}: news once`);
  assert.deepEqual(all.map((c) => count(c, (m) => m.event === 'team')), [1, 0, 1, 0]);
  // The sender is left out of its own broadcast, on its node and everywhere.
  assert.deepEqual(all.map((c) => count(c, (m) => m.event === 'chat')), [0, 0, 1, 0]);
  assert.deepEqual(all.map((c) => count(c, (m) => m.event === 'shout')), [1, 1, 1, 0]);
  const chat = b1.inbox.find((m) => m.event === 'chat');
  assert.deepEqual(chat, { type: 'event', event: 'chat', group: 'g', data: 'hi', from: { id: a1.self.id, alias: 'a1' } });
  // Routing by interest: node C has no member of g and heard none of its traffic.
  assert.equal(C.bus.receivedOn.get('g:g') ?? 0, 0);
  assert.ok(!C.bus.channels.has('g:g'));
  assert.equal(B.bus.receivedOn.get('g:g'), 1, 'B heard the client broadcast into g once');
  await shutdown(nodes, all);
});

test('a node subscribes to a group on its first local member and unsubscribes after its last', async () => {
  const { nodes } = await cluster(2);
  const [A, B] = nodes;
  const a1 = await login(A.url, { name: 'a1', groups: ['room'] });
  const b1 = await login(B.url, { name: 'b1' });
  assert.ok(!B.bus.channels.has('g:room'));
  assert.deepEqual((await b1.ok('join', { group: 'room' })), { group: 'room', joined: true });
  assert.ok(B.bus.channels.has('g:room'));
  A.server.broadcast('one', 1, { group: 'room' });
  await b1.event('one');
  await b1.ok('leave', { group: 'room' });
  assert.ok(!B.bus.channels.has('g:room'));
  const heard = B.bus.receivedOn.get('g:room');
  A.server.broadcast('two', 2, { group: 'room' });
  await a1.event('two');
  await settle(nodes, [a1, b1]);
  assert.equal(B.bus.receivedOn.get('g:room'), heard, 'nothing of the group reached B after its last member left');
  assert.ok(!b1.has((m) => m.event === 'two'));
  await shutdown(nodes, [a1, b1]);
});

test('private messages by alias and by id reach a session on another node once; hooks see a RemoteSession', async () => {
  const hooked = [];
  const vetted = [];
  const { nodes } = await cluster(2, {
    setup(s, i) {
      if (i !== 0) return;
      s.onPrivateMessage((from, to) => hooked.push([from.alias, to.alias, to.constructor.name, to.node]));
      s.onClientMessage((m) => {
        if (m.kind === 'private') vetted.push([m.receiver.alias, m.receiver.visible, m.receiver.data]);
      });
    },
  });
  const [A, B] = nodes;
  const a1 = await login(A.url, { name: 'a1' });
  const b1 = await login(B.url, { name: 'b1' });
  const away = await login(B.url, { name: 'away', available: false });
  await until(() => A.adapter.remoteByAlias('away').length === 1, 'A to know away');
  assert.equal((await a1.send('message', { to: { alias: 'b1' }, data: 'by alias' })).type, 'reply');
  assert.equal((await a1.send('message', { to: { id: b1.self.id }, data: 'by id' })).type, 'reply');
  assert.equal((await b1.send('message', { to: { alias: 'a1' }, data: 'back' })).type, 'reply');
  // The rules hold across nodes: no unavailable receiver, no unknown one.
  assert.equal((await a1.send('message', { to: { alias: 'away' } })).error.code, 'not_found');
  assert.equal((await a1.send('message', { to: { id: '00000000-0000-4000-8000-000000000000' } })).error.code, 'not_found');
  await settle(nodes, [a1, b1, away]);
  assert.deepEqual(b1.inbox.filter((m) => m.type === 'message').map((m) => [m.from.alias, m.data]), [['a1', 'by alias'], ['a1', 'by id']]);
  assert.deepEqual(a1.inbox.filter((m) => m.type === 'message').map((m) => m.data), ['back']);
  assert.equal(count(away, (m) => m.type === 'message'), 0);
  assert.deepEqual(hooked, [['a1', 'b1', 'RemoteSession', B.adapter.nodeId], ['a1', 'b1', 'RemoteSession', B.adapter.nodeId]]);
  assert.deepEqual(vetted[0], ['b1', true, undefined], 'server-side data stays on its node');
  assert.equal(A.adapter.stats.pending, 0);
  await shutdown(nodes, [a1, b1, away]);
});

test('an alias held on another node is taken; one held on two nodes addresses no one', async () => {
  const { nodes } = await cluster(2);
  const [A, B] = nodes;
  const a1 = await login(A.url, { name: 'a1' });
  const b1 = await login(B.url, { name: 'b1' });
  await until(() => A.adapter.remoteByAlias('b1').length === 1, 'A to know b1');
  assert.equal((await a1.send('update', { alias: 'b1' })).error.code, 'alias_taken');
  // The server may still give two sessions one alias (startSession): then it names no one.
  const twinA = await login(A.url, { name: 'tA', alias: 'twin' });
  const twinB = await login(B.url, { name: 'tB', alias: 'twin' });
  await until(() => A.adapter.remoteByAlias('twin').length === 1 && B.adapter.remoteByAlias('twin').length === 1, 'the twins to be known');
  assert.equal((await b1.send('message', { to: { alias: 'twin' } })).error.code, 'not_found');
  assert.equal((await b1.send('message', { to: { id: twinA.self.id }, data: 'id works' })).type, 'reply');
  assert.equal((await twinA.next((m) => m.type === 'message')).data, 'id works');
  await shutdown(nodes, [a1, b1, twinA, twinB]);
});

test('presence: connects, changes and disconnects on one node reach the available clients of every node; the listing is cluster-wide', async () => {
  const { nodes } = await cluster(3);
  const [A, B, C] = nodes;
  const a1 = await login(A.url, { name: 'a1' });
  const b1 = await login(B.url, { name: 'b1' });
  const c1 = await login(C.url, { name: 'c1' });
  const hidden = await login(C.url, { name: 'hidden', available: false });
  await until(() => nodes.every((n) => n.adapter.stats.remoteSessions === 4 - n.server.sessionCount), 'the sessions to be known everywhere');
  const listed = (await a1.ok('clients')).map((c) => c.alias).sort();
  assert.deepEqual(listed, ['b1', 'c1'], 'visible clients of every node, not the asker, not the hidden one');
  const isAbout = (id) => (m) => m.type === 'presence' && m.client.id === id;
  const d1 = await login(C.url, { name: 'd1' });
  await a1.next(isAbout(d1.self.id), 'd1 connected at a1');
  await b1.next(isAbout(d1.self.id), 'd1 connected at b1');
  await d1.ok('update', { alias: 'dee' });
  const renamed = await a1.next(isAbout(d1.self.id), 'd1 renamed at a1');
  assert.equal(renamed.client.alias, 'dee');
  await d1.close();
  await b1.next((m) => isAbout(d1.self.id)(m) && m.client.alias === 'dee' && m.client.connected, 'd1 renamed at b1');
  const gone = await b1.next(isAbout(d1.self.id), 'd1 gone at b1');
  assert.equal(gone.client.connected, false);
  assert.equal((await a1.next(isAbout(d1.self.id), 'd1 gone at a1')).client.connected, false);
  await settle(nodes, [a1, b1, c1]);
  assert.equal(count(hidden, (m) => m.type === 'presence'), 0, 'an unavailable client gets no presence');
  assert.equal(count(a1, isAbout(d1.self.id)), 0, 'each change once');
  await until(() => A.adapter.remoteById(d1.self.id) === null, 'd1 forgotten');
  await shutdown(nodes, [a1, b1, c1, hidden]);
});

test('a legacy client on another node gets a broadcast in its own protocol', async () => {
  const { nodes } = await cluster(2);
  const [A, B] = nodes;
  const old = await legacyLogin(B.url, { name: 'old' });
  await until(() => A.adapter.stats.remoteSessions === 1, 'A to know the legacy session');
  A.server.broadcast('hello', { x: 1 });
  const event = await old.event('hello');
  assert.deepEqual(event.response, { x: 1 });
  assert.deepEqual(event.info, { action: 'broadcast', request: 'hello', group: null, packageID: 1 });
  await shutdown(nodes, [old]);
});

test('a node whose process exits is forgotten at once, a hung one after nodeTimeout: its clients are announced gone everywhere', async () => {
  const { nodes } = await cluster(3);
  const [A, B, C] = nodes;
  const a1 = await login(A.url, { name: 'a1' });
  const b1 = await login(B.url, { name: 'b1' });
  const c1 = await login(C.url, { name: 'c1' });
  await until(() => A.adapter.stats.remoteSessions === 2, 'A to know b1 and c1');
  const goneEvent = (id) => (m) => m.type === 'presence' && m.client.id === id && m.client.connected === false;
  C.bus.exitNode();
  await a1.next(goneEvent(c1.self.id), 'c1 announced gone after its node exited');
  assert.equal(A.adapter.remoteById(c1.self.id), null);
  // A hung node: it neither sends nor receives; its heartbeats stop.
  B.bus.muted = true;
  await a1.next(goneEvent(b1.self.id), 'b1 announced gone after its heartbeats stopped');
  assert.deepEqual(await a1.ok('clients'), []);
  assert.equal(A.adapter.stats.expiredNodes, 2);
  await shutdown(nodes, [a1, b1, c1]);
});

test('cluster-wide queries sum every node; a silent node makes them partial, never late, and leaves nothing pending', async () => {
  const { nodes } = await cluster(3, { timing: { nodeTimeout: 60_000, heartbeatInterval: 1000 } });
  const [A, B, C] = nodes;
  const a1 = await login(A.url, { name: 'a1', groups: ['g'] });
  const b1 = await login(B.url, { name: 'b1', groups: ['g'] });
  const b2 = await login(B.url, { name: 'b2' });
  const c1 = await login(C.url, { name: 'c1', groups: ['g'] });
  const stats = await A.server.fetchStats();
  assert.equal(stats.partial, false);
  assert.equal(stats.nodes, 3);
  assert.equal(stats.sessions, 4);
  assert.equal(stats.byNode[0].node, A.adapter.nodeId);
  assert.equal((await A.server.fetchGroupSize('g')).size, 3);
  const listing = await B.server.fetchSessions();
  assert.deepEqual(listing.sessions.map((s) => s.alias).sort(), ['a1', 'b1', 'b2', 'c1']);
  assert.equal(listing.sessions.find((s) => s.alias === 'c1').node, C.adapter.nodeId);
  C.bus.muted = true;
  const partial = await within(A.server.fetchStats({ timeout: 200 }), 'a partial answer');
  assert.equal(partial.partial, true);
  assert.deepEqual(partial.missing, [C.adapter.nodeId]);
  assert.equal(partial.sessions, 3);
  assert.equal(A.adapter.stats.pending, 0);
  assert.equal(A.adapter.stats.timeouts, 1);
  C.bus.muted = false;
  await shutdown(nodes, [a1, b1, b2, c1]);
});

test('losing the broker is an event and a stat; when it is back, what changed meanwhile is caught up and delivery resumes', async () => {
  const { broker, nodes } = await cluster(2);
  const [A, B] = nodes;
  const events = [];
  A.server.on('adapter', (state, error) => events.push([state, error?.message ?? null]));
  const a1 = await login(A.url, { name: 'a1' });
  const b1 = await login(B.url, { name: 'b1' });
  await until(() => A.adapter.stats.remoteSessions === 1, 'A to know b1');
  broker.down();
  assert.deepEqual(events, [['down', 'broker lost']]);
  assert.equal(A.server.stats.adapter.connected, false);
  assert.equal(A.server.stats.adapter.outages, 1);
  // While it is down: a private message to the other node fails at once, not after a timeout.
  assert.equal((await a1.send('message', { to: { alias: 'b1' } })).error.code, 'not_found');
  const b2 = await login(B.url, { name: 'b2' });
  await b1.close();
  B.server.broadcast('lost', 1);
  broker.restore();
  assert.deepEqual(events.at(-1), ['up', null]);
  // The snapshot exchange after the outage: A learns of b2 and that b1 left.
  await until(() => A.adapter.remoteByAlias('b2').length === 1 && A.adapter.remoteByAlias('b1').length === 0, 'A to catch up');
  B.server.broadcast('after', 2);
  await a1.event('after');
  assert.ok(!a1.has((m) => m.event === 'lost'), 'pub/sub does not replay what was published during the outage');
  assert.equal((await a1.send('message', { to: { alias: 'b2' }, data: 'again' })).type, 'reply');
  assert.equal((await b2.next((m) => m.type === 'message')).data, 'again');
  await shutdown(nodes, [a1, b2]);
});

test('an adapter serves one server, and a server refuses what is not an adapter', async () => {
  const bus = new MemoryBus(new MemoryBroker());
  const adapter = new RemoteAdapter('memory', bus, FAST);
  const ctx = await startServer((s) => simpleAuth(s), { adapter });
  const second = await import('../../dist/esm/index.js').then(({ WebSocketNodeServer }) => new WebSocketNodeServer({ host: '127.0.0.1', port: 0, adapter }));
  await assert.rejects(second.listen(), /one server/);
  assert.throws(() => new RemoteAdapter('memory', bus, { nodeTimeout: 10, heartbeatInterval: 20 }), RangeError);
  const { WebSocketNodeServer } = await import('../../dist/esm/index.js');
  assert.throws(() => new WebSocketNodeServer({ adapter: {} }), TypeError);
  await closeAll(ctx);
  await second.close();
});

test('a broker out of reach makes listen() reject after startTimeout, not hang; the adapter is then spent', async () => {
  const bus = new MemoryBus(new MemoryBroker());
  let closed = 0;
  bus.start = () => new Promise(() => {}); // a broker that never answers
  bus.close = async () => void closed++;
  const adapter = new RemoteAdapter('memory', bus, { ...FAST, startTimeout: 100 });
  const { WebSocketNodeServer } = await import('../../dist/esm/index.js');
  const server = new WebSocketNodeServer({ host: '127.0.0.1', port: 0, adapter });
  await assert.rejects(within(server.listen(), 'listen to give up'), /could not reach its broker within 100 ms/);
  assert.equal(closed, 1, 'the bus was closed');
  assert.equal(server.address(), null, 'nothing listens');
  await assert.rejects(server.listen(), /create a new one/);
  await server.close();
});
