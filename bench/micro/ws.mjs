// In-process adapter for the `ws` package: its Receiver (fed through
// write(), as ws's socket 'data' handler does) and Sender.frame().
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const wsDir = dirname(require.resolve('ws'));
const Receiver = require(join(wsDir, 'lib/receiver.js'));
const Sender = require(join(wsDir, 'lib/sender.js'));

export const label = 'ws';

export function info() {
  let native = [];
  for (const m of ['bufferutil', 'utf-8-validate']) {
    try {
      require.resolve(m, { paths: [wsDir] });
      native.push(m);
    } catch {}
  }
  return { version: require(join(wsDir, 'package.json')).version, nativeAddons: native };
}

export function createParser({ maxPayload, onMessage, onError }) {
  const r = new Receiver({ isServer: true, maxPayload });
  r.on('message', onMessage);
  r.on('error', onError);
  return (chunk) => r.write(chunk);
}

export function createMaskedEncoder() {
  // The options ws's client passes for a Buffer it must not modify.
  const bin = { fin: true, opcode: 2, mask: true, readOnly: true, rsv1: false };
  return (payload) => Sender.frame(payload, bin);
}
