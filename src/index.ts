// Package root: the ws-compatible low-level API and the protocol building blocks.
export * from './frame/index.js';
export * from './handshake/index.js';
export * from './session/index.js';
