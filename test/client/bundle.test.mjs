// The browser builds (scripts/build-browser.mjs): small, free of Node
// built-ins and of the Node core, and working as an ES module and as a
// classic script that defines one global.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { buildBrowser } from '../../scripts/build-browser.mjs';
import { FakeSocket } from './fake-socket.mjs';
import { until } from '../helpers/wait.mjs';

// The browser entry point, found from here so the test runs from any directory.
const ENTRY = fileURLToPath(new URL('../../src/client/browser.ts', import.meta.url));

let dir;
let sizes;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsns-browser-'));
  sizes = await buildBrowser({ outdir: dir, entry: ENTRY, log: () => {} });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
});

test('both builds are well under 10 KiB gzipped', () => {
  for (const file of ['client.js', 'client.global.js']) {
    assert.ok(sizes[file].gzip < 10 * 1024, `${file}: ${sizes[file].gzip} B gzipped`);
    assert.ok(sizes[file].min > sizes[file].gzip);
  }
});

test('no Node built-ins, no require, no Node core in the bundles', () => {
  for (const file of ['client.js', 'client.global.js']) {
    const code = readFileSync(join(dir, file), 'utf8');
    assert.doesNotMatch(code, /\bnode:|\brequire\(|\bBuffer\b|\bprocess\./, file);
    // The frame parser and the handshake are the Node core's; they must not be bundled.
    assert.doesNotMatch(code, /Sec-WebSocket-Accept|FrameParser/i, file);
  }
});

test('the build refuses a Node built-in or the Node core', async () => {
  for (const [name, source] of [['builtin.ts', "import { request } from 'node:http'; export const r = request;"], ['core.ts', `export * from '${process.cwd()}/src/session/client.js';`]]) {
    const entry = join(dir, name);
    writeFileSync(entry, source);
    await assert.rejects(buildBrowser({ outdir: join(dir, 'bad'), entry, log: () => {} }), /cannot go into the browser bundle/, name);
  }
});

test('the classic script defines window.WebSocketNodeClient with the errors as properties', async () => {
  const made = [];
  const listeners = {};
  class BrowserSocket extends FakeSocket {
    constructor(url, protocols) {
      super(url, protocols);
      made.push(this);
    }
  }
  const context = vm.createContext({
    WebSocket: BrowserSocket,
    setTimeout, clearTimeout,
    addEventListener: (type, fn) => (listeners[type] = fn),
    removeEventListener: (type) => delete listeners[type],
  });
  vm.runInContext(readFileSync(join(dir, 'client.global.js'), 'utf8'), context);
  const Client = context.WebSocketNodeClient;
  assert.equal(typeof Client, 'function');
  assert.equal(Client.PROTOCOL, 'ws-node-server.v1');
  assert.equal(typeof Client.ServerError, 'function');
  const c = new Client('ws://example.test/', { reconnect: { initialDelay: 60_000, maxDelay: 60_000 } });
  assert.deepEqual([...made[0].protocols], ['ws-node-server.v1']);
  made[0].serverOpen();
  const p = c.request('x', 1);
  made[0].serverError(JSON.parse(made[0].sent[0]).id, 'forbidden', 'no');
  await assert.rejects(p, (e) => e instanceof Client.ServerError && e.code === 'forbidden');
  // The browser's online event cuts a long backoff short.
  made[0].serverClose(1006);
  assert.equal(c.state, 'reconnecting');
  assert.equal(typeof listeners.online, 'function');
  listeners.online();
  await until(() => made.length === 2, 'reconnect on online');
  await c.close();
  assert.equal(listeners.online, undefined, 'close() removes the online listener');
});

test('the ES module exports the client over the global WebSocket', async () => {
  const made = [];
  const saved = globalThis.WebSocket;
  globalThis.WebSocket = class extends FakeSocket {
    constructor(url, protocols) {
      super(url, protocols);
      made.push(this);
    }
  };
  try {
    const mod = await import(pathToFileURL(join(dir, 'client.js')).href);
    const c = new mod.WebSocketNodeClient('ws://example.test/');
    assert.equal(made.length, 1);
    made[0].serverOpen();
    const p = c.request('echo', 'x');
    made[0].serverReply(JSON.parse(made[0].sent[0]).id, 'x');
    assert.equal(await p, 'x');
    await c.close();
  } finally {
    globalThis.WebSocket = saved;
  }
});
