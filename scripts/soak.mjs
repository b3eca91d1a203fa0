// npm run soak: load and soak test of the application server, in separate
// processes (one server, several clients, each with a raised fd limit).
//
// 1. Idle memory per connection: the same number of idle connections held
//    by the `ws` package, by our low-level WebSocketServer, and by
//    WebSocketNodeServer with every connection authenticated (a session in a
//    group). Memory is read in the server process after full collections.
// 2. The mix, on WebSocketNodeServer: all connections stay open while, for
//    --duration seconds, the server broadcasts to everyone every second,
//    requests are made on random long-lived connections, and churners
//    connect, authenticate, make requests, broadcast into a group and
//    disconnect (by the client, abruptly, or by the server), on both wire
//    protocols. Afterwards every connection closes.
//
// Checked, and the exit code says so: zero lost or wrong responses, every
// broadcast, group message and presence event delivered to every client it
// was due to, zero failed churn cycles, and zero leaked sessions (no
// connection, session or group left; onConnectionClose ran once per session).
//
// Flags: --duration=60 (s) --connections=10000 --clients=4 --churners=4
// (per client process) --cycle-ms=250 (shortest churn cycle) --requests=200
// (per second, per client process) --tick=1000 (ms between server
// broadcasts) --compare=ws,core,app (or none) --json=test-output/soak.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { start, flags } from './soak/ipc.mjs';

const opt = flags({
  duration: 60, connections: 10_000, clients: 4, churners: 4, cycleMs: 250, requests: 200,
  compare: 'ws,core,app', json: 'test-output/soak.json', tick: 1000,
});
// Each process asks for this many descriptors; the server needs one per connection.
const WANT_FDS = 65_536;
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** Starts a server of `target` and `opt.clients` client processes, each on its own loopback address. */
async function startFleet(target) {
  const server = start('server.mjs', [`--target=${target}`], WANT_FDS);
  await server.ready;
  const info = await server.call('info');
  if (info.fdLimit < opt.connections + 1000) {
    throw new Error(`the server process may open only ${info.fdLimit} files; ${opt.connections} connections need more (raise the hard limit: ulimit -Hn)`);
  }
  const clients = Array.from({ length: opt.clients }, (_, i) =>
    // Several source addresses: each has its own range of ephemeral ports.
    start('client.mjs', [`--index=${i}`, `--port=${info.port}`, `--target=${target}`, `--local=127.0.0.${2 + i}`], WANT_FDS),
  );
  await Promise.all(clients.map((c) => c.ready));
  return { server, clients, info };
}

async function stopFleet({ server, clients }) {
  await Promise.all(clients.map((c) => c.stop()));
  await server.stop();
}

/** Opens opt.connections long-lived connections across the client processes. */
async function openAll(clients) {
  const per = Math.ceil(opt.connections / clients.length);
  const t0 = performance.now();
  const opened = await Promise.all(clients.map((c, i) => c.call('open', { count: Math.min(per, opt.connections - i * per) }, 300_000)));
  return { count: opened.reduce((n, o) => n + o.opened, 0), ms: performance.now() - t0 };
}

function perConnection(before, after, n) {
  const heap = (m) => m.heapUsed + m.external + m.arrayBuffers;
  return { rssBytes: Math.round((after.rss - before.rss) / n), heapBytes: Math.round((heap(after) - heap(before)) / n) };
}

async function idleMemory(target) {
  const fleet = await startFleet(target);
  try {
    const before = await fleet.server.call('memory');
    const opened = await openAll(fleet.clients);
    const after = await fleet.server.call('memory');
    if (after.connections !== opt.connections) throw new Error(`${target}: ${after.connections} connections open, expected ${opt.connections}`);
    await Promise.all(fleet.clients.map((c) => c.call('closeAll')));
    return { target, connections: after.connections, openSeconds: opened.ms / 1000, ...perConnection(before, after, after.connections) };
  } finally {
    await stopFleet(fleet);
  }
}

const sum = (list, f) => list.reduce((n, x) => n + f(x), 0);

async function mix() {
  const fleet = await startFleet('app');
  const { server, clients } = fleet;
  const checks = [];
  const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });
  try {
    const before = await server.call('memory');
    const opened = await openAll(clients);
    const loaded = await server.call('memory');
    log(`${opened.count} connections open and authenticated in ${(opened.ms / 1000).toFixed(1)} s`);
    check('connections held', loaded.connections >= 10_000 || loaded.connections === opt.connections, `${loaded.connections} concurrent connections`);

    await server.call('tickStart', { interval: opt.tick });
    await Promise.all(clients.map((c) => c.call('mixStart', { churnersPerProcess: opt.churners, cycleMs: opt.cycleMs, requestsPerSecond: opt.requests })));
    log(`mix running for ${opt.duration} s`);
    await sleep(opt.duration * 1000);
    await Promise.all(clients.map((c) => c.call('mixStop')));
    const load = await server.call('tickStop');
    const reports = await Promise.all(clients.map((c) => c.call('report', { seq: load.ticks })));
    const during = await server.call('counts');

    const requests = sum(reports, (r) => r.requests);
    const answered = sum(reports, (r) => r.answered);
    const errors = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    check('every request answered correctly', answered === requests && sum(reports, (r) => r.wrong + r.lost) === 0 && Object.keys(errors).length === 0,
      `${answered}/${requests} answered, wrong ${sum(reports, (r) => r.wrong)}, lost ${sum(reports, (r) => r.lost)}, errors ${JSON.stringify(errors)}`);
    const cycles = sum(reports, (r) => r.churnCycles);
    check('every churn cycle completed', sum(reports, (r) => r.churnFailures) === 0 && cycles > 0,
      `${cycles} cycles, ${sum(reports, (r) => r.churnFailures)} failed ${JSON.stringify(reports.flatMap((r) => r.failures).slice(0, 3))}`);
    const ticksMin = Math.min(...reports.map((r) => r.ticksMin));
    const ticksMax = Math.max(...reports.map((r) => r.ticksMax));
    check('every server broadcast reached every connection, in order', ticksMin === load.ticks && ticksMax === load.ticks && sum(reports, (r) => r.ticksOutOfOrder) === 0,
      `${load.ticks} broadcasts; each connection got between ${ticksMin} and ${ticksMax}`);
    let chatExpected = 0;
    for (let g = 0; g < reports[0].chatSent.length; g++) chatExpected += sum(reports, (r) => r.chatSent[g]) * sum(reports, (r) => r.members[g]);
    const chatReceived = sum(reports, (r) => sum(r.chatReceived, (x) => x));
    check('every group broadcast reached every member', chatReceived === chatExpected, `${chatReceived} of ${chatExpected} deliveries`);
    const observers = sum(reports, (r) => r.observers);
    check('every presence event reached every observer', sum(reports, (r) => r.presenceJoined) === observers * cycles && sum(reports, (r) => r.presenceLeft) === observers * cycles,
      `${observers} observers; joined ${sum(reports, (r) => r.presenceJoined)}, left ${sum(reports, (r) => r.presenceLeft)}, expected ${observers * cycles} each`);

    await Promise.all(clients.map((c) => c.call('closeAll')));
    let after = await server.call('counts');
    for (let i = 0; i < 200 && (after.connections > 0 || after.ended < after.started); i++) {
      await sleep(50);
      after = await server.call('counts');
    }
    check('no session leaked', after.connections === 0 && after.sessions === 0 && after.stats.groups === 0 && after.started === after.ended && after.hookErrors === 0,
      `connections ${after.connections}, sessions ${after.sessions}, groups ${after.stats.groups}, sessions started ${after.started}, ended ${after.ended}`);
    const end = await server.call('memory');
    const seconds = opt.duration;
    const deliveries = load.ticks * opt.connections + chatReceived + observers * cycles * 2;
    return {
      checks,
      connections: loaded.connections,
      openSeconds: opened.ms / 1000,
      perConnection: perConnection(before, loaded, loaded.connections),
      mix: {
        seconds,
        requests,
        requestsPerSecond: Math.round((requests + cycles * 3) / seconds),
        churnCycles: cycles,
        churnPerSecond: +(cycles / seconds).toFixed(1),
        serverBroadcasts: load.ticks,
        groupBroadcasts: sum(reports, (r) => sum(r.chatSent, (x) => x)),
        deliveriesPerSecond: Math.round(deliveries / seconds),
        serverCpuPercent: Math.round(load.cpuPercent),
        loopLagMs: load.loopLagMs,
        peakSessions: during.peakSessions,
        peakConnections: during.peakConnections,
      },
      heapAfterMiB: +((end.heapUsed - before.heapUsed) / MiB).toFixed(2),
      rssAfterMiB: +((end.rss - before.rss) / MiB).toFixed(1),
    };
  } finally {
    await stopFleet(fleet);
  }
}

const idle = [];
for (const target of opt.compare === 'none' ? [] : opt.compare.split(',')) {
  log(`idle memory: ${opt.connections} connections on ${target}`);
  idle.push(await idleMemory(target));
  log(JSON.stringify(idle.at(-1)));
}
const result = { when: new Date().toISOString(), node: process.version, options: opt, idle, ...(await mix()) };
mkdirSync(dirname(opt.json), { recursive: true });
writeFileSync(opt.json, `${JSON.stringify(result, null, 2)}\n`);

console.log('\nIdle memory per connection (server process, after full GC):');
for (const r of idle) console.log(`  ${r.target.padEnd(5)} ${String(r.heapBytes).padStart(6)} B heap+buffers  ${String(r.rssBytes).padStart(6)} B RSS  (${r.connections} connections opened in ${r.openSeconds.toFixed(1)} s)`);
console.log(`\nMix: ${JSON.stringify(result.mix)}`);
console.log(`Per connection under the mix's setup: ${JSON.stringify(result.perConnection)}`);
console.log(`After everything closed: heap ${result.heapAfterMiB} MiB, RSS ${result.rssAfterMiB} MiB above the empty server\n`);
for (const c of result.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
console.log(`\nresults: ${opt.json}`);
process.exitCode = result.checks.every((c) => c.ok) ? 0 : 1;
