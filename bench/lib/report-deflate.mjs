// Rendering of the compression scenario (rows 'deflate-fanout',
// 'deflate-echo', 'deflate-memory', written by lib/deflate.mjs): its own
// tables, with ratios against ws with perMessageDeflate on. Used by
// lib/report.mjs for the console, the target checks and the "Compression"
// section of docs/benchmarks.md.
import { fmtNum } from './report.mjs';
import { mdCellTable, mdEsc } from './report-md.mjs';

export const isDeflateRow = (row) => row.scenario.startsWith('deflate-');

/** Deflate rows must be at least this large to be compressed by both servers (threshold 1024, ws's and ours). */
const COMPRESSED_FROM = 1024;

const ratioText = (r) => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toFixed(3)}×` : 'n/a');
const pct = (x) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a');
const range = (m) => (m ? `${fmtNum(m.min)} – ${fmtNum(m.max)}` : '–');

function rowsOf(results, scenario) {
  return results ? results.rows.filter((r) => r.scenario === scenario) : [];
}
const baseOf = (rows, row) => rows.find((b) => b.baseline && b.case === row.case);

/** Cells shared by the fan-out and echo tables; `last` is the table's own last column. */
function compressionCells(rows, last) {
  return rows.map((row) => {
    const base = baseOf(rows, row);
    return [
      row.case,
      row.label,
      `${fmtNum(row.cost.median)} µs`,
      ratioText(base ? row.cost.median / base.cost.median : NaN),
      `${fmtNum(row.bytes.median)} B`,
      ratioText(row.bytes.median / row.size),
      pct(row.compressed.median),
      ...last(row),
    ];
  });
}

export const FANOUT_HEADERS = ['Case', 'Target', 'Server CPU per delivered msg', 'CPU ×ws ↓', 'Bytes on the wire per msg', '÷ JSON size', 'Sent compressed', 'Delivered (median)', 'Notes'];
export function fanoutCells(results) {
  return compressionCells(rowsOf(results, 'deflate-fanout'), (row) => [`${fmtNum(row.rate.median)} msgs/s`, row.ok ? 'all delivered' : 'INCOMPLETE']);
}

export const ECHO_HEADERS = ['Case', 'Target', 'Server CPU per round trip', 'CPU ×ws ↓', 'Bytes sent per round trip', '÷ JSON size', 'Answered compressed', 'Round trips/s'];
export function echoCells(results) {
  return compressionCells(rowsOf(results, 'deflate-echo'), (row) => [fmtNum(row.rate.median)]);
}

export const MEMORY_HEADERS = ['Case', 'Server', 'RSS per idle conn', 'heap per idle conn', 'RSS per conn after the broadcasts', 'heap per conn after the broadcasts'];
export function memoryCells(results) {
  return rowsOf(results, 'deflate-memory').map((row) => [
    row.case,
    row.label,
    `${fmtNum(row.cost.median)} KiB`,
    `${fmtNum(row.cost2.median)} KiB`,
    `${fmtNum(row.after.rss.median)} KiB`,
    `${fmtNum(row.after.heap.median)} KiB`,
  ]);
}

/** The scenario's target: compressed fan-out at no more than a tenth of ws's CPU per delivered message. */
export function deflateChecks(results, check) {
  const rows = rowsOf(results, 'deflate-fanout');
  for (const kase of [...new Set(rows.filter((r) => r.size >= COMPRESSED_FROM).map((r) => r.case))]) {
    const find = (id) => rows.find((r) => r.case === kase && r.target === id);
    check('compressed fan-out (router): server CPU/msg ≤ 0.1× ws', kase, find('ours-router-deflate'), find('ws-deflate'), 'cost', 0.1, 'atMost', 'ws');
  }
}

function textTable(headers, cells) {
  const all = [headers, ...cells];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  const line = (r) => r.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function renderDeflateConsole(results) {
  const f = fanoutCells(results);
  const e = echoCells(results);
  const m = memoryCells(results);
  if (!f.length && !e.length && !m.length) return '';
  const out = ['Compression (permessage-deflate; reference: ws with perMessageDeflate: true):'];
  if (f.length) out.push(textTable(FANOUT_HEADERS, f));
  if (e.length) out.push('', textTable(ECHO_HEADERS, e));
  if (m.length) out.push('', textTable(MEMORY_HEADERS, m));
  return out.join('\n');
}

/** The "Compression" section of docs/benchmarks.md (nothing when the run has no deflate rows). */
export function mdDeflate(md, results) {
  const fan = rowsOf(results, 'deflate-fanout');
  const echo = rowsOf(results, 'deflate-echo');
  const mem = rowsOf(results, 'deflate-memory');
  if (!fan.length && !echo.length && !mem.length) return;
  const s = results.meta.settings;
  const n = (x) => x.toLocaleString('en-US');
  md.push('## Compression (permessage-deflate)');
  md.push('');
  md.push(`From \`${results.meta.command}\` (${results.meta.date.slice(0, 16).replace('T', ' ')} UTC), ${s.rounds} interleaved rounds, medians. Both servers run with \`perMessageDeflate: true\`. **ours**: our defaults — no context takeover on either side (\`serverNoContextTakeover\` and \`clientNoContextTakeover\` true), 15 window bits, zlib level 6 (zlib's default), threshold 1024 bytes. **ws** ${results.meta.machine.wsVersion}: its defaults — context takeover on both sides, 15 window bits, zlib's default level, memLevel 8, threshold 1024 bytes, 10 zlib jobs in flight. The load generator offers \`permessage-deflate; client_max_window_bits\`, as Chromium and Firefox do, and counts a connection only once the 101 accepts the extension. Messages are realistic JSON (\`bench/lib/json-payload.mjs\`: chat-like objects with ids, names, timestamps and short sentences, distinct per message, deflating to about a quarter of their size) of ${s.deflateSizes.map((x) => `${x} B`).join(', ')}. The threshold means different things: ours sends anything under it uncompressed; ws applies its threshold only without context takeover, so with its defaults it compresses every message, 200 B included.`);
  md.push('');
  if (fan.length) {
    md.push('### Broadcast fan-out');
    md.push('');
    md.push(`${n(fan[0].extra.perConn)} messages to each of ${n(fan[0].extra.recipients)} connections, in bursts of 5. **ours: router broadcast** is \`server.broadcast('bench', obj)\` on a \`WebSocketNodeServer\`: the message is serialized once and compressed once (no context takeover makes one compressed frame valid for every connection), and that one frame is written to all. **ours: clients loop** and **ws** run \`for (const c of wss.clients) c.send(msg)\`: ws compresses the message once per recipient, each time with that connection's context; our low-level \`WebSocket\` remembers the last string it compressed alone, so the same loop compresses once too. **Server CPU** is the server process's \`process.cpuUsage()\` (user + system, zlib's thread pool included) ÷ deliveries; **bytes on the wire** is everything the clients received (frame headers included) ÷ deliveries; the router's messages also carry its JSON envelope (about 55 bytes before compression).`);
    md.push('');
    mdCellTable(md, FANOUT_HEADERS, fanoutCells(results), [2, 3, 4, 5, 6, 7]);
    const ratios = [];
    deflateChecks(results, (what, kase, row, ref) => row && ref && ratios.push({ size: row.size, r: row.cost.median / ref.cost.median }));
    const verdict = ratios.length === 0 ? 'not measured' : `${ratios.every((x) => x.r <= 0.1) ? 'met' : 'missed'} (${ratios.map((x) => `${x.size} B: ${ratioText(x.r)}`).join(', ')})`;
    md.push(`**Target: compressed fan-out at no more than 0.1× ws's server CPU per delivered message** (the router, messages of 1 KiB and more): ${verdict}. The price is on the wire: ws's context takeover finds what consecutive messages share and sends 10 to 40% fewer bytes for messages of 1 KiB and more, and it compresses the 200 B ones too, which ours sends as they are. That costs ws one compression per recipient and one compressor per connection (memory, below); ours compresses each message once, whatever the number of recipients.`);
    md.push('');
  }
  if (echo.length) {
    md.push('### Echo');
    md.push('');
    md.push(`${s.echoClients} clients, each with one message in flight, sent compressed (deflated alone, as a client with no context takeover does) and echoed by \`ws.on('message', (d, b) => ws.send(d, { binary: b }))\`: the server inflates and compresses once per round trip, so this is the per-connection cost both libraries pay. ${s.echoSeconds} s measured per case.`);
    md.push('');
    mdCellTable(md, ECHO_HEADERS, echoCells(results), [2, 3, 4, 5, 6, 7]);
  }
  if (mem.length) {
    md.push('### Memory per connection with the extension negotiated');
    md.push('');
    md.push(`The server's RSS and V8 heap after a full GC, before and after ${n(s.conns)} connections open (idle), and again after the broadcasts above. A connection with context takeover keeps its compressor (zlib's deflate state: about 256 KiB at 15 window bits and memLevel 8) from its first compressed message on; one without keeps nothing between messages (what ours gains in RSS after the broadcasts is socket buffers and allocator slack, no zlib state).`);
    md.push('');
    mdCellTable(md, MEMORY_HEADERS, memoryCells(results), [2, 3, 4, 5]);
  }
  md.push('Spread over rounds (min – max) of the server CPU per message:');
  md.push('');
  md.push('| Case | Target | CPU µs |');
  md.push('| --- | --- | ---: |');
  for (const r of [...fan, ...echo]) md.push(`| ${mdEsc(r.case)} | ${mdEsc(r.label)} | ${range(r.cost)} |`);
  md.push('');
  md.push('`node bench/run.mjs --only deflate` runs this scenario alone (`--deflate-sizes`, `--deflate-deliveries`, `--rounds` to change it).');
  md.push('');
}
