// The property shape of the WebSocket class, compared with ws 8's: the
// readyState constants are read-only and enumerable (on the class, the
// prototype and so on every instance), the accessors and the browser-style
// event methods are enumerable own properties of the prototype.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { impls, listen, next, shutdown } from './stream-impls.mjs';

const [wsImpl, ours] = impls;

const CONSTANTS = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
const ACCESSORS = ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url', 'onopen', 'onmessage', 'onerror', 'onclose'];
const METHODS = ['addEventListener', 'removeEventListener'];
/** Methods ws defines non-enumerable (ours may inherit them from a base class). */
const OTHER_METHODS = ['send', 'close', 'terminate', 'ping', 'pong', 'pause', 'resume'];

/** A descriptor with its functions replaced by their kind, comparable across implementations. */
function shape(d) {
  if (d === undefined) return undefined;
  const out = {};
  for (const [k, v] of Object.entries(d)) out[k] = typeof v === 'function' ? 'function' : v;
  return out;
}

/** The descriptor of `name` on `obj` or the nearest prototype that has it. */
function inherited(obj, name) {
  for (let o = obj; o !== null; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d !== undefined) return d;
  }
  return undefined;
}

test('the prototype own property descriptors of the constants, accessors and event methods are those of ws', () => {
  for (const name of [...CONSTANTS, ...ACCESSORS, ...METHODS]) {
    const expected = shape(Object.getOwnPropertyDescriptor(wsImpl.WebSocket.prototype, name));
    assert.notEqual(expected, undefined, `ws has ${name} on its prototype`);
    assert.deepEqual(shape(Object.getOwnPropertyDescriptor(ours.WebSocket.prototype, name)), expected, name);
  }
  for (const name of OTHER_METHODS) {
    assert.deepEqual(shape(inherited(ours.WebSocket.prototype, name)), shape(inherited(wsImpl.WebSocket.prototype, name)), name);
  }
});

test('the class constants are read-only and enumerable, as in ws', () => {
  for (const name of CONSTANTS) {
    assert.deepEqual(shape(Object.getOwnPropertyDescriptor(ours.WebSocket, name)), shape(Object.getOwnPropertyDescriptor(wsImpl.WebSocket, name)), name);
  }
  assert.deepEqual(shape(Object.getOwnPropertyDescriptor(ours.WebSocket, 'OPEN')), { value: 1, writable: false, enumerable: true, configurable: false });
});

test('Object.keys of the prototype lists what ws lists, in the same order', () => {
  assert.deepEqual(Object.keys(ours.WebSocket.prototype), Object.keys(wsImpl.WebSocket.prototype));
});

test('assigning a constant, on the class or on an instance, changes nothing (and throws in strict mode), as in ws', async () => {
  const outcomes = {};
  for (const impl of impls) {
    const wss = await listen(impl);
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    await next(ws, 'open');
    const attempt = (target) => {
      try {
        target.OPEN = 42;
        return 'assigned';
      } catch (err) {
        return err.constructor.name;
      }
    };
    outcomes[impl.name] = {
      onClass: attempt(impl.WebSocket),
      onInstance: attempt(ws),
      values: [impl.WebSocket.OPEN, ws.OPEN, ws.CLOSED],
      ownOnInstance: Object.hasOwn(ws, 'OPEN'),
      readyStateIsOpen: ws.readyState === ws.OPEN,
    };
    ws.terminate();
    await shutdown(wss);
  }
  assert.deepEqual(outcomes.ws, { onClass: 'TypeError', onInstance: 'TypeError', values: [1, 1, 3], ownOnInstance: false, readyStateIsOpen: true });
  assert.deepEqual(outcomes.ours, outcomes.ws);
});
