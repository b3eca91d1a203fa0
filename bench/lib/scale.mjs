// The scale-out scenario (`--only scale`): the same router node server in
// three deployments (lib/scale-topologies.mjs: one process, node:cluster
// with 2 workers, 2 processes over Redis), measured in the same run with the
// same load generator, in interleaved rounds (order rotated per round):
//
// 1. Broadcast fan-out issued on one node to every connection, the
//    connections split evenly over the nodes (checked with each node's
//    session count). CPU is the sum of process.cpuUsage() over every server
//    process involved (both nodes, plus the cluster primary); redis-server's
//    own CPU is read from /proc and reported apart. Delivery is confirmed by
//    the clients, as in the router fan-out.
// 2. Private-message latency between two clients held by one load-generator
//    process (lib/pm-latency.mjs): on the same node and, in the multi-node
//    deployments, on two different nodes.
//
// run.mjs passes what it shares with the other network scenarios: the
// options, the load-generator processes and their connect/close helpers,
// attempt() and addRow().
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { summarize, percentile, deliveryTotals } from './stats.mjs';
import { startSingle, startCluster, startRedisNodes, startRedis, procCpu, setProfileDir } from './scale-topologies.mjs';

export const SCALE_TOPOLOGIES = [
  { id: 'single', label: 'one process (no adapter)', nodes: 1, baseline: true },
  { id: 'cluster', label: 'node:cluster: primary + 2 workers', nodes: 2 },
  { id: 'redis', label: 'Redis: 2 processes + redis-server', nodes: 2, redis: true },
  // Session recovery on: history in memory (one process) and in Redis Streams (two processes).
  { id: 'single-recovery', label: 'one process, recovery on (history in memory)', nodes: 1, recovery: true },
  { id: 'redis-recovery', label: 'Redis: 2 processes, recovery on (history in Redis)', nodes: 2, redis: true, recovery: true },
];

const sizeLabel = (n) => (n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`);
const fmtInt = (n) => n.toLocaleString('en-US');
const split = (total, parts) => Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length]);

export async function runScale({ opts, log, attempt, addRow, connectAll, closeAll, loadgens, skipped }) {
  const burst = opts.bursts[0];
  const conns = opts.conns;
  setProfileDir(opts.cpuProf);
  const fan = new Map(); // `${size}|${topology}` -> samples
  const lat = new Map(); // `${topology}|${same|cross}` -> samples
  const { redis, reason } = await startRedis();
  if (!redis) skipped.push({ kind: 'scale', target: 'redis', reason });
  const topologies = SCALE_TOPOLOGIES.filter((t) => !t.redis || redis);
  try {
    for (let r = 0; r < opts.rounds; r++) {
      for (const t of rotate(topologies, r)) {
        await attempt(`scale ${t.id} round ${r + 1}`, () => topologyRound(t, r));
      }
      log(`  scale: round ${r + 1}/${opts.rounds} done`);
    }
  } finally {
    if (redis) await redis.close().catch(() => {});
  }
  addRows();

  async function start(t, r) {
    const recovery = t.recovery === true;
    if (t.id === 'single' || t.id === 'single-recovery') return startSingle(conns, recovery);
    if (t.id === 'cluster') return startCluster(conns, t.nodes);
    // A prefix per round (and deployment): nothing of an earlier round's nodes is heard.
    return startRedisNodes(conns, redis, `bench${r}${recovery ? 'r' : ''}:`, t.nodes, recovery);
  }

  async function nodeCounts(topo) {
    return Promise.all(topo.nodes.map(async (n) => (await n.call('count')).count));
  }

  async function waitCounts(topo, want, ms = 5000) {
    const until = performance.now() + ms;
    let got = [];
    while (performance.now() < until) {
      got = await nodeCounts(topo);
      if (got.every((c, i) => c === want[i])) return got;
      await sleep(20);
    }
    return got;
  }

  /** Opens `total` fan-out connections, split evenly over the nodes; checks the split on the servers. */
  async function connectSplit(topo, total) {
    const shares = split(total, topo.nodes.length);
    let opened = 0;
    for (let i = 0; i < topo.nodes.length; i++) {
      const c = await connectAll(topo.nodes[i].port, shares[i], topo.client);
      if (c.opened - opened !== shares[i]) throw new Error(`node ${i}: ${c.opened - opened}/${shares[i]} connections opened (${c.failed} failed${c.firstError ? `, first: ${c.firstError}` : ''})`);
      opened = c.opened;
    }
    const counts = await waitCounts(topo, shares);
    if (counts.some((c, i) => c !== shares[i])) throw new Error(`sessions per node ${counts.join('/')}, expected ${shares.join('/')}`);
    return counts;
  }

  async function topologyRound(t, r) {
    const topo = await start(t, r);
    try {
      // Warm-up: connections opened and closed, then one short broadcast
      // run, so the figures describe running servers (and a warm bus).
      await connectSplit(topo, Math.min(200, conns));
      await closeAll();
      await waitCounts(topo, topo.nodes.map(() => 0), 3000);
      const perNode = await connectSplit(topo, conns);
      await fanoutOnce(topo, 64, 2 * burst);
      for (const size of rotate(opts.payloads, r)) {
        const f = await fanoutOnce(topo, size);
        f.perNode = perNode;
        const k = `${size}|${t.id}`;
        if (!fan.has(k)) fan.set(k, []);
        fan.get(k).push(f);
        const bad = f.complete ? '' : ` INCOMPLETE ${f.delivered}/${f.expected}`;
        log(`    scale ${t.id} ${sizeLabel(size)}: ${fmtInt(Math.round(f.mps))} msg/s, ${f.cpuPerMsg.toFixed(2)} µs/msg${f.redisPerMsg >= 0 ? ` (+ redis-server ${f.redisPerMsg.toFixed(3)})` : ''}${bad}`);
      }
      await closeAll();
      await waitCounts(topo, topo.nodes.map(() => 0), 3000);
      // Private-message latency: measured for the deployments without recovery only.
      const pairs = t.recovery ? [] : topo.nodes.length > 1 ? ['same', 'cross'] : ['same'];
      for (const where of rotate(pairs, r)) {
        const l = await latencyOnce(topo, where, `${t.id}${r}`);
        const k = `${t.id}|${where}`;
        if (!lat.has(k)) lat.set(k, []);
        lat.get(k).push(l);
        log(`    scale ${t.id} private message, ${where} node: p50 ${l.p50.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms (${l.count} messages)`);
      }
      if (topo.stats) {
        const s = await topo.stats();
        if (s.backpressured || s.sendFailures || s.invalid) log(`    cluster relay: ${JSON.stringify(s)}`);
      }
    } finally {
      await closeAll().catch(() => {});
      await topo.close();
    }
  }

  /** Messages per recipient: about opts.deliveries in all, whole bursts, at least two. */
  function perRecipient(recipients) {
    return Math.max(2 * burst, Math.round(opts.deliveries / recipients / burst) * burst);
  }

  async function fanoutOnce(topo, size, perConnGiven) {
    const recipients = conns;
    const perConn = perConnGiven ?? perRecipient(recipients);
    const sender = topo.nodes[0];
    const { expectLen } = await sender.call('fanoutPrepare', { mode: 'broadcast', size, binary: opts.binary, bursts: perConn / burst, burstSize: burst });
    const lgs = loadgens();
    const armed = await Promise.all(lgs.map((w) => w.rpc.call('fanoutExpect', { perConn, size: expectLen, group: false })));
    const armedConns = armed.reduce((a, x) => a + x.conns, 0);
    if (armedConns !== recipients) throw new Error(`${armedConns} recipients armed, expected ${recipients}`);
    let done = 0;
    const offs = [];
    const allDone = new Promise((resolve) => {
      for (const w of lgs) offs.push(w.rpc.on('fanoutDone', () => ++done === lgs.length && resolve(performance.now())));
    });
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(performance.now()), opts.fanoutTimeoutMs);
    });
    // Every process but the sender is marked first; the sender marks its
    // own CPU right before its first burst (server-host's fanoutGo).
    const others = [...topo.nodes.slice(1), ...topo.extra];
    await Promise.all(others.map((p) => p.call('cpuMark')));
    const redis0 = topo.redisPid ? procCpu(topo.redisPid) : null;
    const t0 = performance.now();
    await sender.call('fanoutGo', { mode: 'broadcast' }, opts.fanoutTimeoutMs + 5000);
    const t1 = await Promise.race([allDone, timeout]);
    clearTimeout(timer);
    for (const off of offs) off();
    const cpus = await Promise.all([sender, ...others].map((p) => p.call('cpuRead')));
    const redis1 = redis0 ? procCpu(topo.redisPid) : null;
    const reps = await Promise.all(lgs.map((w) => w.rpc.call('fanoutReport')));
    const { delivered, expected, complete } = deliveryTotals(reps, perConn * recipients);
    await sleep(complete ? 100 : 1000); // stragglers must not leak into the next measurement
    const us = (c) => c.user + c.system;
    const total = cpus.reduce((a, c) => a + us(c), 0);
    const redisUs = redis1 ? (Number.isFinite(redis1.sched) ? redis1.sched - redis0.sched : redis1.stat - redis0.stat) : NaN;
    return {
      delivered,
      expected,
      complete,
      expectLen,
      perConn,
      recipients,
      broadcasts: perConn,
      secs: (t1 - t0) / 1000,
      mps: delivered / ((t1 - t0) / 1000),
      cpuPerMsg: total / delivered,
      // per process: the sending node, the other nodes, then the primary
      processPerMsg: cpus.map((c) => us(c) / delivered),
      redisPerMsg: redis1 ? redisUs / delivered : -1,
      redisStatUs: redis1 ? redis1.stat - redis0.stat : NaN,
      redisSchedUs: redis1 ? redis1.sched - redis0.sched : NaN,
    };
  }

  async function latencyOnce(topo, where, tag) {
    const lg = loadgens()[0].rpc;
    const b = where === 'same' ? 0 : 1;
    await lg.call('pmOpen', { portA: topo.nodes[0].port, portB: topo.nodes[b].port, protocol: topo.client.protocol, aliasA: `a-${tag}-${where}`, aliasB: `b-${tag}-${where}` }, 30000);
    try {
      const res = await lg.call('pmRun', { count: opts.scaleMessages, warmup: 100, size: 64, maxMs: 30000 }, 40000);
      return {
        count: res.toB.length,
        lost: res.lost,
        refused: res.refused,
        complete: res.toB.length === opts.scaleMessages,
        p50: percentile(res.toB, 50),
        p99: percentile(res.toB, 99),
        replyP50: percentile(res.reply, 50),
        replyP99: percentile(res.reply, 99),
      };
    } finally {
      await lg.call('pmClose', {}, 5000).catch(() => {});
    }
  }

  function addRows() {
    const med = (xs) => summarize(xs).median;
    for (const size of opts.payloads) {
      for (const t of topologies) {
        const s = fan.get(`${size}|${t.id}`);
        if (!s) continue;
        const complete = s.every((x) => x.complete);
        addRow({
          scenario: 'scale',
          case: `${sizeLabel(size)} → all ${fmtInt(conns)}, broadcast on one node`,
          target: t.id,
          label: t.label,
          baseline: !!t.baseline,
          rate: { ...summarize(s.map((x) => x.mps)), unit: 'msgs/s', better: 'higher' },
          cost: { ...summarize(s.map((x) => x.cpuPerMsg)), unit: 'CPU µs/msg', better: 'lower' },
          extra: {
            size,
            burst,
            nodes: t.nodes,
            perNode: s[0].perNode,
            perConn: s[0].perConn,
            recipients: s[0].recipients,
            expectLen: s[0].expectLen,
            delivered: s.map((x) => x.delivered),
            // medians per process: [sending node, other node(s)..., primary]
            processPerMsg: s[0].processPerMsg.map((_, i) => med(s.map((x) => x.processPerMsg[i]))),
            redisPerMsg: t.redis ? summarize(s.map((x) => x.redisPerMsg)) : null,
            redisStatUs: t.redis ? s.map((x) => x.redisStatUs) : null,
            redisSchedUs: t.redis ? s.map((x) => x.redisSchedUs) : null,
          },
          ok: complete,
          notes: complete ? 'all delivered' : 'INCOMPLETE',
        });
      }
    }
    for (const t of topologies) {
      for (const where of ['same', 'cross']) {
        const s = lat.get(`${t.id}|${where}`);
        if (!s) continue;
        addRow({
          scenario: 'scale-latency',
          case: `private message A → B, 64 B, ${fmtInt(opts.scaleMessages)} one at a time`,
          target: `${t.id}-${where}`,
          label: `${t.label}: ${where === 'same' ? 'A and B on the same node' : 'A and B on different nodes'}`,
          baseline: t.baseline && where === 'same',
          topology: t.id,
          where,
          cost: { ...summarize(s.map((x) => x.p50)), unit: 'ms p50', better: 'lower' },
          cost2: { ...summarize(s.map((x) => x.p99)), unit: 'ms p99', better: 'lower' },
          extra: { replyP50: summarize(s.map((x) => x.replyP50)), replyP99: summarize(s.map((x) => x.replyP99)), counts: s.map((x) => x.count), lost: s.map((x) => x.lost) },
          ok: s.every((x) => x.complete),
          notes: s.every((x) => x.complete) ? 'all delivered' : `INCOMPLETE: ${s.map((x) => `${x.count}/${opts.scaleMessages}`).join(', ')}`,
        });
      }
    }
  }
}
