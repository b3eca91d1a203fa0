// A ws-style client on ws-node-server: connect, send, print the echoes, close.
import { WebSocket } from 'ws-node-server';

const url = process.argv[2] ?? `ws://127.0.0.1:${process.env.PORT ?? 8080}`;
const ws = new WebSocket(url);

ws.on('error', console.error);
ws.on('open', () => {
  ws.send('text message');
  ws.send(Buffer.from([1, 2, 3]));
});
let received = 0;
ws.on('message', (data, isBinary) => {
  console.log('received %s: %s', isBinary ? 'binary' : 'text', isBinary ? data.toString('hex') : data.toString());
  if (++received === 3) ws.close(1000, 'done');
});
ws.on('close', (code, reason) => console.log('closed', code, reason.toString()));
