// The public surface is a decision, not a side effect: the values each entry
// point exports are listed here, reached through the package name (its
// `exports` map) in ES module and CommonJS form, and docs/api.md must
// describe each one in that entry's section. Adding or removing an export
// means changing this list and the reference together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { consumer, runNode, ROOT } from './consumer.mjs';

const ROOT_EXPORTS = [
  // ws-compatible API
  'default',
  'WebSocket',
  'WebSocketServer',
  'Event',
  'MessageEvent',
  'CloseEvent',
  'ErrorEvent',
  'createWebSocketStream',
  'prepareFrame',
  // application server
  'WebSocketNodeServer',
  'Session',
  'RemoteSession',
  'RequestError',
  'HookError',
  'ERROR_CODES',
  'isErrorCode',
  'PROTOCOL_V1',
  'SERVER_DEFAULTS',
].sort();

/**
 * What `require('ws')` has besides its named exports: the class itself, with
 * these attached, and its enumerable readyState constants.
 */
const CJS_STATICS = ['Server', 'WebSocketServer', 'WebSocket', 'CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

const PROTOCOL_EXPORTS = [
  'FrameParser',
  'encodeFrame',
  'encodeClosePayload',
  'prepareFrame',
  'applyMask',
  'Utf8Validator',
  'isUtf8',
  'Opcode',
  'CloseCode',
  'isValidCloseCode',
  'WS_GUID',
  'MAX_CONTROL_PAYLOAD',
  'ProtocolError',
  'validateUpgradeRequest',
  'buildAcceptHeaders',
  'buildRefusal',
  'buildClientRequest',
  'verifyServerResponse',
  'computeAccept',
  'generateKey',
  'isValidKey',
  'Connection',
  'CONNECTING',
  'OPEN',
  'CLOSING',
  'CLOSED',
].sort();

/** The scale-out entries: ws-node-server/cluster, /redis and /adapter. */
const SCALE_EXPORTS = {
  cluster: ['createClusterAdapter', 'setupClusterPrimary', 'REMOTE_DEFAULTS'].sort(),
  redis: ['createRedisAdapter', 'DEFAULT_REDIS_PREFIX', 'REMOTE_DEFAULTS'].sort(),
  adapter: ['RemoteAdapter', 'InProcessAdapter', 'REMOTE_DEFAULTS'].sort(),
};

/** The keys of every entry point, as an application sees them. */
async function surface() {
  const c = consumer({
    'package.json': JSON.stringify({ name: 'app', private: true, type: 'module' }),
    'keys.mjs': `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const root = require('ws-node-server');
console.log(JSON.stringify({
  esm: Object.keys(await import('ws-node-server')).sort(),
  cjs: Object.keys(root).sort(),
  cjsIsClass: typeof root === 'function' && root === root.WebSocket,
  protocolEsm: Object.keys(await import('ws-node-server/protocol')).sort(),
  protocolCjs: Object.keys(require('ws-node-server/protocol')).sort(),
  sameFunction: (await import('ws-node-server/protocol')).prepareFrame === (await import('ws-node-server')).prepareFrame,
  scaleEsm: Object.fromEntries(await Promise.all(['cluster', 'redis', 'adapter'].map(async (e) => [e, Object.keys(await import('ws-node-server/' + e)).sort()]))),
  scaleCjs: Object.fromEntries(['cluster', 'redis', 'adapter'].map((e) => [e, Object.keys(require('ws-node-server/' + e)).sort()])),
  sameDefaults: (await import('ws-node-server/cluster')).REMOTE_DEFAULTS === require('ws-node-server/redis').REMOTE_DEFAULTS,
}));`,
  });
  try {
    return JSON.parse(await runNode(c.dir, 'keys.mjs'));
  } finally {
    c.remove();
  }
}

/** The text of one `## ` section of docs/api.md, from its heading to the next. */
function apiSection(heading) {
  const doc = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
  const start = doc.indexOf(`\n## ${heading}\n`);
  assert.notEqual(start, -1, `docs/api.md has a section "## ${heading}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? doc.length : end);
}

/** The names a section's tables describe: the first cell of each row. */
function documented(section) {
  return new Set([...section.matchAll(/^\| `([A-Za-z_$][\w$]*)`/gm)].map((m) => m[1]));
}

test('the package root exports exactly the listed values, in ES module and CommonJS form', async () => {
  const s = await surface();
  assert.deepEqual(s.esm, ROOT_EXPORTS);
  // require('ws-node-server') is the WebSocket class, as require('ws') is,
  // with every named export and ws's static aliases attached.
  assert.equal(s.cjsIsClass, true);
  assert.deepEqual(s.cjs, [...new Set([...ROOT_EXPORTS, ...CJS_STATICS])].sort());
});

test('ws-node-server/protocol exports exactly the listed values, in ES module and CommonJS form', async () => {
  const s = await surface();
  assert.deepEqual(s.protocolEsm, PROTOCOL_EXPORTS);
  assert.deepEqual(s.protocolCjs, PROTOCOL_EXPORTS);
  assert.equal(s.sameFunction, true);
});

test('ws-node-server/cluster, /redis and /adapter export exactly the listed values, in ES module and CommonJS form', async () => {
  const s = await surface();
  assert.deepEqual(s.scaleEsm, SCALE_EXPORTS);
  assert.deepEqual(s.scaleCjs, SCALE_EXPORTS);
  assert.equal(s.sameDefaults, true);
});

test('docs/api.md describes every export of the root and of ws-node-server/protocol in its section, and nothing more', () => {
  const root = documented(apiSection('`ws-node-server` (the package root)'));
  const rootNames = ROOT_EXPORTS.filter((n) => n !== 'default');
  for (const name of rootNames) assert.ok(root.has(name), `docs/api.md: root export ${name}`);
  assert.deepEqual([...root].sort(), rootNames.sort());
  assert.match(apiSection('`ws-node-server` (the package root)'), /`default` export/);

  const protocol = documented(apiSection('`ws-node-server/protocol`'));
  for (const name of PROTOCOL_EXPORTS) assert.ok(protocol.has(name), `docs/api.md: protocol export ${name}`);
  assert.deepEqual([...protocol].sort(), PROTOCOL_EXPORTS);

  for (const [entry, names] of Object.entries(SCALE_EXPORTS)) {
    const section = documented(apiSection(`\`ws-node-server/${entry}\` — [scaling.md](scaling.md)`));
    assert.deepEqual([...section].sort(), names, `docs/api.md: ws-node-server/${entry}`);
  }
});

// ---- internals stay out of the published declarations ----

const ESM = join(ROOT, 'dist', 'esm');

/** The .d.ts files the published entry points reach, following their imports. */
function publicDeclarations() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  // Conditions may nest ({ import: { types }, require: { types } }).
  const types = (e) => (typeof e !== 'object' || e === null ? [] : [e.types, ...Object.values(e).flatMap(types)]);
  const queue = Object.values(pkg.exports)
    .flatMap(types)
    .filter((t) => typeof t === 'string' && t.startsWith('./dist/esm/'))
    .map((t) => join(ROOT, t));
  const seen = new Set();
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)\.js['"]/g)) queue.push(join(dirname(file), `${m[1]}.d.ts`));
  }
  return [...seen];
}

/** Every .ts file of src/ (not .cts, not .d.ts). */
function sources(dir = join(ROOT, 'src')) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sources(path));
    else if (/(?<!\.d)\.ts$/.test(entry.name)) files.push(path);
  }
  return files;
}

test('the published declarations have no underscore members except private ones', () => {
  const files = publicDeclarations();
  // The entries and what they pull in: the session layer's classes at least.
  assert.ok(files.some((f) => f.endsWith(join('session', 'websocket.d.ts'))), 'websocket.d.ts is reached from the root');
  assert.ok(files.some((f) => f.endsWith('protocol.d.ts')), 'protocol.d.ts is an entry');
  const found = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        // `private _x;` is how tsc declares a private member (no type, not
        // usable from outside); anything else starting with `_` is internal
        // state that leaked.
        if (/^\s+(?:readonly\s+|static\s+|get\s+|set\s+)*_[\w$]*\s*[?(:;<]/.test(line) && !/^\s+private\s/.test(line)) {
          found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(found, []);
});

test('members marked @internal in the sources are missing from their published declarations', () => {
  let checked = 0;
  const leaked = [];
  for (const src of sources()) {
    const text = readFileSync(src, 'utf8');
    // The name right after a doc comment that says @internal.
    const names = [...text.matchAll(/\/\*\*(?:(?!\*\/)[\s\S])*?@internal[\s\S]*?\*\/\s*(?:(?:readonly|static|get|set|async|declare)\s+)*([A-Za-z_$][\w$]*)/g)]
      .map((m) => m[1])
      .filter((name) => name !== 'constructor');
    if (names.length === 0) continue;
    const dts = readFileSync(join(ESM, relative(join(ROOT, 'src'), src)).replace(/\.ts$/, '.d.ts'), 'utf8');
    for (const name of names) {
      checked++;
      if (new RegExp(`^\\s+(?:(?:readonly|static|get|set)\\s+)*${name.replace(/\$/g, '\\$')}\\s*[?(:;<]`, 'm').test(dts)) leaked.push(`${relative(ROOT, src)}: ${name}`);
    }
  }
  // The WebSocket class alone marks ten members internal.
  assert.ok(checked >= 12, `found ${checked} @internal members`);
  assert.deepEqual(leaked, []);
  // Nor do the declarations name the socket binding's members (they are on
  // a Transport, not on the WebSocket) or its internal hooks.
  const websocket = readFileSync(join(ESM, 'session', 'websocket.d.ts'), 'utf8');
  for (const name of ['write', 'deliverMessage', 'deliverPing', 'deliverPong', 'shutdown', '_conn', '_attach', '_flushBatch', '_drained', '_backlog', '_socket']) {
    assert.doesNotMatch(websocket, new RegExp(`^\\s+(?:get\\s+)?${name}\\s*[(:]`, 'm'), `WebSocket#${name} is internal`);
  }
  assert.match(websocket, /^\s+sendPrepared\(/m, 'the check sees public members');
});
