// Run by churn.test.mjs as `node --expose-gc churn-worker.mjs <cycles>`, in
// a process of its own so that heap figures are this workload's alone.
// Connects, authenticates, makes a request and disconnects, over and over
// (both protocols; closes by the client, by the server, and abrupt ones),
// then prints one JSON line describing what is left.
import { once } from 'node:events';
import v8 from 'node:v8';
import { WebSocket, WebSocketNodeServer, PROTOCOL_V1 } from '../../dist/esm/index.js';

const CYCLES = Number(process.argv[2] ?? 2000);
const WARMUP = Number(process.argv[3] ?? 1000);
const CONCURRENCY = 25;
const ROOMS = 10;
const DEADLINE = Date.now() + 60_000; // every loop below is bounded in time as well

const server = new WebSocketNodeServer({ host: '127.0.0.1', port: 0, heartbeatInterval: 0 });
let started = 0;
let ended = 0;
const errors = [];
server.on('error', (e) => errors.push(String(e)));
server.onAuthentication((c, start, respond) => {
  if (c.observer) {
    start({}, [], 'observer', true);
  } else {
    start({ token: `t${c.n}` }, [`room-${c.n % ROOMS}`, 'all'], `user-${c.n}`, true, { n: c.n });
    started++;
  }
  respond(null, { n: c.n });
});
server.onRequest('hello', (n) => `hello ${n}`);
server.onRequest('kick', (_b, { session, respond }) => {
  respond(null, true);
  setImmediate(() => session.close(4001, 'kicked'));
});
server.onConnectionClose((session) => session.alias !== 'observer' && ended++);
const { port } = await server.listen();
const url = `ws://127.0.0.1:${port}`;

/** A minimal client: answers are matched by id (v1) or packageID (legacy); nothing is kept. */
function connect(legacy) {
  const ws = new WebSocket(url, legacy ? [] : [PROTOCOL_V1]);
  const pending = new Map();
  let next = 1;
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    const id = legacy ? m.info?.packageID : m.id;
    const waiter = pending.get(id);
    if (waiter !== undefined && (legacy ? m.info.action !== 'broadcast' : m.type === 'reply' || m.type === 'error')) {
      pending.delete(id);
      waiter(m);
    }
  });
  const ask = (type, fields) => {
    const id = next++;
    const answer = new Promise((resolve) => pending.set(id, resolve));
    if (legacy) ws.send(JSON.stringify({ info: { action: type, request: fields.request, group: null, packageID: id }, data: fields.data }));
    else ws.send(JSON.stringify({ type, id, ...fields }));
    return answer;
  };
  return { ws, ask };
}

/** One connect/authenticate/request/disconnect cycle. */
async function cycle(n) {
  const legacy = n % 2 === 1;
  const { ws, ask } = connect(legacy);
  const closed = once(ws, 'close');
  await once(ws, 'open');
  const auth = legacy ? await ask('auth', { request: 'login', data: { n } }) : await ask('auth', { credentials: { n } });
  if (legacy ? auth.error !== false : auth.type !== 'reply') throw new Error(`auth failed: ${JSON.stringify(auth)}`);
  const hello = legacy ? await ask('call', { request: 'hello', data: n }) : await ask('request', { name: 'hello', data: n });
  if ((legacy ? hello.response : hello.data) !== `hello ${n}`) throw new Error(`wrong answer: ${JSON.stringify(hello)}`);
  switch (n % 3) {
    case 0: ws.close(1000); break;
    case 1: ws.terminate(); break; // abrupt: no close handshake
    default: await (legacy ? ask('call', { request: 'kick' }) : ask('request', { name: 'kick' })); // the server closes
  }
  await closed;
}

async function run(from, count) {
  let n = from;
  const end = from + count;
  const worker = async () => {
    while (n < end && Date.now() < DEADLINE) await cycle(n++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Waits (bounded) until only the observer is left, on every count. */
async function settle() {
  while (Date.now() < DEADLINE && (server.stats.connections !== 1 || server.getServer().clients.size !== 1 || ended !== started)) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Retained bytes after full collections: V8's heap without its code space
 * (compiled code keeps growing for a while as functions get optimized,
 * which is not a leak) plus Buffer memory.
 */
function heap() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const code = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'code_space')?.space_used_size ?? 0;
  const m = process.memoryUsage();
  return m.heapUsed - code + m.arrayBuffers;
}

// The observer: available, so it receives every presence event.
const observer = connect(false);
let joined = 0;
let left = 0;
observer.ws.on('message', (data) => {
  const m = JSON.parse(data.toString());
  if (m.type === 'presence') m.client.connected ? joined++ : left++;
});
await once(observer.ws, 'open');
await observer.ask('auth', { credentials: { observer: true } });

await run(0, WARMUP);
await settle();
const baseline = heap();
await run(WARMUP, CYCLES);
await settle();
const after = heap();
const list = await observer.ask('clients', {});
const groupSizes = [...Array.from({ length: ROOMS }, (_, i) => `room-${i}`), 'all'].map((g) => server.groupSize(g));
process.stdout.write(`${JSON.stringify({
  cycles: WARMUP + CYCLES,
  started,
  ended,
  joined,
  left,
  stats: server.stats,
  sessions: server.sessionCount,
  coreClients: server.getServer().clients.size,
  groupSizes,
  clientsList: list.data,
  errors,
  baseline,
  after,
  timedOut: Date.now() >= DEADLINE,
})}\n`);
observer.ws.close();
await server.close();
