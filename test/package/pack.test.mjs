// `npm pack` from a clean checkout: the prepack build runs, the tarball holds
// the built code for every `exports` entry, no source maps, and stays small.
// The checkout is a copy in a temporary directory, so the release build there
// never touches this checkout's dist/ (the other tests and c8 read it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from './consumer.mjs';

const exec = promisify(execFile);

/**
 * Bound on the unpacked size: dist (the code once, as CommonJS modules with
 * their comments, about 580 kB with the scale-out entries, recovery in
 * Redis and compression; .d.ts about 240 kB; browser bundles about 45 kB)
 * plus README and docs (about 230 kB): 1.1 MB. Source maps, or a second
 * copy of the code, would each go well past it.
 */
const MAX_UNPACKED = 1_300_000;

const SOURCES = ['package.json', 'tsconfig.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'src', 'scripts', 'docs'];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
let work;
let packed; // npm pack --json output for the tarball
let installed; // where the tarball was unpacked, as node_modules/ws-node-server

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'wns-pack-'));
  const checkout = join(work, 'checkout');
  for (const name of SOURCES) if (existsSync(join(ROOT, name))) cpSync(join(ROOT, name), join(checkout, name), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  assert.ok(!existsSync(join(checkout, 'dist')), 'the copy starts without dist/');
  // npm prints the prepack build's output before the JSON.
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', work], { cwd: checkout, timeout: 180_000 });
  [packed] = JSON.parse(stdout.slice(stdout.search(/^\[/m)));
  const app = join(work, 'app');
  installed = join(app, 'node_modules', 'ws-node-server');
  mkdirSync(installed, { recursive: true });
  await exec('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every file path package.json points at: main, module, types and each `exports` target. */
function targets() {
  const found = new Set([pkg.main, pkg.module, pkg.types]);
  const walk = (v) => {
    if (typeof v === 'string') found.add(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  return [...found].filter(Boolean).map((p) => p.replace(/^\.\//, ''));
}

test('every file package.json main/module/types/exports names is in the tarball', () => {
  const files = new Set(packed.files.map((f) => f.path));
  const wanted = targets();
  assert.ok(wanted.length >= 12, `targets: ${wanted.join(', ')}`);
  for (const path of wanted) assert.ok(files.has(path), `${path} is packed`);
  // Every entry point has code for import and require (not only types).
  for (const [entry, conditions] of Object.entries(pkg.exports)) {
    if (typeof conditions !== 'object') continue;
    // Nested conditions ({ import: { types, default } }) count by their code path.
    const code = Object.entries(conditions)
      .filter(([c]) => c !== 'types')
      .map(([, p]) => (typeof p === 'object' ? p.default : p).replace(/^\.\//, ''));
    assert.ok(code.length > 0 && code.every((p) => p.startsWith('dist/') && /\.[cm]?js$/.test(p)), `${entry}: ${code}`);
  }
});

test('the tarball holds no source maps, no sources, no tests, and is under the size bound', () => {
  const paths = packed.files.map((f) => f.path);
  assert.deepEqual(paths.filter((p) => p.endsWith('.map')), []);
  assert.deepEqual(paths.filter((p) => !/^(dist\/|docs\/|README\.md$|package\.json$|LICENSE|CHANGELOG\.md$)/.test(p)), []);
  assert.ok(paths.includes('README.md') && paths.some((p) => p.startsWith('docs/')), 'README and docs are packed');
  assert.ok(paths.includes('LICENSE'), 'the license is packed');
  assert.ok(packed.unpackedSize < MAX_UNPACKED, `unpacked ${packed.unpackedSize} B (bound ${MAX_UNPACKED} B)`);
  // No JavaScript file points at a source map that is not there.
  for (const p of paths.filter((p) => /\.[cm]?js$/.test(p))) {
    assert.ok(!readFileSync(join(installed, p), 'utf8').includes('sourceMappingURL'), `${p} has no sourceMappingURL`);
  }
  // One copy of the code: the CommonJS build, one file per module; the ES
  // module entries (dist/mjs) re-export it, and dist/esm holds declarations only.
  assert.deepEqual(paths.filter((p) => p.startsWith('dist/esm/') && !p.endsWith('.d.ts')), []);
  assert.deepEqual(paths.filter((p) => p.startsWith('dist/mjs/')).sort(), ['adapter', 'client', 'cluster', 'compat', 'index', 'protocol', 'redis'].map((e) => `dist/mjs/${e}.mjs`));
  for (const p of paths.filter((p) => p.startsWith('dist/mjs/'))) {
    assert.ok(readFileSync(join(installed, p), 'utf8').split('\n').length <= 6, `${p} is a re-export, not a copy`);
  }
  assert.ok(paths.filter((p) => p.startsWith('dist/cjs/') && p.endsWith('.js')).length > 50, 'the CommonJS build has one file per module');
});

test('the unpacked tarball works from an application: require and import of every entry point', async () => {
  const app = join(installed, '..', '..');
  writeFileSync(
    join(app, 'use.cjs'),
    `const ws = require('ws-node-server'), compat = require('ws-node-server/compat'), client = require('ws-node-server/client'), protocol = require('ws-node-server/protocol');
const scale = ['cluster', 'redis', 'adapter'].map((e) => require('ws-node-server/' + e));
console.log([typeof ws, typeof ws.WebSocketServer, typeof compat.WebSocketNodeServer, typeof client.WebSocketNodeClient, typeof protocol.FrameParser, typeof scale[0].createClusterAdapter, typeof scale[1].createRedisAdapter, typeof scale[2].RemoteAdapter].join());`,
  );
  writeFileSync(
    join(app, 'use.mjs'),
    `import WebSocket, { WebSocketServer } from 'ws-node-server';
import { WebSocketNodeServer } from 'ws-node-server/compat';
import { WebSocketNodeClient } from 'ws-node-server/client';
import { FrameParser } from 'ws-node-server/protocol';
import { createClusterAdapter } from 'ws-node-server/cluster';
import { createRedisAdapter } from 'ws-node-server/redis';
const browser = await import('ws-node-server/client/browser').catch((e) => e.code);
console.log([typeof WebSocket, typeof WebSocketServer, typeof WebSocketNodeServer, typeof WebSocketNodeClient, typeof browser.WebSocketNodeClient, typeof FrameParser, typeof createClusterAdapter, typeof createRedisAdapter].join());`,
  );
  const run = async (file) => (await exec(process.execPath, [file], { cwd: app, timeout: 20_000 })).stdout.trim();
  assert.equal(await run('use.cjs'), 'function,'.repeat(7) + 'function');
  assert.equal(await run('use.mjs'), 'function,'.repeat(7) + 'function');
});
