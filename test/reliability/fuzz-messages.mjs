// Seeded generators of application messages for the decoder fuzz test:
// valid templates of both wire protocols, structural and textual mutations
// of them, and plain random JSON and text. Reproducible from the seed.

export { rng } from '../helpers/rng.mjs';

export const UNSAFE = ['__proto__', 'constructor', 'prototype'];

/** Strings an attacker would try: the protocol's own words, edge lengths, odd code points. */
const WORDS = [
  'auth', 'request', 'broadcast', 'message', 'join', 'leave', 'clients', 'update', 'reply', 'error', 'event',
  'call', 'group', 'channel', 'login', 'echo', 'leaveAll', 'getAvailableClients', 'getPublicAlias',
  'getPublicAvailability', 'updatePublicAvailability', 'updatePublicAlias', 'sendToClient', 'noop',
  'id', 'type', 'name', 'data', 'to', 'alias', 'available', 'credentials', 'info', 'action', 'packageID',
  'isAvailable', 'publicAlias', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', ...UNSAFE,
  '', 'x'.repeat(16), 'y'.repeat(17), 'z'.repeat(129), 'ü', '\u0000', '\ud800', '😀', '\u2028', 'null', '1',
];
const NUMBERS = [0, -1, 1, 1.5, -0.5, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e308, 1e-300, 42, 7];

export function randomValue(r, depth = 0) {
  const k = depth > 4 ? r.int(5) : r.int(10);
  switch (k) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick(NUMBERS);
    case 3:
    case 4: return r.pick(WORDS);
    case 5: return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    case 6:
    case 7: {
      const o = {};
      for (let i = r.int(4); i > 0; i--) {
        const key = r.pick(WORDS);
        set(o, key, randomValue(r, depth + 1));
      }
      return o;
    }
    case 8: return nest(r.pick(NUMBERS), 1 + r.int(12));
    default: return 's'.repeat(r.int(300));
  }
}

/** An own property, even for "__proto__" (as JSON.parse makes them), never a prototype change. */
function set(o, key, value) {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function nest(value, levels) {
  let v = value;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

export const V1_TEMPLATES = [
  { type: 'auth', id: 1, credentials: { name: 'x' } },
  { type: 'request', id: 2, name: 'noop', data: { a: 1 } },
  { type: 'request', id: 'abc', name: 'other', data: [1, 2] },
  { type: 'broadcast', id: 3, event: 'e', group: null, data: 1 },
  { type: 'broadcast', id: 4, event: 'e', group: 'g', data: 'x' },
  { type: 'message', id: 5, to: { id: 'someid' }, data: 1 },
  { type: 'message', id: 6, to: { alias: 'bob' }, data: null },
  { type: 'join', id: 7, group: 'g' },
  { type: 'leave', id: 8, group: 'g' },
  { type: 'clients', id: 9 },
  { type: 'update', id: 10, alias: 'a', available: true },
  { type: 'update', id: 11, alias: null },
];

export const LEGACY_TEMPLATES = [
  { info: { action: 'auth', request: 'login', group: null, packageID: 1 }, data: { name: 'x' } },
  { info: { action: 'call', request: 'noop', group: null, packageID: 2 }, data: { a: 1 } },
  { info: { action: 'call', request: 'echo', packageID: 3 }, data: 'x' },
  { info: { action: 'group', request: 'join', group: 'g', packageID: 4 } },
  { info: { action: 'group', request: 'leave', group: 'g', packageID: 5 } },
  { info: { action: 'group', request: 'leaveAll', packageID: 6 } },
  { info: { action: 'broadcast', request: 'ev', group: null, packageID: 7 }, data: 1 },
  { info: { action: 'channel', request: 'getAvailableClients', packageID: 8 } },
  { info: { action: 'channel', request: 'getPublicAlias', packageID: 9 } },
  { info: { action: 'channel', request: 'getPublicAvailability', packageID: 10 } },
  { info: { action: 'channel', request: 'updatePublicAvailability', packageID: 11 }, data: { isAvailable: false } },
  { info: { action: 'channel', request: 'updatePublicAlias', packageID: 12 }, data: { publicAlias: 'z' } },
  { info: { action: 'channel', request: 'sendToClient', group: 'uuid', packageID: 13 }, data: 'hi' },
];

/** Changes one place inside a parsed message: replace, delete, add, nest deeper, or lengthen. */
function mutateStructure(r, message) {
  const root = structuredClone(message);
  let holder = root;
  // Walk a random path down through objects.
  for (let steps = r.int(3); steps > 0; steps--) {
    const keys = Object.keys(holder).filter((k) => holder[k] !== null && typeof holder[k] === 'object' && !Array.isArray(holder[k]));
    if (keys.length === 0) break;
    holder = holder[r.pick(keys)];
  }
  const keys = Object.keys(holder);
  const key = keys.length > 0 && r.chance(0.8) ? r.pick(keys) : r.pick(WORDS);
  switch (r.int(5)) {
    case 0: delete holder[key]; break;
    case 1: set(holder, key, nest(holder[key] ?? 1, 1 + r.int(12))); break;
    case 2: set(holder, key, typeof holder[key] === 'string' ? holder[key].repeat(2 + r.int(20)) : 'w'.repeat(10 + r.int(20))); break;
    default: set(holder, key, randomValue(r));
  }
  return JSON.stringify(root);
}

const SOUP = '{}[]:,"\\0123456789aetrnulfx- \u00e9\ud83d\ude00\u0000\n';

/** Edits the text itself: flip, insert, delete, duplicate, truncate, or inject an unsafe key. */
function mutateText(r, text) {
  if (text.length === 0) return r.pick(SOUP.split(''));
  const at = r.int(text.length);
  switch (r.int(6)) {
    case 0: return text.slice(0, at) + r.pick(SOUP.split('')) + text.slice(at + 1);
    case 1: return text.slice(0, at) + r.pick(SOUP.split('')) + text.slice(at);
    case 2: return text.slice(0, at) + text.slice(at + 1 + r.int(8));
    case 3: return text.slice(0, at) + text.slice(at, at + 1 + r.int(16)) + text.slice(at);
    case 4: return text.slice(0, at);
    default: {
      // A syntactically valid unsafe key right after some '{'.
      const braces = [...text].flatMap((ch, i) => (ch === '{' ? [i] : []));
      if (braces.length === 0) return text;
      const b = r.pick(braces);
      const empty = text[b + 1] === '}';
      return `${text.slice(0, b + 1)}"${r.pick(UNSAFE)}":${JSON.stringify(randomValue(r, 3))}${empty ? '' : ','}${text.slice(b + 1)}`;
    }
  }
}

/** One fuzz input for a protocol: mutated valid (70%), random JSON (20%) or character soup (10%). */
export function fuzzMessage(r, templates) {
  const roll = r.int(10);
  if (roll < 7) {
    let text = r.chance(0.5) ? mutateStructure(r, r.pick(templates)) : JSON.stringify(r.pick(templates));
    for (let n = 1 + r.int(2); n > 0; n--) text = r.chance(0.5) ? mutateText(r, text) : text;
    return text;
  }
  if (roll < 9) return JSON.stringify(randomValue(r)) ?? 'null';
  return Array.from({ length: r.int(40) }, () => r.pick(SOUP.split(''))).join('');
}

/**
 * An independent check of what the decoders promise to refuse: text that is
 * not JSON, unsafe keys anywhere, or containers nested deeper than maxDepth.
 */
export function audit(text, maxDepth) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not json';
  }
  const stack = [[value, 1]];
  while (stack.length > 0) {
    const [v, level] = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (level > maxDepth) return 'too deep';
    for (const key of Object.keys(v)) {
      if (!Array.isArray(v) && UNSAFE.includes(key)) return 'unsafe key';
      stack.push([v[key], level + 1]);
    }
  }
  return null;
}
