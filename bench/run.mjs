// `npm run bench`: every scenario, every target, side by side in one run.
// Targets are interleaved within each round (order rotated per round) and the
// table reports medians over rounds plus ratios against ws. Writes
// bench/results/*.json and regenerates docs/benchmarks.md + docs/benchmarks.svg.
import { mkdirSync, writeFileSync, readFileSync, cpSync, rmSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, HELP, ALL_SCENARIOS } from './lib/args.mjs';
import { machineInfo, fdLimits } from './lib/machine.mjs';
import { spawnNode, runToCompletion, waitExit, killChildren } from './lib/procs.mjs';
import { rpc } from './lib/ipc.mjs';
import { summarize, percentile, deliveryTotals } from './lib/stats.mjs';
import { renderConsole, renderMarkdown, renderSvg } from './lib/report.mjs';
import { MICRO_TARGETS, ECHO_TARGETS, CONNECTION_TARGETS, FANOUT_TARGETS, DEFLATE_TARGETS } from './targets.mjs';
import { runScale } from './lib/scale.mjs';
import { runDeflate } from './lib/deflate.mjs';
import { echoWindow } from './lib/echo-window.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const RESULTS_DIR = here('./results/');
const DOC = here('../docs/benchmarks.md');
const SVG = here('../docs/benchmarks.svg');

const T0 = performance.now();
const log = (...a) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${a.join(' ')}\n`);
const rotate = (xs, r) => (xs.length ? xs.map((_, i) => xs[(i + r) % xs.length]) : xs);
const sizeLabel = (n) => (n >= 1048576 && n % 1048576 === 0 ? `${n / 1048576} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`);
const fmtInt = (n) => n.toLocaleString('en-US');

const opts = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (err) {
    log(err.message);
    process.exit(2);
  }
})();
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}

// Two result files feed the docs: the default run (latest.json) and the
// 10,000-connection run (latest-big.json, from --big). Runs that measure only
// part of the suite (--only, --targets) go to partial.json and leave the docs
// alone.
const readResults = (name) => {
  try {
    return JSON.parse(readFileSync(RESULTS_DIR + name, 'utf8'));
  } catch {
    return null;
  }
};

function writeDocs() {
  const main = readResults('latest.json');
  const big = readResults('latest-big.json');
  if (!main) {
    log('no bench/results/latest.json yet: run `npm run bench` to write the docs');
    return;
  }
  writeFileSync(SVG, renderSvg(main, big));
  writeFileSync(DOC, renderMarkdown(main, 'benchmarks.svg', big));
  log(`wrote ${DOC} and ${SVG}`);
}

if (opts.renderOnly) {
  for (const f of ['latest.json', 'latest-big.json']) {
    const r = readResults(f);
    if (r) console.log(`bench/results/${f}:\n${renderConsole(r)}\n`);
  }
  writeDocs();
  process.exit(0);
}

// ---------------------------------------------------------------- targets --

// Benchmark a snapshot of the build present when the run starts, so a
// rebuild of dist/ during a long run cannot change (or break) what is measured.
async function snapshotOurs() {
  if (process.env.BENCH_OURS_ENTRY) return;
  const dist = here('../dist/esm');
  // A build running right now (rm -rf dist, then tsc) leaves no index.js for a few seconds.
  for (let i = 0; i < 20 && !existsSync(join(dist, 'index.js')); i++) await sleep(1000);
  if (!existsSync(join(dist, 'index.js'))) return;
  const dir = mkdtempSync(join(tmpdir(), 'ws-node-server-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (let attempt = 1; ; attempt++) {
    try {
      rmSync(join(dir, 'esm'), { recursive: true, force: true });
      cpSync(dist, join(dir, 'esm'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
      await import(`${pathToFileURL(join(dir, 'esm', 'index.js'))}?attempt=${attempt}`);
      break;
    } catch (err) {
      if (attempt >= 10) throw new Error(`cannot load a complete copy of dist/esm: ${err.message}`);
      await sleep(3000); // a build is probably rewriting dist/ right now
    }
  }
  process.env.BENCH_OURS_ENTRY = join(dir, 'esm', 'index.js');
}

const availability = new Map();
async function isAvailable(kind, id) {
  const key = `${kind}/${id}`;
  if (!availability.has(key)) {
    let ok = true;
    try {
      const mod = await import(new URL(`./${kind}/${id}.mjs`, import.meta.url));
      ok = typeof mod.available === 'function' ? mod.available() : true;
    } catch (err) {
      ok = err.message;
    }
    availability.set(key, ok);
  }
  return availability.get(key);
}

const skipped = [];
const errors = [];
/** A failed measurement is logged and recorded; the run goes on. */
async function attempt(what, fn) {
  try {
    return await fn();
  } catch (err) {
    const msg = err && err.message ? err.message.split('\n')[0] : String(err);
    log(`  ERROR in ${what}: ${msg}`);
    errors.push({ what, error: msg });
    return undefined;
  }
}
async function pick(list, kind, keyOf) {
  const out = [];
  for (const t of list) {
    if (opts.targets && !t.baseline && !opts.targets.includes(t.id) && !opts.targets.includes(t.id.replace(/-group$/, ''))) continue;
    const ok = await isAvailable(kind, keyOf(t));
    if (ok === true) out.push(t);
    else skipped.push({ kind, target: t.id, reason: ok });
  }
  return out;
}

const rows = [];
function addRow(row) {
  rows.push(row);
}

// ------------------------------------------------------------- micro -------

async function microJob(job) {
  const out = await runToCompletion(here('./lib/micro-child.mjs'), [JSON.stringify(job)], 120000);
  const line = out.trim().split('\n').pop();
  return JSON.parse(line);
}

async function runMicro(kind, cases, targets) {
  const samples = new Map(); // `${case}|${target}` -> [results]
  for (let r = 0; r < opts.microRounds; r++) {
    for (const c of cases) {
      for (const t of rotate(targets, r + cases.indexOf(c))) {
        const res = await attempt(`${kind} ${c.name} ${t.id} round ${r + 1}`, () => microJob({
          target: t.id,
          kind,
          size: c.size,
          text: !!c.text,
          warmupMs: opts.microWarmupMs,
          measureMs: opts.microMeasureMs,
          chunkSize: 65536,
          streamBytes: 8 * 1024 * 1024,
        }));
        if (!res) continue;
        const k = `${c.name}|${t.id}`;
        if (!samples.has(k)) samples.set(k, []);
        samples.get(k).push(res);
      }
    }
    log(`  ${kind}: round ${r + 1}/${opts.microRounds} done`);
  }
  for (const c of cases) {
    for (const t of targets) {
      const s = samples.get(`${c.name}|${t.id}`) || [];
      const mbps = summarize(s.map((x) => x.mbps));
      const fps = summarize(s.map((x) => x.fps));
      addRow({
        scenario: kind === 'parse' ? 'parser' : 'encoder',
        case: c.name,
        target: t.id,
        label: t.label,
        baseline: !!t.baseline,
        rate: kind === 'parse' ? { ...mbps, unit: 'MB/s', better: 'higher' } : { ...fps, unit: 'frames/s', better: 'higher' },
        rate2: kind === 'parse' ? { ...fps, unit: 'frames/s' } : { ...mbps, unit: 'MB/s' },
        notes: t.id === 'ws' && s[0] && s[0].info ? (s[0].info.nativeAddons.length ? `native: ${s[0].info.nativeAddons.join(', ')}` : 'no native add-ons') : '',
      });
    }
  }
}

// ----------------------------------------------------------- network -------

let workers = [];

async function startWorkers(perWorkerConns) {
  const { soft, hard } = fdLimits();
  const need = perWorkerConns + 256;
  const fdLimit = need > soft ? Math.min(need, hard) : 0;
  for (let i = 0; i < opts.workers; i++) {
    const child = spawnNode(here('./lib/loadgen.mjs'), [], { fdLimit });
    workers.push({ child, rpc: rpc(child, `loadgen#${i}`) });
  }
  // A round trip proves they are up (a failed ulimit would exit the shell).
  await Promise.all(workers.map((w) => w.rpc.call('closeAll', {}, 15000)));
}

async function stopWorkers() {
  await Promise.allSettled(workers.map((w) => w.rpc.call('exit', {}, 3000)));
  await Promise.all(workers.map((w) => waitExit(w.child, 3000)));
  workers = [];
}

async function startServer(server, conns) {
  const { soft, hard } = fdLimits();
  const need = conns + 256;
  if (need > hard) log(`  warning: ${need} descriptors needed, hard limit is ${hard}`);
  const fdLimit = need > soft ? Math.min(need, hard) : 0;
  const nodeArgs = ['--expose-gc'];
  if (opts.cpuProf) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`, `--cpu-prof-name=${server}-${Date.now()}.cpuprofile`);
  const child = spawnNode(here('./lib/server-host.mjs'), [server], { nodeArgs, fdLimit });
  const api = rpc(child, `server ${server}`);
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${server} did not start`)), 20000);
    api.on('ready', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    api.on('exit', (m) => {
      clearTimeout(timer);
      reject(new Error(`server ${server} exited during start (code ${m.code})`));
    });
  });
  return { child, api, port: ready.port, modes: ready.modes, client: ready.client || {} };
}

async function stopServer(s) {
  try {
    await s.api.call('close', {}, 5000);
  } catch {}
  await waitExit(s.child, 5000);
}

/**
 * Opens `total` connections spread over the workers, doing what the target's
 * `client` declaration asks (subprotocol, authentication); returns timing.
 */
async function connectAll(port, total, client = {}) {
  const share = (i) => Math.floor(total / workers.length) + (i < total % workers.length ? 1 : 0);
  const conc = Math.max(1, Math.floor(opts.connectConcurrency / workers.length));
  const t0 = performance.now();
  const res = await Promise.all(
    workers.map((w, i) => w.rpc.call('connect', { port, count: share(i), concurrency: conc, client, groupEvery: opts.groupEvery }, 120000)),
  );
  const ms = performance.now() - t0;
  return {
    ms,
    opened: res.reduce((a, r) => a + r.opened, 0),
    members: res.reduce((a, r) => a + r.members, 0),
    failed: res.reduce((a, r) => a + r.failed, 0),
    firstError: res.map((r) => r.firstError).find(Boolean) || null,
  };
}

async function closeAll() {
  await Promise.all(workers.map((w) => w.rpc.call('closeAll', {}, 30000)));
}

async function waitServerCount(s, n, ms = 5000, down = false) {
  const until = performance.now() + ms;
  let c = 0;
  while (performance.now() < until) {
    c = (await s.api.call('count')).count;
    if (down ? c <= n : c >= n) return c;
    await sleep(20);
  }
  return c;
}

async function runEcho(targets) {
  const samples = new Map();
  for (let r = 0; r < opts.rounds; r++) {
    for (const t of rotate(targets, r)) {
      await attempt(`echo ${t.id} round ${r + 1}`, () => echoOnce(t, samples));
    }
    log(`  echo: round ${r + 1}/${opts.rounds} done`);
  }
  addEchoRows(targets, samples);
}

async function echoOnce(t, samples) {
  const s = await startServer(t.server, opts.echoClients);
  try {
    const c = await connectAll(s.port, opts.echoClients, s.client);
    if (c.opened !== opts.echoClients) throw new Error(`echo: only ${c.opened}/${opts.echoClients} clients connected to ${t.id}`);
    await Promise.all(workers.map((w) => w.rpc.call('echoStart', { size: opts.echoSize, binary: false })));
    const { stops, secs, cpu, count } = await echoWindow(s, workers, opts);
    const lat = stops.flatMap((x) => x.lat);
    const sample = {
      rtps: count / secs,
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      cpuPerRt: (cpu.user + cpu.system) / count,
      ok: stops.every((x) => x.stuck === 0 && x.unexpectedClose === 0),
    };
    if (!samples.has(t.id)) samples.set(t.id, []);
    samples.get(t.id).push(sample);
  } finally {
    await closeAll().catch(() => {});
    await stopServer(s);
  }
}

function addEchoRows(targets, samples) {
  const name = `${opts.echoClients} clients, ${sizeLabel(opts.echoSize)} text`;
  for (const t of targets) {
    const s = samples.get(t.id) || [];
    addRow({
      scenario: 'echo',
      case: name,
      target: t.id,
      label: t.label,
      baseline: !!t.baseline,
      rate: { ...summarize(s.map((x) => x.rtps)), unit: 'round trips/s', better: 'higher' },
      cost: { ...summarize(s.map((x) => x.p99)), unit: 'ms p99', better: 'lower' },
      cost2: { ...summarize(s.map((x) => x.p50)), unit: 'ms p50' },
      extra: { cpuPerRt: summarize(s.map((x) => x.cpuPerRt)) },
      ok: s.every((x) => x.ok),
      notes: `server CPU ${fmt(summarize(s.map((x) => x.cpuPerRt)).median)} µs/rt`,
    });
  }
}

function fmt(x) {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Messages per recipient for one measurement: about opts.deliveries in all, whole bursts, at least two. */
function perRecipient(recipients, burst) {
  return Math.max(2 * burst, Math.round(opts.deliveries / recipients / burst) * burst);
}

async function fanoutOnce(s, t, size, burst, recipients) {
  const perConn = perRecipient(recipients, burst);
  const bursts = perConn / burst;
  const { expectLen } = await s.api.call('fanoutPrepare', { mode: t.mode, size, binary: opts.binary, bursts, burstSize: burst });
  const armed = await Promise.all(workers.map((w) => w.rpc.call('fanoutExpect', { perConn, size: expectLen, group: !!t.group })));
  const armedConns = armed.reduce((a, x) => a + x.conns, 0);
  if (armedConns !== recipients) throw new Error(`${armedConns} recipients armed, expected ${recipients}`);
  let done = 0;
  const offs = [];
  const allDone = new Promise((resolve) => {
    for (const w of workers) {
      offs.push(
        w.rpc.on('fanoutDone', () => {
          if (++done === workers.length) resolve(performance.now());
        }),
      );
    }
  });
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(performance.now()), opts.fanoutTimeoutMs);
  });
  const t0 = performance.now();
  await s.api.call('fanoutGo', { mode: t.mode }, opts.fanoutTimeoutMs + 5000);
  const t1 = await Promise.race([allDone, timeout]);
  clearTimeout(timer);
  for (const off of offs) off();
  const cpu = await s.api.call('cpuRead');
  const reps = await Promise.all(workers.map((w) => w.rpc.call('fanoutReport')));
  const { delivered, expected, stray, badLength, complete } = deliveryTotals(reps, perConn * recipients);
  if (!complete) {
    // let stragglers finish so they do not leak into the next measurement
    await sleep(1000);
  }
  await sleep(100);
  return {
    delivered,
    expected,
    complete,
    badLength,
    stray,
    expectLen,
    perConn,
    recipients,
    secs: (t1 - t0) / 1000,
    mps: delivered / ((t1 - t0) / 1000),
    cpuPerMsg: (cpu.user + cpu.system) / delivered,
    cpuUser: cpu.user,
    cpuSystem: cpu.system,
  };
}

const groupSizeFor = (conns) => {
  // what the load generator's rule (every groupEvery-th connection of each worker) yields
  let n = 0;
  for (let i = 0; i < opts.workers; i++) {
    const share = Math.floor(conns / opts.workers) + (i < conns % opts.workers ? 1 : 0);
    n += Math.ceil(share / opts.groupEvery);
  }
  return n;
};

function fanoutCase(size, burst, group) {
  const who = group
    ? `group of ${fmtInt(groupSizeFor(opts.conns))} (${Math.round(100 / opts.groupEvery)}% of ${fmtInt(opts.conns)})`
    : `all ${fmtInt(opts.conns)}`;
  const burstNote = opts.bursts.length > 1 || burst !== 10 ? `, bursts of ${burst}` : '';
  return `${sizeLabel(size)}${opts.binary ? ' binary' : ''} → ${who}${burstNote}`;
}

async function runFanoutAndConnections(fanTargets, connTargets, doFanout, doConns) {
  const connServers = new Set(doConns ? connTargets.map((t) => t.server) : []);
  const servers = [...new Set([...(doFanout ? fanTargets.map((t) => t.server) : []), ...connServers])];
  const fan = new Map();
  const conn = new Map();
  for (let r = 0; r < opts.rounds; r++) {
    for (const server of rotate(servers, r)) {
      await attempt(`fan-out/connections ${server} round ${r + 1}`, () => serverRound(server, r));
    }
    log(`  fan-out/connections: round ${r + 1}/${opts.rounds} done`);
  }

  async function serverRound(server, r) {
    const s = await startServer(server, opts.conns);
    try {
      // Warm-up: open and close a few connections so the figures describe
      // a running server, not one compiling its handshake path.
      const warm = Math.min(200, opts.conns);
      await connectAll(s.port, warm, s.client);
      await closeAll();
      await waitServerCount(s, 0, 3000, true);
      await sleep(200);
      const before = await s.api.call('mem');
      await s.api.call('cpuMark');
      const c = await connectAll(s.port, opts.conns, s.client);
      const cpu = await s.api.call('cpuRead');
      const seen = await waitServerCount(s, c.opened);
      await sleep(300);
      const after = await s.api.call('mem');
      const n = Math.max(1, c.opened);
      if (connServers.has(server)) {
        const cs = {
          ups: c.opened / (c.ms / 1000),
          cpuPerUpgrade: (cpu.user + cpu.system) / n,
          rssPerConn: (after.rss - before.rss) / n / 1024,
          heapPerConn: (after.heapUsed - before.heapUsed) / n / 1024,
          externalPerConn: (after.external - before.external) / n / 1024,
          opened: c.opened,
          failed: c.failed,
          seen,
        };
        if (!conn.has(server)) conn.set(server, []);
        conn.get(server).push(cs);
      }
      if (c.opened !== opts.conns) {
        throw new Error(`${server}: only ${c.opened}/${opts.conns} connections opened (${c.failed} failed${c.firstError ? `, first: ${c.firstError}` : ''})`);
      }
      if (!doFanout) return;
      const { group: serverGroup } = await s.api.call('count');
      const mine = fanTargets.filter((t) => t.server === server && s.modes.includes(t.mode));
      for (const t of fanTargets) {
        if (t.server === server && !s.modes.includes(t.mode)) skipped.push({ kind: 'fanout', target: t.id, reason: `server has no mode ${t.mode}` });
      }
      let i = 0;
      for (const burst of opts.bursts) {
        for (const size of opts.payloads) {
          for (const t of rotate(mine, r + i++)) {
            const what = `fan-out ${t.id} ${sizeLabel(size)} burst ${burst} round ${r + 1}`;
            const f = await attempt(what, () => {
              if (t.group && serverGroup !== c.members) throw new Error(`server counts ${serverGroup} group members, clients ${c.members}`);
              return fanoutOnce(s, t, size, burst, t.group ? c.members : c.opened);
            });
            if (!f) continue;
            const k = `${burst}|${size}|${t.id}`;
            if (!fan.has(k)) fan.set(k, []);
            fan.get(k).push(f);
            const bad = f.complete ? '' : ` INCOMPLETE ${f.delivered}/${f.expected}${f.stray ? `, ${f.stray} stray` : ''}${f.badLength ? `, ${f.badLength} wrong size` : ''}`;
            log(`    fan-out ${t.id} ${sizeLabel(size)} ×${burst}: ${fmtInt(Math.round(f.mps))} msg/s, ${fmt(f.cpuPerMsg)} µs/msg${bad}`);
          }
        }
      }
    } finally {
      await closeAll().catch(() => {});
      await stopServer(s);
    }
  }

  if (doFanout) {
    for (const burst of opts.bursts) {
      for (const size of opts.payloads) {
        for (const group of [false, true]) {
          for (const t of fanTargets) {
            if (!!t.group !== group) continue;
            const s = fan.get(`${burst}|${size}|${t.id}`);
            if (!s) continue;
            const complete = s.every((x) => x.complete);
            const worst = s.reduce((a, x) => Math.min(a, x.delivered / x.expected), 1);
            const wrapped = s[0].expectLen !== size ? (s[0].expectLen >= 0 ? `; ${s[0].expectLen} B envelope delivered` : '; envelope not size-checked') : '';
            addRow({
              scenario: 'fan-out',
              case: fanoutCase(size, burst, group),
              target: t.id,
              label: t.label,
              baseline: !!t.baseline,
              rate: { ...summarize(s.map((x) => x.mps)), unit: 'msgs/s', better: 'higher' },
              cost: { ...summarize(s.map((x) => x.cpuPerMsg)), unit: 'CPU µs/msg', better: 'lower' },
              extra: {
                perConn: s[0].perConn,
                recipients: s[0].recipients,
                burst,
                size,
                group,
                delivered: s.map((x) => x.delivered),
                expectLen: s[0].expectLen,
                // the CPU figure split into user and kernel (system) time
                userPerMsg: summarize(s.map((x) => x.cpuUser / x.delivered)),
                systemPerMsg: summarize(s.map((x) => x.cpuSystem / x.delivered)),
              },
              ok: complete,
              notes: (complete ? 'all delivered' : `INCOMPLETE: worst round ${(worst * 100).toFixed(2)}% delivered`) + wrapped,
            });
          }
        }
      }
    }
  }
  if (doConns) {
    for (const t of connTargets) {
      const s = conn.get(t.server);
      if (!s) continue;
      addRow({
        scenario: 'connections',
        case: `${fmtInt(opts.conns)} idle conns`,
        target: t.id,
        label: t.label,
        baseline: !!t.baseline,
        rate: { ...summarize(s.map((x) => x.ups)), unit: 'upgrades/s', better: 'higher' },
        cost: { ...summarize(s.map((x) => x.rssPerConn)), unit: 'KiB RSS/conn', better: 'lower' },
        cost2: { ...summarize(s.map((x) => x.heapPerConn)), unit: 'KiB heap/conn', better: 'lower', ratio: true },
        extra: { cpuPerUpgrade: summarize(s.map((x) => x.cpuPerUpgrade)), externalPerConn: summarize(s.map((x) => x.externalPerConn)) },
        ok: s.every((x) => x.opened === opts.conns && x.seen >= x.opened),
        info: !!t.info,
        notes: `server CPU ${fmt(summarize(s.map((x) => x.cpuPerUpgrade)).median)} µs/upgrade` + (t.info ? '; for information: each connection also authenticates and holds a session' : ''),
      });
    }
  }
}

// ------------------------------------------------------------------ main ----

const PARSER_CASES = [
  { name: '64 B binary', size: 64 },
  { name: '16 KiB binary', size: 16384 },
  { name: '1 MiB binary', size: 1048576 },
  { name: '16 KiB UTF-8 text', size: 16384, text: true },
];
const ENCODER_CASES = [
  { name: '64 B masked', size: 64 },
  { name: '16 KiB masked', size: 16384 },
  { name: '1 MiB masked', size: 1048576 },
];

async function main() {
  const started = performance.now();
  const machine = machineInfo();
  log(`bench: ${machine.cpuModel} × ${machine.cores}, Node ${machine.node}, fd limit ${machine.fdLimits.soft}/${machine.fdLimits.hard}`);
  const want = (s) => opts.only.includes(s);
  await snapshotOurs();
  const micro = await pick(MICRO_TARGETS, 'micro', (t) => t.id);
  const echo = await pick(ECHO_TARGETS, 'servers', (t) => t.server);
  const conns = await pick(CONNECTION_TARGETS, 'servers', (t) => t.server);
  const fan = await pick(FANOUT_TARGETS, 'servers', (t) => t.server);
  const deflate = await pick(DEFLATE_TARGETS, 'servers', (t) => t.server);
  for (const s of skipped) log(`  skipping ${s.kind}/${s.target}: ${s.reason}`);

  if (want('parser')) {
    log('parser (in-process, fresh process per measurement)...');
    await runMicro('parse', PARSER_CASES, micro);
  }
  if (want('encoder')) {
    log('encoder/mask (in-process)...');
    await runMicro('encode', ENCODER_CASES, micro);
  }
  const net = want('echo') || want('fanout') || want('connections') || want('scale') || want('deflate');
  if (net) {
    await startWorkers(Math.ceil(Math.max(opts.conns, opts.echoClients) / opts.workers));
    try {
      if (want('echo')) {
        log(`echo (${opts.echoClients} clients, ${opts.rounds} rounds)...`);
        await runEcho(echo);
      }
      if (want('fanout') || want('connections')) {
        log(`fan-out + connections (${fmtInt(opts.conns)} connections, ${opts.rounds} rounds)...`);
        await runFanoutAndConnections(fan, conns, want('fanout'), want('connections'));
      }
      if (want('scale')) {
        log(`scale-out (${fmtInt(opts.conns)} connections; one process, node:cluster, Redis; ${opts.rounds} rounds)...`);
        await runScale({ opts, log, attempt, addRow, connectAll, closeAll, loadgens: () => workers, skipped });
      }
      if (want('deflate')) {
        log(`compression (permessage-deflate; ${fmtInt(opts.conns)} connections, JSON of ${opts.deflateSizes.join('/')} B; ${opts.rounds} rounds)...`);
        await runDeflate({ opts, log, attempt, addRow, targets: deflate, startServer, stopServer, connectAll, closeAll, waitServerCount, loadgens: () => workers });
      }
    } finally {
      await stopWorkers();
    }
  }

  const results = {
    meta: {
      date: new Date().toISOString(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      machine,
      settings: {
        rounds: opts.rounds,
        microRounds: opts.microRounds,
        conns: opts.conns,
        payloads: opts.payloads,
        binary: opts.binary,
        deliveries: opts.deliveries,
        bursts: opts.bursts,
        groupEvery: opts.groupEvery,
        scaleMessages: opts.scaleMessages,
        deflateSizes: opts.deflateSizes,
        deflateDeliveries: opts.deflateDeliveries,
        echoClients: opts.echoClients,
        echoSize: opts.echoSize,
        echoSeconds: opts.echoSeconds,
        workers: opts.workers,
        microWarmupMs: opts.microWarmupMs,
        microMeasureMs: opts.microMeasureMs,
      },
      skipped,
      errors,
      durationSec: Math.round((performance.now() - started) / 1000),
    },
    rows,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const big = opts.conns >= 10000;
  const full = !opts.targets && !opts.quick && (big ? want('fanout') && want('connections') : ALL_SCENARIOS.every(want));
  const file = full ? (big ? 'latest-big.json' : 'latest.json') : 'partial.json';
  writeFileSync(RESULTS_DIR + file, JSON.stringify(results, null, 1) + '\n');
  console.log(renderConsole(results));
  log(`results: bench/results/${file} (${results.meta.durationSec} s)`);
  if (!full) log('a partial run (--only/--targets/--quick): docs/benchmarks.md left as it is');
  else if (opts.docs) writeDocs();
}

main().catch((err) => {
  log(err && err.stack ? err.stack : String(err));
  killChildren();
  process.exit(1);
});
