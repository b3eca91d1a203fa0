// One in-process measurement in a fresh process (so one target's JIT state
// never colours another's). argv[2] is a JSON job:
//   { target, kind: 'parse'|'encode', size, text, warmupMs, measureMs, chunkSize }
// Prints one JSON line with the result.
//
// Rates are computed from the process's CPU time (process.cpuUsage) over the
// timed sections rather than wall time: on a shared machine, time the
// process spends descheduled would otherwise be charged to the code.
import { performance } from 'node:perf_hooks';
import { clientFrame, asciiPayload, utf8Payload } from './wire.mjs';

const job = JSON.parse(process.argv[2]);
const adapter = await import(new URL(`../micro/${job.target}.mjs`, import.meta.url));
const MAX_PAYLOAD = 100 * 1024 * 1024;

function buildStream(size, text, streamBytes) {
  const frames = Math.max(4, Math.ceil(streamBytes / (size + 14)));
  const payload = text ? utf8Payload(size) : asciiPayload(size);
  const parts = [];
  for (let i = 0; i < frames; i++) parts.push(clientFrame(payload, text ? 1 : 2));
  return { stream: Buffer.concat(parts), frames };
}

function runParse() {
  const { size, text, chunkSize } = job;
  const { stream, frames } = buildStream(size, text, job.streamBytes);
  // Both parsers unmask in place: every pass gets a fresh copy of the
  // pristine stream, made off the clock, cut into socket-sized chunks.
  const work = Buffer.allocUnsafe(stream.length);
  const chunks = [];
  for (let o = 0; o < work.length; o += chunkSize) chunks.push(work.subarray(o, Math.min(o + chunkSize, work.length)));
  let msgs = 0;
  let bytes = 0;
  let failure = null;
  const feed = adapter.createParser({
    maxPayload: MAX_PAYLOAD,
    onMessage: (data) => {
      msgs++;
      bytes += data.length;
    },
    onError: (err) => {
      failure = err;
    },
  });
  let cpu = 0;
  const pass = () => {
    stream.copy(work);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < chunks.length; i++) feed(chunks[i]);
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
    return t;
  };
  let warm = 0;
  while (warm < job.warmupMs) warm += pass();
  msgs = 0;
  bytes = 0;
  cpu = 0;
  let t = 0;
  let passes = 0;
  while (t < job.measureMs || passes < 2) {
    t += pass();
    passes++;
  }
  if (failure) throw failure;
  if (msgs !== frames * passes || bytes !== frames * passes * size) {
    throw new Error(`parser delivered ${msgs} messages / ${bytes} bytes, expected ${frames * passes} / ${frames * passes * size}`);
  }
  const s = cpu / 1000;
  return { frames: msgs, payloadBytes: bytes, cpuSeconds: s, wallSeconds: t / 1000, mbps: bytes / s / 1e6, fps: msgs / s };
}

function runEncode() {
  const { size } = job;
  const payload = asciiPayload(size);
  const encode = adapter.createMaskedEncoder();
  let sink = 0;
  const batch = Math.max(1, Math.floor((4 * 1024 * 1024) / (size + 16)));
  let cpu = 0;
  const run = () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      const out = encode(payload);
      sink += Array.isArray(out) ? out.length : out[1];
    }
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
    return t;
  };
  let warm = 0;
  while (warm < job.warmupMs) warm += run();
  cpu = 0;
  let t = 0;
  let n = 0;
  while (t < job.measureMs || n < 2 * batch) {
    t += run();
    n += batch;
  }
  // Check once that the output is a real masked frame of the right size.
  const out = encode(payload);
  const frame = Array.isArray(out) ? Buffer.concat(out) : out;
  const expected = size + (size < 126 ? 2 : size < 65536 ? 4 : 10) + 4;
  if (frame.length !== expected || (frame[1] & 0x80) === 0) throw new Error('encoder produced an unexpected frame');
  const s = cpu / 1000;
  return { frames: n, cpuSeconds: s, wallSeconds: t / 1000, fps: n / s, mbps: (n * size) / s / 1e6, sink: sink & 1 };
}

const result = job.kind === 'parse' ? runParse() : runEncode();
process.stdout.write(JSON.stringify({ ok: true, info: adapter.info(), ...result }) + '\n');
