// ws-node-server/cluster end to end: a real node:cluster primary
// (test/fixtures/scale-cluster-primary.mjs) with three workers, each a
// WebSocketNodeServer on its own port with createClusterAdapter(), and
// clients spread over them. The scenario (test/fixtures/scale-harness.mjs)
// counts what every client got; routing by interest is read from the IPC
// messages each worker received (the fixture counts them per channel) and
// from the relay's own counters in the primary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within } from '../helpers/wait.mjs';
import { Scenario, WAIT, jsonLines, killHard } from '../fixtures/scale-harness.mjs';

const PRIMARY = fileURLToPath(new URL('../fixtures/scale-cluster-primary.mjs', import.meta.url));
// Channels every node subscribes: all, state, and its own n:<node>.
const BASE_CHANNELS = 2 + 3;
// nodeTimeout is a minute: a dead worker announced gone within a test's bounds was reported by the primary, not by missed heartbeats.

describe('three node:cluster workers', () => {
  const run = new Scenario();
  let primary;
  let stderr = '';
  const ready = [];
  const exits = [];
  const statsWaiters = [];
  const workerPids = [];

  /** The relay's counters, asked of the primary. */
  function relayStats() {
    const answer = new Promise((resolve) => statsWaiters.push(resolve));
    primary.stdin.write('{"cmd":"stats"}\n');
    return within(answer, 'the relay stats', WAIT);
  }

  // The groups with members as the test made them: the relay holds one channel for each.
  const groups = new Map();
  const interest = {
    async until(group, nodes) {
      groups.set(group, nodes);
      const expected = BASE_CHANNELS + [...groups.values()].filter((n) => n > 0).length;
      await run.poll(relayStats, (s) => s.channels === expected, `the relay to hold ${expected} channels (${group}: ${nodes} nodes)`);
    },
    async snapshot() {
      const out = {};
      for (const n of run.live) out[n.name] = (await run.stats(n)).ipc['g:g'] ?? 0;
      return out;
    },
    async check(before, silent) {
      const now = await this.snapshot();
      for (const name of Object.keys(now)) {
        if (silent.includes(name)) assert.equal(now[name], before[name], `worker ${name} received nothing of g over IPC`);
        else assert.ok(now[name] > before[name], `worker ${name} received g's traffic`);
      }
    },
  };

  before(async () => {
    primary = spawn(process.execPath, [PRIMARY], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, WORKERS: '3', NODE_TIMEOUT_MS: '60000' } });
    primary.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    jsonLines(primary.stdout, (msg) => {
      if (msg.ready) {
        ready[msg.worker] = msg;
        workerPids.push(msg.pid);
      } else if (msg.exit) exits.push(msg);
      else if (msg.stats) statsWaiters.shift()?.(msg.stats);
    });
    await run.poll(async () => ready.filter(Boolean).length, (n) => n === 3, () => `three workers ready (stderr: ${stderr.slice(-500)})`);
    await run.start(ready);
  });

  after(async () => {
    await run.closeClients().catch(() => {});
    if (primary) {
      const exited = primary.exitCode !== null || primary.signalCode !== null ? Promise.resolve() : new Promise((resolve) => primary.once('exit', resolve));
      primary.stdin.end();
      await within(exited, 'the primary to exit', WAIT).catch(() => killHard(primary.pid));
    }
    for (const pid of workerPids) killHard(pid);
  });

  test('broadcasts to everyone, to a group and excluding the sender reach every client once; a worker without members gets none of the group', () =>
    run.broadcasts(interest));

  test('private messages by alias and by id reach the recipient on another worker once', () => run.privateMessages());

  test('presence of a connect, a rename, an availability change and a disconnect reaches every available client on every worker once; the listing is cluster-wide', () =>
    run.presence());

  test('fetchStats, fetchGroupSize and fetchSessions sum the three workers, asked of any of them', () => run.queries());

  test('a group is relayed only to workers with a member; after its last members leave, to none', () => run.interest(interest));

  test('a worker killed with SIGKILL mid-stream: its clients are announced gone everywhere at once, the others keep delivering, queries answer', async () => {
    const relayed = (await relayStats()).nodes;
    assert.equal(relayed, 3);
    await run.killNode(async (node) => {
      killHard(node.pid);
      await run.poll(async () => exits.length, (n) => n === 1, 'the primary to see the worker exit');
    });
    assert.deepEqual(exits.map((e) => e.exit.signal), ['SIGKILL']);
    const after = await relayStats();
    assert.equal(after.nodes, 2, 'the relay dropped the dead worker\'s node');
    assert.equal(after.workers, 2);
    assert.deepEqual(await run.uncaught(), { A: [], B: [] }, 'nothing reached the survivors uncaught');
  });
});
