// Listeners of the wrong shape for known events: each marked line must fail to compile.
import WebSocket, { WebSocketServer } from 'ws-node-server';
import { is } from './typed.js';

const ws = new WebSocket('ws://127.0.0.1:1');
const wss = new WebSocketServer({ noServer: true });

ws.on('close', (code: string) => code); // error: close code is a number
ws.once('message', (data: string) => data); // error: data is RawData
ws.off('open', (event: Event) => event); // error: open has no argument
ws.addListener('error', (err: string) => err); // error: error is an Error
wss.on('connection', (socket: string) => socket); // error: socket is a WebSocket
wss.on('headers', (headers: Record<string, string>) => headers); // error: headers are lines
// The checks of ws-patterns.ts can fail: on `any`, and on a type that is not exact.
is(JSON.parse('1')).as<number>(); // error: any
ws.on('message', (data) => is(data).as<Buffer>()); // error: data is RawData, wider than Buffer
