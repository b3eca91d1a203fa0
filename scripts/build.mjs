// Build: tsc emits ESM + .d.ts + source maps into dist/esm (one file per
// module, so coverage maps back to src/); esbuild bundles the CommonJS entry
// points into dist/cjs.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { build } from 'esbuild';
import { buildBrowser } from './build-browser.mjs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });

const cjsEntries = [['index', 'src/index.cts']];
for (const extra of [['compat', 'src/compat/index.ts'], ['client', 'src/client/index.ts']]) {
  if (existsSync(extra[1])) cjsEntries.push(extra);
}
mkdirSync('dist/cjs', { recursive: true });
for (const [name, entry] of cjsEntries) {
  await build({
    entryPoints: [entry],
    outfile: `dist/cjs/${name}.cjs`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
}
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
// The browser builds of the client (ES module and classic script).
if (existsSync('src/client/browser.ts')) await buildBrowser({ log: () => {} });
console.log(`built dist/esm (tsc) and dist/cjs (${cjsEntries.map((e) => e[0]).join(', ')})`);
