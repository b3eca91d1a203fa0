// Two WebSocket endpoints on one http server, routed by path with noServer:
// /echo answers every message, /time pushes the clock every second.
import http from 'node:http';
import { WebSocketServer } from 'ws-node-server';

const echo = new WebSocketServer({ noServer: true });
const time = new WebSocketServer({ noServer: true });

echo.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
time.on('connection', (ws) => {
  const timer = setInterval(() => ws.send(new Date().toISOString()), 1000);
  ws.send(new Date().toISOString());
  ws.on('close', () => clearInterval(timer));
});

const server = http.createServer((req, res) => res.end('WebSocket endpoints: /echo and /time\n'));
server.on('upgrade', (req, socket, head) => {
  const { pathname } = new URL(req.url, 'http://localhost');
  const target = pathname === '/echo' ? echo : pathname === '/time' ? time : null;
  if (target === null) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
});

const port = Number(process.env.PORT ?? 8080);
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on ws://127.0.0.1:${server.address().port}/echo and /time`);
});
