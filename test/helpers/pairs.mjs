// Connect one client to one server and hand both ends to a test, recorded.
import http from 'node:http';
import { listen, closeServer } from './servers.mjs';
import { record } from './client-log.mjs';
import { within } from './wait.mjs';

export const WAIT = 3000;

/**
 * Start `ServerClass` (ws-compatible WebSocketServer) and connect one
 * `ClientClass` to it. Returns { wss, port, client, clog, server, slog, req, cleanup }.
 * `onConnection(ws, req)` runs inside the 'connection' event, before anything else.
 */
export async function openPair(ServerClass, ClientClass, {
  serverOptions = {}, path = '/', protocols, clientOptions, onConnection, url,
} = {}) {
  const wss = await listen(ServerClass, serverOptions);
  const port = wss.address().port;
  const connected = new Promise((resolve) => {
    wss.once('connection', (ws, req) => {
      const slog = record(ws);
      onConnection?.(ws, req);
      resolve({ server: ws, slog, req });
    });
  });
  const target = url ?? `ws://127.0.0.1:${port}${path}`;
  const client = protocols === undefined
    ? new ClientClass(target, clientOptions)
    : new ClientClass(target, protocols, clientOptions);
  const clog = record(client);
  const cleanup = async () => {
    try { client.terminate(); } catch { /* gone */ }
    await closeServer(wss);
  };
  try {
    const side = await within(connected, "server 'connection'", WAIT);
    await clog.waitFor(() => clog.opened || clog.closeEvent, WAIT);
    if (!clog.opened) throw new Error(`client did not open: ${clog.errors.map((e) => e.message).join('; ')}`);
    return { wss, port, client, clog, ...side, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Echo every message back with its type. */
export function echo(ws) {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

/** An http.Server listening on 127.0.0.1:0 (for the `server` and `noServer` options). */
export async function httpServer(handler) {
  const srv = http.createServer(handler ?? ((req, res) => { res.writeHead(404); res.end(); }));
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}
