// Programs written for the `ws` package run on ws-node-server after changing
// only the module name in the import: each program below runs twice, once
// per package, and must print the same transcript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
// Inside the package, so `import 'ws-node-server'` resolves to it (self-reference).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = join(ROOT, 'test-output', 'dropin');
mkdirSync(dir, { recursive: true });

// ws README style, ESM: server + client in one process.
const esmProgram = (pkg) => `
import WebSocket, { WebSocketServer } from '${pkg}';
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
const log = [];
wss.on('connection', function connection(ws, req) {
  ws.on('error', console.error);
  ws.on('message', function message(data, isBinary) {
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
  ws.send('something');
});
wss.on('listening', () => {
  const ws = new WebSocket('ws://127.0.0.1:' + wss.address().port + '/path', { perMessageDeflate: false });
  ws.on('error', console.error);
  ws.on('open', function open() {
    ws.send(new Uint8Array([1, 2, 3]));
    ws.ping('heartbeat');
  });
  ws.on('pong', (d) => log.push('pong ' + d));
  let messages = 0;
  ws.on('message', function message(data, isBinary) {
    log.push((isBinary ? 'binary ' : 'text ') + data.toString('hex'));
    if (++messages === 2) ws.close(1000, 'bye');
  });
  ws.on('close', (code, reason) => {
    log.push('close ' + code + ' ' + reason);
    wss.close(() => { console.log(JSON.stringify(log.sort())); });
  });
});
`;

// CommonJS style with WebSocket.Server and the browser-style API.
const cjsProgram = (pkg) => `
const WebSocket = require('${pkg}');
const wss = new WebSocket.Server({ port: 0, host: '127.0.0.1' });
wss.on('connection', (ws) => ws.on('message', (data) => ws.send('echo:' + data)));
wss.on('listening', () => {
  const ws = new WebSocket('ws://127.0.0.1:' + wss.address().port);
  const log = [];
  ws.onopen = () => ws.send('hi');
  ws.onmessage = (ev) => { log.push(ev.data); ws.close(); };
  ws.onclose = (ev) => { log.push(ev.code, ev.wasClean); wss.close(); console.log(JSON.stringify(log)); };
});
`;

async function outputs(program, ext) {
  const results = [];
  for (const pkg of ['ws', 'ws-node-server']) {
    const file = join(dir, `${pkg}.${ext}`);
    writeFileSync(file, program(pkg));
    const { stdout } = await run(process.execPath, [file], { cwd: ROOT, timeout: 10_000 });
    results.push(stdout.trim());
  }
  return results;
}

test('a ws ESM server+client program runs unchanged but for the import', async () => {
  const [ws, ours] = await outputs(esmProgram, 'mjs');
  assert.equal(ours, ws);
  assert.deepEqual(JSON.parse(ours), ['binary 010203', 'close 1000 bye', 'pong heartbeat', 'text 736f6d657468696e67']);
});

test('a ws CommonJS program using WebSocket.Server and onmessage runs unchanged', async () => {
  const [ws, ours] = await outputs(cjsProgram, 'cjs');
  assert.equal(ours, ws);
  assert.deepEqual(JSON.parse(ours), ['echo:hi', 1005, true]);
});
