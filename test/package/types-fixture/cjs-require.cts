// CommonJS TypeScript written for @types/ws: `import X = require(...)` of the
// root gives the class with every named export as a namespace member.
import WebSocket = require('ws-node-server');

const wss = new WebSocket.Server({ noServer: true });
const other: WebSocket.WebSocketServer = new WebSocket.WebSocketServer({ noServer: true });
const options: WebSocket.ServerOptions = { noServer: true, maxPayload: 1024 };
wss.on('connection', (ws: WebSocket, req) => {
  ws.on('message', (data: WebSocket.RawData, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code, reason) => `${code} ${reason.toString()} ${req.url}`);
});
const client = new WebSocket('ws://127.0.0.1:1', { handshakeTimeout: 1000 });
client.on('open', () => client.close(1000));
const state: WebSocket.ReadyState = client.readyState;
const app = new WebSocket.WebSocketNodeServer({ port: 0 });
export = { other, options, state, app, open: WebSocket.OPEN, frame: WebSocket.prepareFrame('x', false) };
