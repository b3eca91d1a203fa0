// The generics type-check an app's requests and events: tsc compiles a
// fixture that uses them right and, on @ts-expect-error lines, wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('request(), on(), broadcast(), sendMessage(), state events, and the server\'s onRequest()/broadcast() are checked at compile time against one type map', { timeout: 60_000 }, async () => {
  const args = [
    'node_modules/typescript/bin/tsc', '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--lib', 'es2022,dom', '--types', 'node', '--skipLibCheck',
    'test/client/fixtures/typed-client.ts', 'test/client/fixtures/typed-app.ts',
  ];
  const result = await new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root }, (error, stdout, stderr) => resolve({ code: error?.code ?? 0, out: stdout + stderr }));
  });
  assert.equal(result.out.trim(), '', 'tsc reported problems');
  assert.equal(result.code, 0);
});
