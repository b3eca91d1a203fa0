// Each marked line must fail to compile: the CommonJS types are real, not any.
import WebSocket = require('ws-node-server');

const wss = new WebSocket.Server({ noServer: true });
wss.on('connection', (ws: number) => ws); // error: the listener gets a WebSocket
const n: number = new WebSocket('ws://127.0.0.1:1'); // error: a WebSocket is not a number
const o: WebSocket.ServerOptions = { noServer: 'yes' }; // error: noServer is a boolean
export = { n, o };
