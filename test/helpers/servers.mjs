// Servers built only from the public ws-compatible API, plus small event helpers.
import { once } from 'node:events';

/** Wait for `event` on `emitter`, rejecting after `ms` with a descriptive error. */
export async function onceWithin(emitter, event, ms, what = event) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    return await once(emitter, event, { signal: ac.signal });
  } catch (err) {
    if (ac.signal.aborted) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolve `promise` or reject after `ms`. */
export function within(promise, ms, what = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Start a WebSocketServer on 127.0.0.1, port 0; resolves once listening. */
export async function listen(WebSocketServer, options = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await onceWithin(wss, 'listening', 3000, 'server listening');
  return wss;
}

/**
 * The echo server the conformance cases run against: every message is sent
 * back with the same type; nothing else is done by the application.
 */
export async function startEchoServer(WebSocketServer, options = {}) {
  const wss = await listen(WebSocketServer, options);
  const errors = [];
  const sockets = new Set();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', (err) => errors.push(err));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return {
    wss,
    port: wss.address().port,
    errors,
    close: () => closeServer(wss, sockets),
  };
}

/** Close a server and drop any connection still open. */
export async function closeServer(wss, sockets = wss.clients ?? []) {
  for (const ws of sockets) {
    try { ws.terminate(); } catch { /* already gone */ }
  }
  await within(new Promise((resolve) => wss.close(() => resolve())), 3000, 'server close');
}
