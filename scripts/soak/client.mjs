// One of the soak's client processes. It holds its share of the long-lived
// connections (authenticated for --target=app, each in one of GROUPS groups,
// one in a hundred available so it receives presence), and during the mix
// it makes requests on them and runs churners: connect, authenticate, three
// requests, a broadcast into the churner's group, disconnect (by the client,
// abruptly, or by the server), over and over. Everything it sends that
// expects an answer is checked; everything the server promised is counted.
import { once } from 'node:events';
import { WebSocket, PROTOCOL_V1 } from '../../dist/esm/index.js';
import { serve, flags, fdLimit } from './ipc.mjs';

const GROUPS = 100;
const { index, port, target, local } = flags({ index: 0, port: 0, target: 'app', local: '127.0.0.1' });
const url = `ws://127.0.0.1:${port}/`;
const app = target === 'app';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const longLived = [];
const c = {
  requests: 0, answered: 0, wrong: 0, errors: {}, lost: 0,
  churnCycles: 0, churnFailures: 0, failures: [],
  chatSent: new Array(GROUPS).fill(0), chatReceived: new Array(GROUPS).fill(0), members: new Array(GROUPS).fill(0),
  presenceJoined: 0, presenceLeft: 0, observers: 0, ticksOutOfOrder: 0,
};
const fail = (what) => {
  c.churnFailures++;
  if (c.failures.length < 10) c.failures.push(String(what?.message ?? what));
};

/** A v1 (or legacy) connection with request/answer matching; `conn.onEvent` sees pushes. */
function connection(protocols) {
  const ws = new WebSocket(url, protocols, { localAddress: local });
  const legacy = protocols.length === 0;
  const conn = { ws, pending: new Map(), next: 1 };
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    const id = legacy ? m.info?.packageID : m.id;
    const isAnswer = legacy ? m.info?.action !== 'broadcast' : m.type === 'reply' || m.type === 'error';
    if (isAnswer) {
      const waiter = conn.pending.get(id);
      conn.pending.delete(id);
      waiter?.(m);
    } else conn.onEvent?.(m);
  });
  conn.ask = (type, fields, ms = 20_000) => {
    const id = conn.next++;
    const answer = new Promise((resolve, reject) => {
      const timer = setTimeout(() => conn.pending.delete(id) && reject(new Error(`no answer to ${type}`)), ms);
      conn.pending.set(id, (m) => (clearTimeout(timer), resolve(m)));
    });
    if (legacy) ws.send(JSON.stringify({ info: { action: type, request: fields.request, group: fields.group ?? null, packageID: id }, data: fields.data }));
    else ws.send(JSON.stringify({ type, id, ...fields }));
    return answer;
  };
  conn.opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  conn.closed = once(ws, 'close');
  return conn;
}

function onLongLivedEvent(conn, m) {
  if (m.type === 'event' && m.event === 'tick') {
    if (m.data.seq !== conn.ticks + 1) c.ticksOutOfOrder++;
    conn.ticks = m.data.seq;
  } else if (m.type === 'event' && m.event === 'chat') {
    c.chatReceived[conn.group]++;
  } else if (m.type === 'presence' && m.client.alias?.startsWith('churn-')) {
    if (m.client.connected) c.presenceJoined++;
    else c.presenceLeft++;
  }
}

async function openLongLived(i) {
  const group = i % GROUPS;
  const conn = connection(app ? [PROTOCOL_V1] : []);
  conn.ticks = 0;
  conn.group = group;
  await conn.opened;
  if (app) {
    const available = i % 100 === 0;
    const answer = await conn.ask('auth', { credentials: { name: `ll-${index}-${i}`, group: `g-${group}`, available } });
    if (answer.type !== 'reply') throw new Error(`auth refused: ${JSON.stringify(answer)}`);
    c.members[group]++;
    if (available) c.observers++;
    conn.onEvent = (m) => onLongLivedEvent(conn, m);
  }
  longLived.push(conn);
}

/** A request on a random long-lived connection, checked on arrival. */
function longLivedRequest(k) {
  const conn = longLived[Math.floor(Math.random() * longLived.length)];
  c.requests++;
  conn.ask('request', { name: 'mirror', data: { k, delay: k % 4 } }).then((m) => {
    if (m.type === 'reply' && m.data?.k === k) c.answered++;
    else if (m.type === 'error') c.errors[m.error.code] = (c.errors[m.error.code] ?? 0) + 1;
    else c.wrong++;
  }, () => c.lost++);
}

async function churnCycle(n) {
  const conn = connection(n % 2 === 1 ? [] : [PROTOCOL_V1]);
  try {
    await churnSteps(conn, n);
  } finally {
    conn.ws.terminate(); // a cycle that failed half-way must not leave its connection behind
  }
}

async function churnSteps(conn, n) {
  const legacy = n % 2 === 1;
  const group = n % GROUPS;
  await conn.opened;
  const name = `churn-${index}-${n}`;
  const auth = legacy
    ? await conn.ask('auth', { request: 'login', data: { name, group: `g-${group}`, available: true } })
    : await conn.ask('auth', { credentials: { name, group: `g-${group}`, available: true } });
  if (legacy ? auth.error !== false : auth.type !== 'reply') throw new Error(`auth: ${JSON.stringify(auth)}`);
  for (let k = 0; k < 3; k++) {
    const a = legacy ? await conn.ask('call', { request: 'mirror', data: { k } }) : await conn.ask('request', { name: 'mirror', data: { k } });
    if ((legacy ? a.response?.k : a.data?.k) !== k) throw new Error(`wrong answer: ${JSON.stringify(a)}`);
  }
  if (legacy) {
    // Legacy broadcasts get no acknowledgement; the answer to the next
    // message proves the server has handled it (messages are handled in order).
    conn.ws.send(JSON.stringify({ info: { action: 'broadcast', request: 'chat', group: `g-${group}`, packageID: 0 }, data: n }));
    await conn.ask('call', { request: 'mirror', data: { k: 'after' } });
  } else {
    const b = await conn.ask('broadcast', { event: 'chat', group: `g-${group}`, data: n });
    if (b.type !== 'reply') throw new Error(`broadcast: ${JSON.stringify(b)}`);
  }
  c.chatSent[group]++;
  switch (n % 3) {
    case 0: conn.ws.close(1000); break;
    case 1: conn.ws.terminate(); break;
    default: await (legacy ? conn.ask('call', { request: 'kick' }) : conn.ask('request', { name: 'kick' }));
  }
  await Promise.race([conn.closed, sleep(20_000).then(() => Promise.reject(new Error('close timed out')))]);
  c.churnCycles++;
}

let mixing = false;
let churners = [];
let requestTimer = null;

serve({
  info: async () => ({ fdLimit: await fdLimit() }),
  /** Opens `count` long-lived connections, `concurrency` at a time. */
  open: async ({ count, concurrency = 64 }) => {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) await openLongLived(next++);
    }));
    return { opened: longLived.length, ms: performance.now() - t0 };
  },
  mixStart: ({ churnersPerProcess, cycleMs, requestsPerSecond }) => {
    mixing = true;
    let n = 0;
    churners = Array.from({ length: churnersPerProcess }, async () => {
      while (mixing) {
        const t0 = performance.now();
        try {
          await churnCycle(n++);
        } catch (error) {
          fail(error);
        }
        await sleep(Math.max(0, cycleMs - (performance.now() - t0)));
      }
    });
    let k = 0;
    const every = 50;
    const perTick = Math.max(1, Math.round((requestsPerSecond * every) / 1000));
    requestTimer = setInterval(() => {
      for (let i = 0; i < perTick; i++) longLivedRequest(k++);
    }, every);
    return true;
  },
  /** Stops the mix and waits (bounded) for every request still in flight. */
  mixStop: async () => {
    mixing = false;
    clearInterval(requestTimer);
    await Promise.all(churners);
    for (let i = 0; i < 400 && c.answered + c.wrong + c.lost + Object.values(c.errors).reduce((a, b) => a + b, 0) < c.requests; i++) await sleep(50);
    return true;
  },
  /** Waits (bounded) until every long-lived connection has tick `seq`, then reports. */
  report: async ({ seq }) => {
    for (let i = 0; i < 300 && longLived.some((l) => l.ticks < seq); i++) await sleep(50);
    const ticks = longLived.map((l) => l.ticks);
    return { ...c, ticksMin: Math.min(...ticks), ticksMax: Math.max(...ticks), longLived: longLived.length };
  },
  closeAll: async () => {
    for (const l of longLived) l.ws.close(1000);
    await Promise.race([Promise.all(longLived.map((l) => l.closed)), sleep(30_000)]);
    const open = longLived.filter((l) => l.ws.readyState !== WebSocket.CLOSED).length;
    for (const l of longLived) l.ws.terminate();
    longLived.length = 0;
    return { stillOpen: open };
  },
});
process.send({ ready: true });
