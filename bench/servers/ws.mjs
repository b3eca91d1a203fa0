// Target: the `ws` package, used the way its README shows.
import { once } from 'node:events';
import { WebSocketServer } from 'ws';

export const label = 'ws';

export async function start({ host, port }) {
  const wss = new WebSocketServer({ host, port, maxPayload: 100 * 1024 * 1024 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return {
    port: wss.address().port,
    count: () => wss.clients.size,
    modes: {
      // The idiomatic broadcast from the ws README.
      loop(msg) {
        for (const c of wss.clients) c.send(msg);
      },
    },
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
