// The load generator: one program, used identically for every target. The
// orchestrator forks a few of these; each holds its share of the connections,
// speaks just enough RFC 6455 to stay cheap (fixed handshake, pre-masked
// request frames, frames counted without copying payloads), and answers
// commands over IPC. It never looks at which server it is talking to: what a
// target needs from its clients is data the target declares (`client` in its
// bench/servers/ module) and the orchestrator passes along unchanged:
//   { protocol?: 'name',                          offered subprotocol; the 101 must select it
//     extensions?: 'permessage-deflate; ...',     offered extensions; the 101 must accept permessage-deflate
//     auth?: { member: text, other: text, ok: prefix } }
// With `auth`, each connection sends one text message right after the upgrade
// (`member` for group members, `other` for the rest) and counts as open only
// once the first message back starts with `ok`.
//
// Group membership is decided here, the same way for every target: every
// `groupEvery`-th connection a worker opens (0, 10, 20, ...) is a member. A
// member asks for `/?group=g` in its upgrade request (and sends `auth.member`
// when the target authenticates); everyone else asks for `/`.
//
// The private-message latency of the scale-out scenario is measured here
// too, on a pair of clients of its own (lib/pm-latency.mjs), apart from the
// fan-out connections.
import net from 'node:net';
import { inflateRawSync, constants as zlib } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { serve, emit } from './ipc.mjs';
import { upgradeRequest, CLIENT_ACCEPT, countFrames, clientFrame, asciiPayload, readFrame } from './wire.mjs';
import { pmOpen, pmRun, pmClose } from './pm-latency.mjs';

const HOST = '127.0.0.1';
/** The tail a compressed message's deflate stream drops, appended back before inflating (RFC 7692 §7.2.2). */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
export const MEMBER_PATH = '/?group=g';
let conns = [];
let mode = 'idle'; // 'idle' | 'fanout' | 'echo' | 'closing'

// fan-out bookkeeping
let expectConns = 0;
let expectLen = -1;
let connsComplete = 0;
let badLength = 0;
let stray = 0;
let unexpectedClose = 0;
// messages that arrived compressed (RSV1 set, RFC 7692 §6)
let compressed = 0;

// echo bookkeeping
/** The frames a client sends, in turn (one, except in the compression scenario). */
let echoFrames = [];
let echoRunning = false;
let echoMeasuring = false;
let echoLat = [];
let echoCount = 0;
let echoInFlight = 0;
let echoIdleResolve = null;

function onFrame(c, op, len) {
  if (op === 8) {
    c.closedByServer = true;
    return;
  }
  if (op !== 1 && op !== 2 && op !== 0) return; // ping/pong etc. are not messages
  c.recv++;
  if (c.rsv1) compressed++;
  if (mode === 'fanout') {
    if (c.expect === 0) {
      stray++; // a message for a connection outside the recipients
      return;
    }
    if (expectLen >= 0 && len !== expectLen) badLength++;
    if (c.recv === c.expect) {
      connsComplete++;
      if (connsComplete === expectConns) emit('fanoutDone', { t: Date.now() });
    }
  } else if (mode === 'echo') {
    const now = performance.now();
    if (echoMeasuring) {
      echoLat.push(now - c.t0);
      echoCount++;
    }
    if (echoRunning) {
      c.t0 = now;
      c.sock.write(echoFrames[c.recv % echoFrames.length]);
    } else {
      echoInFlight--;
      if (echoInFlight === 0 && echoIdleResolve) echoIdleResolve();
    }
  }
}

/**
 * Opens one connection: upgrade, then (when the target declares it) the
 * authentication exchange. Resolves with the connection, or with a string
 * saying why it failed.
 */
function openOne(port, req, member, client, authFrame) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    // `bytes`: what the server sent after the handshake (frame headers included), for the bytes-on-the-wire figures
    const c = { sock, partial: null, rem: 0, op: 0, rsv1: false, len: 0, recv: 0, expect: 0, t0: 0, open: false, member, closedByServer: false, bytes: 0 };
    let hs = null;
    let phase = 'upgrade'; // 'upgrade' | 'auth' | 'open'
    let settled = false;
    const done = (ok, why) => {
      if (settled) return;
      settled = true;
      if (!ok) sock.destroy();
      resolve(ok ? c : why);
    };
    sock.setNoDelay(true);
    // bounded: a connection not open within 15 s counts as failed
    sock.setTimeout(15000, () => done(false, 'timeout'));
    sock.on('connect', () => sock.write(req));
    const opened = (rest) => {
      phase = 'open';
      c.open = true;
      sock.setTimeout(0);
      done(true);
      if (rest.length) countFrames(c, rest, onFrame);
    };
    sock.on('data', (chunk) => {
      if (phase === 'open') {
        c.bytes += chunk.length;
        countFrames(c, chunk, onFrame);
        return;
      }
      hs = hs === null ? chunk : Buffer.concat([hs, chunk]);
      if (phase === 'upgrade') {
        const end = hs.indexOf('\r\n\r\n');
        if (end < 0) {
          if (hs.length > 8192) done(false, 'oversized handshake response');
          return;
        }
        const head = hs.toString('latin1', 0, end);
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(CLIENT_ACCEPT)) return done(false, head.split('\r\n')[0]);
        if (client.protocol) {
          const m = /\r\nsec-websocket-protocol:\s*([^\r\n]*)/i.exec(head);
          if (!m || m[1].trim() !== client.protocol) return done(false, `subprotocol ${client.protocol} not selected`);
        }
        if (client.extensions && !/\r\nsec-websocket-extensions:[^\r\n]*permessage-deflate/i.test(head)) {
          return done(false, 'permessage-deflate not negotiated');
        }
        hs = hs.subarray(end + 4);
        if (!authFrame) return opened(hs);
        phase = 'auth';
        sock.write(authFrame);
      }
      // phase 'auth': the first data message back is the verdict
      for (;;) {
        const f = readFrame(hs);
        if (f === null) {
          if (hs.length > 1 << 20) done(false, 'oversized authentication answer');
          return;
        }
        const rsv1 = (hs[0] & 0x40) !== 0;
        hs = hs.subarray(f.end);
        if (f.op === 8) return done(false, 'closed during authentication');
        if (f.op !== 1 && f.op !== 2) continue;
        // A compressed answer is the connection's first message: it inflates alone (RFC 7692 §7.2.2).
        const payload = rsv1 ? inflateRawSync(Buffer.concat([f.payload, TAIL]), { finishFlush: zlib.Z_SYNC_FLUSH }) : f.payload;
        const text = payload.toString('utf8');
        if (!text.startsWith(client.auth.ok)) return done(false, `authentication refused: ${text.slice(0, 120)}`);
        return opened(hs);
      }
    });
    sock.on('error', (err) => done(false, err.code || err.message));
    sock.on('close', () => {
      if (c.open && mode !== 'closing') unexpectedClose++;
      c.open = false;
      done(false, 'closed');
    });
  });
}

serve({
  async connect({ port, count, concurrency, client = {}, groupEvery = 10 }) {
    const reqs = [upgradeRequest(HOST, port, '/', client.protocol, client.extensions), upgradeRequest(HOST, port, MEMBER_PATH, client.protocol, client.extensions)];
    const auths = client.auth ? [clientFrame(Buffer.from(client.auth.other), 1), clientFrame(Buffer.from(client.auth.member), 1)] : null;
    const t0 = performance.now();
    let next = conns.length;
    const last = conns.length + count;
    let failed = 0;
    let firstError = null;
    unexpectedClose = 0;
    mode = 'idle';
    const lane = async () => {
      while (next < last) {
        const member = next++ % groupEvery === 0 ? 1 : 0;
        const c = await openOne(port, reqs[member], member === 1, client, auths && auths[member]);
        if (typeof c !== 'string') conns.push(c);
        else {
          failed++;
          firstError ??= c;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
    const members = conns.reduce((a, c) => a + (c.member ? 1 : 0), 0);
    return { opened: conns.length, members, failed, firstError, ms: performance.now() - t0 };
  },

  /** Arms the counters: every connection (or, with `group`, every member) expects `perConn` messages of `size` bytes. */
  fanoutExpect({ perConn, size, group = false }) {
    mode = 'fanout';
    expectLen = size;
    connsComplete = 0;
    badLength = 0;
    stray = 0;
    compressed = 0;
    expectConns = 0;
    for (const c of conns) {
      c.recv = 0;
      c.bytes = 0;
      c.expect = !group || c.member ? perConn : 0;
      if (c.expect > 0) expectConns++;
    }
    return { conns: expectConns };
  },

  fanoutReport() {
    let delivered = 0;
    let bytes = 0;
    let minRecv = Infinity;
    for (const c of conns) {
      if (c.expect === 0) continue;
      delivered += c.recv;
      bytes += c.bytes;
      if (c.recv < minRecv) minRecv = c.recv;
    }
    return { delivered, connsComplete, conns: expectConns, minRecv, badLength, stray, unexpectedClose, bytes, compressed };
  },

  /**
   * `payloads` (base64), when given, replace the ASCII filler: each client
   * sends them in turn, so a compressor with context takeover sees distinct
   * messages rather than one it can point back to. With `rsv1` they are
   * compressed messages (the compression scenario deflates each alone, valid
   * on any permessage-deflate connection: RFC 7692 §7.2.1).
   */
  echoStart({ size, binary, payloads, rsv1 = false }) {
    mode = 'echo';
    const bodies = payloads === undefined ? [asciiPayload(size)] : payloads.map((p) => Buffer.from(p, 'base64'));
    echoFrames = bodies.map((b) => clientFrame(b, binary ? 2 : 1));
    if (rsv1) for (const f of echoFrames) f[0] |= 0x40;
    compressed = 0;
    echoRunning = true;
    echoMeasuring = false;
    echoLat = [];
    echoCount = 0;
    echoInFlight = 0;
    const now = performance.now();
    for (const c of conns) {
      if (!c.open) continue;
      c.bytes = 0;
      c.t0 = now;
      echoInFlight++;
      c.sock.write(echoFrames[c.recv % echoFrames.length]);
    }
    return { clients: echoInFlight };
  },

  echoMark() {
    echoLat = [];
    echoCount = 0;
    compressed = 0;
    for (const c of conns) c.bytes = 0;
    echoMeasuring = true;
    return { t: Date.now() };
  },

  async echoStop() {
    echoMeasuring = false;
    echoRunning = false;
    const count = echoCount;
    const lat = echoLat;
    // bytes and compressed messages since echoMark (the measured window), read before the in-flight ones land
    const bytes = conns.reduce((a, c) => a + c.bytes, 0);
    const compressedNow = compressed;
    echoLat = [];
    if (echoInFlight > 0) {
      await new Promise((resolve) => {
        echoIdleResolve = resolve;
        setTimeout(resolve, 3000).unref();
      });
      echoIdleResolve = null;
    }
    mode = 'idle';
    return { count, lat, stuck: echoInFlight, unexpectedClose, bytes, compressed: compressedNow };
  },

  async closeAll() {
    mode = 'closing';
    const closing = conns.map(
      (c) =>
        new Promise((resolve) => {
          if (c.sock.destroyed) return resolve();
          c.sock.once('close', resolve);
          c.sock.destroy();
        }),
    );
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 5000).unref())]);
    conns = [];
    mode = 'idle';
    return {};
  },

  pmOpen,
  pmRun,
  pmClose,

  exit() {
    setImmediate(() => process.exit(0));
    return {};
  },
});
