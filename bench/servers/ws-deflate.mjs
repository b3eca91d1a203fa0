// Target: the `ws` package with permessage-deflate on (`perMessageDeflate:
// true`, ws's defaults otherwise: context takeover on both sides, 15 window
// bits, zlib's default level and memLevel 8, threshold 1024 bytes, 10 zlib
// jobs in flight). The application code is the ws target's (./ws.mjs): the
// README's broadcast loop, each send compressed for its recipient.
import { once } from 'node:events';
import { WebSocketServer } from 'ws';

export const label = 'ws, perMessageDeflate: true';

/** What the load generator offers: what Chromium and Firefox send. */
export const client = { extensions: 'permessage-deflate; client_max_window_bits' };

export function start(options) {
  return serve(WebSocketServer, options);
}

/** The application, for any ws-compatible WebSocketServer class (ours-deflate.mjs runs it on ours). */
export async function serve(WebSocketServer, { host, port }) {
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
    payloadLength: () => -1, // compressed sizes vary per message
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
