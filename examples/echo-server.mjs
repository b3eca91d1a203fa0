// A ws-style echo server on ws-node-server. Code written for the `ws`
// package runs unchanged apart from the import line.
import { WebSocketServer } from 'ws-node-server';

const port = Number(process.env.PORT ?? 8080);
const wss = new WebSocketServer({ port, host: '127.0.0.1' });

wss.on('connection', (ws, req) => {
  ws.on('error', console.error);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.send(`hello ${req.socket.remoteAddress}, everything you send comes back`);
});

wss.on('listening', () => {
  console.log(`echo server listening on ws://127.0.0.1:${wss.address().port}`);
  console.log('try: node examples/echo-client.mjs');
});
