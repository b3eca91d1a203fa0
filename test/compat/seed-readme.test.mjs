// The 0.2.3 README's examples, run unchanged against ws-node-server/compat.
// The README text is not part of this repository: the test reads it from the
// seed copy beside the checkout (or WSNS_SEED_README), cuts out its code by
// marker lines, strips the TypeScript types with the TypeScript compiler, and
// runs it with stub database functions. Express is replaced by a bare
// request listener. Where the README is not available, the same steps run on
// an equivalent scenario written for this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import ts from 'typescript';
import * as compat from '../../dist/esm/compat/index.js';
import { WebSocket } from '../../dist/esm/index.js';
import { TestClient, legacyLogin, barrier } from '../router/helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

const README = process.env.WSNS_SEED_README ?? fileURLToPath(new URL('../../../shared/seed/ws-node-server-0.2.3-README.txt', import.meta.url));

/** Lines from the first one starting with `from` (at or after `after`) to the first one starting with `to`. */
function cut(lines, from, to, after = 0) {
  const start = lines.findIndex((l, i) => i >= after && l.startsWith(from));
  assert.notEqual(start, -1, `README marker not found: ${from}`);
  const end = lines.findIndex((l, i) => i >= start && l.startsWith(to));
  assert.notEqual(end, -1, `README end marker not found: ${to}`);
  return { text: lines.slice(start, end + 1).join('\n'), end };
}

function readmeProgram() {
  const lines = readFileSync(README, 'utf8').split(/\r?\n/);
  const setup = cut(lines, 'import { WebSocketNodeServer }', 'const wsServer = new WebSocketNodeServer');
  const listeners = cut(lines, 'let wsOnAuthReq', 'wsServer.OnConnectionClose(');
  const listen = cut(lines, 'wsServer.StartListening();', 'wsServer.StartListening();');
  const handler = cut(lines, 'wsServers.OnRequest(', '});');
  const broadcasts = cut(lines, 'wsServers.Broadcast(', "wsServers.Broadcast('test', null");
  const handler2 = cut(lines, 'wsServers.OnRequest(', '});', handler.end + 1);
  const access = cut(lines, 'let ws = wsServers.getServer();', '});');
  return [
    setup.text,
    listeners.text,
    listen.text,
    // The README's later sections call the server `wsServers`; the same object.
    'var wsServers = wsServer;',
    handler.text,
    broadcasts.text,
    handler2.text,
    access.text,
  ].join('\n');
}

/** Used only where the README is not available: the same calls, written for this test. */
const FALLBACK = `
import { WebSocketNodeServer } from "ws-node-server";
import http from 'http';
import express from 'express';
const server = http.createServer(express());
const wsServer = new WebSocketNodeServer(server);
wsServer.OnAuthentication((credential: any, startSessionWith: any, response: any) => {
  const found = FindUserInDatabase(credential.user, credential.password);
  if (!found) return response('invalid foundUsers', null);
  const token = GenerateToken();
  AddTokenToDatabase(token);
  startSessionWith({ user: found.user, token }, found.groups || [], found.name, found.availableOnConnect || false, { email: found.email });
  response(null, { user: found.user, name: found.name, email: found.email, isAdmin: true, token });
});
wsServer.OnConnectionClose((data: any) => RemoveTokenFromDatabase(data.token));
wsServer.OnHTTPUpgradeRequest((req: any, allow: any, deny: any) => (IsBannedIP(request.headers['cf-connecting-ip'] || request.connection.remoteAddress) ? deny() : allow()));
wsServer.SetOnPrivateMessageSent(() => {});
wsServer.StartListening();
var wsServers = wsServer;
wsServers.OnRequest('create/user', (body: any, response: any, data: any, groups: string[], emitter: any) => {
  response(null, { done: true });
  emitter.Broadcast('user/created', null, { user: body }, emitter);
});
let ws = wsServers.getServer();
ws.clients.forEach(() => {});
`;

function load(source) {
  // CommonJS output lets the imports resolve through the require() below.
  let js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
  // The README assigns an undeclared variable (publicInmutableData), which
  // only works in sloppy mode, as the original's users ran it.
  js = js.replace(/^"use strict";\s*/m, '');
  const modules = {
    'ws-node-server': compat,
    http,
    express: () => (req, res) => res.end('app'),
  };
  const db = { users: new Map(), tokens: new Set(), removed: [], banned: new Set(), counter: 0 };
  const env = {
    require: (name) => modules[name],
    FindUserInDatabase: (user, password) => {
      const u = db.users.get(user);
      return u && u.password === password ? u : null;
    },
    GenerateToken: () => `token-${++db.counter}`,
    AddTokenToDatabase: (t) => db.tokens.add(t),
    RemoveTokenFromDatabase: (t) => {
      db.tokens.delete(t);
      db.removed.push(t);
    },
    IsBannedIP: (ip) => db.banned.has(ip),
  };
  // The README's upgrade hook reads `request` although its parameter is
  // named `req`; the harness keeps `request` pointing at the current upgrade.
  const body = `let request; const track = (r) => { request = r; };\n${js}\nreturn { wsServer, server, ws, track };`;
  const run = new Function('exports', ...Object.keys(env), body);
  return { ...run({}, ...Object.values(env)), db };
}

test('the 0.2.3 README examples run unchanged against ws-node-server/compat', async (t) => {
  const fromReadme = existsSync(README);
  if (!fromReadme) t.diagnostic(`seed README not found at ${README}; running the equivalent scenario`);
  const app = load(fromReadme ? readmeProgram() : FALLBACK);
  const { wsServer, server, ws, track, db } = app;
  const errors = [];
  wsServer.on('error', (e) => errors.push(e));
  server.prependListener('upgrade', (req) => track(req));
  assert.ok(wsServer instanceof compat.WebSocketNodeServer);
  assert.equal(ws, wsServer.getServer());
  db.users.set('root', { user: 'root', password: 'pw', name: 'Root', email: 'r@x', groups: ['admin'], availableOnConnect: true });
  db.users.set('joe', { user: 'joe', password: 'pw', name: 'Joe', email: 'j@x', groups: [], availableOnConnect: true });
  db.banned.add('6.6.6.6');
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${server.address().port}`;
  try {
    const plain = await (await fetch(url.replace('ws:', 'http:'))).text();
    assert.equal(plain, 'app', 'the http app still serves');

    const banned = await within(new Promise((resolve) => {
      const w = new WebSocket(url, [], { headers: { 'cf-connecting-ip': '6.6.6.6' } });
      w.on('unexpected-response', (req, res) => resolve(res.statusCode));
      w.on('error', () => resolve('error'));
      w.on('open', () => resolve('open'));
    }), 'banned upgrade');
    assert.equal(banned, 403);

    const stranger = await TestClient.connect(url, { legacy: true });
    const refused = await stranger.call('auth', 'login', { user: 'root', password: 'nope' });
    assert.deepEqual([refused.error, refused.response], ['invalid foundUsers', null]);

    const root = await legacyLogin(url, { user: 'root', password: 'pw' });
    const joe = await legacyLogin(url, { user: 'joe', password: 'pw' });
    assert.equal(root.session.user, 'root');
    assert.match(root.session.token, /^token-\d+$/);
    assert.equal(db.tokens.size, 2);
    assert.equal(ws.clients.size, 3);

    const created = await root.call('call', 'create/user', { name: 'ana' });
    assert.deepEqual([created.error, created.response], [false, { done: true }]);
    const ev = await joe.event('user/created');
    assert.deepEqual(ev.response, { user: { name: 'ana' } });

    wsServer.Broadcast('test', 'admin', { yourMessage: 'admins' });
    assert.deepEqual((await root.event('test')).response, { yourMessage: 'admins' });
    await barrier(wsServer.server, [root, joe]);
    assert.ok(!root.has((m) => m.info?.request === 'user/created'), 'the emitter excluded itself');
    assert.ok(!joe.has((m) => m.info?.request === 'test'), 'joe is not in admin');

    const joeToken = joe.session.token;
    await joe.close();
    await until(() => db.removed.includes(joeToken), 'token removed');
    await stranger.close();
    await root.close();
    assert.deepEqual(errors, []);
  } finally {
    await wsServer.Close();
    await new Promise((r) => server.close(r));
    delete globalThis.publicInmutableData;
  }
});

test('the compat runtime knobs: SetHeartbeatInterval and SetTimeoutForAuthenticationRequest', async () => {
  const server = http.createServer();
  const wsServer = new compat.WebSocketNodeServer(server);
  wsServer.SetTimeoutForAuthenticationRequest(40);
  wsServer.SetHeartbeatInterval(0);
  assert.throws(() => wsServer.SetHeartbeatInterval(Number.NaN), RangeError);
  wsServer.StartListening();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const c = await TestClient.connect(`ws://127.0.0.1:${server.address().port}`, { legacy: true });
    assert.equal((await within(c.closed, 'auth timeout')).code, 1008);
  } finally {
    await wsServer.Close();
    await new Promise((r) => server.close(r));
  }
  assert.deepEqual(compat.LEGACY_DEFAULTS, { heartbeatInterval: 9000, authTimeout: 6000 });
});
