// The property shape of ws 8's WebSocket class, which code may observe
// (Object.keys, for...in, assignment in strict mode, util.inspect):
//
// - the readyState constants CONNECTING, OPEN, CLOSING, CLOSED are values on
//   the class and on its prototype, enumerable and read-only (assigning one,
//   on the class or on an instance, changes nothing; in strict mode it throws);
// - the accessors binaryType, bufferedAmount, extensions, isPaused,
//   protocol, readyState, url and onopen/onmessage/onerror/onclose, and the
//   methods addEventListener/removeEventListener, are own, enumerable
//   properties of the prototype.
//
// TypeScript's class syntax defines accessors and methods non-enumerable and
// static fields writable, so the shape is set here, once, after the class is
// defined (the implementations stay where they are: websocket.ts,
// event-target.ts).

const STATES = [
  ['CONNECTING', 0],
  ['OPEN', 1],
  ['CLOSING', 2],
  ['CLOSED', 3],
] as const;

/** Enumerable accessors of ws's WebSocket.prototype, in its order (Object.keys). */
const ACCESSORS = ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'onclose', 'onerror', 'onopen', 'onmessage', 'protocol', 'readyState', 'url'];
/** Enumerable methods of ws's WebSocket.prototype; they follow the constants. */
const METHODS = ['addEventListener', 'removeEventListener'];

/** Gives `cls` (the exported WebSocket class) the property shape of ws's. */
export function defineWsShape(cls: abstract new (...args: never[]) => unknown): void {
  const proto = cls.prototype as object;
  // Anything else the prototype holds (internals) is left out of for...in.
  for (const name of Object.keys(proto)) {
    Object.defineProperty(proto, name, { enumerable: false });
  }
  for (const name of ACCESSORS) expose(proto, name);
  for (const [name, value] of STATES) {
    const constant = { value, enumerable: true, writable: false, configurable: false };
    Object.defineProperty(cls, name, constant);
    Object.defineProperty(proto, name, constant);
  }
  for (const name of METHODS) expose(proto, name);
}

/** Makes the inherited `name` an own, enumerable property of `proto`. */
function expose(proto: object, name: string): void {
  const found = lookup(proto, name);
  if (found === undefined) throw new Error(`WebSocket has no property ${name}`);
  // Redefined, not just flagged, so an accessor the class overrides itself
  // takes its place in ws's key order.
  Reflect.deleteProperty(proto, name);
  Object.defineProperty(proto, name, { ...found, enumerable: true });
}

/** The descriptor of `name` on `obj` or the nearest prototype that has it. */
function lookup(obj: object | null, name: string): PropertyDescriptor | undefined {
  for (let o = obj; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d !== undefined) return d;
  }
  return undefined;
}
