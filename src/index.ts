// Package root: the ws-compatible low-level API and the protocol building blocks.
export * from './frame/index.js';
export * from './handshake/index.js';
export * from './session/index.js';

import { WebSocket } from './session/index.js';
/** Default export, as `import WebSocket from 'ws'`. */
export default WebSocket;
export * from './router/index.js';
