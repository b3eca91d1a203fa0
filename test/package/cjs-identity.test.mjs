// Every entry point shares one module graph: `require('ws-node-server')`,
// `require('ws-node-server/compat')` and `require('ws-node-server/client')`
// load the same classes, so `instanceof` and error codes hold across them,
// and `import` of each gives those same classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumer, runNode } from './consumer.mjs';

const identity = `
const root = require('ws-node-server');
const compat = require('ws-node-server/compat');
const client = require('ws-node-server/client');
// The server compat builds on, and the errors it recognises, are the root's.
const compatServer = new compat.WebSocketNodeServer({ host: '127.0.0.1', port: 0, heartbeatInterval: 0 });
const server = new root.WebSocketNodeServer({ host: '127.0.0.1', port: 0 });
const ws = Object.create(client.WebSocketNodeClient.prototype);
console.log(JSON.stringify({
  rootIsWebSocket: root === root.WebSocket && root.default === root.WebSocket,
  compatServerIsRootServer: compatServer.server instanceof root.WebSocketNodeServer,
  rootServerFromCompatClass: server instanceof compatServer.server.constructor,
  clientIsCore: ws instanceof client.ClientCore,
  wssIsServer: compatServer.getServer() === null || compatServer.getServer() instanceof root.WebSocketServer,
}));
`;

test('root, compat and client CommonJS entries see the same classes (instanceof holds across them)', async () => {
  const c = consumer({ 'identity.cjs': identity });
  try {
    const out = JSON.parse(await runNode(c.dir, 'identity.cjs'));
    assert.deepEqual(out, {
      rootIsWebSocket: true,
      compatServerIsRootServer: true,
      rootServerFromCompatClass: true,
      clientIsCore: true,
      wssIsServer: true,
    });
  } finally {
    c.remove();
  }
});

// The compat server answers a RequestError thrown by an OnRequest handler
// with its own code only if it is the RequestError class the router checks.
const wire = `
const { RequestError, WebSocketServer } = require('ws-node-server');
const { WebSocketNodeServer } = require('ws-node-server/compat');
const { WebSocketNodeClient, ServerError } = require('ws-node-server/client');
const { WebSocket } = require('ws-node-server');

const server = new WebSocketNodeServer({ host: '127.0.0.1', port: 0, heartbeatInterval: 0 });
server.OnAuthentication((credentials, startSessionWith, response) => {
  startSessionWith({ user: 'ana' }, [], 'ana');
  response(null, { user: 'ana' });
});
server.OnRequest('secret', () => {
  throw new RequestError('forbidden', 'not for you', { need: 'admin' });
});
server.server.listen().then(async ({ port }) => {
  const c = new WebSocketNodeClient('ws://127.0.0.1:' + port, { credentials: {}, reconnect: false });
  const out = {};
  try {
    await c.authenticate();
    await c.request('secret');
    out.answered = 'no error';
  } catch (err) {
    out.isServerError = err instanceof ServerError;
    out.code = err.code;
    out.details = err.details;
  }
  out.wssIsRootClass = server.getServer() instanceof WebSocketServer;
  let sawRootSocket = false;
  for (const ws of server.getServer().clients) sawRootSocket = ws instanceof WebSocket;
  out.socketIsRootClass = sawRootSocket;
  c.close();
  await server.Close();
  console.log(JSON.stringify(out));
});
`;

test('a root RequestError thrown in a compat OnRequest handler answers its own code, not internal_error', async () => {
  const c = consumer({ 'wire.cjs': wire });
  try {
    const out = JSON.parse(await runNode(c.dir, 'wire.cjs'));
    assert.deepEqual(out, {
      isServerError: true,
      code: 'forbidden',
      details: { need: 'admin' },
      wssIsRootClass: true,
      socketIsRootClass: true,
    });
  } finally {
    c.remove();
  }
});

test('the CommonJS root entry has the shape of require("ws") and the named exports of the ES module', async () => {
  const c = consumer({
    'shape.cjs': `
const WebSocket = require('ws-node-server');
const { WebSocketServer, RequestError } = require('ws-node-server');
console.log(JSON.stringify({
  server: WebSocket.Server === WebSocketServer && WebSocket.WebSocketServer === WebSocketServer,
  open: WebSocket.OPEN,
  requestError: typeof RequestError,
  keys: Object.keys(WebSocket).sort(),
}));`,
    'shape.mjs': `
import * as api from 'ws-node-server';
console.log(JSON.stringify(Object.keys(api).filter((k) => k !== 'default').sort()));`,
  });
  try {
    const cjs = JSON.parse(await runNode(c.dir, 'shape.cjs'));
    const esm = JSON.parse(await runNode(c.dir, 'shape.mjs'));
    assert.equal(cjs.server, true);
    assert.equal(cjs.open, 1);
    assert.equal(cjs.requestError, 'function');
    for (const name of esm) assert.ok(cjs.keys.includes(name), `require('ws-node-server').${name}`);
  } finally {
    c.remove();
  }
});

// import and require load the same code: the ES module entries re-export the
// CommonJS build, so an application (or two of its dependencies) that
// reaches the package both ways still gets one set of classes.
const both = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const pairs = [
  ['ws-node-server', ['WebSocket', 'WebSocketServer', 'WebSocketNodeServer', 'RequestError', 'createWebSocketStream', 'default']],
  ['ws-node-server/compat', ['WebSocketNodeServer']],
  ['ws-node-server/client', ['WebSocketNodeClient', 'ServerError', 'ClientCore']],
  ['ws-node-server/protocol', ['FrameParser', 'Connection', 'prepareFrame']],
];
const out = {};
for (const [entry, names] of pairs) {
  const esm = await import(entry);
  const cjs = require(entry);
  for (const name of names) out[entry + ' ' + name] = typeof esm[name] === 'function' && esm[name] === (name === 'default' && entry === 'ws-node-server' ? cjs : cjs[name]);
}
console.log(JSON.stringify(out));
`;

test('import and require of every entry give the very same classes and functions', async () => {
  const c = consumer({ 'package.json': JSON.stringify({ name: 'app', private: true, type: 'module' }), 'both.mjs': both });
  try {
    const out = JSON.parse(await runNode(c.dir, 'both.mjs'));
    const names = Object.keys(out);
    assert.equal(names.length, 13);
    assert.deepEqual(names.filter((n) => out[n] !== true), []);
  } finally {
    c.remove();
  }
});
