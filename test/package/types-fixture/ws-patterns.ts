// The common patterns of code written for `ws`, with the package name changed:
// every listener parameter has the type @types/ws gives it, never `any`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, createWebSocketStream, type RawData } from 'ws-node-server';
import { is } from './typed.js';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });

wss.on('connection', (ws, req) => {
  is(ws).as<WebSocket>();
  is(req).as<IncomingMessage>();
  const remote: string | undefined = req.socket.remoteAddress;
  const request: IncomingMessage = req;
  ws.on('error', (err) => is(err).as<Error>());
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('message', (data, isBinary) => {
    is(data).as<RawData>();
    is(isBinary).as<boolean>();
  });
  ws.on('message', function (data: RawData) {
    const self: WebSocket = this;
    if (Buffer.isBuffer(data)) self.send(data.toString('utf8'));
    else if (Array.isArray(data)) self.send(Buffer.concat(data));
    else self.send(new Uint8Array(data));
  });
  ws.on('close', (code, reason) => {
    is(code).as<number>();
    is(reason).as<Buffer>();
    const n: number = code;
    const text: string = reason.toString();
    return [n, text, remote, request.url];
  });
  ws.once('ping', (data) => is(data).as<Buffer>());
  ws.on('pong', (data: Buffer) => data.byteLength);
  ws.off('error', console.error);
  ws.send('something');
});

wss.on('headers', (headers, req) => {
  is(headers).as<string[]>();
  headers.push('X-Url: ' + req.url);
});
wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  client.on('open', () => client.send(Buffer.from('hi')));
  client.on('upgrade', (res) => is(res).as<IncomingMessage>());
  client.on('unexpected-response', (req, res) => [req.path, res.statusCode]);
  client.addListener('close', (code: number) => code);
  client.removeListener('message', () => {});
  client.prependListener('error', (err: Error) => err.stack);
  // Events outside the known set still take any listener, as on an EventEmitter.
  client.on('custom', (a: number, b: string) => a + b);
  const name: string = 'message';
  client.on(name, (...args) => args.length);
});
wss.on('error', (err) => is(err).as<Error>());
wss.on('wsClientError', (err, socket, req) => {
  is(err).as<Error & { status?: number }>();
  socket.end(`HTTP/1.1 ${err.status ?? 400} Bad Request\r\n\r\n`);
  return req.url;
});
wss.on('close', () => {});

wss.clients.forEach((c) => c.readyState === WebSocket.OPEN && c.send('x'));
wss.clients.forEach((c) => is(c).as<WebSocket>());
for (const c of wss.clients) if (c.readyState === c.OPEN) c.ping();

// The WebSocket.Server shape of ws, and the constants.
const other: WebSocketServer = new WebSocket.Server({ noServer: true });
const states: number[] = [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED];
new WebSocket('ws://127.0.0.1:1').on('open', () => {});

// A Duplex over a WebSocket, with the Duplex options.
wss.on('connection', (ws) => {
  const duplex = createWebSocketStream(ws, { readableObjectMode: true, highWaterMark: 1024 });
  is(duplex).as<Duplex>();
  duplex.pipe(duplex);
});
export { other, states };
