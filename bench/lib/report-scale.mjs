// Rendering of the scale-out scenario (rows of scenario 'scale' and
// 'scale-latency', written by lib/scale.mjs): its own tables, because its
// reference is the one-process deployment, not ws. Used by lib/report.mjs
// for the console and for the "Scale-out" section of docs/benchmarks.md.
import { fmtNum } from './report.mjs';
import { mdCellTable, mdEsc } from './report-md.mjs';

export const isScaleRow = (row) => row.scenario === 'scale' || row.scenario === 'scale-latency';

const ratioText = (r) => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×` : 'n/a');
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(3)} ms` : 'n/a');
const signedMs = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)} ms` : 'n/a');
const us = (x) => (Number.isFinite(x) ? `${fmtNum(x)} µs` : 'n/a');
const range = (m, f) => (m ? `${f(m.min)} – ${f(m.max)}` : '–');

function scaleRows(results) {
  const rows = results ? results.rows : [];
  return { fan: rows.filter((r) => r.scenario === 'scale'), lat: rows.filter((r) => r.scenario === 'scale-latency') };
}

/** Per-process split of the CPU figure: the sending node, the other node(s), the primary. */
function processSplit(row) {
  const p = row.extra && row.extra.processPerMsg;
  if (!p) return '';
  const names = p.map((_, i) => (i === 0 ? 'sender' : i < row.extra.nodes ? 'other node' : 'primary'));
  return p.map((x, i) => `${names[i]} ${fmtNum(x)}`).join(' + ');
}

/** Table cells of the fan-out part: one line per case and deployment. */
export function scaleFanoutCells(results) {
  const { fan } = scaleRows(results);
  return fan.map((row) => {
    const base = fan.find((b) => b.baseline && b.case === row.case);
    const rr = base ? row.rate.median / base.rate.median : NaN;
    const cr = base ? row.cost.median / base.cost.median : NaN;
    const redis = row.extra && row.extra.redisPerMsg ? us(row.extra.redisPerMsg.median) : '–';
    const split = row.extra && row.extra.perNode ? row.extra.perNode.join(' / ') : '';
    const notes = [row.ok === false ? 'INCOMPLETE' : 'all delivered', split && row.extra.nodes > 1 ? `sessions per node ${split}` : ''].filter(Boolean).join('; ');
    return [row.case, row.label, `${fmtNum(row.rate.median)} msgs/s`, ratioText(rr), us(row.cost.median), ratioText(cr), processSplit(row), redis, notes];
  });
}
export const SCALE_FANOUT_HEADERS = ['Case', 'Deployment', 'Delivered (median)', 'Rate ×1 process ↑', 'Server CPU per msg, all processes', 'CPU ×1 process ↓', 'CPU µs/msg by process', 'redis-server CPU per msg', 'Notes'];

/** Table cells of the latency part: one line per deployment and placement of A and B. */
export function scaleLatencyCells(results) {
  const { lat } = scaleRows(results);
  const base = lat.find((r) => r.baseline);
  return lat.map((row) => {
    const same = lat.find((r) => r.topology === row.topology && r.where === 'same');
    const vsSame = row.where === 'cross' && same ? `${signedMs(row.cost.median - same.cost.median)} / ${signedMs(row.cost2.median - same.cost2.median)}` : '–';
    const vsBase = base && row !== base ? `${signedMs(row.cost.median - base.cost.median)} / ${signedMs(row.cost2.median - base.cost2.median)}` : '–';
    return [row.label, ms(row.cost.median), ms(row.cost2.median), vsBase, vsSame, `${ms(row.extra.replyP50.median)} / ${ms(row.extra.replyP99.median)}`, row.notes];
  });
}
export const SCALE_LATENCY_HEADERS = ['Deployment and placement', 'A → B p50', 'A → B p99', 'vs one process (p50 / p99)', 'vs same node (p50 / p99)', "A's reply p50 / p99", 'Notes'];

function textTable(headers, cells) {
  const all = [headers, ...cells];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  const line = (r) => r.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function renderScaleConsole(results) {
  const { fan, lat } = scaleRows(results);
  if (!fan.length && !lat.length) return '';
  const out = ['Scale-out (reference: one process, no adapter):'];
  if (fan.length) out.push(textTable(SCALE_FANOUT_HEADERS, scaleFanoutCells(results)));
  if (lat.length) out.push('', textTable(SCALE_LATENCY_HEADERS, scaleLatencyCells(results)));
  return out.join('\n');
}

/** The "Scale-out" section of docs/benchmarks.md (nothing when the run has no scale rows). */
export function mdScale(md, results) {
  const { fan, lat } = scaleRows(results);
  if (!fan.length && !lat.length) return;
  const s = results.meta.settings;
  const n = (x) => x.toLocaleString('en-US');
  const f0 = fan[0];
  md.push('## Scale-out');
  md.push('');
  md.push(`One \`WebSocketNodeServer\` in three deployments, and two of them again with session recovery on (the history in memory in one process, and in Redis Streams with the Redis adapter: each broadcast is numbered and published by one Lua script, and every node, the sending one included, delivers it as it comes back from Redis), measured in the same run, in ${s.rounds} interleaved rounds (medians; the order of the deployments rotates per round): **one process** without an adapter (the in-process default, the reference), **node:cluster** (a primary running \`setupClusterPrimary()\` and 2 workers with \`createClusterAdapter()\`), and **Redis** (2 standalone processes with \`createRedisAdapter()\` over two clients of the \`redis\` package each, one local \`redis-server\`). Every deployment runs the same server code (\`bench/servers/ours-router-node.mjs\`), attached to an http server of its own per node, and is driven by the same load generator.`);
  md.push('');
  if (fan.length) {
    md.push(`### Broadcast fan-out from one node`);
    md.push('');
    md.push(`\`server.broadcast('bench', msg)\` issued on one node to all ${n(f0.extra.recipients)} connections, split evenly over the nodes in the two-node deployments (each client connects to the port of its node, and every node's session count is checked): ${n(f0.extra.perConn)} messages to each connection in bursts of ${f0.extra.burst}, as in the router fan-out above. The other node receives each broadcast once through the adapter and writes it to its own clients. **Server CPU per msg** is \`process.cpuUsage()\` (user + system) of every server process involved, summed — both nodes, and the cluster primary (the relay) — ÷ deliveries; the split by process is in the next column. **redis-server CPU** is the broker's own on-CPU time over the same span (from \`/proc/<pid>/task/*/schedstat\`, or \`/proc/<pid>/stat\` where the kernel keeps no schedstat: that file counts 10 ms clock ticks, more than the broker spends in one measurement), reported apart. **Delivered** is deliveries ÷ wall time until the last client has its last message.`);
    md.push('');
    mdCellTable(md, SCALE_FANOUT_HEADERS, scaleFanoutCells(results), [2, 3, 4, 5, 7]);
  }
  if (lat.length) {
    md.push(`### Private message latency across nodes`);
    md.push('');
    md.push(`Two clients, A and B, both held by one load-generator process so both ends read the same clock. A sends \`{"type":"message","id":…,"to":{"alias":…},"data":…}\` (64 B of data) ${n(s.scaleMessages || 2000)} times, one at a time (the next once B has the message and A the server's reply); the figure is the time from A's write to B's receipt. In the multi-node deployments it is measured with A and B on the same node and on different nodes, where the message goes to B's node through the adapter and A's reply waits for that node's confirmation. "vs one process" and "vs same node" are differences of the medians.`);
    md.push('');
    mdCellTable(md, SCALE_LATENCY_HEADERS, scaleLatencyCells(results), [1, 2, 3, 4, 5]);
  }
  md.push('Spread over rounds (min – max):');
  md.push('');
  md.push('| Case | Deployment | Rate | CPU µs/msg (or latency p50 / p99, ms) |');
  md.push('| --- | --- | ---: | ---: |');
  for (const r of fan) md.push(`| ${mdEsc(r.case)} | ${mdEsc(r.label)} | ${range(r.rate, fmtNum)} msgs/s | ${range(r.cost, fmtNum)} |`);
  for (const r of lat) md.push(`| ${mdEsc(r.case)} | ${mdEsc(r.label)} | – | ${range(r.cost, (x) => x.toFixed(3))} / ${range(r.cost2, (x) => x.toFixed(3))} |`);
  md.push('');
  md.push(`On this machine every process shares the same ${results.meta.machine.cores} cores: the server nodes, the cluster primary, redis-server and the load generators. Spreading the connections over two processes therefore adds no capacity here, and the delivered rate says little; what the deployments cost is in the CPU per message, which includes the bus (serializing to the primary or to Redis, relaying, parsing on the other node). The one-process row is the same code path as the router fan-out above (the in-process adapter costs nothing); \`node bench/run.mjs --only scale\` runs this scenario alone.`);
  md.push('');
}
