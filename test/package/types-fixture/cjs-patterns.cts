// CommonJS TypeScript (a .cts file): named imports of every entry point.
import { WebSocket, WebSocketServer } from 'ws-node-server';
import { WebSocketNodeServer } from 'ws-node-server/compat';
import { WebSocketNodeClient } from 'ws-node-server/client';
import { prepareFrame, FrameParser } from 'ws-node-server/protocol';

const wss: WebSocketServer = new WebSocket.Server({ noServer: true });
wss.on('connection', (ws, req) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code, reason) => `${code} ${reason.toString()} ${req.url}`);
});
const compat = new WebSocketNodeServer({ port: 0 });
const client = new WebSocketNodeClient('ws://127.0.0.1:1');
const parser = new FrameParser({ role: 'client' }, { onMessage() {}, onPing() {}, onPong() {}, onClose() {}, onError() {} });
export = { compat, client, open: WebSocket.OPEN, frame: prepareFrame('x', false), parser };
