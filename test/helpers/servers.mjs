// Servers built only from the public ws-compatible API.
import { onceWithin, within } from './wait.mjs';

/** Start a WebSocketServer on 127.0.0.1, port 0; resolves once listening. */
export async function listen(WebSocketServer, options = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await onceWithin(wss, 'listening', 'server listening', 3000);
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
  await within(new Promise((resolve) => wss.close(() => resolve())), 'server close', 3000);
}
