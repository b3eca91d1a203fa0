// One measured echo window, shared by the echo scenario (bench/run.mjs) and
// the compressed echo (lib/deflate.mjs): the load generators are already
// echoing; after a warm-up, the server's CPU and every worker's counters are
// marked, `echoSeconds` pass, and the round trips and CPU of that span are read.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves { stops (each worker's echoStop answer), secs, cpu (server user + system µs), count }. */
export async function echoWindow(server, workers, opts) {
  await sleep(opts.echoWarmupSeconds * 1000);
  await server.api.call('cpuMark');
  await Promise.all(workers.map((w) => w.rpc.call('echoMark')));
  const t0 = performance.now();
  await sleep(opts.echoSeconds * 1000);
  const stops = await Promise.all(workers.map((w) => w.rpc.call('echoStop', {}, 10000)));
  const secs = (performance.now() - t0) / 1000;
  const cpu = await server.api.call('cpuRead');
  const count = stops.reduce((a, x) => a + x.count, 0);
  return { stops, secs, cpu, count };
}
