// Browser builds of the client (src/client/browser.ts), minified by esbuild:
//   dist/browser/client.js         ES module: import { WebSocketNodeClient } from '.../client.js'
//   dist/browser/client.global.js  classic script: window.WebSocketNodeClient
//   dist/browser/client.d.ts       types of the ES module (re-exports dist/esm)
// The bundle must not contain Node built-ins or the Node core (frame,
// handshake, session, router; only the Node-free src/router/wire.ts is let
// through): the build fails if anything pulls them in.
// Run after tsc (the .d.ts points at dist/esm): `node scripts/build-browser.mjs`,
// or import { buildBrowser } from './build-browser.mjs'.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = 'src/client/browser.ts';
const GLOBAL = 'WebSocketNodeClient';

/** Fails the build on any import the browser cannot satisfy. */
const browserOnly = {
  name: 'browser-only',
  setup(b) {
    b.onResolve({ filter: /^node:|^(events|http|https|net|tls|crypto|stream|buffer|zlib|url|util)$/ }, (args) => ({
      errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer} cannot go into the browser bundle` }],
    }));
    b.onResolve({ filter: /\/(session|frame|handshake|router)\// }, (args) => {
      // The wire vocabulary both sides share imports nothing and no Node API
      // (test/package/wire-module.test.mjs): it is the one exception.
      if (/\/router\/wire\.js$/.test(args.path)) return undefined;
      // Type-only imports are erased before resolution; a value import of the Node core is a mistake.
      return { errors: [{ text: `${args.path} (Node core) imported by ${args.importer} cannot go into the browser bundle` }] };
    });
  },
};

export async function buildBrowser({ outdir = 'dist/browser', entry = ENTRY, log = console.log, sourcemap = true } = {}) {
  mkdirSync(outdir, { recursive: true });
  const common = {
    entryPoints: [entry],
    bundle: true,
    minify: true,
    sourcemap,
    platform: 'browser',
    // Private class fields and methods are used as is (Chrome 91, Firefox 90, Safari 15).
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [browserOnly],
  };
  await build({ ...common, format: 'esm', outfile: `${outdir}/client.js` });
  await build({
    ...common,
    format: 'iife',
    globalName: GLOBAL,
    outfile: `${outdir}/client.global.js`,
    // The global is the class itself, with the other exports (errors,
    // PROTOCOL) as its properties: `new WebSocketNodeClient(url)` and
    // `err instanceof WebSocketNodeClient.ServerError` both work.
    footer: { js: `${GLOBAL}=Object.assign(${GLOBAL}.${GLOBAL},${GLOBAL});` },
  });
  writeFileSync(`${outdir}/client.d.ts`, "export * from '../esm/client/browser.js';\n");

  const sizes = {};
  for (const file of ['client.js', 'client.global.js']) {
    const code = readFileSync(`${outdir}/${file}`);
    sizes[file] = { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
    log(`${outdir}/${file}: ${kb(sizes[file].min)} minified, ${kb(sizes[file].gzip)} gzipped`);
  }
  return sizes;
}

const kb = (n) => `${(n / 1024).toFixed(2)} KiB (${n} B)`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildBrowser();
}
