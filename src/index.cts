// CommonJS entry: `require('ws-node-server')` returns the WebSocket class with
// every named export attached, as `require('ws')` does, so
// `const WebSocket = require(...)`, `new WebSocket.Server(...)` and
// `const { WebSocketServer } = require(...)` all work.
import * as api from './index.js';

declare const module: { exports: unknown };
const { default: WebSocket, ...named } = api;
module.exports = Object.assign(WebSocket, named, { default: WebSocket });
