// The ws-compatible classes' events are typed as @types/ws types them: the
// fixtures in ./types-fixture are compiled with `tsc --strict` against the
// built declarations, reached through the package name (its `exports` map).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { consumer, ROOT } from './consumer.mjs';

const exec = promisify(execFile);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Compiles one fixture project in a consumer directory; resolves with { code, output }. */
async function compile(project, type = 'module') {
  const c = consumer({ 'package.json': JSON.stringify({ name: 'app', private: true, type }) });
  try {
    cpSync(join(ROOT, 'test', 'package', 'types-fixture'), c.dir, { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '@types'), join(c.dir, 'node_modules', '@types'), 'dir');
    try {
      const { stdout } = await exec(process.execPath, [TSC, '-p', project, '--pretty', 'false'], { cwd: c.dir, timeout: 120_000 });
      return { code: 0, output: stdout };
    } catch (err) {
      if (typeof err.code !== 'number') throw err;
      return { code: err.code, output: String(err.stdout) + String(err.stderr) };
    }
  } finally {
    c.remove();
  }
}

test('the common ws patterns compile under --strict, every listener parameter typed', async () => {
  const { code, output } = await compile('tsconfig.json');
  assert.equal(output.trim(), '');
  assert.equal(code, 0);
});

test('a listener of the wrong shape for a known event does not compile', async () => {
  const { code, output } = await compile('tsconfig.wrong.json');
  assert.notEqual(code, 0);
  // One error per marked line of the fixture, and nothing else.
  const lines = [...output.matchAll(/^wrong-listeners\.ts\((\d+),\d+\): error (TS\d+)/gm)].map((m) => Number(m[1]));
  assert.deepEqual([...new Set(lines)], [8, 9, 10, 11, 12, 13, 15, 16], output);
});

test('a CommonJS TypeScript file (.cts) gets the same types through named imports of every entry point', async () => {
  const { code, output } = await compile('tsconfig.cjs.json', 'commonjs');
  assert.equal(output.trim(), '');
  assert.equal(code, 0);
});

test('import X = require() of the root is typed as @types/ws types it, not as any', async () => {
  const ok = await compile('tsconfig.cjs.json', 'commonjs');
  assert.equal(ok.output.trim(), '');
  const wrong = await compile('tsconfig.cjs-wrong.json', 'commonjs');
  assert.notEqual(wrong.code, 0);
  const lines = [...wrong.output.matchAll(/^cjs-wrong\.cts\((\d+),\d+\): error TS\d+/gm)].map((m) => Number(m[1]));
  assert.deepEqual([...new Set(lines)], [5, 6, 7], wrong.output);
});
