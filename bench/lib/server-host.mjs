// The server child process. Loads one server implementation from
// bench/servers/<impl>.mjs, listens on 127.0.0.1, and answers commands from
// the orchestrator: memory snapshots (after GC), CPU marks, broadcast bursts.
// Run with --expose-gc so memory figures are taken after a full collection.
// An optional second argument, JSON, is passed on to the server's start()
// (the scale-out scenario's adapter settings).
import { serve } from './ipc.mjs';
import { asciiPayload } from './wire.mjs';
import { jsonMessage } from './json-payload.mjs';

const impl = process.argv[2];
const mod = await import(new URL(`../servers/${impl}.mjs`, import.meta.url));
const extra = process.argv[3] ? JSON.parse(process.argv[3]) : {};
const server = await mod.start({ ...extra, host: '127.0.0.1', port: 0 });

let cpuMark = process.cpuUsage();
let seq = 0;
let batches = [];

function gcFull() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}

/** Message `seq` of exactly `size` bytes; distinct content per message. */
function makeMessages(count, size, binary) {
  const filler = asciiPayload(Math.max(size, 12));
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const tag = String(seq++ % 1e8).padStart(8, '0');
    const buf = Buffer.from(filler.subarray(0, size));
    buf.write(tag.slice(0, Math.min(8, size)), 0, 'latin1');
    out[i] = binary ? buf : buf.toString('latin1');
  }
  return out;
}

serve({
  hello() {
    return { port: server.port, pid: process.pid, modes: Object.keys(server.modes) };
  },
  count() {
    return { count: server.count(), group: typeof server.groupCount === 'function' ? server.groupCount() : -1 };
  },
  mem() {
    gcFull();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
  },
  cpuMark() {
    cpuMark = process.cpuUsage();
    return {};
  },
  cpuRead() {
    const d = process.cpuUsage(cpuMark);
    return { user: d.user, system: d.system };
  },
  // Fan-out in two steps so only the broadcast is on the clock: prepare
  // builds the messages (distinct content per message) and collects garbage;
  // go sends `bursts` bursts of `burstSize` messages, each burst synchronously
  // in one event-loop turn, the next one on setImmediate (or after
  // `intervalMs`). go resolves once every burst has been handed to the
  // implementation; delivery is confirmed by the clients.
  // `json`: realistic JSON texts (lib/json-payload.mjs) instead of the ASCII
  // filler, turned into what the server sends by its optional prepareMessage().
  fanoutPrepare({ mode, size, binary, bursts, burstSize, json = false }) {
    batches = [];
    for (let b = 0; b < bursts; b++) {
      if (!json) batches.push(makeMessages(burstSize, size, binary));
      else {
        const texts = Array.from({ length: burstSize }, () => jsonMessage(size, seq++));
        batches.push(typeof server.prepareMessage === 'function' ? texts.map((t) => server.prepareMessage(mode, t)) : texts);
      }
    }
    gcFull();
    // What each client should receive: the message as is, unless the server
    // wraps it (an application envelope); -1 skips the size check.
    const expectLen = typeof server.payloadLength === 'function' ? server.payloadLength(mode, size, binary) : size;
    return { expectLen };
  },
  async fanoutGo({ mode, intervalMs = 0 }) {
    const fn = server.modes[mode];
    if (!fn) throw new Error(`server ${impl} has no broadcast mode '${mode}'`);
    const bursts = batches.length;
    cpuMark = process.cpuUsage();
    const t0 = Date.now();
    await new Promise((resolve) => {
      let b = 0;
      const burst = () => {
        const msgs = batches[b];
        for (let i = 0; i < msgs.length; i++) fn(msgs[i]);
        batches[b] = null;
        if (++b === bursts) resolve();
        else if (intervalMs > 0) setTimeout(burst, intervalMs);
        else setImmediate(burst);
      };
      burst();
    });
    batches = [];
    return { sentMs: Date.now() - t0 };
  },
  async close() {
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 3000).unref())]);
    setImmediate(() => process.exit(0));
    return {};
  },
});

// `client`: what the load generator must do for this target (subprotocol,
// authentication); see lib/loadgen.mjs.
process.send({ ev: 'ready', port: server.port, modes: Object.keys(server.modes), client: mod.client || {} });
