// Build:
//   dist/esm      tsc: ES modules + .d.ts, one file per module.
//   dist/cjs      esbuild, not bundled: the same modules as CommonJS, one file
//                 per module (`require('./x.js')` between them), so every
//                 CommonJS entry point (index, compat, client) loads the same
//                 module instances: one RequestError, one WebSocket class.
//                 dist/cjs/index.cjs (src/index.cts) is the root entry.
//   dist/browser  the browser client bundles (scripts/build-browser.mjs).
//
// `node scripts/build.mjs` (npm run build) is the development build: source
// maps next to dist/esm, which c8 reads to report coverage against src/.
// `node scripts/build.mjs --release` (npm's prepack) writes no source maps:
// they would point at src/, which the package does not ship, and the
// published JavaScript is tsc's output of src/ with only the types removed,
// readable as it is.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { buildBrowser } from './build-browser.mjs';

const release = process.argv.includes('--release');

rmSync('dist', { recursive: true, force: true });
const tscFlags = release ? ['--sourceMap', 'false', '--inlineSources', 'false'] : [];
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', ...tscFlags], { stdio: 'inherit' });

/** Every module of src/ (the .ts files; .cts entries are built on their own). */
function modules(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...modules(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const cjs = {
  bundle: false,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outbase: 'src',
  outdir: 'dist/cjs',
  logLevel: 'warning',
};
// The modules keep their .js names (dist/cjs/package.json makes .js CommonJS
// there), so the `./x.js` specifiers of src/ resolve unchanged.
await build({ ...cjs, entryPoints: modules('src') });
// src/index.cts -> dist/cjs/index.cjs: requires ./index.js (src/index.ts).
await build({ ...cjs, entryPoints: ['src/index.cts'], outExtension: { '.js': '.cjs' } });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
writeFileSync('dist/cjs/index.d.cts', cjsDeclarations());

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
