// Every example under examples/ starts and does what its comment says.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { WebSocket } from '../../dist/esm/index.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.mjs';

// Paths below are relative to the package root, wherever the test is run from.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const children = [];
after(() => children.forEach((c) => c.kill('SIGKILL')));

/** Starts an example on a free port; resolves with its first line of output. */
async function start(file, env = {}) {
  const child = spawn(process.execPath, [file], { cwd: ROOT, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  for (let i = 0; i < 100 && !/listening on/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const m = /(wss?):\/\/127\.0\.0\.1:(\d+)/.exec(out);
  assert.ok(m, `example printed where it listens: ${out}`);
  return { child, scheme: m[1], port: Number(m[2]), out };
}
const next = (ws) => new Promise((r, j) => { ws.once('message', (d) => r(d.toString())); ws.once('error', j); });

test('echo-server.mjs + echo-client.mjs', async () => {
  const { port } = await start('examples/echo-server.mjs');
  const client = spawn(process.execPath, ['examples/echo-client.mjs', `ws://127.0.0.1:${port}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(client);
  let out = '';
  client.stdout.on('data', (d) => (out += d));
  await once(client, 'exit');
  assert.match(out, /received text: hello/);
  assert.match(out, /received text: text message/);
  assert.match(out, /received binary: 010203/);
  assert.match(out, /closed 1000 done/);
});

test('two-endpoints.mjs routes /echo and /time; other paths get 404', async () => {
  const { port } = await start('examples/two-endpoints.mjs');
  const echo = new WebSocket(`ws://127.0.0.1:${port}/echo`);
  await once(echo, 'open');
  echo.send('round trip');
  assert.equal(await next(echo), 'round trip');
  const time = new WebSocket(`ws://127.0.0.1:${port}/time`);
  assert.match(await next(time), /^\d{4}-\d\d-\d\dT/);
  const nowhere = new WebSocket(`ws://127.0.0.1:${port}/nowhere`);
  const [err] = await once(nowhere, 'error').catch((e) => [e]);
  assert.match(err.message, /404/);
  echo.close();
  time.close();
});

test('https-echo.mjs serves wss://', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wss-example-'));
  try {
    const { key, cert } = makeSelfSignedCert();
    writeFileSync(join(dir, 'key.pem'), key);
    writeFileSync(join(dir, 'cert.pem'), cert);
    const { scheme, port } = await start('examples/https-echo.mjs', { TLS_KEY: join(dir, 'key.pem'), TLS_CERT: join(dir, 'cert.pem') });
    assert.equal(scheme, 'wss');
    const ws = new WebSocket(`wss://127.0.0.1:${port}`, { ca: cert });
    await once(ws, 'open');
    ws.send('secure');
    assert.equal(await next(ws), 'secure');
    ws.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('attach-http.mjs with node-client.mjs: auth, requests, errors, plain HTTP alongside', async () => {
  const { port } = await start('examples/attach-http.mjs');
  const plain = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  assert.match(plain, /plain HTTP still works/);
  const client = spawn(process.execPath, ['examples/node-client.mjs', `ws://127.0.0.1:${port}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(client);
  let out = '';
  client.stdout.on('data', (d) => (out += d));
  client.stderr.on('data', (d) => (out += d));
  const [code] = await once(client, 'exit');
  assert.equal(code, 0, out);
  assert.match(out, /signed in as script/);
  assert.match(out, /1 \+ 2 \+ 3 = 6/);
  assert.match(out, /error answer: internal_error/);
  assert.match(out, /state: closed/);
});

test('express.mjs: Express routes and the WebSocket path on one port', async () => {
  const { port } = await start('examples/express.mjs');
  const { WebSocketNodeClient } = await import('../../dist/esm/client/index.js');
  const client = new WebSocketNodeClient(`ws://127.0.0.1:${port}/live`, { credentials: { name: 'x' } });
  await client.authenticate();
  assert.deepEqual(await client.request('echo', { a: [1] }), { a: [1] });
  const health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json());
  assert.deepEqual(health, { ok: true, sessions: 1 });
  await client.close();
});
