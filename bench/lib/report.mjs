// Rendering of a results object: the console table, docs/benchmarks.md and
// the SVG chart (hand-written SVG, no dependency).

const SCENARIO_ORDER = ['parser', 'encoder', 'echo', 'fan-out', 'connections'];

export function fmtNum(x) {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)} G`;
  if (a >= 1e7) return `${(x / 1e6).toFixed(1)} M`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(0)} k`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function fmtMetric(m) {
  if (!m) return '';
  if (m.unit === 'MB/s' && m.median >= 1000) return `${(m.median / 1000).toFixed(2)} GB/s`;
  if (m.unit === 'MB/s') return `${m.median.toFixed(0)} MB/s`;
  return `${fmtNum(m.median).replace(/ $/, '')} ${m.unit}`;
}

function fmtRatio(r) {
  if (!Number.isFinite(r)) return 'n/a';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

function sortRows(rows) {
  return [...rows].sort((a, b) => SCENARIO_ORDER.indexOf(a.scenario) - SCENARIO_ORDER.indexOf(b.scenario));
}

function baselineOf(rows, row) {
  return rows.find((r) => r.baseline && r.scenario === row.scenario && r.case === row.case);
}

/** Ratio of a row's metric to the baseline's (same direction as the metric). */
export function ratio(rows, row, key) {
  const base = baselineOf(rows, row);
  if (!base || !row[key] || !base[key]) return NaN;
  return row[key].median / base[key].median;
}

export const HEADERS = ['Scenario', 'Case', 'Target', 'Rate (median)', 'Rate ×ws ↑', 'Cost (median)', 'Cost ×ws ↓', 'Notes'];

export function tableCells(results, filter = () => true) {
  const rows = sortRows(results.rows.filter(filter));
  return rows.map((row) => {
    const rate = fmtMetric(row.rate) + (row.rate2 ? ` (${fmtMetric(row.rate2)})` : '');
    const cost = row.cost ? fmtMetric(row.cost) + (row.cost2 ? `, ${fmtMetric(row.cost2)}` : '') : '–';
    let costRatio = row.cost ? fmtRatio(ratio(rows, row, 'cost')) : '–';
    if (row.cost2 && row.cost2.ratio) costRatio += ` / ${fmtRatio(ratio(rows, row, 'cost2'))}`;
    const notes = [row.notes, row.ok === false && !/INCOMPLETE/.test(row.notes || '') ? 'CHECK FAILED' : ''].filter(Boolean).join('; ');
    return [row.scenario, row.case, row.label, rate, fmtRatio(ratio(rows, row, 'rate')), cost, costRatio, notes];
  });
}

export function renderConsole(results) {
  const cells = tableCells(results);
  const all = [HEADERS, ...cells];
  const widths = HEADERS.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  const line = (r) => r.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join('  ').trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  ')];
  let prev = null;
  for (const r of cells) {
    if (prev !== null && r[0] !== prev) out.push('');
    out.push(line(r));
    prev = r[0];
  }
  const m = results.meta;
  out.push('');
  out.push(`${m.machine.cpuModel} × ${m.machine.cores}, Node ${m.machine.node}, ws ${m.machine.wsVersion}; medians of ${m.settings.microRounds} (in-process) / ${m.settings.rounds} (network) interleaved rounds.`);
  out.push('Rate ×ws: target ÷ ws, higher is better. Cost ×ws: target ÷ ws, lower is better.');
  if (m.errors && m.errors.length) out.push(`${m.errors.length} measurement(s) FAILED: ${m.errors.map((x) => x.what).join('; ')}`);
  if (m.skipped && m.skipped.length) out.push(`Skipped: ${m.skipped.map((x) => `${x.target} (${x.reason})`).join('; ')}`);
  return out.join('\n');
}

const METRIC_NAMES = {
  'ms p99': 'p99 latency',
  'CPU µs/msg': 'server CPU per msg',
  'KiB RSS/conn': 'RSS per conn',
  'KiB heap/conn': 'heap per conn',
};
const metricName = (m) => METRIC_NAMES[m.unit] || m.unit;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const mdEsc = (s) => String(s).replace(/\|/g, '\\|');

/** Bars of "times better than ws" on a log scale: right of 1× is better. */
export function renderSvg(results) {
  const rows = sortRows(results.rows);
  const items = [];
  let lastScenario = null;
  for (const row of rows) {
    if (row.baseline || !baselineOf(rows, row)) continue;
    if (row.scenario !== lastScenario) {
      items.push({ heading: row.scenario });
      lastScenario = row.scenario;
    }
    items.push({ label: `${row.case} · ${row.label} · ${metricName(row.rate)}`, score: ratio(rows, row, 'rate') });
    if (row.cost) items.push({ label: `${row.case} · ${row.label} · ${metricName(row.cost)}`, score: 1 / ratio(rows, row, 'cost') });
    if (row.cost2 && row.cost2.ratio) items.push({ label: `${row.case} · ${row.label} · ${metricName(row.cost2)}`, score: 1 / ratio(rows, row, 'cost2') });
  }
  const W = 1000;
  const labelW = 440;
  const plotX = labelW + 20;
  const plotW = W - plotX - 60;
  const mid = plotX + plotW / 2;
  // log2 half-width of the axis: at least 1/8× .. 8×, wider if a bar needs it
  const maxLog = Math.max(...items.filter((i) => Number.isFinite(i.score)).map((i) => Math.abs(Math.log2(i.score))), 0);
  const LIM = Math.min(6, Math.max(3, Math.ceil(maxLog)));
  const x = (score) => mid + (Math.max(-LIM, Math.min(LIM, Math.log2(score))) / LIM) * (plotW / 2);
  const rowH = 20;
  const top = 58;
  let y = top;
  const body = [];
  for (const it of items) {
    if (it.heading) {
      y += 6;
      body.push(`<text x="10" y="${y + 13}" class="h">${esc(it.heading)}</text>`);
      y += rowH;
      continue;
    }
    const ok = Number.isFinite(it.score);
    const xs = ok ? x(it.score) : mid;
    const x0 = Math.min(mid, xs);
    const w = Math.max(1, Math.abs(xs - mid));
    const cls = !ok ? 'na' : it.score >= 1 ? 'good' : 'bad';
    body.push(`<text x="${labelW}" y="${y + 14}" class="l" text-anchor="end">${esc(it.label)}</text>`);
    if (ok) body.push(`<rect x="${x0.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" class="${cls}"/>`);
    const tx = ok && it.score >= 1 ? xs + 4 : ok ? xs - 4 : mid + 4;
    body.push(`<text x="${tx.toFixed(1)}" y="${y + 14}" class="v" text-anchor="${ok && it.score < 1 ? 'end' : 'start'}">${ok ? fmtRatio(it.score) : 'n/a'}</text>`);
    y += rowH;
  }
  const H = y + 30;
  const ticks = [];
  for (let e = -LIM; e <= LIM; e++) {
    const tx = mid + (e / LIM) * (plotW / 2);
    const lab = e >= 0 ? `${2 ** e}×` : `1/${2 ** -e}×`;
    ticks.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${y}" class="${e === 0 ? 'one' : 'grid'}"/>`);
    ticks.push(`<text x="${tx}" y="${top - 10}" class="t" text-anchor="middle">${lab}</text>`);
  }
  const m = results.meta;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<style>
.h{font-size:13px;font-weight:bold;fill:#222}.l{font-size:11px;fill:#333}.v{font-size:11px;fill:#111}.t{font-size:10px;fill:#666}
.good{fill:#3b9a57}.bad{fill:#c94c3c}.grid{stroke:#ddd;stroke-width:1}.one{stroke:#333;stroke-width:1.5}
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" class="h">Relative to ws (median of interleaved rounds; log scale; right of 1× = better)</text>
<text x="10" y="36" class="t">Rates: target ÷ ws. Costs (CPU, latency, memory): ws ÷ target. ${esc(m.machine.cpuModel)} × ${m.machine.cores}, Node ${esc(m.machine.node)}, ${esc(m.date.slice(0, 10))}</text>
${ticks.join('\n')}
${body.join('\n')}
</svg>
`;
}

export function renderMarkdown(results, svgName, bigRun = null) {
  const m = results.meta;
  const s = m.settings;
  const mc = m.machine;
  const rows = sortRows(results.rows);
  const cells = tableCells(results);
  const fanRow = rows.find((r) => r.scenario === 'fan-out' && r.extra);
  const perConn = fanRow ? fanRow.extra.perConn : 0;
  const md = [];
  md.push('# Benchmarks');
  md.push('');
  md.push(`<!-- Generated by bench/run.mjs; edit bench/lib/report.mjs, not this file. -->`);
  md.push('');
  md.push(`Generated by \`${m.command}\` on ${m.date.slice(0, 16).replace('T', ' ')} UTC (${m.durationSec} s). Rerun \`npm run bench\` to regenerate this page, the chart and \`bench/results/latest.json\`.`);
  md.push('');
  md.push('## Machine');
  md.push('');
  md.push(`- CPU: ${mc.cpuModel}, ${mc.cores} cores; ${mc.memoryGiB} GiB RAM; ${mc.platform}`);
  md.push(`- Node ${mc.node}; ws-node-server ${mc.oursVersion}; ws ${mc.wsVersion} (without its optional native add-ons \`bufferutil\` / \`utf-8-validate\`)`);
  md.push(`- File-descriptor limit: ${mc.fdLimits.soft} soft / ${mc.fdLimits.hard} hard (processes that need more are started under \`ulimit -n\`)`);
  md.push('');
  md.push('## Results');
  md.push('');
  md.push(`Medians of ${s.microRounds} rounds (in-process) and ${s.rounds} rounds (network). In every round each target runs once, in a rotated order, so drift on a shared machine hits all targets alike. **Rate ×ws** is target ÷ ws (higher is better); **Cost ×ws** is target ÷ ws (lower is better).`);
  md.push('');
  md.push(`| ${HEADERS.join(' | ')} |`);
  md.push(`| ${HEADERS.map((_, i) => (i >= 3 && i <= 6 ? '---:' : '---')).join(' | ')} |`);
  for (const r of cells) md.push(`| ${r.map(mdEsc).join(' | ')} |`);
  md.push('');
  md.push(`![Relative to ws](${svgName})`);
  md.push('');
  if (bigRun) {
    const bm = bigRun.meta;
    md.push(`### ${bm.settings.conns.toLocaleString('en-US')} connections`);
    md.push('');
    md.push(`From \`${bm.command}\` on ${bm.date.slice(0, 16).replace('T', ' ')} UTC (\`bench/results/${bigRun.file}\`, medians of ${bm.settings.rounds} rounds); rerun it to refresh this table.`);
    md.push('');
    md.push(`| ${HEADERS.join(' | ')} |`);
    md.push(`| ${HEADERS.map((_, i) => (i >= 3 && i <= 6 ? '---:' : '---')).join(' | ')} |`);
    for (const r of tableCells(bigRun, (row) => row.scenario === 'fan-out' || row.scenario === 'connections')) md.push(`| ${r.map(mdEsc).join(' | ')} |`);
    md.push('');
  }
  md.push('### Spread over rounds');
  md.push('');
  md.push('| Scenario | Case | Target | Rate min – max | Cost min – max |');
  md.push('| --- | --- | --- | ---: | ---: |');
  for (const row of rows) {
    const span = (x) => (x ? `${fmtNum(x.min)} – ${fmtNum(x.max)} ${x.unit}` : '–');
    md.push(`| ${mdEsc(row.scenario)} | ${mdEsc(row.case)} | ${mdEsc(row.label)} | ${span(row.rate)} | ${span(row.cost)} |`);
  }
  md.push('');
  if (m.errors && m.errors.length) {
    md.push(`**${m.errors.length} measurement(s) failed in this run** and are missing from the medians: ` + m.errors.map((x) => `${x.what} (${x.error})`).join('; ') + '.');
    md.push('');
  }
  if (m.skipped && m.skipped.length) {
    md.push('Skipped in this run: ' + m.skipped.map((x) => `${x.target} (${x.kind}: ${x.reason})`).join('; ') + '.');
    md.push('');
  }
  md.push('## What is measured');
  md.push('');
  md.push(`- **parser**: in-process throughput of the server-side frame parser on a pre-built stream of masked client frames (8 MiB per pass, cut into 64 KiB chunks like socket reads), payload MB/s and frames/s. Ours is \`FrameParser\` fed through \`push()\`; ws is \`ws/lib/receiver.js\` fed through \`write()\`, the way ws's socket handler feeds it. Both unmask in place, so every pass gets a fresh copy of the stream, made off the clock. The text case is valid UTF-8 mixing 1- to 4-byte sequences, validated by each parser. Every pass checks the number and size of the messages delivered. Each measurement runs in a fresh process (${s.microWarmupMs} ms warm-up, ≥ ${s.microMeasureMs} ms measured); rates are per second of the process's CPU time (\`process.cpuUsage\`), so time spent descheduled on a busy machine is not charged to either target.`);
  md.push(`- **encoder**: masked client frames per second (fresh mask key per frame, the caller's payload left untouched): ours \`encodeFrame(2, payload, { mask: true })\`, ws \`Sender.frame(payload, { mask: true, readOnly: true, ... })\`.`);
  md.push(`- **echo**: ${s.echoClients} clients, each with one ${s.echoSize}-byte text message in flight, echoed back by the server (\`ws.on('message', (d, b) => ws.send(d, { binary: b }))\`, identical code for ours and ws); round trips per second, latency percentiles over every round trip of the ${s.echoSeconds} s window (after warm-up), server CPU per round trip.`);
  md.push(`- **fan-out**: ${s.conns.toLocaleString('en-US')} connections; the server sends bursts of ${s.burst} ${s.binary ? 'Buffer (binary)' : 'string (text)'} messages to every connection, each burst in one event-loop turn, the next burst on \`setImmediate\`${perConn ? `, ${perConn} messages per connection (${(perConn * s.conns).toLocaleString('en-US')} deliveries) per measurement` : ''}. Messages are built before the clock starts. **msgs/s** is deliveries ÷ wall time until the clients have received the last one; **CPU µs/msg** is the server process's \`process.cpuUsage()\` (user + system) over the same span ÷ deliveries. "all delivered" means every connection received every message, at the expected size. Targets: ours \`for (const c of wss.clients) c.send(msg)\`; ours \`prepareFrame(msg)\` once, then \`c.sendPrepared(frame)\` per client; ws's idiomatic \`for (const c of wss.clients) c.send(msg)\`; and the **raw floor**, a bare \`node:net\` server with a minimal handshake that frames each message once and \`socket.write\`s it to every socket (no corking).`);
  md.push(`- **connections**: upgrades per second while ${s.conns.toLocaleString('en-US')} connections open (${s.workers} load-generator processes, 64 handshakes in flight in total) and memory per idle connection: the server's RSS and V8 heap after a full GC, before and after, ÷ connections. Measured on the same server processes as fan-out, before any message is sent.`);
  md.push('');
  md.push(`Every network target runs in its own server child process on 127.0.0.1. The load generator is one program (\`bench/lib/loadgen.mjs\`), ${s.workers} processes holding the connections, identical for every target: a fixed handshake request, pre-masked request frames, and a frame counter that reads headers and skips payloads without copying, so the server stays the bottleneck. Every load loop is bounded in count and time, and every child process is killed when the run ends.`);
  md.push('');
  md.push('## Flags');
  md.push('');
  md.push('`npm run bench -- --big` runs fan-out and connections with 10,000 connections; `--rounds N`, `--micro-rounds N`, `--only parser,echo`, `--payloads 64,1024,16384`, `--binary`, `--conns N`, `--quick`; `node bench/run.mjs --help` lists them all. `node bench/run.mjs --render` rebuilds this page from `bench/results/latest.json`.');
  md.push('');
  md.push('## Adding a target');
  md.push('');
  md.push(`Network targets are listed in \`bench/targets.mjs\`. A server is a file in \`bench/servers/\` exporting \`start({ host, port })\` that resolves to \`{ port, count(), modes: { name(msg) }, close() }\` (plus an optional \`payloadLength(mode, size)\` when it wraps messages in an envelope); each fan-out target names a server and one of its broadcast modes, e.g. \`{ id: 'ours-router', label: 'ours: router broadcast', server: 'ours-router', mode: 'broadcast' }\`. In-process targets are adapters in \`bench/micro/\` exporting \`createParser()\` and \`createMaskedEncoder()\`.`);
  md.push('');
  return md.join('\n');
}
