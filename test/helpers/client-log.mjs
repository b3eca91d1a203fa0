// Records everything a ws-compatible WebSocket (client or server side) emits,
// so tests can wait for a condition with a bound and then assert on it.
import { EventEmitter } from 'node:events';
import { changedWithin } from './wait.mjs';

// One bus for every recorded socket, so a wait can depend on both ends of a connection.
const bus = new EventEmitter();
bus.setMaxListeners(1000);

export function record(ws) {
  const log = {
    opened: false,
    messages: [], // { data, isBinary }
    errors: [],
    pings: [],
    pongs: [],
    closeEvent: null, // { code, reason }
    order: [], // event names in the order they happened
    waitFor: (predicate, ms) => changedWithin(bus, predicate, ms),
  };
  const note = (name) => { log.order.push(name); bus.emit('change'); };
  ws.on('open', () => { log.opened = true; note('open'); });
  ws.on('message', (data, isBinary) => { log.messages.push({ data, isBinary }); note('message'); });
  ws.on('error', (err) => { log.errors.push(err); note('error'); });
  ws.on('ping', (data) => { log.pings.push(data); note('ping'); });
  ws.on('pong', (data) => { log.pongs.push(data); note('pong'); });
  ws.on('close', (code, reason) => { log.closeEvent = { code, reason }; note('close'); });
  return log;
}

/** Bytes of a message event's data, whatever form the implementation used. */
export function bytesOf(data) {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(String(data));
}
