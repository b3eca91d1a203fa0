// Build:
//   dist/esm      tsc: ES modules + .d.ts, one file per module.
//   dist/cjs      tsc again: the same modules as CommonJS, one file
//                 per module, comments kept (`require('./x.js')` between them), so every
//                 CommonJS entry point (index, compat, client) loads the same
//                 module instances: one RequestError, one WebSocket class.
//                 dist/cjs/index.cjs (src/index.cts) is the root entry.
//   dist/mjs      the ES module entries of the package: each re-exports
//                 the CommonJS module of its entry, so import and require
//                 share one copy of the code (dist/esm is what tsc emits:
//                 the declarations the package ships, and the modules the
//                 tests and coverage run against).
//   dist/browser  the browser client bundles (scripts/build-browser.mjs).
//
// `node scripts/build.mjs` (npm run build) is the development build: source
// maps next to dist/esm, which c8 reads to report coverage against src/.
// `node scripts/build.mjs --release` (npm's prepack) writes no source maps:
// they would point at src/, which the package does not ship, and the
// published JavaScript is tsc's output of src/ with only the types removed,
// readable as it is.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { buildBrowser } from './build-browser.mjs';

const release = process.argv.includes('--release');

rmSync('dist', { recursive: true, force: true });
const tscFlags = release ? ['--sourceMap', 'false', '--inlineSources', 'false'] : [];
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', ...tscFlags], { stdio: 'inherit' });

// The CommonJS build: the same compiler, one module per source file, the
// comments kept (what the package ships, so an auditor reads the sources'
// words). The modules keep their .js names (dist/cjs/package.json makes .js
// CommonJS there), so the `./x.js` specifiers of src/ resolve unchanged.
execFileSync(
  process.execPath,
  [
    'node_modules/typescript/bin/tsc', '-p', 'tsconfig.json',
    '--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '5.0',
    '--outDir', 'dist/cjs', '--declaration', 'false', '--sourceMap', 'false', '--inlineSources', 'false',
  ],
  { stdio: 'inherit' },
);
const cjs = { bundle: false, platform: 'node', format: 'cjs', target: 'node20', outdir: 'dist/cjs', logLevel: 'warning' };
// src/index.cts -> dist/cjs/index.cjs: requires ./index.js (src/index.ts).
await build({ ...cjs, entryPoints: ['src/index.cts'], outExtension: { '.js': '.cjs' } });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
writeFileSync('dist/cjs/index.d.cts', cjsDeclarations());
await esmEntries();

/**
 * The ES module entry points of the package (dist/mjs): each re-exports
 * the CommonJS module of the same entry, as ws's wrapper.mjs does, so
 * `import` and `require` load one copy of the code and the same classes
 * (no dual-package hazard), and the package ships the code once. The
 * export names are the ES build's (dist/esm), so the two cannot drift.
 */
async function esmEntries() {
  const entries = {
    index: ['../esm/index.js', '../cjs/index.cjs'],
    protocol: ['../esm/protocol.js', '../cjs/protocol.js'],
    compat: ['../esm/compat/index.js', '../cjs/compat/index.js'],
    client: ['../esm/client/index.js', '../cjs/client/index.js'],
    cluster: ['../esm/cluster.js', '../cjs/cluster.js'],
    redis: ['../esm/redis.js', '../cjs/redis.js'],
    adapter: ['../esm/adapter.js', '../cjs/adapter.js'],
  };
  mkdirSync('dist/mjs', { recursive: true });
  for (const [name, [esm, cjs]] of Object.entries(entries)) {
    const names = Object.keys(await import(new URL(esm, new URL('../dist/mjs/', import.meta.url)).href));
    const named = names.filter((n) => n !== 'default');
    const lines = [
      '// ES module entry: the CommonJS build re-exported (see scripts/build.mjs), one copy of every class.',
      `import cjs from '${cjs}';`,
      `export const { ${named.join(', ')} } = cjs;`,
    ];
    if (names.includes('default')) lines.push('export default cjs.default;');
    writeFileSync(`dist/mjs/${name}.mjs`, lines.join('\n') + '\n');
  }
}

/**
 * The types of dist/cjs/index.cjs, as @types/ws types `require('ws')`: one
 * `export =` of the WebSocket class merged with a namespace that holds every
 * named export of the root (and ws's `Server` alias), so
 * `import WebSocket = require('ws-node-server')` gives `new WebSocket(url)`,
 * `new WebSocket.Server(...)`, `let ws: WebSocket` and
 * `WebSocket.ServerOptions` their real types. The names come from the root's
 * declarations, so the list cannot drift from src/index.ts.
 */
function cjsDeclarations() {
  const entry = 'dist/esm/index.d.ts';
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
  // Each name is aliased from the module that declares it: an alias of a
  // name the root re-exports with `export type` is not allowed.
  const modules = new Map();
  const members = [];
  for (const exported of checker.getExportsOfModule(symbol)) {
    const name = exported.getName();
    if (name === 'default') continue;
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const file = target.declarations[0].getSourceFile().fileName;
    const spec = relative('dist/cjs', file).replace(/\\/g, '/').replace(/\.d\.ts$/, '.js');
    if (!modules.has(spec)) modules.set(spec, `m${modules.size}`);
    members.push(`  export import ${name} = ${modules.get(spec)}.${target.getName()};`);
  }
  members.sort();
  members.push('  export import Server = api.WebSocketServer;');
  const imports = [...modules].map(([spec, id]) => `import * as ${id} from '${spec}';`);
  return [
    '// The CommonJS entry: require() returns the WebSocket class with every named export attached (see index.cjs).',
    "import * as api from '../esm/index.js';",
    ...imports,
    'declare class WebSocket extends api.WebSocket {}',
    'declare namespace WebSocket {',
    ...members,
    '}',
    'export = WebSocket;',
    '',
  ].join('\n');
}

// The browser builds of the client (ES module and classic script).
await buildBrowser({ log: () => {}, sourcemap: !release });
console.log(`built dist/esm (tsc), dist/cjs (one module per file), dist/browser${release ? ' (release: no source maps)' : ''}`);
