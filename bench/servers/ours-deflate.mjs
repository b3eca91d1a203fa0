// Target: ws-node-server's low-level, ws-compatible WebSocketServer with
// permessage-deflate on (`perMessageDeflate: true`, our defaults: no context
// takeover on either side, threshold 1024 bytes). The application code is
// the ws-deflate target's, line for line: each send is compressed for its
// recipient, as a ws application ported as is would do.
import { once } from 'node:events';
import { oursEntry, oursAvailable } from '../lib/ours-entry.mjs';

export const label = 'ours: clients loop, perMessageDeflate: true';
export const available = oursAvailable;
export { client } from './ws-deflate.mjs';

export async function start({ host, port }) {
  const { WebSocketServer } = await import(oursEntry);
  const wss = new WebSocketServer({ host, port, maxPayload: 100 * 1024 * 1024, perMessageDeflate: true });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return {
    port: wss.address().port,
    count: () => wss.clients.size,
    modes: {
      loop(msg) {
        for (const c of wss.clients) c.send(msg);
      },
    },
    payloadLength: () => -1,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
