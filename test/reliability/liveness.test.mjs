// Liveness: a peer that vanishes without a FIN (simulated by pausing it, so
// it never reads a ping nor answers with a pong) is reaped by the heartbeat,
// its session cleaned up and announced; a live peer is kept. A peer that
// does not answer our close frame is dropped after closeTimeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, simpleAuth, login, rawPeer, upgradeRequest, closeAll } from './helpers.mjs';
import { until, sleep } from '../helpers/wait.mjs';

test('a half-open authenticated peer is reaped by the heartbeat; its session is cleaned up and announced', async () => {
  const closes = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onConnectionClose((session, code) => closes.push([session.alias, code]));
  }, { heartbeatInterval: 50 });
  const live = await login(ctx.url, { name: 'live', groups: ['room'] });
  const ghost = await login(ctx.url, { name: 'ghost', groups: ['room'] });
  assert.equal(ctx.server.groupSize('room'), 2);
  ghost.ws.pause(); // no FIN, no reads, no pongs: as if the peer lost power
  await until(() => closes.length === 1, 'the ghost to be reaped');
  assert.deepEqual(closes, [['ghost', 1006]]);
  assert.equal(ctx.server.stats.heartbeatTimeouts, 1);
  assert.equal(ctx.server.sessionCount, 1);
  assert.equal(ctx.server.groupSize('room'), 1);
  const gone = await live.next((m) => m.type === 'presence' && m.client.alias === 'ghost' && !m.client.connected, 'presence');
  assert.equal(gone.client.connected, false);
  // The live peer answers every ping and outlasts many intervals.
  await sleep(300);
  assert.deepEqual(await live.ok('clients'), []);
  assert.equal(ctx.server.stats.heartbeatTimeouts, 1);
  ghost.ws.terminate();
  await closeAll(ctx, [live]);
});

test('a raw TCP peer that completes the handshake and goes silent is reaped before it ever authenticates', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { heartbeatInterval: 50, authTimeout: 0 });
  const silent = rawPeer(ctx.port, upgradeRequest());
  await until(() => ctx.server.stats.connections === 1, 'the connection');
  silent.socket.pause(); // (a paused socket does not notice being dropped either)
  await until(() => ctx.server.stats.connections === 0, 'the silent peer to be dropped');
  assert.equal(ctx.server.stats.heartbeatTimeouts, 1);
  assert.equal(ctx.server.getServer().clients.size, 0);
  silent.socket.destroy();
  await ctx.server.close();
});

test('heartbeat and idle timeout have one owner: a silent peer, dead and idle at once, is closed once and counted once', async () => {
  // Both periods equal, so both policies find the peer silent in the same round.
  const ctx = await startServer((s) => simpleAuth(s), { heartbeatInterval: 40, idleTimeout: 40, authTimeout: 0 });
  const inner = ctx.server.getServer();
  const closes = [];
  inner.on('connection', (ws) => ws.on('close', (code) => closes.push(code)));
  const silent = rawPeer(ctx.port, upgradeRequest());
  await until(() => ctx.server.stats.connections === 1, 'the connection');
  silent.socket.pause(); // reads nothing, answers no ping, sends no message
  await until(() => ctx.server.stats.connections === 0, 'the silent peer to be dropped');
  await sleep(200); // five more rounds: a second sweep, had there been one, would have counted again
  const { heartbeatTimeouts, idleTimeouts } = ctx.server.stats;
  assert.equal(heartbeatTimeouts + idleTimeouts, 1, `counted once (heartbeat ${heartbeatTimeouts}, idle ${idleTimeouts})`);
  assert.equal(closes.length, 1);
  // The inner ws-compatible server only performs handshakes: no timer of its own counted it.
  assert.deepEqual([inner.stats.heartbeatTimeouts, inner.stats.idleTimeouts], [0, 0]);
  silent.socket.destroy();
  await ctx.server.close();
});

test('the heartbeat can be changed at run time, and 0 turns it off', async () => {
  const ctx = await startServer((s) => simpleAuth(s), { heartbeatInterval: 0 });
  const quiet = await login(ctx.url, { name: 'quiet' });
  quiet.ws.pause();
  await sleep(150);
  assert.equal(ctx.server.sessionCount, 1, 'no heartbeat: nobody is reaped');
  ctx.server.setHeartbeatInterval(40);
  await until(() => ctx.server.sessionCount === 0, 'reaped once the heartbeat runs');
  assert.equal(ctx.server.stats.heartbeatTimeouts, 1);
  quiet.ws.terminate();
  await ctx.server.close();
});

test('a peer that never answers our close frame is dropped after closeTimeout, and its session ends once', async () => {
  const closes = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onConnectionClose((session, code) => closes.push([session.alias, code]));
  }, { closeTimeout: 100 });
  const mute = await login(ctx.url, { name: 'mute' });
  mute.ws.pause();
  ctx.server.getSession(mute.self.id).close(4000, 'bye');
  await until(() => closes.length === 1, 'the close timeout');
  assert.deepEqual(closes, [['mute', 1006]]);
  assert.equal(ctx.server.stats.connections, 0);
  mute.ws.terminate();
  await ctx.server.close();
});
