// The node:cluster topology of the scale-out scenario: this process is the
// cluster primary. It starts the relay (setupClusterPrimary()), forks
// `workers` workers that each run lib/server-host.mjs with the router node
// server (bench/servers/ours-router-node.mjs, adapter 'cluster', a port of
// its own), and answers the orchestrator over IPC:
//   hello                 the workers' ports and pids
//   node { i, command, args }  a command passed on to worker i (server-host's)
//   cpuMark / cpuRead     this process's own CPU (the relay's cost)
//   stats                 the relay's counters
//   close                 closes the workers, then exits
// Workers talk to this process over the same IPC channel as the relay; the
// relay reads only its own messages (`wsns`), server-host only ours (`id`).
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { rpc, serve } from './ipc.mjs';
import { oursEntry } from './ours-entry.mjs';

const count = Number(process.argv[2] || 2);
const { setupClusterPrimary } = await import(new URL('./cluster.js', oursEntry));
const relay = setupClusterPrimary();

cluster.setupPrimary({
  exec: fileURLToPath(new URL('./server-host.mjs', import.meta.url)),
  args: ['ours-router-node', JSON.stringify({ adapter: 'cluster' })],
});

const nodes = [];
for (let i = 0; i < count; i++) {
  const worker = cluster.fork();
  const api = rpc(worker, `cluster worker ${i}`);
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cluster worker ${i} did not start`)), 20000);
    api.on('ready', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    api.on('exit', (m) => {
      clearTimeout(timer);
      reject(new Error(`cluster worker ${i} exited during start (code ${m.code})`));
    });
  });
  nodes.push({ worker, api, ready });
}

let cpuMark = process.cpuUsage();

const started = Promise.all(nodes.map((n) => n.ready)).then((ms) => ms.map((m, i) => ({ port: m.port, pid: nodes[i].worker.process.pid, modes: m.modes, client: m.client })));
// A worker that fails to start fails the run's hello, not this process.
started.catch(() => {});

serve({
  async hello() {
    return { nodes: await started, pid: process.pid };
  },
  node({ i, command, args = {}, timeoutMs = 30000 }) {
    const n = nodes[i];
    if (!n) throw new Error(`no worker ${i}`);
    return n.api.call(command, args, timeoutMs);
  },
  cpuMark() {
    cpuMark = process.cpuUsage();
    return {};
  },
  cpuRead() {
    const d = process.cpuUsage(cpuMark);
    return { user: d.user, system: d.system };
  },
  stats() {
    return { ...relay.stats };
  },
  async close() {
    await Promise.allSettled(nodes.map((n) => n.api.call('close', {}, 5000)));
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise((resolve) => {
            if (n.worker.isDead()) return resolve();
            const timer = setTimeout(() => {
              n.worker.process.kill('SIGKILL');
              resolve();
            }, 3000);
            n.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    relay.close();
    setImmediate(() => process.exit(0));
    return {};
  },
});

process.send({ ev: 'ready', pid: process.pid });
