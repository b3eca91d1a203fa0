// Target: ws-node-server's ws-compatible low-level API, from the built dist/.
// The application code is the ws target's, line for line; only the import
// differs (plus the prepareFrame mode, which ws does not have).
import { once } from 'node:events';
import { oursEntry, oursAvailable } from '../lib/ours-entry.mjs';

const entry = oursEntry;

export const label = 'ours';

export const available = oursAvailable;

export async function start({ host, port }) {
  const { WebSocketServer, prepareFrame } = await import(entry);
  const wss = new WebSocketServer({ host, port, maxPayload: 100 * 1024 * 1024 });
  await once(wss, 'listening');
  // The low-level server has no groups either: the same app-maintained Set
  // as the ws target.
  const group = new Set();
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    if (req.url === '/?group=g') {
      group.add(ws);
      ws.on('close', () => group.delete(ws));
    }
  });
  const modes = {
    loop(msg) {
      for (const c of wss.clients) c.send(msg);
    },
    loopGroup(msg) {
      for (const c of group) c.send(msg);
    },
  };
  if (typeof prepareFrame === 'function') {
    // Encode once, write the same frame to every recipient.
    modes.prepared = (msg) => {
      const frame = prepareFrame(msg, typeof msg !== 'string');
      for (const c of wss.clients) c.sendPrepared(frame);
    };
  }
  return {
    port: wss.address().port,
    count: () => wss.clients.size,
    groupCount: () => group.size,
    modes,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
