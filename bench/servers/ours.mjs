// Target: ws-node-server's ws-compatible low-level API, from the built dist/.
import { once } from 'node:events';
import { oursEntry, oursAvailable } from '../lib/ours-entry.mjs';

const entry = oursEntry;

export const label = 'ours';

export const available = oursAvailable;

export async function start({ host, port }) {
  const { WebSocketServer, prepareFrame } = await import(entry);
  const wss = new WebSocketServer({ host, port, maxPayload: 100 * 1024 * 1024 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const modes = {
    // Same code as the ws target: only the import differs.
    loop(msg) {
      for (const c of wss.clients) c.send(msg);
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
    modes,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
