// Command-line flags of `node bench/run.mjs` (npm run bench -- <flags>).
import { resolve } from 'node:path';

export const HELP = `Usage: npm run bench -- [flags]

  --only LIST         scenarios to run: parser,encoder,echo,fanout,connections,scale,deflate
  --targets LIST      only these target ids (ws, the baseline, always runs)
  --rounds N          rounds of the network scenarios (default 3)
  --micro-rounds N    rounds of the in-process scenarios (default 5)
  --conns N           connections for fan-out and connections (default 1000)
  --big               10,000 connections, fan-out and connections only
                      (same as --conns 10000 --only fanout,connections);
                      results go to bench/results/latest-big.json
  --payloads LIST     fan-out payload sizes in bytes (default 64,1024)
  --binary            fan-out sends Buffers (binary frames) instead of strings
  --deliveries N      deliveries per fan-out measurement (default 60000; at
                      least two bursts per recipient)
  --burst LIST        messages per burst, each burst sent in one event-loop
                      turn (default 10; e.g. 1,10 measures both)
  --group-every N     the group case sends to every Nth connection (default 10: 10%)
  --scale-messages N  private messages per scale-out latency measurement (default 2000)
  --deflate-sizes LIST  JSON message sizes of the compression scenario
                      (default 200,1024,4096,16384)
  --deflate-deliveries N  deliveries per compressed fan-out measurement (default 10000)
  --echo-clients N    echo clients (default 100)
  --echo-size N       echo message size in bytes (default 64)
  --echo-seconds S    measured seconds per echo run (default 2)
  --workers N         load generator processes (default 2)
  --cpu-prof DIR      start the server processes with node --cpu-prof, profiles in DIR
  --quick             fewer rounds, shorter windows (a smoke run; written to
                      bench/results/partial.json, docs untouched)
  --no-docs           do not rewrite docs/benchmarks.md and docs/benchmarks.svg
  --render            only re-render the docs from bench/results/latest.json
                      and latest-big.json
  --help              this text

Environment: BENCH_OURS_ENTRY=/path/to/index.js benchmarks another build of ours.`;

export const ALL_SCENARIOS = ['parser', 'encoder', 'echo', 'fanout', 'connections', 'scale', 'deflate'];

export function parseArgs(argv) {
  const o = {
    only: [...ALL_SCENARIOS],
    targets: null,
    rounds: 3,
    microRounds: 5,
    conns: 1000,
    payloads: [64, 1024],
    binary: false,
    deliveries: 60000,
    bursts: [10],
    groupEvery: 10,
    scaleMessages: 2000,
    deflateSizes: [200, 1024, 4096, 16384],
    deflateDeliveries: 10000,
    echoClients: 100,
    echoSize: 64,
    echoSeconds: 2,
    echoWarmupSeconds: 0.5,
    workers: 2,
    microWarmupMs: 150,
    microMeasureMs: 250,
    fanoutTimeoutMs: 30000,
    connectConcurrency: 64,
    quick: false,
    cpuProf: null,
    docs: true,
    renderOnly: false,
    help: false,
  };
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const int = (s, name) => {
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number, got ${s}`);
    return n;
  };
  let onlyGiven = false;
  let big = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? a.split(/=(.*)/s) : [a, undefined];
    const val = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--only': o.only = list(val()); onlyGiven = true; break;
      case '--targets': o.targets = list(val()); break;
      case '--rounds': o.rounds = int(val(), flag); break;
      case '--micro-rounds': o.microRounds = int(val(), flag); break;
      case '--conns': o.conns = int(val(), flag); break;
      case '--big': o.conns = 10000; big = true; break;
      case '--payloads': o.payloads = list(val()).map((x) => int(x, flag)); break;
      case '--binary': o.binary = true; break;
      case '--deliveries': o.deliveries = int(val(), flag); break;
      case '--burst': o.bursts = list(val()).map((x) => int(x, flag)); break;
      case '--group-every': o.groupEvery = int(val(), flag); break;
      case '--scale-messages': o.scaleMessages = int(val(), flag); break;
      case '--deflate-sizes': o.deflateSizes = list(val()).map((x) => int(x, flag)); break;
      case '--deflate-deliveries': o.deflateDeliveries = int(val(), flag); break;
      case '--echo-clients': o.echoClients = int(val(), flag); break;
      case '--echo-size': o.echoSize = int(val(), flag); break;
      case '--echo-seconds': o.echoSeconds = int(val(), flag); break;
      case '--workers': o.workers = int(val(), flag); break;
      case '--quick': o.quick = true; break;
      case '--cpu-prof': o.cpuProf = resolve(val()); break;
      case '--no-docs': o.docs = false; break;
      case '--render': o.renderOnly = true; break;
      case '--help': case '-h': o.help = true; break;
      default: throw new Error(`unknown flag ${a} (see --help)`);
    }
  }
  if (o.quick) {
    o.rounds = Math.min(o.rounds, 2);
    o.microRounds = Math.min(o.microRounds, 2);
    o.echoSeconds = Math.min(o.echoSeconds, 1);
    o.deliveries = Math.min(o.deliveries, 30000);
    o.microMeasureMs = 200;
    o.scaleMessages = Math.min(o.scaleMessages, 500);
    o.deflateDeliveries = Math.min(o.deflateDeliveries, 5000);
  }
  // Parser, encoder and echo do not depend on the number of connections.
  if (big && !onlyGiven) o.only = ['fanout', 'connections'];
  for (const s of o.only) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);
  o.workers = Math.max(1, Math.min(o.workers, o.conns, o.echoClients));
  return o;
}
