// Private-message latency, measured inside the load generator (lib/loadgen.mjs
// exposes these as commands): a pair of clients, A and B, each connected to
// a port of its own (the same node or two nodes of a deployment), held by
// this one process so that both ends of every measurement read the same
// clock. A sends `{ type: 'message', id, to: { alias: B }, data }` in the
// ws-node-server.v1 protocol; the figure is the time from A's write to B's
// receipt of the message. A's reply (the server's confirmation of delivery)
// is timed too. One message at a time: the next is sent once B has its
// message and A its reply, so no message waits behind another.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { upgradeRequest, CLIENT_ACCEPT, clientFrame, readFrame } from './wire.mjs';

const HOST = '127.0.0.1';
const OPEN_TIMEOUT_MS = 10000;

/**
 * One protocol client: upgrade with `protocol`, authenticate with
 * `credentials`; resolves once the auth reply arrived. Every later text
 * message is parsed and passed to `onMessage`.
 */
function openClient(port, protocol, credentials) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port });
    const c = { sock, onMessage: () => {}, closed: false };
    let buf = Buffer.alloc(0);
    let phase = 'upgrade';
    const fail = (why) => {
      if (phase === 'failed' || phase === 'open') return;
      phase = 'failed';
      sock.destroy();
      reject(new Error(why));
    };
    sock.setNoDelay(true);
    sock.setTimeout(OPEN_TIMEOUT_MS, () => fail(`latency client on port ${port}: not open within ${OPEN_TIMEOUT_MS} ms`));
    sock.on('connect', () => sock.write(upgradeRequest(HOST, port, '/', protocol)));
    sock.on('error', (err) => fail(err.code || err.message));
    sock.on('close', () => {
      c.closed = true;
      fail('closed');
    });
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (phase === 'upgrade') {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(CLIENT_ACCEPT)) return fail(head.split('\r\n')[0]);
        buf = buf.subarray(end + 4);
        phase = 'auth';
        sock.write(clientFrame(Buffer.from(JSON.stringify({ type: 'auth', id: 0, credentials })), 1));
      }
      for (;;) {
        const f = readFrame(buf);
        if (f === null) break;
        buf = buf.subarray(f.end);
        if (f.op === 8) return fail('closed by the server');
        if (f.op !== 1) continue;
        let msg;
        try {
          msg = JSON.parse(f.payload.toString('utf8'));
        } catch {
          continue; // not ours to judge here: the protocol's messages are JSON
        }
        if (phase === 'auth') {
          if (msg.type !== 'reply' || msg.id !== 0) return fail(`authentication refused: ${JSON.stringify(msg).slice(0, 120)}`);
          phase = 'open';
          sock.setTimeout(0);
          resolve(c);
          continue;
        }
        c.onMessage(msg);
      }
    });
  });
}

let pair = null;

/** Opens A on `portA` and B on `portB`, visible under the given aliases. */
export async function pmOpen({ portA, portB, protocol, aliasA, aliasB }) {
  await pmClose();
  const a = await openClient(portA, protocol, { user: 'bench', alias: aliasA });
  const b = await openClient(portB, protocol, { user: 'bench', alias: aliasB }).catch((err) => {
    a.sock.destroy();
    throw err;
  });
  pair = { a, b, aliasB, nextId: 1 };
  return {};
}

/**
 * Sends one message from A to B and waits (at most `timeoutMs`) for both
 * ends: B's copy and A's answer. Resolves { toB, reply } in ms, or
 * { error } when the server refused it (B not known on A's node yet).
 */
function sendOne(data, timeoutMs) {
  const { a, b, aliasB } = pair;
  const id = pair.nextId++;
  return new Promise((resolve) => {
    let toB = -1;
    let reply = -1;
    let error = null;
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      a.onMessage = () => {};
      b.onMessage = () => {};
      resolve({ toB, reply, error });
    };
    b.onMessage = (msg) => {
      if (msg.type !== 'message' || msg.data !== data) return;
      toB = performance.now() - t0;
      if (reply >= 0) finish();
    };
    a.onMessage = (msg) => {
      if (msg.id !== id) return;
      if (msg.type === 'error') {
        error = msg.error && msg.error.code ? msg.error.code : 'error';
        return finish();
      }
      reply = performance.now() - t0;
      if (toB >= 0) finish();
    };
    const frame = clientFrame(Buffer.from(JSON.stringify({ type: 'message', id, to: { alias: aliasB }, data })), 1);
    const t0 = performance.now();
    a.sock.write(frame);
  });
}

/**
 * Waits until B is reachable from A (a remote node learns of B through the
 * adapter), sends `warmup` messages off the clock, then `count` measured
 * ones. Bounded: at most `maxMs` in all; stops early on a lost message.
 */
export async function pmRun({ count, warmup = 100, size = 64, maxMs = 30000, messageTimeoutMs = 2000 }) {
  if (!pair) throw new Error('pmRun: no pair open');
  const deadline = performance.now() + maxMs;
  const filler = 'x'.repeat(Math.max(0, size - 8));
  let seq = 0;
  const data = () => `${String(seq++ % 1e8).padStart(8, '0')}${filler}`;
  // Reachable: the first message that is not refused.
  let tries = 0;
  for (;;) {
    const r = await sendOne(data(), messageTimeoutMs);
    if (!r.error && r.toB >= 0) break;
    if (++tries >= 100 || performance.now() > deadline) throw new Error(`B never reachable from A (last: ${r.error || 'timeout'})`);
    await new Promise((res) => setTimeout(res, 20));
  }
  for (let i = 0; i < warmup && performance.now() < deadline; i++) await sendOne(data(), messageTimeoutMs);
  const toB = [];
  const reply = [];
  let lost = 0;
  let refused = 0;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const r = await sendOne(data(), messageTimeoutMs);
    if (r.error) refused++;
    else if (r.toB < 0 || r.reply < 0) lost++;
    else {
      toB.push(r.toB);
      reply.push(r.reply);
    }
    if (lost > 0) break; // a lost message stalls for messageTimeoutMs: do not wait out a broken pair
  }
  return { toB, reply, lost, refused, sent: toB.length + lost + refused };
}

export async function pmClose() {
  if (!pair) return {};
  const { a, b } = pair;
  pair = null;
  await Promise.all(
    [a, b].map(
      (c) =>
        new Promise((resolve) => {
          if (c.closed) return resolve();
          c.sock.once('close', resolve);
          c.sock.destroy();
          setTimeout(resolve, 2000).unref();
        }),
    ),
  );
  return {};
}
