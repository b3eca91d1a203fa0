// Rendering of a results object: the console table, docs/benchmarks.md and
// the SVG chart (hand-written SVG, no dependency). The scale-out scenario,
// whose reference is one process rather than ws, has its own tables
// (./report-scale.mjs) and stays out of the ws tables and the chart.
import { mdEsc } from './report-md.mjs';
import { isScaleRow as isScaleOnly, renderScaleConsole, mdScale } from './report-scale.mjs';
import { isDeflateRow, renderDeflateConsole, mdDeflate, deflateChecks } from './report-deflate.mjs';

/** Rows with a section of their own, kept out of the ws tables and the chart. */
const isScaleRow = (row) => isScaleOnly(row) || isDeflateRow(row);

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
  const rows = sortRows(results.rows.filter((r) => !isScaleRow(r) && filter(r)));
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
  const out = [];
  if (cells.length) {
    out.push(line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '));
    let prev = null;
    for (const r of cells) {
      if (prev !== null && r[0] !== prev) out.push('');
      out.push(line(r));
      prev = r[0];
    }
    out.push('');
  }
  const scale = renderScaleConsole(results);
  if (scale) out.push(scale, '');
  const deflate = renderDeflateConsole(results);
  if (deflate) out.push(deflate, '');
  const m = results.meta;
  const micro = results.rows.some((r) => r.scenario === 'parser' || r.scenario === 'encoder');
  const net = results.rows.some((r) => r.scenario !== 'parser' && r.scenario !== 'encoder');
  const rounds = [micro ? `${m.settings.microRounds} (in-process)` : '', net ? `${m.settings.rounds} (network)` : ''].filter(Boolean).join(' / ');
  out.push(`${m.machine.cpuModel} × ${m.machine.cores}, Node ${m.machine.node}, ws ${m.machine.wsVersion}; medians of ${rounds} interleaved rounds.`);
  if (cells.length) out.push('Rate ×ws: target ÷ ws, higher is better. Cost ×ws: target ÷ ws, lower is better.');
  if (m.errors && m.errors.length) out.push(`${m.errors.length} measurement(s) FAILED: ${m.errors.map((x) => x.what).join('; ')}`);
  if (m.skipped && m.skipped.length) out.push(`Skipped: ${m.skipped.map((x) => `${x.target} (${x.reason})`).join('; ')}`);
  const targets = renderTargetsConsole(results);
  if (targets) out.push('', targets);
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

/** Bars of "times better than ws" on a log scale: right of 1× is better. */
export function renderSvg(results, big = null) {
  const items = [];
  const addRun = (run, suffix, scenarios) => {
    if (!run) return;
    const rows = sortRows(run.rows.filter((r) => !isScaleRow(r) && (!scenarios || scenarios.includes(r.scenario))));
    let lastScenario = null;
    for (const row of rows) {
      if (row.baseline || row.info || !baselineOf(rows, row)) continue;
      if (row.scenario !== lastScenario) {
        items.push({ heading: `${row.scenario}${suffix}` });
        lastScenario = row.scenario;
      }
      // Fan-out: the headline figure is server CPU per delivered message
      // (throughput is in the table; for fast servers it is the clients').
      if (row.scenario !== 'fan-out') items.push({ label: `${row.case} · ${row.label} · ${metricName(row.rate)}`, score: ratio(rows, row, 'rate') });
      if (row.cost) items.push({ label: `${row.case} · ${row.label} · ${metricName(row.cost)}`, score: 1 / ratio(rows, row, 'cost') });
      if (row.cost2 && row.cost2.ratio) items.push({ label: `${row.case} · ${row.label} · ${metricName(row.cost2)}`, score: 1 / ratio(rows, row, 'cost2') });
    }
  };
  addRun(results, '', null);
  if (big) addRun(big, ` (${big.meta.settings.conns.toLocaleString('en-US')} connections, --big)`, ['fan-out', 'connections']);
  const W = 1060;
  const labelW = 500;
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
<text x="10" y="36" class="t">Rates: target ÷ ws. Costs (CPU, latency, memory): ws ÷ target. Fan-out: server CPU per delivered message. ${esc(m.machine.cpuModel)} × ${m.machine.cores}, Node ${esc(m.machine.node)}, ${esc(m.date.slice(0, 10))}</text>
${ticks.join('\n')}
${body.join('\n')}
</svg>
`;
}

// ------------------------------------------------------------- targets ----

const pct = (r) => `${Math.abs((r - 1) * 100).toFixed(0)}%`;

/** True when two rows' per-round ranges of a metric overlap (the difference is within the noise). */
function overlaps(a, b, key) {
  return a[key] && b[key] && a[key].min <= b[key].max && b[key].min <= a[key].max;
}

/**
 * The performance targets, checked against a run: one line per target and
 * case with the measured ratio and a verdict. `atMost`/`atLeast` is the
 * bound on the ratio (target ÷ reference).
 */
export function targetChecks(results) {
  if (!results) return [];
  const rows = results.rows;
  const out = [];
  const find = (scenario, kase, id) => rows.find((r) => r.scenario === scenario && r.case === kase && r.target === id);
  const check = (what, kase, row, ref, key, bound, dir, refLabel) => {
    if (!row || !ref || !row[key] || !ref[key]) return;
    const r = row[key].median / ref[key].median;
    const met = dir === 'atMost' ? r <= bound : r >= bound;
    let verdict = met ? 'met' : 'missed';
    if (!met) {
      const by = dir === 'atMost' ? r / bound : bound / r;
      verdict += ` by ${pct(by)}`;
      if (bound === 1 && overlaps(row, ref, key)) verdict += ' (within the spread of rounds)';
    }
    out.push({
      what,
      case: kase,
      ratio: r,
      measured: `${fmtMetric(row[key])} vs ${refLabel} ${fmtMetric(ref[key])} (${fmtRatio(r)})`,
      bound: `${dir === 'atMost' ? '≤' : '≥'} ${fmtRatio(bound)}`,
      met,
      verdict,
    });
  };
  const cases = (scenario) => [...new Set(rows.filter((r) => r.scenario === scenario).map((r) => r.case))];
  for (const kase of cases('fan-out')) {
    const group = rows.some((r) => r.case === kase && r.extra && r.extra.group);
    const sfx = group ? '-group' : '';
    const router = find('fan-out', kase, `ours-router${sfx}`);
    const ws = find('fan-out', kase, `ws${sfx}`);
    const raw = find('fan-out', kase, `raw${sfx}`);
    const loop = find('fan-out', kase, `ours-loop${sfx}`);
    check('router broadcast: server CPU/msg ≤ ½ ws', kase, router, ws, 'cost', 0.5, 'atMost', 'ws');
    check('router broadcast: server CPU/msg ≤ raw floor', kase, router, raw, 'cost', 1, 'atMost', 'raw');
    check('clients loop: server CPU/msg ≤ ws', kase, loop, ws, 'cost', 1, 'atMost', 'ws');
    check('clients loop: msgs/s ≥ ws', kase, loop, ws, 'rate', 1, 'atLeast', 'ws');
  }
  for (const kase of cases('parser')) check('parser throughput ≥ ws', kase, find('parser', kase, 'ours'), find('parser', kase, 'ws'), 'rate', 1, 'atLeast', 'ws');
  for (const kase of cases('echo')) {
    check('echo throughput ≥ ws', kase, find('echo', kase, 'ours'), find('echo', kase, 'ws'), 'rate', 1, 'atLeast', 'ws');
    check('echo p99 latency ≤ ws', kase, find('echo', kase, 'ours'), find('echo', kase, 'ws'), 'cost', 1, 'atMost', 'ws');
  }
  for (const kase of cases('connections')) {
    check('RSS per idle connection ≤ ws', kase, find('connections', kase, 'ours'), find('connections', kase, 'ws'), 'cost', 1, 'atMost', 'ws');
    check('heap per idle connection ≤ ws', kase, find('connections', kase, 'ours'), find('connections', kase, 'ws'), 'cost2', 1, 'atMost', 'ws');
    const ours = find('connections', kase, 'ours');
    const ws = find('connections', kase, 'ws');
    check('upgrades/s ≥ ws', kase, ours, ws, 'rate', 1, 'atLeast', 'ws');
    const last = out[out.length - 1];
    if (ours && ws && last && last.what === 'upgrades/s ≥ ws' && ours.extra && ws.extra) {
      // upgrades/s is set by how fast the server turns handshakes around; its CPU per upgrade says how much work each took
      last.measured += `; server CPU ${fmtNum(ours.extra.cpuPerUpgrade.median)} vs ${fmtNum(ws.extra.cpuPerUpgrade.median)} µs/upgrade`;
    }
  }
  deflateChecks(results, check);
  return out;
}

/** The checks of one run grouped by target: one line each, every case's ratio, one verdict. */
export function groupedChecks(results) {
  const groups = new Map();
  for (const c of targetChecks(results)) {
    if (!groups.has(c.what)) groups.set(c.what, []);
    groups.get(c.what).push(c);
  }
  return [...groups].map(([what, cs]) => {
    const missed = cs.filter((c) => !c.met);
    return {
      what,
      bound: cs[0].bound,
      cases: cs.map((c) => ({ case: c.case, ratio: fmtRatio(c.ratio), measured: c.measured, met: c.met })),
      met: missed.length === 0,
      verdict: missed.length === 0 ? (cs.length > 1 ? `met in all ${cs.length} cases` : 'met') : missed.map((c) => (cs.length > 1 ? `${c.case}: ${c.verdict}` : c.verdict)).join('; '),
    };
  });
}

export function renderTargetsConsole(results) {
  const groups = groupedChecks(results);
  if (!groups.length) return '';
  const out = ['Targets (ratio to the reference per case):'];
  for (const g of groups) {
    out.push(`  ${g.met ? 'met   ' : 'MISSED'}  ${g.what} (${g.bound}): ${g.cases.map((c) => `${c.case} ${c.ratio}`).join(' · ')}${g.met ? '' : ` — ${g.verdict}`}`);
  }
  return out.join('\n');
}

function mdTable(md, results, filter) {
  md.push(`| ${HEADERS.join(' | ')} |`);
  md.push(`| ${HEADERS.map((_, i) => (i >= 3 && i <= 6 ? '---:' : '---')).join(' | ')} |`);
  for (const r of tableCells(results, filter)) md.push(`| ${r.map(mdEsc).join(' | ')} |`);
  md.push('');
}

function mdSpread(md, results, filter = () => true) {
  md.push('| Scenario | Case | Target | Rate min – max | Cost min – max |');
  md.push('| --- | --- | --- | ---: | ---: |');
  for (const row of sortRows(results.rows.filter((r) => !isScaleRow(r) && filter(r)))) {
    const span = (x) => (x ? `${fmtNum(x.min)} – ${fmtNum(x.max)} ${x.unit}` : '–');
    md.push(`| ${mdEsc(row.scenario)} | ${mdEsc(row.case)} | ${mdEsc(row.label)} | ${span(row.rate)} | ${span(row.cost)} |`);
  }
  md.push('');
}

function mdProblems(md, run) {
  const m = run.meta;
  if (m.errors && m.errors.length) {
    md.push(`**${m.errors.length} measurement(s) failed in this run** and are missing from the medians: ` + m.errors.map((x) => `${x.what} (${x.error})`).join('; ') + '.');
    md.push('');
  }
  if (m.skipped && m.skipped.length) {
    md.push('Skipped in this run: ' + m.skipped.map((x) => `${x.target} (${x.kind}: ${x.reason})`).join('; ') + '.');
    md.push('');
  }
}

const hasSplit = (run) => run.rows.some((r) => r.scenario === 'fan-out' && r.extra && r.extra.userPerMsg);

function mdSplit(md, run, suffix) {
  md.push(`| Case${suffix} | Target | user µs/msg | system µs/msg | system share |`);
  md.push('| --- | --- | ---: | ---: | ---: |');
  for (const r of run.rows) {
    if (r.scenario !== 'fan-out' || !r.extra || !r.extra.userPerMsg) continue;
    const u = r.extra.userPerMsg.median;
    const k = r.extra.systemPerMsg.median;
    md.push(`| ${mdEsc(r.case)} | ${mdEsc(r.label)} | ${fmtNum(u)} | ${fmtNum(k)} | ${((k / (u + k)) * 100).toFixed(0)}% |`);
  }
  md.push('');
}

const when = (m) => `${m.date.slice(0, 16).replace('T', ' ')} UTC`;
const bigFilter = (row) => row.scenario === 'fan-out' || row.scenario === 'connections';

function fanoutDetails(run) {
  if (!run) return '';
  const rows = run.rows.filter((r) => r.scenario === 'fan-out' && r.extra && r.extra.recipients);
  const all = rows.find((r) => !r.extra.group);
  const grp = rows.find((r) => r.extra.group);
  const n = (x) => x.toLocaleString('en-US');
  const part = (r, what) => (r ? `${what}: ${n(r.extra.perConn)} messages to each of ${n(r.extra.recipients)} recipients (${n(r.extra.perConn * r.extra.recipients)} deliveries)` : '');
  return [part(all, 'to all'), part(grp, 'to the group')].filter(Boolean).join('; ');
}

export function renderMarkdown(results, svgName, big = null) {
  const m = results.meta;
  const s = m.settings;
  const mc = m.machine;
  const bursts = s.bursts || [s.burst];
  const md = [];
  md.push('# Benchmarks');
  md.push('');
  md.push(`<!-- Generated by bench/run.mjs; edit bench/lib/report.mjs, not this file. -->`);
  md.push('');
  md.push(`The main table and the chart come from \`${m.command}\` (${when(m)}, ${m.durationSec} s, \`bench/results/latest.json\`)${big ? `; the ${big.meta.settings.conns.toLocaleString('en-US')}-connection table from \`${big.meta.command}\` (${when(big.meta)}, ${big.meta.durationSec} s, \`bench/results/latest-big.json\`)` : ''}. Each command rewrites its JSON file and then this page and the chart from both files.`);
  md.push('');
  md.push('## Machine');
  md.push('');
  md.push(`- CPU: ${mc.cpuModel}, ${mc.cores} cores; ${mc.memoryGiB} GiB RAM; ${mc.platform}. A shared machine: other processes ran during the measurements, which is why everything below is a median of interleaved rounds and a ratio.`);
  md.push(`- Node ${mc.node}; ws-node-server ${mc.oursVersion}; ws ${mc.wsVersion} (without its optional native add-ons \`bufferutil\` / \`utf-8-validate\`)`);
  md.push(`- File-descriptor limit: ${mc.fdLimits.soft} soft / ${mc.fdLimits.hard} hard (processes that need more are started under \`ulimit -n\`)`);
  md.push('');

  md.push('## Targets');
  md.push('');
  md.push('Each performance target, checked against the medians below: the ratio of ours to the reference (ws, or the raw floor) in every case, and the bound it must meet. "Within the spread of rounds" marks a miss smaller than the round-to-round variation (the min–max ranges of the two overlap).');
  md.push('');
  md.push('| Target | Bound | Measured (ratio per case) | Verdict |');
  md.push('| --- | ---: | --- | --- |');
  for (const [run, tag] of [[results, ''], [big, ' (--big)']]) {
    if (!run) continue;
    for (const g of groupedChecks(run)) {
      const cases = g.cases.map((c) => (g.cases.length > 2 ? `${c.case}: ${c.ratio}` : `${c.case}: ${c.measured}`)).join('<br>');
      md.push(`| ${mdEsc(g.what + tag)} | ${g.bound} | ${mdEsc(cases)} | ${g.met ? g.verdict : `**${mdEsc(g.verdict)}**`} |`);
    }
  }
  md.push('');
  md.push('## Results');
  md.push('');
  md.push(`Medians of ${s.microRounds} rounds (in-process) and ${s.rounds} rounds (network). In every round each target runs once, in a rotated order, so drift on a shared machine hits all targets alike. **Rate ×ws** is target ÷ ws (higher is better); **Cost ×ws** is target ÷ ws (lower is better). In the group cases the reference is ws's loop over its member Set.`);
  md.push('');
  mdTable(md, results);
  md.push(`![Relative to ws](${svgName})`);
  md.push('');
  mdProblems(md, results);
  if (big) {
    const bm = big.meta;
    md.push(`### ${bm.settings.conns.toLocaleString('en-US')} connections`);
    md.push('');
    md.push(`From \`${bm.command}\` (medians of ${bm.settings.rounds} rounds; ${fanoutDetails(big)}).`);
    md.push('');
    mdTable(md, big, bigFilter);
    mdProblems(md, big);
  }
  md.push('### Spread over rounds');
  md.push('');
  mdSpread(md, results);
  if (big) {
    md.push(`${big.meta.settings.conns.toLocaleString('en-US')} connections:`);
    md.push('');
    mdSpread(md, big, bigFilter);
  }

  if (hasSplit(results)) {
    md.push('### Where fan-out CPU goes');
    md.push('');
    md.push(`Server CPU per delivered message split into user time (JavaScript, Node's stream machinery) and system time (the kernel: mostly the \`write\`/\`writev\` syscalls and, on loopback, the TCP work they trigger). ws and the raw floor make one syscall per message per recipient; ws-node-server corks every socket it writes to during an event-loop iteration and uncorks them all in one \`setImmediate\` at its end, so a burst of ${bursts.join('/')} messages leaves in one \`writev\` per recipient. With bursts of 1 that advantage is gone: every target pays about one syscall per delivery, and ours (router included) costs about what ws and the raw floor cost, somewhat more than the raw floor for the router — \`npm run bench -- --only fanout --burst 1,10\` shows both side by side. The targets' "no more than the raw floor" is about bursts.`);
    md.push('');
    mdSplit(md, results, '');
    if (big && hasSplit(big)) mdSplit(md, big, ` (${big.meta.settings.conns.toLocaleString('en-US')} connections)`);
  }
  mdScale(md, results);
  mdDeflate(md, results);
  md.push('## What is measured');
  md.push('');
  md.push(`- **parser**: in-process throughput of the server-side frame parser on a pre-built stream of masked client frames (8 MiB per pass, cut into 64 KiB chunks like socket reads), payload MB/s and frames/s. Ours is \`FrameParser\` fed through \`push()\`; ws is \`ws/lib/receiver.js\` fed through \`write()\`, the way ws's socket handler feeds it. Both unmask in place, so every pass gets a fresh copy of the stream, made off the clock. The text case is valid UTF-8 mixing 1- to 4-byte sequences, validated by each parser. Every pass checks the number and size of the messages delivered. Each measurement runs in a fresh process (${s.microWarmupMs} ms warm-up, ≥ ${s.microMeasureMs} ms measured); rates are per second of the process's CPU time (\`process.cpuUsage\`), so time spent descheduled on a busy machine is not charged to either target.`);
  md.push(`- **encoder**: masked client frames per second (fresh mask key per frame, the caller's payload left untouched): ours \`encodeFrame(2, payload, { mask: true })\`, ws \`Sender.frame(payload, { mask: true, readOnly: true, ... })\`.`);
  md.push(`- **echo**: ${s.echoClients} clients, each with one ${s.echoSize}-byte text message in flight, echoed back by the server (\`ws.on('message', (d, b) => ws.send(d, { binary: b }))\`, identical code for ours and ws); round trips per second, latency percentiles over every round trip of the ${s.echoSeconds} s window (after warm-up), server CPU per round trip.`);
  md.push(`- **fan-out**: ${s.conns.toLocaleString('en-US')} connections (${big ? `${big.meta.settings.conns.toLocaleString('en-US')} with \`--big\`` : '10,000 with `--big`'}). The server sends ${s.binary ? 'Buffer (binary)' : 'string (text)'} messages in **bursts of ${bursts.join(' or ')}**: each burst is sent synchronously in one event-loop turn, the next burst on \`setImmediate\`. Every target gets the same bursts of the same messages (distinct content per message, built before the clock starts). Per measurement: ${fanoutDetails(results)}. **msgs/s** is deliveries ÷ wall time until the clients have received the last one (for the fastest servers this is bounded by the load generator, which shares the 2 cores); **CPU µs/msg** is the server process's \`process.cpuUsage()\` (user + system) over the same span ÷ deliveries — the figure the targets are about. "all delivered" means every recipient received every message at the expected size and no other connection received any.`);
  md.push(`- **connections**: upgrades per second while ${s.conns.toLocaleString('en-US')} connections open (${s.workers} load-generator processes, 64 handshakes in flight in total) and memory per idle connection: the server's RSS and V8 heap after a full GC, before and after, ÷ connections. Measured on the same server processes as fan-out, before any message is sent. The router row is for information: its clients also authenticate before they count (one more round trip) and each connection holds a session, so it is not compared with ws.`);
  md.push('');
  md.push('### Fan-out targets and how each one selects its recipients');
  md.push('');
  md.push(`| Target | To all | To the group (${Math.round(100 / (s.groupEvery || 10))}% of the connections) |`);
  md.push('| --- | --- | --- |');
  md.push("| ours: router | `server.broadcast('bench', msg)` on a `WebSocketNodeServer`: one JSON envelope, framed once, written to every session | `server.broadcast('bench', msg, { group: 'g' })`: the router's group index (group → member set), assigned at authentication from the credentials |");
  md.push('| ours: clients loop | `for (const c of wss.clients) c.send(msg)` (the low-level, ws-compatible `WebSocketServer`; same code as the ws target) | `for (const c of group) c.send(msg)` over an app-maintained `Set` |');
  md.push('| ours: prepareFrame | `const f = prepareFrame(msg, false); for (const c of wss.clients) c.sendPrepared(f)` | – |');
  md.push("| ws | `for (const c of wss.clients) c.send(msg)`, the broadcast of ws's README | ws has no groups. What a ws application writes instead: a `Set` of the members, filled on `'connection'` and emptied on `'close'`, and `for (const c of group) c.send(msg)`. (Filtering `wss.clients` on each broadcast would also walk the other 90%; the Set is the cheaper of the two, so ws is measured at its best.) |");
  md.push('| raw floor | a bare `node:net` server with a minimal handshake: frames each message once and `socket.write`s that Buffer to every socket (no corking, no batching) | the same over a `Set` of the member sockets |');
  md.push('');
  md.push(`Group members are the same connections for every target: every ${s.groupEvery || 10}th connection each load-generator process opens (the first, the ${(s.groupEvery || 10) + 1}th, ...). They ask for \`/?group=g\` in the upgrade request, which the ws, low-level and raw servers use to fill their Set; the router ignores the path and reads the group from the authentication credentials. Before each group measurement the bench checks that the server's group holds exactly the members the clients think it does.`);
  md.push('');
  md.push('**The router target speaks the application protocol.** Its clients offer the `ws-node-server.v1` subprotocol and authenticate before they count as connected (`{"type":"auth","id":1,"credentials":{...}}`, answered by a `reply`); sessions start unavailable and without an alias, so that connecting N clients does not announce each to all the others. Every broadcast reaches the clients wrapped in the protocol\'s envelope, `{"type":"event","event":"bench","group":null,"data":"<msg>"}`, which adds about 55 bytes to each message (119 B delivered for a 64 B message); the router target reports that size and the clients check it. The others deliver the bare message. The router also serializes each message to JSON once per broadcast; all of that is in its CPU figure.');
  md.push('');
  md.push(`Every network target runs in its own server child process on 127.0.0.1. The load generator is one program (\`bench/lib/loadgen.mjs\`), ${s.workers} processes holding the connections, identical for every target: a fixed handshake request, pre-masked request frames, and a frame counter that reads headers and skips payloads without copying, so the server stays the bottleneck. What differs per target is data the target declares (a subprotocol to offer, an authentication message to send and the prefix of the answer that confirms it) and the size it says its messages arrive at; the load generator's code path is the same for all. Every load loop is bounded in count and time, and every child process is killed when the run ends.`);
  md.push('');
  md.push('## Commands and flags');
  md.push('');
  md.push('- `npm run bench` — everything at 1,000 connections (about 2 minutes on 2 cores, build included); writes `bench/results/latest.json`.');
  md.push('- `npm run bench -- --big` — fan-out and connections at 10,000 connections; writes `bench/results/latest-big.json`.');
  md.push('- `node bench/run.mjs --only scale` — only the scale-out scenario (one process, node:cluster, Redis; about a minute), written to `bench/results/partial.json` like every `--only` run; `--scale-messages N` sets the private messages per latency measurement.');
  md.push('- `node bench/run.mjs --only deflate` — only the compression scenario (ours and ws with `perMessageDeflate: true`; about 2 minutes); `--deflate-sizes 200,1024,4096,16384` and `--deflate-deliveries N` change it.');
  md.push('- `--rounds N`, `--micro-rounds N`, `--only parser,echo`, `--targets ours-router`, `--payloads 64,1024,16384`, `--burst 1,10`, `--binary`, `--conns N`, `--deliveries N`, `--quick`; `node bench/run.mjs --help` lists them all. Runs with `--only` or `--targets` write `bench/results/partial.json` and leave this page alone.');
  md.push('- `node bench/run.mjs --render` rebuilds this page and the chart from the two JSON files.');
  md.push('');
  md.push('## Adding a target');
  md.push('');
  md.push(`Network targets are listed in \`bench/targets.mjs\`. A server is a file in \`bench/servers/\` exporting \`start({ host, port })\` that resolves to \`{ port, count(), groupCount(), modes: { name(msg) }, close() }\`, plus an optional \`payloadLength(mode, size)\` when it wraps messages in an envelope and an optional \`client\` export (subprotocol, authentication message) when its clients must do more than upgrade — see \`bench/servers/ours-router.mjs\`. Each fan-out target names a server and one of its broadcast modes. In-process targets are adapters in \`bench/micro/\` exporting \`createParser()\` and \`createMaskedEncoder()\`.`);
  md.push('');
  return md.join('\n');
}
