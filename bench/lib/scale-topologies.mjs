// The deployments the scale-out scenario compares (bench/lib/scale.mjs),
// each running the same router node server (bench/servers/ours-router-node.mjs)
// on 127.0.0.1:
//   single   one process, no adapter (the in-process default): the baseline
//   cluster  a node:cluster primary (the relay) + 2 workers, a port each
//   redis    2 standalone processes with createRedisAdapter, one redis-server
// start*() resolves to a handle:
//   { nodes: [{ port, call(cmd, args, ms) }],   the server processes, in order
//     extra: [{ what, call }],                  other processes whose CPU counts (the primary)
//     client,                                   what the clients must do (see lib/loadgen.mjs)
//     redisPid?,                                the redis-server's (CPU read from /proc)
//     close() }
// Every process is started through lib/procs.mjs (killed when the run ends,
// however it ends); cluster workers exit with their primary (their IPC
// channel closes). The redis-server is started once per run by startRedis()
// and stopped by its close().
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnNode, waitExit } from './procs.mjs';
import { rpc } from './ipc.mjs';
import { fdLimits } from './machine.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const SERVER = 'ours-router-node';

function fdLimitFor(conns) {
  const { soft, hard } = fdLimits();
  const need = conns + 256;
  return need > soft ? Math.min(need, hard) : 0;
}

// With --cpu-prof DIR every server process writes a profile there (named
// by Node after its pid; cluster workers inherit the primary's flags).
let profileDir = null;
export function setProfileDir(dir) {
  profileDir = dir;
}

/** Starts a child and waits (bounded) for its 'ready' event. */
function startChild(script, args, label, conns) {
  const nodeArgs = ['--expose-gc', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const child = spawnNode(here(script), args, { nodeArgs, fdLimit: fdLimitFor(conns) });
  const api = rpc(child, label);
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start`)), 30000);
    api.on('ready', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    api.on('exit', (m) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited during start (code ${m.code})`));
    });
  });
  return { child, api, ready };
}

async function stopChild(c) {
  try {
    await c.api.call('close', {}, 8000);
  } catch {}
  await waitExit(c.child, 8000);
}

/** One router node in a process of its own (server-host + ours-router-node). */
async function startNodeProcess(settings, label, conns) {
  const c = startChild('./server-host.mjs', [SERVER, JSON.stringify(settings)], label, conns);
  try {
    const ready = await c.ready;
    return { c, node: { port: ready.port, call: (cmd, args = {}, ms = 30000) => c.api.call(cmd, args, ms) }, client: ready.client };
  } catch (err) {
    await stopChild(c);
    throw err;
  }
}

export async function startSingle(conns, recovery = false) {
  const n = await startNodeProcess({ adapter: 'none', recovery }, 'scale single', conns);
  return { nodes: [n.node], extra: [], client: n.client, close: () => stopChild(n.c) };
}

export async function startCluster(conns, workers = 2) {
  const c = startChild('./scale-primary.mjs', [String(workers)], 'cluster primary', conns);
  try {
    await c.ready;
    const hello = await c.api.call('hello', {}, 30000);
    const nodes = hello.nodes.map((w, i) => ({
      port: w.port,
      call: (cmd, args = {}, ms = 30000) => c.api.call('node', { i, command: cmd, args, timeoutMs: ms }, ms + 2000),
    }));
    const primary = { what: 'primary', call: (cmd, args = {}, ms = 30000) => c.api.call(cmd, args, ms) };
    return { nodes, extra: [primary], client: hello.nodes[0].client, close: () => stopChild(c), stats: () => c.api.call('stats') };
  } catch (err) {
    await stopChild(c);
    throw err;
  }
}

export async function startRedisNodes(conns, redis, prefix, count = 2, recovery = false) {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => startNodeProcess({ adapter: 'redis', redisUrl: redis.url, prefix, recovery }, `redis node ${i}`, conns)),
  );
  const ok = started.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  const close = () => Promise.all(ok.map((n) => stopChild(n.c)));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { nodes: ok.map((n) => n.node), extra: [], client: ok[0].client, redisPid: redis.pid, close };
}

// ------------------------------------------------------------------ redis --

/** Asks a Redis for its pid (INFO server), bounded by `ms`. */
function redisPid(port, ms = 3000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let seen = '';
    const done = (err, pid) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(pid);
    };
    const timer = setTimeout(() => done(new Error('redis-server did not answer INFO')), ms);
    sock.on('error', (err) => done(err));
    sock.on('connect', () => sock.write('INFO server\r\n'));
    sock.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      const m = /process_id:(\d+)\r\n/.exec(seen);
      if (m) done(null, Number(m[1]));
    });
  });
}

let clockTicks = 0;
function ticksPerSecond() {
  if (!clockTicks) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU time of a process so far, in µs: `stat` from /proc/<pid>/stat
 * (utime + stime, all threads, in clock ticks: 10 ms resolution at 100 Hz)
 * and, where the kernel keeps it, `sched` from /proc/<pid>/task/<tid>/schedstat
 * (time on CPU in ns, summed over the threads), the finer of the two.
 */
export function procCpu(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 of proc(5), counted from the state (field 3) here
  const ticks = Number(f[11]) + Number(f[12]);
  let sched = NaN;
  try {
    sched = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      sched += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]) / 1000;
    }
  } catch {
    sched = NaN;
  }
  return { stat: (ticks * 1e6) / ticksPerSecond(), sched };
}

/**
 * The run's redis-server (test/helpers/redis-server.mjs: Debian's
 * /usr/bin/redis-server on a free loopback port, no persistence), with its
 * pid for the CPU figures. Resolves null, with the reason, when there is none.
 */
export async function startRedis() {
  let helper;
  try {
    helper = await import('../../test/helpers/redis-server.mjs');
  } catch (err) {
    return { redis: null, reason: `test/helpers/redis-server.mjs: ${err.message}` };
  }
  let redis;
  try {
    redis = await helper.startRedisServer();
  } catch (err) {
    return { redis: null, reason: err.message.split('\n')[0] };
  }
  try {
    const pid = await redisPid(redis.port);
    return { redis: { url: redis.url, port: redis.port, pid, close: () => redis.close() }, reason: null };
  } catch (err) {
    await redis.close();
    return { redis: null, reason: `redis-server pid: ${err.message}` };
  }
}
