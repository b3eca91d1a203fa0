// The two implementations the parity tests run each scenario against: the
// `ws` package (the reference) and this package's ws-compatible API, from
// dist/ as an application gets it.
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
