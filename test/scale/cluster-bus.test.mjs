// The node:cluster bus over real processes: a primary fixture
// (test/fixtures/cluster-bus-primary.mjs) forks workers holding ClusterBus
// nodes; this test drives it with JSON lines on its stdin and reads the
// answers on its stdout.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ClusterBus, setupClusterPrimary } from '../../dist/esm/scale/cluster-bus.js';
import { within, until } from '../helpers/wait.mjs';

const PRIMARY = fileURLToPath(new URL('../fixtures/cluster-bus-primary.mjs', import.meta.url));
const WAIT = 8000; // a generous bound for a round trip through three processes on a busy machine

/** A running primary fixture and its workers. */
class ClusterRun {
  #next = 0;
  #waiting = new Map();
  events = []; // lines the workers print themselves (bus down events)
  workerPids = [];
  stderr = '';

  constructor(env = {}) {
    this.child = spawn(process.execPath, [PRIMARY], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    createInterface({ input: this.child.stdout }).on('line', (text) => {
      const msg = JSON.parse(text);
      if (msg.event) return void this.events.push(msg);
      this.#waiting.get(msg.id)?.(msg);
      this.#waiting.delete(msg.id);
    });
  }

  /** Runs a command in the primary (no `w`) or in worker `w`; resolves with its result, rejects with its error. */
  async run(cmd, args = {}) {
    const id = ++this.#next;
    const reply = new Promise((resolve) => this.#waiting.set(id, resolve));
    this.child.stdin.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    const msg = await within(reply, `${cmd} ${JSON.stringify(args).slice(0, 80)} (stderr: ${this.stderr.slice(-300)})`, WAIT);
    if (msg.error) throw new Error(msg.error);
    return msg.result;
  }

  /** Resolves with `cmd`'s result once `pred(result)` holds (bounded). */
  async poll(cmd, args, pred, what) {
    let last;
    const deadline = Date.now() + WAIT;
    for (let i = 0; i < 400 && Date.now() < deadline; i++) {
      last = await this.run(cmd, args);
      if (pred(last)) return last;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`${what}: last ${JSON.stringify(last).slice(0, 300)}`);
  }

  /** Ends the primary (it kills its workers when its stdin ends), then makes sure every process is gone. */
  async stop() {
    const exited = this.child.exitCode !== null || this.child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await within(exited, 'the primary fixture to exit', WAIT).catch(() => this.child.kill('SIGKILL'));
    for (const pid of this.workerPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone (ESRCH), as expected
      }
    }
  }
}

// A group name can be any text: a channel carries it intact.
const CHANNEL = 'g:salle café 中文 😀: a "b" \\ \u2028 end';
const MiB = 1024 * 1024;

describe('ClusterBus between real cluster workers', () => {
  let run;
  before(async () => {
    run = new ClusterRun();
    const workers = await run.run('fork', { n: 3 });
    run.workerPids = workers.map((w) => w.pid);
    assert.deepEqual(workers.map((w) => w.serialization), ['json', 'json', 'json']);
  });
  after(() => run?.stop());

  test('start() rejects with a clear error while the primary has not called setupClusterPrimary()', async () => {
    await assert.rejects(run.run('create', { w: 0, node: 'early', startTimeout: 300 }), /setupClusterPrimary\(\) in the primary/);
    // The failed bus released the shared listener.
    assert.deepEqual(await run.run('listeners', { w: 0 }), { message: 0, disconnect: 0 });
  });

  test('setupClusterPrimary() is idempotent; nodes register in each worker', async () => {
    assert.deepEqual(await run.run('setup'), { same: true });
    assert.deepEqual(await run.run('create', { w: 0, node: 'a' }), { connected: true });
    assert.deepEqual(await run.run('create', { w: 1, node: 'b1' }), { connected: true });
    assert.deepEqual(await run.run('create', { w: 1, node: 'b2' }), { connected: true });
    assert.deepEqual(await run.run('create', { w: 2, node: 'c' }), { connected: true });
    const stats = await run.run('stats');
    assert.equal(stats.workers, 3);
    assert.equal(stats.nodes, 4);
    // One shared IPC listener in worker 1 for its two buses.
    assert.deepEqual(await run.run('listeners', { w: 1 }), { message: 1, disconnect: 1 });
    await assert.rejects(run.run('create', { w: 2, node: 'a' }), /refused the node.*already registered/);
    await assert.rejects(run.run('create', { w: 1, node: 'b1' }), /already used by another bus of this process/);
    await assert.rejects(run.run('setupHere', { w: 0 }).then((r) => { if (r.threw) throw new Error(r.message); }), /must be called in the cluster primary/);
  });

  test('round trip with a unicode/colon/space channel name and a 1 MiB payload', async () => {
    await run.run('sub', { w: 1, node: 'b1', ch: CHANNEL });
    await run.run('sub', { w: 0, node: 'a', ch: 'sync' });
    // Subscriptions take effect asynchronously: a message on a channel both
    // sides use tells when worker 1's subscription reached the primary.
    await run.run('sub', { w: 1, node: 'b1', ch: 'sync' });
    await run.run('pub', { w: 1, node: 'b1', ch: 'sync', p: 'ready' });
    await run.poll('log', { w: 0, node: 'a' }, (log) => log.length === 1, 'a gets sync');

    const sent = await run.run('pub', { w: 0, node: 'a', ch: CHANNEL, size: MiB });
    assert.equal(sent.len, MiB);
    const log = await run.poll('log', { w: 1, node: 'b1' }, (l) => l.some((m) => m.ch === CHANNEL), 'b1 gets the 1 MiB message');
    const got = log.filter((m) => m.ch === CHANNEL);
    assert.equal(got.length, 1);
    assert.equal(got[0].len, MiB);
    assert.equal(got[0].hash, sent.hash);
  });

  test('subscriptions made before start() are in place once it resolves', async () => {
    await run.run('create', { w: 2, node: 'early-subscriber', subs: ['pre', 'pre:2'] });
    await run.run('pub', { w: 0, node: 'a', ch: 'pre:2', p: 'first' });
    const log = await run.poll('log', { w: 2, node: 'early-subscriber' }, (l) => l.length >= 1, 'the pre-subscribed node gets it');
    assert.deepEqual(log.map((m) => m.p), ['first']);
    assert.equal((await run.run('close', { w: 2, node: 'early-subscriber' })).message, 1); // node c keeps the listener
  });

  test('a backed-up IPC channel queues and counts: nothing dropped, order kept', async () => {
    // Four 1 MiB messages in one go outgrow the channel's socket buffer:
    // process.send() returns false and Node queues them.
    const sent = await run.run('pub', { w: 0, node: 'a', ch: CHANNEL, size: MiB, count: 4 });
    const log = await run.poll('log', { w: 1, node: 'b1' }, (l) => l.filter((m) => m.ch === CHANNEL).length >= 5, 'b1 gets 5 big messages');
    const big = log.filter((m) => m.ch === CHANNEL);
    assert.equal(big.length, 5);
    for (const m of big) assert.equal(m.hash, sent.hash);
    const stats = await run.run('stats', { w: 0, node: 'a' });
    assert.ok(stats.backpressured >= 1, `the worker counted no backed-up send: ${JSON.stringify(stats)}`);
    assert.equal(stats.publishFailures, 0);
    assert.ok((await run.run('stats')).backpressured >= 1, 'the relay counted no backed-up send');
  });

  test('routing by interest: a worker with no subscribed node gets no IPC message of the channel', async () => {
    // Worker 2 (node c) subscribes only to 'sync'. Node a publishes on
    // CHANNEL, then on 'sync': the primary relays a publisher's messages in
    // order, so once c has the 'sync' message anything of CHANNEL for
    // worker 2 would have arrived before it.
    await run.run('sub', { w: 2, node: 'c', ch: 'sync' });
    await run.run('pub', { w: 1, node: 'b1', ch: 'sync', p: 'barrier-0' });
    await run.poll('log', { w: 2, node: 'c' }, (l) => l.length >= 1, 'c subscribed');
    for (let i = 0; i < 5; i++) await run.run('pub', { w: 0, node: 'a', ch: CHANNEL, p: `m${i}` });
    await run.run('pub', { w: 0, node: 'a', ch: 'sync', p: 'barrier-1' });
    await run.poll('log', { w: 2, node: 'c' }, (l) => l.some((m) => m.p === 'barrier-1'), 'c gets the barrier');
    const ipc = await run.run('ipc', { w: 2 });
    assert.equal(ipc.byChannel[CHANNEL], undefined, 'worker 2 received IPC messages of a channel none of its nodes subscribes to');
    assert.ok(ipc.byChannel.sync >= 2);
    // The subscribed worker got them all, and the publisher no echo.
    const b1 = await run.poll('log', { w: 1, node: 'b1' }, (l) => l.some((m) => m.p === 'm4'), 'b1 gets m4');
    assert.deepEqual(b1.filter((m) => m.ch === CHANNEL && m.p).map((m) => m.p), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal((await run.run('ipc', { w: 0 })).byChannel[CHANNEL], undefined, 'the publisher got its own messages back');
  });

  test('after unsubscribe() nothing more of the channel arrives, not even over IPC', async () => {
    await run.run('unsub', { w: 1, node: 'b1', ch: CHANNEL });
    const before = (await run.run('ipc', { w: 1 })).byChannel[CHANNEL];
    const received = (await run.run('stats', { w: 1, node: 'b1' })).received;
    // The unsubscribe and the barrier travel in order from worker 1; once
    // a has the barrier, the primary has dropped the subscription.
    await run.run('clearLog', { w: 0, node: 'a' });
    await run.run('pub', { w: 1, node: 'b1', ch: 'sync', p: 'unsubscribed' });
    await run.poll('log', { w: 0, node: 'a' }, (l) => l.some((m) => m.p === 'unsubscribed'), 'a gets the barrier');
    await run.run('pub', { w: 0, node: 'a', ch: CHANNEL, p: 'late' });
    await run.run('pub', { w: 0, node: 'a', ch: 'sync', p: 'barrier-2' });
    await run.poll('log', { w: 1, node: 'b1' }, (l) => l.some((m) => m.p === 'barrier-2'), 'b1 gets the barrier');
    assert.equal((await run.run('ipc', { w: 1 })).byChannel[CHANNEL], before);
    const stats = await run.run('stats', { w: 1, node: 'b1' });
    assert.equal(stats.received, received + 1); // barrier-2 only
    assert.equal(stats.channels, 1); // 'sync'
  });

  test('1000 publishes arrive in order; two nodes of one worker get each with one IPC message', async () => {
    await run.run('sub', { w: 1, node: 'b1', ch: 'seq' });
    await run.run('sub', { w: 1, node: 'b2', ch: 'seq' });
    await run.run('pub', { w: 1, node: 'b2', ch: 'sync', p: 'seq-ready' });
    await run.poll('log', { w: 0, node: 'a' }, (l) => l.some((m) => m.p === 'seq-ready'), 'a gets the barrier');
    const relayedBefore = (await run.run('stats')).relayed;
    const ipcBefore = (await run.run('ipc', { w: 1 })).msg;
    await run.run('pubSeq', { w: 0, node: 'a', ch: 'seq', count: 1000 });
    const expected = Array.from({ length: 1000 }, (_, i) => String(i));
    for (const node of ['b1', 'b2']) {
      const log = await run.poll('log', { w: 1, node }, (l) => l.filter((m) => m.ch === 'seq').length >= 1000, `${node} gets 1000`);
      assert.deepEqual(log.filter((m) => m.ch === 'seq').map((m) => m.p), expected);
    }
    assert.equal((await run.run('ipc', { w: 1 })).msg - ipcBefore, 1000, 'one IPC message per publish for the two nodes');
    assert.equal((await run.run('stats')).relayed - relayedBefore, 1000);
  });

  test("the application's own IPC messages reach its handlers; look-alikes are not read as the bus's", async () => {
    const published = (await run.run('stats')).published;
    const invalid = (await run.run('stats')).invalid;
    const appBefore = (await run.run('seen')).appMessages;
    await run.run('spoof', { w: 1, node: 'b1', ch: 'sync' });
    await run.run('spoofTo', { index: 0, node: 'a', ch: 'sync' });
    // The primary's application handler got the worker's untagged look-alike
    // and the command's reply (sent after it on the same channel); it skips
    // whatever carries a `wsns` key, the { wsns: 2 } one included.
    const seen = await run.run('seen');
    assert.equal(seen.appMessages, appBefore + 2);
    assert.ok(seen.busMessages > 0, 'the bus messages reach the application handler too (node:cluster emits them all)');
    const stats = await run.run('stats');
    assert.equal(stats.published, published, 'an untagged message was relayed');
    assert.equal(stats.invalid, invalid + 2); // another worker's node id, a channel that is no string
    // Worker 0's application handler got the primary's note; its bus delivered nothing spoofed.
    const appSeen = await run.poll('appSeen', { w: 0 }, (s) => s.length === 1, 'worker app handler');
    assert.equal(appSeen[0].text, 'hello from the application');
    await run.run('pub', { w: 1, node: 'b1', ch: 'sync', p: 'after-spoof' });
    const log = await run.poll('log', { w: 0, node: 'a' }, (l) => l.some((m) => m.p === 'after-spoof'), 'a gets the barrier');
    assert.equal(log.filter((m) => m.p === 'spoofed').length, 0);
    assert.equal((await run.poll('log', { w: 2, node: 'c' }, (l) => l.some((m) => m.p === 'after-spoof'), 'c gets the barrier')).filter((m) => m.p === 'spoofed').length, 0);
  });

  test('a closed relay is down() for the workers; a new one brings them up() with their subscriptions, no duplicates', async () => {
    await run.run('closeRelay');
    for (const [w, node] of [[0, 'a'], [2, 'c']]) {
      await run.poll('events', { w, node }, (e) => e.length === 1, `${node} down`);
      assert.equal((await run.run('stats', { w, node })).connected, false);
    }
    assert.match((await run.run('events', { w: 0, node: 'a' }))[0], /^down:.*stopped relaying/);
    await run.run('pub', { w: 0, node: 'a', ch: 'sync', p: 'while-down' });
    assert.equal((await run.run('stats', { w: 0, node: 'a' })).publishFailures, 1);

    await run.run('setup');
    for (const [w, node] of [[0, 'a'], [1, 'b1'], [2, 'c']]) {
      const events = await run.poll('events', { w, node }, (e) => e.length === 2, `${node} up`);
      assert.equal(events[1], 'up');
    }
    await run.run('clearLog', { w: 2, node: 'c' });
    await run.run('pub', { w: 0, node: 'a', ch: 'sync', p: 'after-up' });
    await run.run('pub', { w: 0, node: 'a', ch: 'sync', p: 'after-up-2' });
    const log = await run.poll('log', { w: 2, node: 'c' }, (l) => l.some((m) => m.p === 'after-up-2'), 'c gets it after up');
    assert.deepEqual(log.map((m) => m.p), ['after-up', 'after-up-2']);
  });

  test('close() of the last bus of a worker removes the shared listener', async () => {
    assert.deepEqual(await run.run('close', { w: 1, node: 'b2' }), { message: 1, disconnect: 1 });
    // The others learn b2 left (a bus that closes leaves for sure).
    await run.poll('gone', { w: 0, node: 'a' }, (g) => g.includes('b2'), 'a hears b2 left');
    assert.deepEqual(await run.run('close', { w: 1, node: 'b1' }), { message: 0, disconnect: 0 });
    const stats = await run.run('stats');
    assert.equal(stats.workers, 2);
    assert.equal(stats.nodes, 2);
  });

  test('a worker killed with SIGKILL: the others get nodeGone() with its node ids', async () => {
    await run.run('create', { w: 1, node: 'k1' });
    await run.run('create', { w: 1, node: 'k2' });
    await run.run('sub', { w: 1, node: 'k1', ch: 'sync' });
    await run.run('kill', { index: 1 });
    for (const [w, node] of [[0, 'a'], [2, 'c']]) {
      const gone = await run.poll('gone', { w, node }, (g) => g.includes('k1') && g.includes('k2'), `${node} hears k1 and k2 left`);
      assert.equal(gone.filter((n) => n === 'k1').length, 1, 'nodeGone once per node');
    }
    const stats = await run.poll('stats', {}, (s) => s.nodes === 2, 'the relay drops the killed worker');
    assert.equal(stats.workers, 2);
  });

  test('the IPC channel closing makes a bus down() and not connected; the primary reports the node gone', async () => {
    await run.run('disconnect', { w: 2 });
    await run.poll('gone', { w: 0, node: 'a' }, (g) => g.includes('c'), 'a hears c left');
    await until(() => run.events.some((e) => e.event === 'down' && e.node === 'c' && /IPC channel/.test(e.message)), 'c down', WAIT);
    assert.equal(run.events.find((e) => e.node === 'c' && /IPC channel/.test(e.message)).connected, false);
  });
});

describe("ClusterBus with node:cluster's 'advanced' serialization", () => {
  let run;
  before(async () => {
    run = new ClusterRun({ CLUSTER_BUS_SERIALIZATION: 'advanced' });
    const workers = await run.run('fork', { n: 2 });
    run.workerPids = workers.map((w) => w.pid);
    assert.deepEqual(workers.map((w) => w.serialization), ['advanced', 'advanced']);
    await run.run('setup');
  });
  after(() => run?.stop());

  test('a 1 MiB payload on a unicode channel arrives intact, and a killed worker is reported gone', async () => {
    await run.run('create', { w: 0, node: 'x' });
    await run.run('create', { w: 1, node: 'y', subs: [CHANNEL] });
    const sent = await run.run('pub', { w: 0, node: 'x', ch: CHANNEL, size: MiB });
    const log = await run.poll('log', { w: 1, node: 'y' }, (l) => l.length >= 1, 'y gets the message');
    assert.deepEqual(log.map((m) => [m.ch, m.len, m.hash]), [[CHANNEL, MiB, sent.hash]]);
    await run.run('kill', { index: 1 });
    await run.poll('gone', { w: 0, node: 'x' }, (g) => g.includes('y'), 'x hears y left');
  });
});

test('outside a cluster worker, start() rejects and nothing is installed', async () => {
  const bus = new ClusterBus();
  const listeners = process.listenerCount('message');
  await assert.rejects(bus.start('n', { message() {}, down() {}, up() {} }), /node:cluster worker/);
  assert.equal(process.listenerCount('message'), listeners);
  assert.equal(bus.connected, false);
  // publish/subscribe never throw, even before start() or with bad arguments.
  bus.subscribe('x');
  bus.subscribe(42);
  bus.unsubscribe('x');
  bus.publish('x', 'y');
  bus.publish(undefined, undefined);
  assert.equal(bus.stats.publishFailures, 2);
  await bus.close();
});

test('setupClusterPrimary() in a primary returns one handle until close()', () => {
  const listeners = ['message', 'exit', 'disconnect'].map((e) => process.listenerCount(e));
  const first = setupClusterPrimary();
  assert.equal(setupClusterPrimary(), first);
  assert.deepEqual(first.stats, { workers: 0, nodes: 0, channels: 0, published: 0, relayed: 0, backpressured: 0, sendFailures: 0, invalid: 0 });
  first.close();
  const second = setupClusterPrimary();
  assert.notEqual(second, first);
  second.close();
  assert.deepEqual(['message', 'exit', 'disconnect'].map((e) => process.listenerCount(e)), listeners);
});
