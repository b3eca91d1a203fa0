// The two implementations every parity test runs against: the `ws` package
// (the reference: each assertion is ws's documented behaviour, so it must
// pass there first) and ours, built into dist/. A scenario that passes on
// both proves the test right and our classes compatible.
import WsWebSocket, { WebSocketServer as WsWebSocketServer } from 'ws';
import { WebSocket as OurWebSocket, WebSocketServer as OurWebSocketServer } from '../../dist/esm/index.js';
import http from 'node:http';
import { within, WAIT_MS } from '../helpers/wait.mjs';

export const impls = [
  { name: 'ws', WebSocket: WsWebSocket, WebSocketServer: WsWebSocketServer },
  { name: 'ours', WebSocket: OurWebSocket, WebSocketServer: OurWebSocketServer },
];

/**
 * Records a client's events in order, with the readyState seen inside each
 * listener. `done` resolves at 'close' (bounded: it rejects if no 'close'
 * comes within the wait).
 */
export function record(ws) {
  const log = { events: [], errors: [], close: null };
  let resolve;
  const closed = new Promise((r) => { resolve = r; });
  // 'unexpected-response' and 'redirect' are not recorded: listening to them changes what happens.
  for (const type of ['open', 'upgrade']) {
    ws.on(type, () => log.events.push({ type, readyState: ws.readyState }));
  }
  ws.on('error', (err) => {
    log.errors.push(err);
    log.events.push({ type: 'error', readyState: ws.readyState, message: err.message });
  });
  ws.on('close', (code, reason) => {
    log.close = { code, reason: reason.toString(), readyState: ws.readyState };
    log.events.push({ type: 'close', readyState: ws.readyState });
    resolve(log);
  });
  log.done = (what = 'close') => within(closed, what);
  return log;
}

/** The event types in order. */
export const types = (log) => log.events.map((e) => e.type);

/** An http server on 127.0.0.1 with an ephemeral port; `close()` ends every connection. */
export async function httpServer(onRequest = null, onUpgrade = null) {
  const server = http.createServer(onRequest ?? ((req, res) => { res.writeHead(404); res.end(); }));
  if (onUpgrade !== null) server.on('upgrade', onUpgrade);
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: server.address().port,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** Settles after `ms` (a bounded pause to see that nothing more happens; never an assertion on time). */
export const pause = (ms) => new Promise((r) => setTimeout(r, ms));

export { within, WAIT_MS };
