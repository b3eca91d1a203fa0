// The load generator: one program, used identically for every target. The
// orchestrator forks a few of these; each holds its share of the connections,
// speaks just enough RFC 6455 to stay cheap (fixed handshake, pre-masked
// request frames, frames counted without copying payloads), and answers
// commands over IPC. It never looks at which server it is talking to.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve, emit } from './ipc.mjs';
import { upgradeRequest, CLIENT_ACCEPT, countFrames, clientFrame, asciiPayload } from './wire.mjs';

const HOST = '127.0.0.1';
let conns = [];
let mode = 'idle'; // 'idle' | 'fanout' | 'echo'

// fan-out bookkeeping
let expectPerConn = 0;
let expectLen = -1;
let connsComplete = 0;
let badLength = 0;
let unexpectedClose = 0;

// echo bookkeeping
let echoFrame = null;
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
  if (mode === 'fanout') {
    if (expectLen >= 0 && len !== expectLen) badLength++;
    if (c.recv === expectPerConn) {
      connsComplete++;
      if (connsComplete === conns.length) emit('fanoutDone', { t: Date.now() });
    }
  } else if (mode === 'echo') {
    const now = performance.now();
    if (echoMeasuring) {
      echoLat.push(now - c.t0);
      echoCount++;
    }
    if (echoRunning) {
      c.t0 = now;
      c.sock.write(echoFrame);
    } else {
      echoInFlight--;
      if (echoInFlight === 0 && echoIdleResolve) echoIdleResolve();
    }
  }
}

function openOne(port, req) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const c = { sock, partial: null, rem: 0, op: 0, len: 0, recv: 0, t0: 0, open: false, closedByServer: false };
    let hs = null;
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      resolve(ok ? c : null);
    };
    sock.setNoDelay(true);
    // bounded: a connection that is not upgraded within 15 s counts as failed
    sock.setTimeout(15000, () => sock.destroy());
    sock.on('connect', () => sock.write(req));
    sock.on('data', (chunk) => {
      if (c.open) {
        countFrames(c, chunk, onFrame);
        return;
      }
      hs = hs === null ? chunk : Buffer.concat([hs, chunk]);
      const end = hs.indexOf('\r\n\r\n');
      if (end < 0) {
        if (hs.length > 8192) sock.destroy();
        return;
      }
      const head = hs.toString('latin1', 0, end);
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(CLIENT_ACCEPT)) {
        sock.destroy();
        done(false);
        return;
      }
      c.open = true;
      sock.setTimeout(0);
      const rest = hs.subarray(end + 4);
      hs = null;
      done(true);
      if (rest.length) countFrames(c, rest, onFrame);
    });
    sock.on('error', () => done(false));
    sock.on('close', () => {
      if (c.open && mode !== 'closing') unexpectedClose++;
      c.open = false;
      done(false);
    });
  });
}

serve({
  async connect({ port, count, concurrency }) {
    const req = upgradeRequest(HOST, port);
    const t0 = performance.now();
    let next = 0;
    let failed = 0;
    unexpectedClose = 0;
    mode = 'idle';
    const lane = async () => {
      while (next < count) {
        next++;
        const c = await openOne(port, req);
        if (c) conns.push(c);
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
    return { opened: conns.length, failed, ms: performance.now() - t0 };
  },

  fanoutExpect({ perConn, size }) {
    mode = 'fanout';
    expectPerConn = perConn;
    expectLen = size;
    connsComplete = 0;
    badLength = 0;
    for (const c of conns) c.recv = 0;
    return { conns: conns.length };
  },

  fanoutReport() {
    let delivered = 0;
    let minRecv = Infinity;
    for (const c of conns) {
      delivered += c.recv;
      if (c.recv < minRecv) minRecv = c.recv;
    }
    return { delivered, connsComplete, conns: conns.length, minRecv, badLength, unexpectedClose };
  },

  echoStart({ size, binary }) {
    mode = 'echo';
    echoFrame = clientFrame(asciiPayload(size), binary ? 2 : 1);
    echoRunning = true;
    echoMeasuring = false;
    echoLat = [];
    echoCount = 0;
    echoInFlight = 0;
    const now = performance.now();
    for (const c of conns) {
      if (!c.open) continue;
      c.t0 = now;
      echoInFlight++;
      c.sock.write(echoFrame);
    }
    return { clients: echoInFlight };
  },

  echoMark() {
    echoLat = [];
    echoCount = 0;
    echoMeasuring = true;
    return { t: Date.now() };
  },

  async echoStop() {
    echoMeasuring = false;
    echoRunning = false;
    const count = echoCount;
    const lat = echoLat;
    echoLat = [];
    if (echoInFlight > 0) {
      await new Promise((resolve) => {
        echoIdleResolve = resolve;
        setTimeout(resolve, 3000).unref();
      });
      echoIdleResolve = null;
    }
    mode = 'idle';
    return { count, lat, stuck: echoInFlight, unexpectedClose };
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

  exit() {
    setImmediate(() => process.exit(0));
    return {};
  },
});
