// In-process adapter for ws-node-server's frame layer, from the built dist/.
import { existsSync } from 'node:fs';
import { oursEntry, oursAvailable } from '../lib/ours-entry.mjs';

// The frame layer is the `ws-node-server/protocol` entry, next to the root
// entry; a build from before that entry existed has it at the root.
const protocolEntry = new URL('protocol.js', oursEntry);
const entry = existsSync(protocolEntry) ? protocolEntry : oursEntry;

export const label = 'ours';

export const available = oursAvailable;

const mod = oursAvailable() === true ? await import(entry) : null;

export function info() {
  return {};
}

export function createParser({ maxPayload, onMessage, onError }) {
  const noop = () => {};
  const parser = new mod.FrameParser(
    { role: 'server', maxPayload },
    { onMessage, onPing: noop, onPong: noop, onClose: noop, onError },
  );
  return (chunk) => parser.push(chunk);
}

export function createMaskedEncoder() {
  const opts = { mask: true };
  return (payload) => mod.encodeFrame(2, payload, opts);
}
