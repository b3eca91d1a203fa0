// Target: the `ws` package, used the way its README shows.
import { once } from 'node:events';
import { WebSocketServer } from 'ws';

export const label = 'ws';

export async function start({ host, port }) {
  const wss = new WebSocketServer({ host, port, maxPayload: 100 * 1024 * 1024 });
  await once(wss, 'listening');
  // ws has no groups. What a ws application writes instead: a Set of the
  // members, filled when they connect and emptied when they leave (the
  // members ask for /?group=g), and a loop over that Set.
  const group = new Set();
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    if (req.url === '/?group=g') {
      group.add(ws);
      ws.on('close', () => group.delete(ws));
    }
  });
  return {
    port: wss.address().port,
    count: () => wss.clients.size,
    groupCount: () => group.size,
    modes: {
      // The idiomatic broadcast from the ws README.
      loop(msg) {
        for (const c of wss.clients) c.send(msg);
      },
      loopGroup(msg) {
        for (const c of group) c.send(msg);
      },
    },
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
