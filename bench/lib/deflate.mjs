// The compression scenario (`--only deflate`): permessage-deflate (RFC 7692)
// on ours and on ws, side by side, with realistic JSON messages
// (lib/json-payload.mjs) of --deflate-sizes bytes. Per round and server
// (the order rotates per round), on --conns connections that negotiated the
// extension (the load generator offers it like a browser does, and a
// connection whose 101 does not accept it fails):
//   1. memory per idle connection (RSS and heap after a full GC, before and
//      after the connections open),
//   2. broadcast fan-out to every connection, per size: server CPU per
//      delivered message, bytes on the wire per delivered message, share of
//      messages that arrived compressed,
//   3. memory per connection again, after the broadcasts (what a
//      connection keeps once it has been sent compressed messages),
// then on --echo-clients connections, per size: echo of a compressed
// message (the client deflates it alone, as it may: RFC 7692 §7.2.1),
// server CPU per round trip and bytes the server sent per round trip.
// Every wait is bounded (timeouts below and in the RPCs).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { deflateRawSync } from 'node:zlib';
import { summarize } from './stats.mjs';
import { jsonMessage } from './json-payload.mjs';
import { echoWindow } from './echo-window.mjs';

const rotate = (xs, r) => (xs.length ? xs.map((_, i) => xs[(i + r) % xs.length]) : xs);

/** A message deflated alone, the 00 00 ff ff tail removed (RFC 7692 §7.2.1). */
function deflateAlone(text) {
  const d = deflateRawSync(Buffer.from(text), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return d.subarray(0, d.length - 4);
}

export async function runDeflate(ctx) {
  const { opts, log, attempt, addRow, targets, startServer, stopServer, connectAll, closeAll, waitServerCount, loadgens } = ctx;
  const sizes = opts.deflateSizes;
  const servers = [...new Set(targets.map((t) => t.server))];
  const fan = new Map(); // `${size}|${id}` -> samples
  const echo = new Map();
  const mem = new Map(); // server -> samples
  const push = (m, k, v) => (m.has(k) ? m.get(k).push(v) : m.set(k, [v]));

  for (let r = 0; r < opts.rounds; r++) {
    for (const server of rotate(servers, r)) {
      await attempt(`deflate ${server} round ${r + 1}`, () => serverRound(server, r));
    }
    log(`  deflate: round ${r + 1}/${opts.rounds} done`);
  }

  async function serverRound(server, r) {
    const mine = targets.filter((t) => t.server === server);
    const s = await startServer(server, opts.conns);
    try {
      const warm = Math.min(200, opts.conns);
      await connectAll(s.port, warm, s.client);
      await closeAll();
      await waitServerCount(s, 0, 3000, true);
      await sleep(200);
      const before = await s.api.call('mem');
      const c = await connectAll(s.port, opts.conns, s.client);
      if (c.opened !== opts.conns) throw new Error(`${server}: only ${c.opened}/${opts.conns} connections opened (${c.failed} failed${c.firstError ? `, first: ${c.firstError}` : ''})`);
      await waitServerCount(s, c.opened);
      await sleep(300);
      const idle = await s.api.call('mem');
      const m = { idleRss: (idle.rss - before.rss) / c.opened / 1024, idleHeap: (idle.heapUsed - before.heapUsed) / c.opened / 1024 };
      for (const t of mine.filter((x) => x.fanout)) {
        for (const size of rotate(sizes, r)) {
          const f = await attempt(`deflate fan-out ${t.id} ${size} B round ${r + 1}`, () => fanoutOnce(s, t, size, c.opened));
          if (!f) continue;
          push(fan, `${size}|${t.id}`, f);
          log(`    deflate fan-out ${t.id} ${size} B: ${f.cpuPerMsg.toFixed(2)} µs/msg, ${f.bytesPerMsg.toFixed(0)} B/msg on the wire, ${(f.compressedShare * 100).toFixed(0)}% compressed${f.complete ? '' : ` INCOMPLETE ${f.delivered}/${f.expected}`}`);
        }
      }
      await sleep(300);
      const busy = await s.api.call('mem');
      m.afterRss = (busy.rss - before.rss) / c.opened / 1024;
      m.afterHeap = (busy.heapUsed - before.heapUsed) / c.opened / 1024;
      push(mem, server, m);
      await closeAll();
      await waitServerCount(s, 0, 5000, true);
      for (const t of mine.filter((x) => x.echo)) {
        const e = await connectAll(s.port, opts.echoClients, s.client);
        if (e.opened !== opts.echoClients) throw new Error(`deflate echo: only ${e.opened}/${opts.echoClients} clients connected to ${t.id}`);
        for (const size of rotate(sizes, r)) {
          const x = await attempt(`deflate echo ${t.id} ${size} B round ${r + 1}`, () => echoOnce(s, size));
          if (!x) continue;
          push(echo, `${size}|${t.id}`, x);
          log(`    deflate echo ${t.id} ${size} B: ${Math.round(x.rtps)} rt/s, ${x.cpuPerRt.toFixed(1)} µs/rt, ${x.bytesPerRt.toFixed(0)} B/rt`);
        }
        await closeAll();
      }
    } finally {
      await closeAll().catch(() => {});
      await stopServer(s);
    }
  }

  async function fanoutOnce(s, t, size, recipients) {
    const workers = loadgens();
    const burst = 5;
    const perConn = Math.max(2 * burst, Math.round(opts.deflateDeliveries / recipients / burst) * burst);
    await s.api.call('fanoutPrepare', { mode: t.mode, size, binary: false, bursts: perConn / burst, burstSize: burst, json: true });
    const armed = await Promise.all(workers.map((w) => w.rpc.call('fanoutExpect', { perConn, size: -1, group: false })));
    if (armed.reduce((a, x) => a + x.conns, 0) !== recipients) throw new Error('not every connection was armed');
    let done = 0;
    const offs = [];
    const allDone = new Promise((resolve) => {
      for (const w of workers) offs.push(w.rpc.on('fanoutDone', () => ++done === workers.length && resolve(performance.now())));
    });
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(performance.now()), opts.fanoutTimeoutMs)));
    const t0 = performance.now();
    await s.api.call('fanoutGo', { mode: t.mode }, opts.fanoutTimeoutMs + 5000);
    const t1 = await Promise.race([allDone, timeout]);
    clearTimeout(timer);
    for (const off of offs) off();
    const cpu = await s.api.call('cpuRead');
    const reps = await Promise.all(workers.map((w) => w.rpc.call('fanoutReport')));
    const delivered = reps.reduce((a, x) => a + x.delivered, 0);
    const bytes = reps.reduce((a, x) => a + x.bytes, 0);
    const compressed = reps.reduce((a, x) => a + x.compressed, 0);
    const expected = perConn * recipients;
    const complete = delivered === expected && reps.every((x) => x.stray === 0 && x.connsComplete === x.conns);
    if (!complete) await sleep(1000); // stragglers must not leak into the next measurement
    await sleep(100);
    return {
      delivered,
      expected,
      complete,
      perConn,
      recipients,
      mps: delivered / ((t1 - t0) / 1000),
      cpuPerMsg: (cpu.user + cpu.system) / Math.max(1, delivered),
      bytesPerMsg: bytes / Math.max(1, delivered),
      compressedShare: compressed / Math.max(1, delivered),
    };
  }

  async function echoOnce(s, size) {
    const workers = loadgens();
    // Distinct messages filling twice a 32 KiB window (at least 8): context takeover finds what is really shared.
    const distinct = Math.max(8, Math.ceil(65536 / size));
    const payloads = Array.from({ length: distinct }, (_, i) => deflateAlone(jsonMessage(size, 1_000_000 + i)).toString('base64'));
    await Promise.all(workers.map((w) => w.rpc.call('echoStart', { size, binary: false, payloads, rsv1: true })));
    const { stops, secs, cpu, count } = await echoWindow(s, workers, opts);
    if (count === 0) throw new Error('no echo came back');
    return {
      rtps: count / secs,
      cpuPerRt: (cpu.user + cpu.system) / count,
      bytesPerRt: stops.reduce((a, x) => a + x.bytes, 0) / count,
      compressedShare: stops.reduce((a, x) => a + x.compressed, 0) / count,
      ok: stops.every((x) => x.stuck === 0 && x.unexpectedClose === 0),
    };
  }

  const med = (xs, k) => summarize(xs.map((x) => x[k]));
  for (const size of sizes) {
    for (const t of targets.filter((x) => x.fanout)) {
      const s = fan.get(`${size}|${t.id}`);
      if (!s) continue;
      addRow({
        scenario: 'deflate-fanout',
        case: `${size} B JSON → all ${opts.conns.toLocaleString('en-US')}`,
        target: t.id,
        label: t.label,
        baseline: !!t.baseline,
        size,
        rate: { ...med(s, 'mps'), unit: 'msgs/s', better: 'higher' },
        cost: { ...med(s, 'cpuPerMsg'), unit: 'CPU µs/msg', better: 'lower' },
        bytes: { ...med(s, 'bytesPerMsg'), unit: 'B/msg' },
        compressed: med(s, 'compressedShare'),
        extra: { perConn: s[0].perConn, recipients: s[0].recipients, delivered: s.map((x) => x.delivered) },
        ok: s.every((x) => x.complete),
      });
    }
    for (const t of targets.filter((x) => x.echo)) {
      const s = echo.get(`${size}|${t.id}`);
      if (!s) continue;
      addRow({
        scenario: 'deflate-echo',
        case: `${size} B JSON, ${opts.echoClients} clients`,
        target: t.id,
        label: t.label,
        baseline: !!t.baseline,
        size,
        rate: { ...med(s, 'rtps'), unit: 'round trips/s', better: 'higher' },
        cost: { ...med(s, 'cpuPerRt'), unit: 'CPU µs/rt', better: 'lower' },
        bytes: { ...med(s, 'bytesPerRt'), unit: 'B/rt' },
        compressed: med(s, 'compressedShare'),
        ok: s.every((x) => x.ok),
      });
    }
  }
  for (const server of servers) {
    const s = mem.get(server);
    if (!s) continue;
    const t = targets.find((x) => x.server === server);
    addRow({
      scenario: 'deflate-memory',
      case: `${opts.conns.toLocaleString('en-US')} conns, permessage-deflate negotiated`,
      target: t.id,
      label: t.memLabel ?? t.label,
      baseline: !!t.baseline,
      cost: { ...med(s, 'idleRss'), unit: 'KiB RSS/conn idle', better: 'lower' },
      cost2: { ...med(s, 'idleHeap'), unit: 'KiB heap/conn idle' },
      after: { rss: med(s, 'afterRss'), heap: med(s, 'afterHeap') },
      ok: true,
    });
  }
}
