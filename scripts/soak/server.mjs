// The soak's server process. --target=app: a WebSocketNodeServer with the
// default limits (authentication, groups, presence, requests); core: our
// low-level WebSocketServer; ws: the `ws` package's WebSocketServer. The
// orchestrator asks it for memory figures (after full collections), counts,
// and to broadcast ticks.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketNodeServer, WebSocketServer } from '../../dist/esm/index.js';
import { serve, flags, fdLimit } from './ipc.mjs';

const { target } = flags({ target: 'app' });
const counts = { started: 0, ended: 0, kicked: 0, requests: 0, hookErrors: 0, ticks: 0, peakSessions: 0, peakConnections: 0 };
let server;
let port;

if (target === 'app') {
  server = new WebSocketNodeServer({ host: '127.0.0.1', port: 0, maxConnections: 0 });
  server.on('error', () => counts.hookErrors++);
  server.onAuthentication((c, start, respond) => {
    start({ name: c.name }, [c.group], c.name, c.available === true, null);
    counts.started++;
    respond(null, { name: c.name });
  });
  server.onConnectionClose(() => counts.ended++);
  server.on('session', () => (counts.peakSessions = Math.max(counts.peakSessions, server.sessionCount)));
  server.getServer().on('connection', () => (counts.peakConnections = Math.max(counts.peakConnections, server.getServer().clients.size)));
  // Answers after a short, varying delay, so requests overlap in flight.
  server.onRequest('mirror', (body) => {
    counts.requests++;
    if (!body.delay) return body;
    return new Promise((resolve) => setTimeout(() => resolve(body), body.delay));
  });
  server.onRequest('kick', (_b, { session, respond }) => {
    counts.kicked++;
    respond(null, true);
    setImmediate(() => session.close(4000, 'kicked'));
  });
  ({ port } = await server.listen());
} else {
  const Server = target === 'ws' ? (await import('ws')).WebSocketServer : WebSocketServer;
  server = new Server({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) => ws.on('error', () => {}));
  port = server.address().port;
}

const connections = () => (target === 'app' ? server.stats.connections : server.clients.size);

async function memory() {
  // Let the last writes finish first: batches are flushed in slices over a
  // few event-loop iterations, and until then they hold their connections.
  await new Promise((resolve) => setTimeout(resolve, 250));
  for (let i = 0; i < 3; i++) globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, connections: connections() };
}

const lag = (ns) => Math.max(0, +(ns / 1e6 - 10).toFixed(1));
let ticker = null;
let delay = null;
let cpuStart = null;
let wallStart = 0;

serve({
  info: async () => ({ port, target, fdLimit: await fdLimit(), pid: process.pid }),
  memory,
  counts: () => ({
    ...counts,
    connections: connections(),
    ...(target === 'app' ? { sessions: server.sessionCount, stats: server.stats } : {}),
  }),
  /** Starts the mix's measurements and a broadcast to everyone every `interval` ms. */
  tickStart: ({ interval }) => {
    delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    cpuStart = process.cpuUsage();
    wallStart = performance.now();
    ticker = setInterval(() => {
      counts.ticks++;
      server.broadcast('tick', { seq: counts.ticks });
    }, interval);
    return true;
  },
  tickStop: () => {
    clearInterval(ticker);
    delay.disable();
    const cpu = process.cpuUsage(cpuStart);
    const wall = performance.now() - wallStart;
    return {
      ticks: counts.ticks,
      cpuPercent: (100 * (cpu.user + cpu.system)) / 1000 / wall,
      // The histogram's samples include its own 10 ms period: what is above it is lag.
      loopLagMs: { p50: lag(delay.percentile(50)), p99: lag(delay.percentile(99)), max: lag(delay.max) },
    };
  },
});
process.send({ ready: true });
