// The two implementations the parity tests run each scenario against: the
// `ws` package (the reference) and this package's ws-compatible API, from
// dist/ as an application gets it.
import assert from 'node:assert/strict';
import * as ws from 'ws';
import * as ours from '../../dist/esm/index.js';

export const impls = [
  { name: 'ws', WebSocket: ws.WebSocket, WebSocketServer: ws.WebSocketServer, createWebSocketStream: ws.createWebSocketStream },
  { name: 'ours', WebSocket: ours.WebSocket, WebSocketServer: ours.WebSocketServer, createWebSocketStream: ours.createWebSocketStream },
];

/** A server of `impl` on 127.0.0.1 and an ephemeral port; resolves once listening. */
export function listen(impl, options = {}) {
  return new Promise((resolve, reject) => {
    const wss = new impl.WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
    wss.once('error', reject);
    wss.once('listening', () => resolve(wss));
  });
}

/** Closes `wss` after terminating its connections. */
export function shutdown(wss) {
  for (const c of wss.clients ?? []) c.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

/** Resolves with the arguments of `emitter`'s next `event`, or rejects after `ms`. */
export function next(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Runs `scenario(impl)` for ws and ours; their outcomes must be equal (and ws's, `expected`). */
export async function parity(scenario, expected) {
  const outcomes = {};
  for (const impl of impls) outcomes[impl.name] = await scenario(impl);
  if (expected !== undefined) assert.deepEqual(outcomes.ws, expected, 'ws behaves as this scenario expects');
  assert.deepEqual(outcomes.ours, outcomes.ws, 'ours behaves as ws does');
  return outcomes;
}

/** A client WebSocket of `impl` to `wss`, wrapped in a stream, with its events logged in order. */
export function client(impl, wss, options) {
  const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  const stream = impl.createWebSocketStream(ws, options);
  const log = [];
  ws.on('error', (err) => log.push(`ws error: ${err.message}`));
  ws.on('close', (code, reason) => log.push(`ws close ${code}${reason.length > 0 ? ` ${reason}` : ''}`));
  stream.on('data', (chunk) => log.push(`data ${chunk}`));
  stream.on('end', () => log.push('end'));
  stream.on('finish', () => log.push(`finish (readyState ${ws.readyState})`));
  stream.on('error', (err) => log.push(`error: ${err.message}`));
  stream.on('close', () => log.push('close'));
  return { ws, stream, log };
}

/** Lets events already on their way (next ticks, immediates) be emitted. */
export async function settle() {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The next server-side connection of `wss`. */
export const connection = (wss) => next(wss, 'connection').then(([ws]) => ws);
