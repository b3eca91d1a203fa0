// Which implementation the conformance and interop suites exercise.
// Default: this package's build (dist/esm). CONFORMANCE_TARGET=ws runs the
// very same cases against the `ws` package, which is how the suites
// themselves are checked.
const requested = process.env.CONFORMANCE_TARGET || 'ours';
if (requested !== 'ours' && requested !== 'ws') {
  throw new Error(`CONFORMANCE_TARGET must be "ours" or "ws", got "${requested}"`);
}

const mod = requested === 'ws'
  ? await import('ws')
  : await import(new URL('../../dist/esm/index.js', import.meta.url).href);

export const targetName = requested === 'ws' ? 'ws' : 'ws-node-server';
export const WebSocketServer = mod.WebSocketServer;
export const WebSocket = mod.WebSocket;

if (typeof WebSocketServer !== 'function' || typeof WebSocket !== 'function') {
  throw new Error(`${targetName} does not export WebSocketServer and WebSocket`);
}
