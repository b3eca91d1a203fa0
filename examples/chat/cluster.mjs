// The demo on several processes of one machine: node:cluster workers share
// the port, and the cluster adapter carries room messages, private messages
// and presence between them (docs/scaling.md). WORKERS sets how many
// (default 2); PORT as for server.mjs.
//
//   node examples/chat/cluster.mjs
import cluster from 'node:cluster';
import { setupClusterPrimary } from 'ws-node-server/cluster';

if (cluster.isPrimary) {
  // Relays the workers' traffic; must run before they start.
  setupClusterPrimary();
  const workers = Math.max(1, Number(process.env.WORKERS ?? 2));
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (signal !== 'SIGINT' && signal !== 'SIGTERM' && code !== 0) {
      // Its clients reconnect to the others (the page does so by itself); a fresh worker takes its place.
      console.log(`worker ${worker.id} died (${signal ?? code}); starting another`);
      cluster.fork();
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill(signal);
    });
  }
} else {
  await import('./server.mjs');
}
