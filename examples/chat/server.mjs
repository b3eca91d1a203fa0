// The demo: a chat on a bare node:http server. One page, served from
// public/, plus the browser build of the client. Everything the library does
// is on show: the upgrade gate, authentication, groups, requests, a
// broadcast from a request handler that leaves out its sender, private
// messages with a server hook, presence and reconnection.
//
// One process by default. On several (docs/scaling.md): `node
// examples/chat/cluster.mjs` runs it in node:cluster workers, and
// `REDIS_URL=redis://127.0.0.1:6379 node examples/chat/server.mjs` started
// on two ports joins the processes through Redis.
import cluster from 'node:cluster';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { WebSocketNodeServer, RequestError } from 'ws-node-server';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const GROUPS = ['general', 'dev', 'random'];
const HISTORY = 50;

const FILES = {
  '/': [join(here, 'public', 'index.html'), 'text/html; charset=utf-8'],
  '/app.js': [join(here, 'public', 'app.js'), 'text/javascript; charset=utf-8'],
  '/style.css': [join(here, 'public', 'style.css'), 'text/css; charset=utf-8'],
  '/client.js': [join(root, 'dist', 'browser', 'client.js'), 'text/javascript; charset=utf-8'],
};

const httpServer = http.createServer(async (req, res) => {
  const entry = FILES[new URL(req.url, 'http://x').pathname];
  if (req.method !== 'GET' || entry === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  try {
    const body = await readFile(entry[0]);
    res.writeHead(200, { 'content-type': entry[1], 'cache-control': 'no-store' }).end(body);
  } catch {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('run `npm run build` first\n');
  }
});

/** The adapter for several processes, or null for one (the default). */
async function adapter() {
  if (cluster.isWorker) {
    const { createClusterAdapter } = await import('ws-node-server/cluster');
    return createClusterAdapter();
  }
  if (process.env.REDIS_URL) {
    // The application owns its Redis clients (here the `redis` package); the library only uses them.
    const { createClient } = await import('redis');
    const publisher = createClient({ url: process.env.REDIS_URL });
    const subscriber = publisher.duplicate();
    await Promise.all([publisher.connect(), subscriber.connect()]);
    const { createRedisAdapter } = await import('ws-node-server/redis');
    return createRedisAdapter({ publisher, subscriber });
  }
  return null;
}

const who = cluster.isWorker ? `[worker ${cluster.worker.id}] ` : '';
// recovery: a page whose connection drops (a network change, a laptop lid)
// takes its session back and gets the lines it missed, once and in order.
// perMessageDeflate: browsers offer compression by themselves; messages of
// 1 KiB and more (a room's history, long lines) travel compressed, and a
// line broadcast to a room is compressed once for all its members.
const chat = new WebSocketNodeServer(httpServer, { path: '/ws', adapter: await adapter(), recovery: true, perMessageDeflate: true });

// The upgrade gate: browsers send Origin; only pages served by this server
// may open a connection (cross-site WebSocket hijacking protection).
chat.onUpgrade((req, allow, deny) => {
  const origin = req.headers.origin;
  if (origin === undefined || origin === `http://${req.headers.host}`) allow();
  else deny(403, 'cross-origin connections are not allowed');
});

// Sign-in: a name and the groups to start in. A real app would check a
// password or a token here.
chat.onAuthentication(async (credentials, startSession, respond) => {
  const name = typeof credentials?.name === 'string' ? credentials.name.trim() : '';
  if (!/^[\p{L}\p{N} _.-]{1,24}$/u.test(name)) return respond('pick a name of 1 to 24 letters, digits, spaces, dots or dashes');
  // Every process's sessions (one process: this one's): a name is signed in once.
  const { sessions } = await chat.fetchSessions();
  if (sessions.some((s) => s.alias === name)) return respond(`"${name}" is already signed in`);
  const groups = Array.isArray(credentials.groups) ? credentials.groups.filter((g) => GROUPS.includes(g)) : [];
  const since = new Date().toISOString();
  startSession({ name, since }, groups.length > 0 ? groups : ['general'], name, true, { since });
  respond(null, { name, groups: GROUPS });
});

// Clients may move between the demo's rooms, and nowhere else.
chat.onGroupChange((session, group) => GROUPS.includes(group));

const history = new Map(GROUPS.map((g) => [g, []]));

// A chat line: stored, answered to its sender, and broadcast to the other
// members of the room (the sender is left out: it already has the answer).
chat.onRequest('chat/send', (body, { session }) => {
  const group = body?.group;
  const text = typeof body?.text === 'string' ? body.text.trim() : '';
  if (!GROUPS.includes(group) || !session.inGroup(group)) throw new RequestError('forbidden', `join ${group} first`);
  if (text === '' || text.length > 500) throw new RequestError('request_failed', 'a line is 1 to 500 characters');
  const line = { group, text, from: session.alias, at: new Date().toISOString() };
  const lines = history.get(group);
  lines.push(line);
  if (lines.length > HISTORY) lines.shift();
  session.broadcast('chat', line, { group, except: session });
  return line;
});

chat.onRequest('chat/history', (body, { session }) => {
  const group = body?.group;
  if (typeof group !== 'string' || !session.inGroup(group)) throw new RequestError('forbidden', `join ${group} first`);
  return history.get(group);
});

chat.onPrivateMessage((sender, receiver, data) => {
  console.log(`${who}private message ${sender.alias} -> ${receiver.alias}: ${JSON.stringify(data).slice(0, 80)}`);
});

chat.onConnectionClose((session) => console.log(`${who}${session.alias ?? session.id} left`));
chat.on('session', (session) => console.log(`${who}${session.alias} signed in (${session.groupList().join(', ')})`));
chat.on('error', (err) => console.error('handler error:', err));

const port = Number(process.env.PORT ?? 8080);
await chat.listen();
httpServer.listen(port, '127.0.0.1', () => {
  const { port: bound } = httpServer.address();
  console.log(`ws-node-server chat demo: open http://127.0.0.1:${bound}/ in two browser windows`);
  console.log('(stop with Ctrl+C; start it again and watch the pages reconnect)');
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await chat.close();
    httpServer.close();
    process.exit(0);
  });
}
